"""Single sign-on through a trusted proxy: its user header signs in with the role its groups map to, on every
request; the same header from any other address is ignored; a user in no mapped group is refused with why."""
from __future__ import annotations

import pytest

from core.auth import get_user
from tests.core.auth.web import access_app, engine_of

PROXY = {"REMOTE_ADDR": "10.0.0.5"}


@pytest.fixture
def app(tmp_path):
    return access_app(tmp_path, FORESIGHT_TRUSTED_PROXIES="10.0.0.0/24",
                      FORESIGHT_TRUSTED_USER_HEADER="X-Forwarded-User",
                      FORESIGHT_TRUSTED_GROUPS_HEADER="X-Forwarded-Groups",
                      FORESIGHT_GROUP_ROLES="bi-admins=admin,bi-analysts=analyst")


def _as(app, user: str, groups: str, environ=PROXY):
    return app.test_client().get("/whoami", headers={"X-Forwarded-User": user, "X-Forwarded-Groups": groups},
                                 environ_base=environ)


def test_the_proxys_header_signs_in_with_the_mapped_role(app):
    answer = _as(app, "grace", "staff, bi-analysts")
    assert answer.status_code == 200
    assert (answer.json["username"], answer.json["role"], answer.json["kind"]) == ("grace", "analyst", "sso")
    user = get_user(engine_of(app), "grace")
    assert (user.source, user.role) == ("sso", "analyst")
    assert "session=" not in " ".join(answer.headers.getlist("Set-Cookie"))  # checked on every request
    assert _as(app, "grace", "bi-admins").json["role"] == "admin"  # the proxy's groups are authoritative


def test_the_header_from_any_other_address_is_ignored(app):
    answer = _as(app, "mallory", "bi-admins", environ={"REMOTE_ADDR": "192.0.2.9"})
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    assert get_user(engine_of(app), "mallory") is None


def test_a_user_in_no_mapped_group_is_refused_with_the_reason(app):
    answer = _as(app, "eve", "staff")
    assert answer.status_code == 403
    assert "none of the groups (staff) maps to a role" in answer.text and "FORESIGHT_GROUP_ROLES" in answer.text
    assert get_user(engine_of(app), "eve") is None
