"""The health routes behind the real request guard: /healthz and /readyz open to anyone (503 naming what is down),
/metrics for allowed addresses (also behind a trusted proxy, never from a spoofed header) or an API token, request
metrics labelled by URL rule, and callbacks by output id."""
from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.auth.tokens import create_token, revoke_token
from core.health import init_health, monitor_of
from core.runtime import SETTINGS_KEY
from tests.core.auth.web import access_app, callback_body, engine_of, login

OUTSIDE = "203.0.113.9"  # TEST-NET-3: never in an allow-list
PROXY = "10.0.0.1"


def _app(folder, cache: bool = True, **env):
    if cache:
        (folder / "cache").mkdir(parents=True)
    server = access_app(folder, FORESIGHT_CHAT_MODEL="none", FORESIGHT_HEALTH_MONITOR="off", **env)
    server.add_url_rule("/items/<int:item>", "item", lambda item: f"item {item}")
    init_health(server, server.config[SETTINGS_KEY])
    return server


@pytest.fixture
def app(tmp_path):
    return _app(tmp_path, FORESIGHT_TRUSTED_PROXIES=PROXY)


def _samples(text: str, name: str) -> dict[tuple, float]:
    return {tuple(sorted(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples if sample.name == name}


def _metrics(client, **request) -> str:
    answer = client.get("/metrics", **request)
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    return answer.text


def test_liveness_and_readiness_are_open_to_anyone(app):
    client = app.test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz", environ_base={"REMOTE_ADDR": OUTSIDE})
    assert ready.status_code == 200 and ready.json["status"] == "ok" and ready.json["ready"] is True
    assert ready.json["components"]["store"]["status"] == "ok"
    assert ready.json["components"]["redis"] == {"status": "not_configured", "latency_ms": None, "detail": "",
                                                 "required": True}
    assert ready.headers["Cache-Control"] == "no-store"


def test_readyz_answers_503_and_says_what_is_down(tmp_path):
    client = _app(tmp_path, cache=False).test_client()
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.json["status"] == "unavailable"
    assert "does not exist" in answer.json["components"]["cache"]["detail"]


def test_metrics_from_an_allowed_address_and_refused_from_another(app):
    client = app.test_client()
    assert "foresight_http_requests_total" in _metrics(client)  # the test client calls from 127.0.0.1
    refused = client.get("/metrics", environ_base={"REMOTE_ADDR": OUTSIDE})
    assert refused.status_code == 403 and OUTSIDE in refused.json["detail"]
    assert "FORESIGHT_METRICS_ALLOW" in refused.json["detail"] and "Bearer" in refused.json["detail"]
    other = _app(app.config[SETTINGS_KEY].instance_dir / "other", FORESIGHT_METRICS_ALLOW="203.0.113.0/24")
    assert other.test_client().get("/metrics", environ_base={"REMOTE_ADDR": OUTSIDE}).status_code == 200
    assert other.test_client().get("/metrics").status_code == 403  # loopback is no longer in the list


def test_behind_a_trusted_proxy_the_forwarded_address_counts_and_a_spoofed_one_does_not(app):
    client = app.test_client()
    via_proxy = {"REMOTE_ADDR": PROXY}
    assert client.get("/metrics", environ_base=via_proxy, headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200
    outside = client.get("/metrics", environ_base=via_proxy, headers={"X-Forwarded-For": f"127.0.0.1, {OUTSIDE}"})
    assert outside.status_code == 403 and OUTSIDE in outside.json["detail"]  # the nearest untrusted hop
    spoofed = client.get("/metrics", environ_base={"REMOTE_ADDR": OUTSIDE}, headers={"X-Forwarded-For": "127.0.0.1"})
    assert spoofed.status_code == 403  # the header counts only from a trusted proxy


def test_an_api_token_opens_metrics_from_anywhere_until_it_is_revoked(app):
    engine = engine_of(app)
    token, plaintext = create_token(engine, "viewer", "prometheus", days=None, actor="tests")
    client = app.test_client()
    outside = {"REMOTE_ADDR": OUTSIDE}
    assert client.get("/metrics", environ_base=outside,
                      headers={"Authorization": f"Bearer {plaintext}"}).status_code == 200
    revoke_token(engine, token.id, actor="tests")
    refused = client.get("/metrics", environ_base=outside, headers={"Authorization": f"Bearer {plaintext}"})
    assert refused.status_code == 401 and "unknown, expired or revoked" in refused.json["detail"]
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    bogus = client.get("/metrics", environ_base=outside, headers={"Authorization": "Bearer nf_not-a-token"})
    assert bogus.status_code == 401


def test_requests_are_counted_by_url_rule_and_callbacks_by_output(app):
    client = app.test_client()
    before = _samples(_metrics(client), "foresight_http_requests_total")
    for item in (1, 2, 3):
        client.get(f"/items/{item}")
    client.get("/no/such/page")  # the guard redirects it to /login: counted under its 404 rule, not its path
    login(client, "analyst")
    client.post("/_dash-update-component", json=callback_body("access-test-view"))
    text = _metrics(client)
    after = _samples(text, "foresight_http_requests_total")
    route = (("method", "GET"), ("route", "/items/<int:item>"), ("status", "3xx"))  # anonymous: sent to /login
    assert after[route] - before.get(route, 0) == 3
    assert not any("/no/such/page" in str(labels) or "/items/1" in str(labels) for labels in after)
    callbacks = _samples(text, "foresight_callback_seconds_count")
    assert callbacks[(("callback", "access-test-view"),)] >= 1
    statements = _samples(text, "foresight_store_query_seconds_count")[()]
    login(app.test_client(), "viewer")  # reads the user from the store
    assert _samples(_metrics(client), "foresight_store_query_seconds_count")[()] > statements


def test_init_health_installs_a_monitor_that_is_not_started_when_off(app):
    monitor = monitor_of(app)
    assert monitor._thread is None
    app.test_client().get("/healthz")
    assert monitor._thread is None  # FORESIGHT_HEALTH_MONITOR=off
