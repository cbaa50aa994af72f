"""Signed embed links on a real migrated SQLite store: signing, every refusal (unsigned, tampered, expired, revoked,
unknown page or filter), the session the route writes for the guard, and the audit trail."""
from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import update

from core.auth import audit
from core.auth.embeds import EMBEDDABLE_PAGES, EmbedError, create_link, init_embeds, is_active, list_links, \
    revoke_link, sign, verify
from core.runtime import SETTINGS_KEY
from core.settings import Settings
from data.schema import embed_links
from data.store import get_engine, upgrade

KEY = "embed-tests-only"


@pytest.fixture
def store(tmp_path):
    url = f"sqlite:///{tmp_path / 'foresight.db'}"
    engine = get_engine(url)
    upgrade(engine)
    yield url, engine
    engine.dispose()


@pytest.fixture
def client(store, tmp_path):
    url, _engine = store
    settings = Settings.from_env({"FORESIGHT_DATABASE_URL": url, "FORESIGHT_INSTANCE_DIR": str(tmp_path),
                                  "FORESIGHT_SECRET_KEY": KEY})
    server = Flask(__name__)
    server.config.update(SECRET_KEY=KEY, **{SETTINGS_KEY: settings})
    init_embeds(server, settings)
    return server.test_client()


def _link(engine, page="/forecast", query="metric=orders&h=30", hours=24):
    return create_link(engine, page, query, hours=hours, actor="ada", note="portal", secret_key=KEY)


def test_a_signed_token_round_trips_and_names_its_link(store):
    _url, engine = store
    link, token = _link(engine)
    payload = verify(KEY, token)
    assert payload["id"] == link.id and payload["page"] == "/forecast" and payload["q"] == "metric=orders&h=30"
    assert payload["exp"] == int(link.expires_at.replace(tzinfo=dt.timezone.utc).timestamp())
    assert link.status() == "active" and is_active(engine, link.id)
    assert [row.id for row in list_links(engine)] == [link.id]


@pytest.mark.parametrize("mangle, reason", [
    (lambda token: token.split(".")[0], "unsigned"),
    (lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "tampered"),
    (lambda token: sign("another-key", 1, "/forecast", "", dt.datetime(2099, 1, 1)), "tampered"),
    (lambda token: sign(KEY, 1, "/forecast", "", dt.datetime(2020, 1, 1)), "expired"),
])
def test_unsigned_tampered_and_expired_tokens_are_refused(store, mangle, reason):
    _link_row, token = _link(store[1])
    with pytest.raises(EmbedError) as refused:
        verify(KEY, mangle(token))
    assert refused.value.reason == reason


def test_a_changed_payload_keeps_no_signature():
    """Pointing a link at another page means re-encoding its payload: the old signature no longer matches."""
    token = sign(KEY, 1, "/forecast", "", dt.datetime(2099, 1, 1))
    other = sign(KEY, 1, "/retention", "", dt.datetime(2099, 1, 1))
    forged = other.split(".")[0] + "." + token.split(".")[1]
    with pytest.raises(EmbedError, match="changed after it was signed"):
        verify(KEY, forged)


@pytest.mark.parametrize("page, query, message", [
    ("/admin", "", "cannot be embedded"),
    ("/data", "", "cannot be embedded"),
    ("/nowhere", "", "unknown page '/nowhere'; embed one of /, /forecast, /retention"),
    ("/forecast", "metric=orders&secret=1", "the page /forecast has no filter 'secret'; use h, levels,"),
    ("/forecast", "h=30&h=90", "'h' is given twice"),
    ("/retention", "by=", "needs a value"),
    ("/", "window", "not a query string"),
])
def test_an_unknown_page_or_filter_is_refused_with_what_to_use(store, page, query, message):
    with pytest.raises(EmbedError, match=message.replace("(", r"\(")):
        _link(store[1], page, query)
    assert list_links(store[1]) == []


def test_expiry_hours_must_be_a_whole_number_in_range(store):
    for hours in (0, -1, 10**6, 1.5, "24"):
        with pytest.raises(EmbedError, match="whole number of hours"):
            _link(store[1], hours=hours)


def test_every_embeddable_page_accepts_the_app_wide_view_filter(store):
    for page in EMBEDDABLE_PAGES:
        link, _token = _link(store[1], page, "?view=3d")
        assert link.query == "view=3d"


def test_a_valid_link_writes_the_embed_session_and_redirects_to_the_page_with_its_filters(client, store):
    link, token = _link(store[1])
    response = client.get(f"/embed/{token}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/forecast?metric=orders&h=30"
    with client.session_transaction() as session:
        assert session["embed"] == {"id": link.id, "page": "/forecast", "exp": verify(KEY, token)["exp"]}
        assert "uid" not in session
    opened = audit.query(store[1], action=audit.EMBED_OPEN)
    assert [(row["actor"], row["actor_kind"], row["outcome"]) for row in opened] == [(f"embed:{link.id}", "embed", "ok")]


def test_opening_a_link_replaces_a_login_in_that_browser(client, store):
    _link_row, token = _link(store[1])
    with client.session_transaction() as session:
        session.update(uid=1, epoch=0, exp=2**40)
    client.get(f"/embed/{token}")
    with client.session_transaction() as session:
        assert "uid" not in session and "embed" in session


@pytest.mark.parametrize("spoil, reason", [
    ("revoke", "revoked"), ("expire", "expired"), ("tamper", "tampered"), ("unsign", "unsigned"), ("delete", None),
])
def test_a_refused_link_answers_403_saying_why_and_writes_no_session(client, store, spoil, reason):
    _url, engine = store
    link, token = _link(engine)
    if spoil == "revoke":
        revoke_link(engine, link.id, "ada")
    elif spoil == "expire":
        token = sign(KEY, link.id, link.page, link.query, dt.datetime(2021, 3, 4, 5, 6))
    elif spoil == "tamper":
        token = token[:-3] + ("xyz" if not token.endswith("xyz") else "abc")
    elif spoil == "unsign":
        token = token.split(".")[0]
    else:
        token = sign(KEY, link.id + 1, link.page, link.query, link.expires_at)
    response = client.get(f"/embed/{token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert f"Embed link {reason or 'unknown'}" in page and "ask an admin for a new link" in page
    if spoil == "expire":
        assert "expired on 2021-03-04 05:06 UTC" in page
    with client.session_transaction() as session:
        assert "embed" not in session
    denied = audit.query(engine, action=audit.EMBED_OPEN, outcome="denied")
    assert [row["detail"] for row in denied] == [{"reason": reason or "unknown"}]
    named = {"revoke": link.id, "expire": link.id, "delete": link.id + 1}.get(spoil)
    assert denied[0]["target"] == ("embed link" if named is None else f"embed {named}")


def test_revoking_ends_the_link_and_is_audited_once(store):
    _url, engine = store
    link, _token = _link(engine)
    revoked = revoke_link(engine, link.id, "grace")
    assert revoked.status() == "revoked" and not is_active(engine, link.id)
    with pytest.raises(EmbedError, match=f"embed link {link.id} was already revoked"):
        revoke_link(engine, link.id, "grace")
    with pytest.raises(EmbedError, match="there is no embed link 999"):
        revoke_link(engine, 999, "grace")
    rows = audit.query(engine, action=audit.EMBED_REVOKE)
    assert [(row["actor"], row["target"]) for row in rows] == [("grace", f"embed {link.id} /forecast?metric=orders&h=30")]
    created = audit.query(engine, action=audit.EMBED_CREATE)
    assert [(row["actor"], row["detail"]) for row in created] == [("ada", {"hours": 24, "note": "portal"})]


def test_an_expired_row_is_not_active_even_before_its_token_is_checked(store):
    _url, engine = store
    link, _token = _link(engine)
    with engine.begin() as conn:
        conn.execute(update(embed_links).where(embed_links.c.id == link.id)
                     .values(expires_at=dt.datetime(2020, 1, 1)))
    assert not is_active(engine, link.id) and not is_active(engine, 12345)
    assert list_links(engine)[0].status() == "expired"
