"""The Admin page's callbacks as plain functions on a migrated SQLite store: users, roles, disabling, API tokens,
embed links, the audit log's filters, pages and CSV, and the server-side refusal of anyone but an admin."""
from __future__ import annotations

import sys
from contextlib import contextmanager

import pytest
from dash import no_update
from flask import g

from components import admin as ui
from components import ids
from core.auth import EMBEDDABLE_PAGES, Principal, audit, create_user, get_user, list_tokens, verify_token
from core.auth.embeds import verify
from data.store import upgrade
from tests.pages.helpers import current, page_store, text_of, triggered_by

ADMIN = Principal("root", "admin", "session", user_id=1)
ANALYST = Principal("ana", "analyst", "session", user_id=2)


@pytest.fixture
def admin_page(pages):
    """pages.admin as the real app's page scanner imported it."""
    return sys.modules["pages.admin"]


@pytest.fixture
def store(pages, tmp_path):
    """An empty migrated store with one admin (``root``), current for the test."""
    with current(page_store(f"sqlite:///{tmp_path / 'foresight.db'}", tmp_path)) as store:
        upgrade(store.engine)
        store.app.server.config["SECRET_KEY"] = store.settings.secret_key  # as app.py sets it
        create_user(store.engine, "root", "admin", "correct horse battery staple", actor="test")
        yield store


@contextmanager
def signed_in(store, principal: Principal = ADMIN):
    """A Dash callback request by ``principal`` (what the access guard leaves in ``flask.g``)."""
    with store.app.server.test_request_context("/_dash-update-component", method="POST"):
        g.principal = principal
        yield


def _users(admin_page) -> dict[str, dict]:
    rows, _options = admin_page.show_users(1)
    return {row["username"]: row for row in rows}


def test_an_admin_adds_a_user_with_a_generated_password_shown_once(admin_page, store):
    with signed_in(store):
        message, refresh = admin_page.add_user(1, " ada ", "analyst", None, 3)
        secret = message.children[1].children[0].children
        assert refresh == 4 and "Added ada (analyst)" in text_of(message) and len(secret) >= 20
        assert _users(admin_page)["ada"] == {"username": "ada", "role": "analyst", "status": "active",
                                              "source": "local", "created_at": _users(admin_page)["ada"]["created_at"],
                                              "last_login_at": None}
        typed, _ = admin_page.add_user(1, "bob", "viewer", "a long and fine passphrase", 4)
        assert "with the password you typed" in text_of(typed)
    assert [row["target"] for row in audit.query(store.engine, action=audit.USER_ADD, actor="root")] == ["bob", "ada"]


@pytest.mark.parametrize("username, password, words", [
    ("root", None, "user 'root' already exists"),
    ("cy", "short", "the password has 5 characters; the policy asks for at least"),
    ("", None, "username"),
])
def test_a_refused_user_gets_its_specific_reason_and_nothing_changes(admin_page, store, username, password, words):
    with signed_in(store):
        message, refresh = admin_page.add_user(1, username, "viewer", password, 0)
    assert refresh is no_update and "Not done" in text_of(message) and words in text_of(message)
    with signed_in(store):
        assert list(_users(admin_page)) == ["root"]


def test_roles_change_and_the_last_admin_cannot_be_demoted_or_disabled(admin_page, store):
    with signed_in(store):
        admin_page.add_user(1, "ada", "viewer", None, 0)
        with triggered_by(ui.USER_SET_ROLE, "n_clicks", 1):
            changed, _ = admin_page.change_user(1, 0, 0, 0, [{"username": "ada"}], "analyst", 0)
            demoted, refresh = admin_page.change_user(1, 0, 0, 0, [{"username": "root"}], "viewer", 0)
        with triggered_by(ui.USER_DISABLE, "n_clicks", 1):
            disabled_last, _ = admin_page.change_user(0, 1, 0, 0, [{"username": "root"}], None, 0)
            nobody, _ = admin_page.change_user(0, 1, 0, 0, None, None, 0)
    assert "ada is now analyst" in text_of(changed) and get_user(store.engine, "ada").role == "analyst"
    assert refresh is no_update and "last active admin" in text_of(demoted)
    assert "last active admin" in text_of(disabled_last) and "select a user in the list first" in text_of(nobody)
    assert get_user(store.engine, "root").role == "admin" and not get_user(store.engine, "root").disabled


def test_disabling_stops_sign_in_and_tokens_and_enabling_restores_the_user(admin_page, store):
    with signed_in(store):
        admin_page.add_user(1, "ada", "analyst", None, 0)
        _message, _refresh = admin_page.add_token(1, "ada", "nightly", 30, 0)
        plaintext = _message.children[1].children[0].children
        assert verify_token(store.engine, plaintext) is not None
        with triggered_by(ui.USER_DISABLE, "n_clicks", 1):
            disabled, _ = admin_page.change_user(0, 1, 0, 0, [{"username": "ada"}], None, 0)
        assert "ada is disabled" in text_of(disabled) and _users(admin_page)["ada"]["status"] == "disabled"
        assert admin_page.show_users(2)[1] == ["root"]  # a token is made for active users only
        assert verify_token(store.engine, plaintext) is None
        with triggered_by(ui.USER_ENABLE, "n_clicks", 1):
            enabled, _ = admin_page.change_user(0, 0, 1, 0, [{"username": "ada"}], None, 0)
        assert "enabled again" in text_of(enabled) and _users(admin_page)["ada"]["status"] == "active"
        with triggered_by(ui.USER_RESET, "n_clicks", 1):
            reset, _ = admin_page.change_user(0, 0, 0, 1, [{"username": "ada"}], None, 0)
    assert "New password for ada" in text_of(reset) and len(reset.children[1].children[0].children) >= 20
    actions = [row["action"] for row in audit.query(store.engine, actor="root")]
    assert actions[:3] == [audit.PASSWORD_RESET, audit.USER_ENABLE, audit.USER_DISABLE]


def test_a_token_is_shown_once_listed_by_prefix_and_revoked(admin_page, store):
    with signed_in(store):
        message, refresh = admin_page.add_token(1, "root", "ci", 7, 0)
        plaintext = message.children[1].children[0].children
        [row] = admin_page.show_tokens(1)
        assert refresh == 1 and plaintext.startswith(row["prefix"]) and plaintext not in str(row)
        assert row["status"] == "active" and row["created_by"] == "root"
        assert "select a token in the list first" in text_of(admin_page.remove_token(1, [], 1)[0])
        revoked, refresh = admin_page.remove_token(1, [row], 1)
        assert admin_page.show_tokens(3)[0]["status"] == "revoked"
        assert "pick the user" in text_of(admin_page.add_token(1, None, "x", 7, 0)[0])
        assert "number of days" in text_of(admin_page.add_token(1, "root", "x", None, 0)[0])
    assert "is revoked" in text_of(revoked) and refresh == 2
    assert verify_token(store.engine, plaintext) is None and list_tokens(store.engine)[0].revoked_at is not None


def test_an_embed_link_shows_its_full_url_once_and_can_be_revoked(admin_page, store):
    with signed_in(store):
        message, _ = admin_page.add_embed(1, "/forecast", "metric=orders&h=30", 48, "intranet", 0)
        url = message.children[1].children[0].children
        assert url.startswith("http://localhost/embed/")
        payload = verify(store.app.server.config["SECRET_KEY"], url.rsplit("/", 1)[1])
        [row] = admin_page.show_embeds(1)
        assert row["id"] == payload["id"] and row["status"] == "active" and row["filters"] == "metric=orders&h=30"
        bad, refresh = admin_page.add_embed(1, "/forecast", "password=1", 48, None, 1)
        admin, _ = admin_page.add_embed(1, "/admin", "", 48, None, 1)
        revoked, _ = admin_page.remove_embed(1, [row], 1)
        assert admin_page.show_embeds(2)[0]["status"] == "revoked"
    assert refresh is no_update and "has no filter 'password'" in text_of(bad)
    assert "cannot be embedded" in text_of(admin) and f"Embed link {row['id']} (/forecast?metric=orders&h=30)" \
        in text_of(revoked)


def test_the_audit_log_filters_pages_and_exports_csv(admin_page, store):
    for i in range(ui.AUDIT_PAGE_SIZE + 5):
        audit.record(store.engine, audit.LOGIN, actor=f"user{i % 3}", target="=HYPERLINK(\"http://x\")")
    audit.record(store.engine, audit.LOGIN_FAILED, actor="mallory", outcome="denied")
    today = audit.now().date().isoformat()
    with signed_in(store):
        with triggered_by(ids.ADMIN_REFRESH, "data", 1):
            rows, pages, page, summary = admin_page.show_audit(1, 1, None, None, None, None, None)
        assert pages == 2 and page == 1 and len(rows) == ui.AUDIT_PAGE_SIZE
        with triggered_by(ui.AUDIT_PAGES, "active_page", 2):
            rows2, _, page2, summary2 = admin_page.show_audit(1, 2, None, None, None, None, None)
        assert rows2[-1]["detail"] == '{"role": "admin", "source": "local"}'  # the fixture's admin, as JSON text
        total = ui.AUDIT_PAGE_SIZE + 7  # the logins above, mallory's failure and the fixture's user_add
        assert page2 == 2 and summary.startswith(f"{total} entries; showing 1–") and \
            summary2 == f"{total} entries; showing {ui.AUDIT_PAGE_SIZE + 1}–{total}"
        with triggered_by(ui.AUDIT_OUTCOME, "value", "denied"):
            denied, *_rest, one = admin_page.show_audit(1, 2, None, "MALL", "denied", today, today)
        assert [(r["actor"], r["action"]) for r in denied] == [("mallory", "login_failed")] and one.startswith("1 ")
        with triggered_by(ui.AUDIT_DATES, "end_date", "2020-01-01"):
            assert admin_page.show_audit(1, 1, None, None, None, "2020-01-01", "2020-01-01")[0] == []
        download, _ = admin_page.export_audit(1, audit.LOGIN, "user1", None, None, None)
    lines = download["content"].splitlines()
    assert lines[0] == "id,at,actor,actor_kind,action,target,outcome,address,detail"
    assert len(lines) == 1 + 18 and all(",user1,session,login," in line for line in lines[1:])
    assert "'=HYPERLINK" in lines[1] and download["filename"] == "audit-log.csv"
    assert audit.query(store.engine, action=audit.EXPORT)[0]["actor"] == "root"


def test_anyone_but_an_admin_is_refused_on_the_server(admin_page, store):
    with signed_in(store, ANALYST):
        added, refresh = admin_page.add_user(1, "eve", "admin", None, 0)
        with triggered_by(ui.USER_SET_ROLE, "n_clicks", 1):
            promoted, _ = admin_page.change_user(1, 0, 0, 0, [{"username": "root"}], "viewer", 0)
        token, _ = admin_page.add_token(1, "root", "x", 7, 0)
        embed, _ = admin_page.add_embed(1, "/forecast", "", 24, None, 0)
        with triggered_by(ids.ADMIN_REFRESH, "data", 1):
            audit_rows = admin_page.show_audit(1, 1, None, None, None, None, None)
        listed = (admin_page.show_users(1), admin_page.show_tokens(1), admin_page.show_embeds(1))
        download, said = admin_page.export_audit(1, None, None, None, None, None)
        page = admin_page.layout()
    for message in (added, promoted, token, embed):
        assert "only an admin may" in text_of(message)
    assert refresh is no_update and listed == (([], []), [], []) and audit_rows[0] == []
    assert download is no_update and "only an admin may export the audit log" in said
    assert "Admins only" in text_of(page) and "ana (analyst)" in text_of(page)
    assert get_user(store.engine, "eve") is None and get_user(store.engine, "root").role == "admin"


def test_the_admin_page_layout_for_an_admin_offers_the_embeddable_pages(admin_page, store):
    with signed_in(store):
        page = admin_page.layout()
    assert "Admins only" not in text_of(page) and "Embed links" in text_of(page)


def test_embeddable_pages_and_their_filters_match_the_pages_url_state(pages, admin_page):
    """Every page but admin, data management, insights (its alert rules and alert centre belong to signed-in users)
    and health (for the system's operators) is embeddable, with exactly the query keys it reads."""
    import dash

    modules = {page["path"]: sys.modules[page["module"]] for page in dash.page_registry.values()
               if hasattr(sys.modules[page["module"]], "URL_PARAMS")}
    expected = {path: {key for p in module.URL_PARAMS for key in (p.keys or (p.name,))} | {"view"}
                for path, module in modules.items() if path not in ("/admin", "/data", "/insights", "/health")}
    assert {path: set(keys) for path, keys in EMBEDDABLE_PAGES.items()} == expected
