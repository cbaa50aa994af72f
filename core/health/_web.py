"""The health routes and the wiring into the web app.

``/healthz`` (liveness: the process answers) and ``/readyz`` (readiness, ``core.health._ready``; 503 when not ready)
are open to anyone. ``/metrics`` (Prometheus text) answers callers from ``FORESIGHT_METRICS_ALLOW`` without a token
and everyone else only with an API token (``Authorization: Bearer``, the same tokens as the REST API): 403 for an
address that is not allowed and sent no token, 401 for a token that is unknown, expired or revoked. Behind a proxy
listed in ``FORESIGHT_TRUSTED_PROXIES`` the caller is the last address in ``X-Forwarded-For`` that is not one of those
proxies (the guard's rule: a header counts only from a trusted proxy); from anywhere else it is the TCP peer.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from core.health._instrument import instrument_cache, instrument_engine, instrument_server, metrics_text
from core.health._monitor import Monitor, Step
from core.health._ready import check_readiness
from data.store import get_engine

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = ["init_health", "monitor_of", "client_address", "HEALTH_PATHS", "MONITOR_KEY"]

MONITOR_KEY = "foresight_health"
HEALTH_PATHS = ("/healthz", "/readyz", "/metrics")
_NO_STORE = {"Cache-Control": "no-store"}

blueprint = Blueprint("health", __name__)


def _settings() -> "Settings":
    from core.runtime import SETTINGS_KEY  # core.runtime imports core.settings, which imports this package

    return current_app.config[SETTINGS_KEY]


def client_address(settings: "Settings") -> str | None:
    """The caller's address: the TCP peer, or behind trusted proxies the nearest untrusted ``X-Forwarded-For`` hop."""
    peer = request.remote_addr
    if not settings.access.is_trusted_proxy(peer):
        return peer
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not settings.access.is_trusted_proxy(hop):
            return hop
    return hops[0] if hops else peer


@blueprint.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers."""
    return jsonify(status="ok")


@blueprint.get("/readyz")
def readyz() -> Response:
    """Readiness of every configured component with its latency; 503 when one that is needed is down."""
    readiness = check_readiness(_settings())
    return Response(json.dumps(readiness.to_dict()), status=200 if readiness.ready else 503,
                    mimetype="application/json", headers=_NO_STORE)


def _refuse(status: int, detail: str) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="foresight"'} if status == 401 else {}
    return Response(json.dumps({"status": status, "detail": detail}), status=status, mimetype="application/json",
                    headers={**headers, **_NO_STORE})


@blueprint.get("/metrics")
def metrics() -> Response:
    """Every process's metrics in the Prometheus text format, for allowed addresses and API tokens."""
    settings = _settings()
    address = client_address(settings)
    if not settings.health.allows_metrics(address):
        authorization = request.headers.get("Authorization", "")
        if authorization[:7].lower() != "bearer ":
            return _refuse(403, f"{address} may not read /metrics without a token: send an API token as "
                                "'Authorization: Bearer <token>', or add the scraper's network to "
                                "FORESIGHT_METRICS_ALLOW")
        from core.auth import verify_token

        if verify_token(get_engine(settings.database_url), authorization[7:].strip()) is None:
            return _refuse(401, "the API token is unknown, expired or revoked (or its user is disabled); create a "
                                "new one on the admin page or with `python -m core.users token NAME`")
    from prometheus_client import CONTENT_TYPE_LATEST

    return Response(metrics_text(settings.health.metrics_dir), mimetype=CONTENT_TYPE_LATEST, headers=_NO_STORE)


def init_health(server: Flask, settings: "Settings", steps: Sequence[Step] = ()) -> Monitor:
    """Instrument ``server`` (requests, callbacks, the results cache, the store), add the health routes and install
    this process's monitor (``server.extensions["foresight_health"]``), started by the first request it serves when
    ``FORESIGHT_HEALTH_MONITOR`` is on. Call it after ``init_cache``."""
    instrument_server(server)
    instrument_cache(server)
    engine = get_engine(settings.database_url)
    instrument_engine(engine)  # every worker's statements, not only the monitor's
    server.register_blueprint(blueprint)
    monitor = Monitor(engine, settings, steps)
    server.extensions[MONITOR_KEY] = monitor
    if settings.health.monitor:
        server.before_request(monitor.ensure_started)
    return monitor


def monitor_of(server: Flask) -> Monitor:
    """The monitor ``init_health`` installed (the integrator adds its steps with ``monitor_of(server).steps``)."""
    return server.extensions[MONITOR_KEY]
