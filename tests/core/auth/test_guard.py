"""The request guard: anonymous callers, protected callbacks and pages, API tokens, embed sessions and the
upload rate."""
from __future__ import annotations

import time

import pytest
from flask import g

from core.auth import Permission, Principal, audit, protect_page
from core.auth.embeds import create_link
from core.auth.limits import upload_refusal
from core.auth.tokens import create_token, revoke_token
from tests.core.auth.web import PROTECTED_OUTPUT, access_app, callback_body, engine_of, login


@pytest.fixture
def app(tmp_path):
    return access_app(tmp_path, FORESIGHT_UPLOAD_RATE_LIMIT="2/hour")


def test_anonymous_callers_get_the_login_page_or_401(app):
    client = app.test_client()
    page = client.get("/forecast?h=30")
    assert page.status_code == 302 and page.headers["Location"] == "/login?next=%2Fforecast%3Fh%3D30"
    dash = client.post("/_dash-update-component", json=callback_body("x"))
    assert dash.status_code == 401 and dash.json["detail"].startswith("sign in first")
    api = client.get("/api/v1/thing")
    assert api.status_code == 401 and api.mimetype == "application/problem+json"
    assert api.json["type"].endswith("/unauthorized") and api.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/login").status_code == 200  # the probes are core.health's (tests/core/health/test_web.py)


def test_a_viewer_cannot_run_a_protected_callback_and_the_refusal_is_audited(app):
    viewer, analyst = app.test_client(), app.test_client()
    login(viewer, "viewer")
    login(analyst, "analyst")
    refused = viewer.post("/_dash-update-component", json=callback_body(PROTECTED_OUTPUT))
    assert refused.status_code == 403 and refused.json["detail"] == ("viewer (viewer) may not upload; ask an admin "
                                                                     "for a role that allows it")
    assert viewer.post("/_dash-update-component", json=callback_body("access-test-view")).text == "ran"
    assert analyst.post("/_dash-update-component", json=callback_body(PROTECTED_OUTPUT)).text == "ran"
    denied = audit.query(engine_of(app), action=audit.ACCESS_DENIED)
    assert [(row["actor"], row["outcome"]) for row in denied] == [("viewer", "denied")]


def test_a_protected_page_needs_its_permission_also_through_dashs_router(app):
    protect_page("/access-test-admin", Permission.MANAGE_USERS)
    client = app.test_client()
    login(client, "analyst")
    assert client.get("/access-test-admin").status_code == 403
    routed = {**callback_body("_pages_content"),
              "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/access-test-admin"}]}
    assert client.post("/_dash-update-component", json=routed).status_code == 403
    login(client, "admin")
    assert client.post("/_dash-update-component", json=routed).text == "ran"


def test_api_tokens_authenticate_until_revoked(app):
    engine = engine_of(app)
    token, plaintext = create_token(engine, "viewer", "script", days=1, actor="tests")
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {plaintext}"}
    assert client.get("/whoami", headers=bearer).json["kind"] == "token"
    revoke_token(engine, token.id, actor="tests")
    refused = client.get("/api/v1/thing", headers=bearer)
    assert refused.status_code == 401 and "unknown, expired or revoked" in refused.json["detail"]


def test_an_embed_session_sees_only_its_page(app):
    link, _token = create_link(engine_of(app), "/forecast", "", hours=1, actor="admin", secret_key="access-tests")
    link_id = link.id
    client = app.test_client()
    with client.session_transaction() as session:
        session["embed"] = {"id": link_id, "page": "/forecast", "exp": time.time() + 600}
    assert client.get("/forecast").text == "forecast page"
    assert client.get("/").status_code == 403
    assert client.get("/api/v1/thing").status_code == 403
    assert client.post("/_dash-update-component", json=callback_body(PROTECTED_OUTPUT)).status_code == 403
    other_page = {**callback_body("_pages_content"),
                  "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/data"}]}
    assert client.post("/_dash-update-component", json=other_page).status_code == 403


def test_uploads_are_counted_per_user(app):
    with app.test_request_context("/"):
        g.principal = Principal("analyst", "analyst", "session", user_id=2)
        assert upload_refusal() is None and upload_refusal() is None
        assert upload_refusal().startswith("Upload limit reached (2 per 1 hour); the next upload is accepted after")
        g.principal = Principal("admin", "admin", "session", user_id=1)
        assert upload_refusal() is None
