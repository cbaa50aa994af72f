"""Cross-site requests: a cookie-authenticated POST whose Origin (or, without one, Referer) is another site is
refused, Dash callbacks and /logout included; the same site passes; API tokens are exempt."""
from __future__ import annotations

import pytest

from core.auth.tokens import create_token
from tests.core.auth.web import access_app, callback_body, engine_of, login


@pytest.fixture
def signed_in(tmp_path):
    app = access_app(tmp_path)
    client = app.test_client()
    login(client, "analyst")
    return app, client


def _callback(client, **headers):
    return client.post("/_dash-update-component", json=callback_body("access-test-view"), headers=headers)


def test_a_cross_site_origin_is_refused_for_dash_callbacks(signed_in):
    _app, client = signed_in
    refused = _callback(client, Origin="https://evil.example")
    assert refused.status_code == 403 and "cross-site request refused" in refused.json["detail"]
    assert _callback(client, Origin="null").status_code == 403


def test_without_origin_the_referer_decides(signed_in):
    _app, client = signed_in
    assert _callback(client, Referer="https://evil.example/page").status_code == 403
    assert _callback(client, Referer="http://localhost/forecast").text == "ran"


def test_the_same_site_passes(signed_in):
    _app, client = signed_in
    assert _callback(client, Origin="http://localhost").text == "ran"
    assert _callback(client).text == "ran"  # no Origin and no Referer: not a browser's cross-site request


def test_logout_from_another_site_is_refused(signed_in):
    _app, client = signed_in
    assert client.post("/logout", headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.get("/").text == "home"  # still signed in


def test_a_cross_site_api_post_with_the_cookie_is_refused(signed_in):
    _app, client = signed_in
    refused = client.post("/api/v1/thing", headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"


def test_bearer_tokens_are_exempt(tmp_path):
    app = access_app(tmp_path)
    _token, plaintext = create_token(engine_of(app), "analyst", "script", days=1, actor="tests")
    answer = app.test_client().post("/_dash-update-component", json=callback_body("access-test-view"),
                                    headers={"Authorization": f"Bearer {plaintext}", "Origin": "https://other.example"})
    assert answer.text == "ran"
