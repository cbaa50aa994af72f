"""Security headers for iframe embedding: CSP frame-ancestors from settings, no X-Frame-Options."""
from __future__ import annotations

from flask import Flask

from core.security import init_security
from core.settings import Settings


def _client(env: dict, hashes=("'sha256-abc='",)):
    server = Flask("security-test")
    server.add_url_rule("/", "index", lambda: "ok")
    init_security(server, Settings.from_env(env), lambda: list(hashes))
    return server.test_client()


def _csp(response) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in response.headers["Content-Security-Policy"].split("; ")}


def test_default_allows_framing_by_same_origin_only():
    response = _client({}).get("/")
    csp = _csp(response)
    assert csp["frame-ancestors"] == ["'self'"]
    assert "X-Frame-Options" not in response.headers
    assert csp["default-src"] == ["'self'"] and csp["connect-src"] == ["'self'"]
    assert "'sha256-abc='" in csp["script-src"] and "'unsafe-inline'" not in csp["script-src"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_portal_origins_come_from_the_environment():
    response = _client({"FORESIGHT_FRAME_ANCESTORS": "'self' https://intranet.example.com"}).get("/")
    assert _csp(response)["frame-ancestors"] == ["'self'", "https://intranet.example.com"]
    assert "X-Frame-Options" not in response.headers


def test_hashes_are_read_per_response():
    hashes = ["'sha256-one='"]
    server = Flask("late-scripts")
    server.add_url_rule("/", "index", lambda: "ok")
    init_security(server, Settings.from_env({}), lambda: list(hashes))
    client = server.test_client()
    assert "'sha256-one='" in _csp(client.get("/"))["script-src"]
    hashes.append("'sha256-two='")  # Dash adds inline scripts when it serves its first request
    assert "'sha256-two='" in _csp(client.get("/"))["script-src"]
