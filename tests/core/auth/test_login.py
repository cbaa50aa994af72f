"""The sign-in form: its fields, one message for every failure, lockout per account and per address (429 with
Retry-After), no open redirect, and the cookie flags (Secure only over HTTPS, X-Forwarded-Proto only from a
trusted proxy)."""
from __future__ import annotations

import re

import pytest

from core.auth import audit
from tests.core.auth.web import access_app, csrf, engine_of, login


@pytest.fixture
def app(tmp_path):
    return access_app(tmp_path)


def test_the_form_is_plain_html_for_password_managers(app):
    page = app.test_client().get("/login")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert re.search(r'<form[^>]*method="post"[^>]*action="/login"', page.text)
    assert re.search(r'name="username"[^>]*autocomplete="username"', page.text, re.S)
    assert re.search(r'name="password" type="password"[^>]*autocomplete="current-password"', page.text, re.S)
    assert 'name="csrf_token" value="' in page.text
    assert "<script" not in page.text  # the app's CSP forbids inline scripts


def test_a_good_password_signs_in_and_goes_where_the_user_was_heading(app):
    client = app.test_client()
    assert client.get("/forecast").headers["Location"] == "/login?next=%2Fforecast"
    answer = login(client, "analyst", next_path="/forecast?h=30")
    assert answer.status_code == 303 and answer.headers["Location"] == "/forecast?h=30"
    assert client.get("/forecast").text == "forecast page"
    rows = audit.query(engine_of(app), action=audit.LOGIN)
    assert [(row["actor"], row["outcome"], row["address"]) for row in rows] == [("analyst", "ok", "127.0.0.1")]


def test_a_wrong_password_and_an_unknown_user_get_the_same_message(app):
    client = app.test_client()
    wrong, unknown = login(client, "analyst", "not-the-password"), login(client, "nobody", "not-the-password")
    for answer in (wrong, unknown):
        assert answer.status_code == 401
        assert "Wrong username or password." in answer.text
    assert "nobody" not in unknown.text.replace('value="nobody"', "")  # only echoed back into the field
    failed = audit.query(engine_of(app), action=audit.LOGIN_FAILED)
    assert sorted(row["target"] for row in failed) == ["analyst", "nobody"]


def test_a_form_without_its_csrf_token_is_refused(app):
    client = app.test_client()
    client.get("/login")
    answer = client.post("/login", data={"username": "analyst", "password": "chart-reader-key-5812"})
    assert answer.status_code == 400 and "The form expired or came from another site" in answer.text
    assert client.get("/").status_code == 302


def test_an_account_is_locked_after_five_failures_from_any_addresses(app):
    client = app.test_client()
    for n in range(5):
        assert login(client, "analyst", "wrong-password-x", environ_base={"REMOTE_ADDR": f"10.9.0.{n}"}
                     ).status_code == 401
    locked = login(client, "analyst", environ_base={"REMOTE_ADDR": "10.9.0.99"})  # even the right password
    assert locked.status_code == 429
    assert 850 <= int(locked.headers["Retry-After"]) <= 900
    assert re.search(r"Too many failed sign-ins .* Try again after \d\d:\d\d UTC \(in 15 min\)", locked.text)
    assert login(client, "viewer", environ_base={"REMOTE_ADDR": "10.9.0.99"}).status_code == 303  # others: fine


def test_an_address_is_locked_after_five_failures_for_any_accounts(app):
    client = app.test_client()
    for n in range(5):
        assert login(client, f"guess{n}", "wrong-password-x").status_code == 401
    assert login(client, "viewer").status_code == 429
    assert login(client, "viewer", environ_base={"REMOTE_ADDR": "10.9.1.1"}).status_code == 303


def test_successful_sign_ins_do_not_count_towards_the_lockout(app):
    client = app.test_client()
    for _ in range(7):
        assert login(client, "viewer").status_code == 303


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "\\\\evil",
                                    "javascript:alert(1)", "http:/evil.example", "/%0d%0aSet-Cookie:x", ""])
def test_next_never_leaves_the_site(app, target):
    location = login(app.test_client(), "viewer", next_path=target).headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location.split("?")[0][:2]
    assert location in ("/", target)


def _session_cookie(answer) -> str:
    return next(c for c in answer.headers.getlist("Set-Cookie") if c.startswith("session="))


def test_cookie_flags_over_plain_http(app):
    cookie = _session_cookie(login(app.test_client(), "viewer"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Expires=" in cookie  # the session lasts FORESIGHT_SESSION_HOURS


def test_secure_cookie_behind_a_trusted_proxy_only(tmp_path):
    app = access_app(tmp_path, FORESIGHT_TRUSTED_PROXIES="10.0.0.0/8")
    https = {"headers": {"X-Forwarded-Proto": "https"}}
    trusted = login(app.test_client(), "viewer", environ_base={"REMOTE_ADDR": "10.1.2.3"}, **https)
    forged = login(app.test_client(), "viewer", environ_base={"REMOTE_ADDR": "192.0.2.5"}, **https)
    assert "; Secure" in _session_cookie(trusted)
    assert "Secure" not in _session_cookie(forged)
    direct = login(app.test_client(), "viewer", base_url="https://localhost")
    assert "; Secure" in _session_cookie(direct)


def test_embedding_needs_samesite_none_and_secure(tmp_path):
    app = access_app(tmp_path, FORESIGHT_FRAME_ANCESTORS="'self' https://portal.example.com")
    cookie = _session_cookie(login(app.test_client(), "viewer"))
    assert "SameSite=None" in cookie and "; Secure" in cookie and "HttpOnly" in cookie


def test_logout_ends_the_session_and_is_audited(app):
    client = app.test_client()
    login(client, "viewer")
    assert client.get("/").text == "home"
    answer = client.post("/logout", headers={"Origin": "http://localhost"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    assert [row["actor"] for row in audit.query(engine_of(app), action=audit.LOGOUT)] == ["viewer"]


def test_the_lockout_is_shown_on_the_form_with_a_fresh_token(app):
    client = app.test_client()
    for n in range(6):
        answer = login(client, "admin", "wrong-password-x")
    assert answer.status_code == 429 and csrf(client)
