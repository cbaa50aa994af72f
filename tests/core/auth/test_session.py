"""A browser session stops working when it expires, when the user's auth_epoch changes (new role, reset
password) and when the user is disabled; ``require`` names what is missing."""
from __future__ import annotations

import time

import pytest
from flask import g
from werkzeug.exceptions import Forbidden, Unauthorized

from core.auth import Permission, Principal, require, reset_password, set_disabled, set_role
from tests.core.auth.web import access_app, engine_of, login


@pytest.fixture
def signed_in(tmp_path):
    app = access_app(tmp_path, FORESIGHT_SESSION_HOURS="2")
    client = app.test_client()
    login(client, "analyst")
    assert client.get("/").text == "home"
    return app, client


def _signed_out(client) -> bool:
    answer = client.get("/forecast")
    return answer.status_code == 302 and answer.headers["Location"] == "/login?next=%2Fforecast"


def test_the_session_lasts_the_configured_hours(signed_in):
    _app, client = signed_in
    with client.session_transaction() as session:
        assert 2 * 3600 - 60 < session["exp"] - time.time() <= 2 * 3600
        session["exp"] = time.time() - 1
    assert _signed_out(client)


def test_a_new_role_ends_the_users_sessions(signed_in):
    app, client = signed_in
    set_role(engine_of(app), "analyst", "viewer", actor="admin")
    assert _signed_out(client)
    login(client, "analyst")
    assert client.get("/whoami").json["role"] == "viewer"


def test_a_password_reset_ends_the_users_sessions(signed_in):
    app, client = signed_in
    reset_password(engine_of(app), "analyst", "another-long-key-991", actor="admin")
    assert _signed_out(client)


def test_a_disabled_user_is_signed_out(signed_in):
    app, client = signed_in
    set_disabled(engine_of(app), "analyst", True, actor="admin")
    assert _signed_out(client)
    assert login(client, "analyst").status_code == 401


def test_require_names_what_is_missing(tmp_path):
    app = access_app(tmp_path)
    with app.test_request_context("/"):
        g.principal = None
        with pytest.raises(Unauthorized, match="sign in first"):
            require(Permission.VIEW)
        g.principal = Principal("vic", "viewer", "session", user_id=3)
        assert require(Permission.VIEW) is g.principal
        with pytest.raises(Forbidden, match=r"vic \(viewer\) may not upload; ask an admin"):
            require(Permission.UPLOAD)
