"""Who may call the API: anonymous callers get a 401 problem, viewers read, only analysts and admins write."""
from __future__ import annotations

import io
import re

from core.auth.tokens import create_token, revoke_token


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert set(body) >= {"type", "title", "detail", "status"} and body["status"] == status
    assert "Traceback" not in body["detail"]
    return body


def test_anonymous_caller_gets_a_401_problem_saying_how_to_sign_in(api):
    body = _problem(api.client().get("/api/v1/kpis"), 401)
    assert "Bearer" in body["detail"] and "/login" in body["detail"]


def test_a_bad_or_revoked_token_is_refused(api):
    _problem(api.client().get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"}), 401)
    token, plaintext = create_token(api.engine, "analyst", "soon revoked", days=1, actor="tests")
    bearer = {"Authorization": f"Bearer {plaintext}"}
    assert api.client().get("/api/v1/me", headers=bearer).status_code == 200
    revoke_token(api.engine, token.id, actor="tests")
    _problem(api.client().get("/api/v1/me", headers=bearer), 401)


def test_a_viewer_token_reads_and_says_who_it_is(api):
    response = api.get("/api/v1/me")
    assert response.status_code == 200
    me = response.get_json()
    assert (me["username"], me["role"], me["kind"]) == ("viewer", "viewer", "token")
    assert "view" in me["permissions"] and "upload" not in me["permissions"]
    assert api.get("/api/v1/versions").status_code == 200


def test_a_viewer_cannot_ingest_or_retrain(api):
    client = api.client()
    upload = client.post("/api/v1/ingest/customers", headers=api.headers("viewer"),
                         data={"file": (io.BytesIO(b"customer_id\n1\n"), "c.csv")})
    assert "may not upload" in _problem(upload, 403)["detail"]
    retrain = client.post("/api/v1/retrain", headers=api.headers("viewer"), json={"target": "kpis"})
    assert "may not retrain" in _problem(retrain, 403)["detail"]


def test_a_browser_session_works_like_a_token(api):
    client = api.client()
    form = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    signed_in = client.post("/login", data={"username": "analyst", "password": "chart-reader-key-4712",
                                            "csrf_token": csrf})
    assert signed_in.status_code == 303
    me = client.get("/api/v1/me").get_json()
    assert (me["username"], me["kind"]) == ("analyst", "session")
