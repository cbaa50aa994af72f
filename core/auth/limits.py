"""Rate limits with Flask-Limiter: failed sign-ins (per account and per address), uploads, and the API.

Counters live in Redis when ``REDIS_URL`` is set (shared by every worker), else in memory. The API helper uses
``limiter`` the usual way::

    from core.auth.limits import limiter, per_user, setting_rate

    @limiter.limit(setting_rate("api_rate"), key_func=per_user("api"))
    def route(): ...

A breach raises ``RateLimitExceeded``; the guard answers it with 429, ``Retry-After`` and when to try again
(problem+json under ``/api/``).
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from flask import Flask, current_app, has_request_context, request
from flask_limiter import Limiter, RateLimitExceeded

from core.runtime import SETTINGS_KEY

__all__ = ["init_limits", "limiter", "login_limits", "per_user", "retry_after", "setting_rate", "upload_refusal"]


def _address() -> str:
    return request.remote_addr or "unknown"


limiter = Limiter(_address, headers_enabled=False, strategy="fixed-window")  # Retry-After: on 429 only


def init_limits(server: Flask, redis_url: str | None) -> None:
    """Attach the limiter to ``server``: Redis when configured, else memory."""
    server.config.setdefault("RATELIMIT_STORAGE_URI", redis_url or "memory://")
    server.config.setdefault("RATELIMIT_KEY_PREFIX", "nf-limits")
    limiter.init_app(server)


def setting_rate(name: str) -> Callable[[], str]:
    """The rate of ``settings.access.<name>`` (e.g. ``api_rate``), read per request."""
    return lambda: getattr(current_app.config[SETTINGS_KEY].access, name)


def per_user(scope: str) -> Callable[[], str]:
    """A key function counting per signed-in user (per address for an anonymous caller)."""
    def key() -> str:
        from core.auth.session import current_principal

        principal = current_principal()
        return f"{scope}:user:{principal.username}" if principal else f"{scope}:addr:{_address()}"
    return key


def _lockout() -> str:
    access = current_app.config[SETTINGS_KEY].access
    return f"{access.login_failures} per {access.lockout_minutes} minutes"


def _failed(response) -> bool:
    return response.status_code == 401


def login_limits(view):
    """Lock an account and an address out after ``login_failures`` failures within ``lockout_minutes``; only
    failed sign-ins (answered 401) count."""
    account = limiter.limit(_lockout, key_func=lambda: "login:user:" + request.form.get("username", "").strip()
                            .lower()[:64], methods=["POST"], deduct_when=_failed, scope="login-account")
    address = limiter.limit(_lockout, key_func=lambda: "login:addr:" + _address(), methods=["POST"],
                            deduct_when=_failed, scope="login-address")
    return account(address(view))


def upload_refusal() -> str | None:
    """Count one upload for the signed-in user against ``settings.access.upload_rate`` (per user): None when it
    is within the limit, else the message saying when the next upload is accepted. Outside a request (a callback
    called as a plain function) there is nobody to count."""
    if not has_request_context():
        return None
    try:
        with limiter.limit(setting_rate("upload_rate"), key_func=per_user("upload"), scope="upload"):
            return None
    except RateLimitExceeded as error:
        _seconds, at = retry_after()
        return f"Upload limit reached ({error.limit.limit}); the next upload is accepted after {at}."


def retry_after() -> tuple[int, str]:
    """Seconds until the limit this request breached resets, and that moment as ``HH:MM UTC``."""
    current = limiter.current_limit
    reset = current.reset_at if current is not None else int(time.time()) + 60
    seconds = max(1, int(reset - time.time()))
    return seconds, dt.datetime.fromtimestamp(reset, dt.timezone.utc).strftime("%H:%M UTC")
