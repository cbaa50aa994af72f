"""The versioned REST API under ``/api/v1``: what the pages show as JSON or CSV, uploads, retrains and jobs.

``init_api(server, settings)`` (called by app.py after the security headers and access control) registers the
blueprint; the OpenAPI 3.1 document is at ``/api/v1/openapi.json`` and interactive docs at ``/api/v1/docs``.
``core.api.jobs`` is the registry of the jobs the API starts (``start``, ``status``, ``cancel``, ``active``).
See docs/api.md.
"""
from __future__ import annotations

from flask import Flask

from core.api import alerts, docs, jobs, reads, retention, writes  # noqa: F401  (each registers its routes)
from core.api.base import API_PREFIX, api
from core.api.store import compute_job
from core.api import chat  # noqa: F401,E402  (POST /chat; after compute_job, which the assistant's results use)
from core.settings import Settings

__all__ = ["API_PREFIX", "compute_job", "init_api", "jobs"]

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def init_api(server: Flask, settings: Settings) -> None:
    """Register ``/api/v1`` (rate limited per user by ``FORESIGHT_API_RATE_LIMIT``) and a problem+json 404 for any other
    ``/api/`` path. ``settings`` is read per request from the app's config; it is taken here for symmetry with the
    other ``init_*`` and to fail early on an app built without settings."""
    del settings  # the routes read the Settings the app was built with (``core.api.base.settings``)
    if "api_v1" in server.blueprints:
        return
    server.register_blueprint(api)
    server.add_url_rule("/api/<path:rest>", "api_unknown_version", docs.unknown_version, methods=_METHODS)
