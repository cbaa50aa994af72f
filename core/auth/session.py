"""The signed browser session (Flask's cookie: ``uid``, ``epoch``, ``exp``, ``csrf``) and who the caller is.

A session stops working when it expires (``FORESIGHT_SESSION_HOURS``), when the user's ``auth_epoch`` changed
(a password reset, a new role, a disable) or when the user is disabled: the user is loaded on every request.
"""
from __future__ import annotations

import logging
import secrets
import time
from urllib.parse import urlsplit

from flask import g, has_request_context, request, session
from sqlalchemy import Engine
from werkzeug.exceptions import Forbidden, Unauthorized

from core.auth.principal import Principal
from core.auth.roles import Permission

__all__ = ["audit_request", "client_address", "csrf_token", "current_principal", "login_user", "logout",
           "require", "same_origin", "session_principal"]

_AUTH_KEYS = ("uid", "epoch", "exp")
_log = logging.getLogger(__name__)


def current_principal() -> Principal | None:
    """The caller of the current request (None outside a request, or for an anonymous caller)."""
    if not has_request_context():
        return None
    return g.get("principal")


def require(permission: Permission) -> Principal:
    """The caller, when it may do ``permission``; Unauthorized (nobody signed in) or Forbidden otherwise."""
    principal = current_principal()
    if principal is None:
        raise Unauthorized("sign in first (the login page is /login), or send an API token as "
                           "'Authorization: Bearer <token>'")
    if not principal.can(permission):
        raise Forbidden(f"{principal.label} may not {permission.value.replace('_', ' ')}; "
                        "ask an admin for a role that allows it")
    return principal


def csrf_token() -> str:
    """This browser's CSRF token (created once per session), for the login form."""
    if not session.get("csrf"):
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def login_user(user, session_hours: float) -> None:
    """Start a session for ``user`` (an accounts ``User``) that lasts ``session_hours``."""
    for key in ("embed", *_AUTH_KEYS):
        session.pop(key, None)
    session.update(uid=user.id, epoch=user.auth_epoch, exp=int(time.time() + session_hours * 3600),
                   csrf=secrets.token_urlsafe(32))
    session.permanent = True


def logout() -> None:
    """End the session (the upload quota tag and the rest of the cookie go too)."""
    session.clear()


def session_principal(engine: Engine) -> Principal | None:
    """The user of this browser session, or None when there is none or it stopped working (then it is ended)."""
    uid, epoch, expires = (session.get(key) for key in _AUTH_KEYS)
    if uid is None:
        return None
    from core.auth.accounts import get_user

    user = get_user(engine, user_id=uid) if isinstance(expires, (int, float)) and expires > time.time() else None
    if user is None or user.disabled or user.auth_epoch != epoch:
        for key in _AUTH_KEYS:
            session.pop(key, None)
        return None
    return Principal(username=user.username, role=user.role, kind="session", user_id=user.id)


def client_address() -> str | None:
    """The TCP peer of this request (the proxy's own address behind a proxy)."""
    return request.remote_addr if has_request_context() else None


def same_origin() -> bool:
    """Whether this request's ``Origin`` (or, without one, ``Referer``) names this host; true when neither is sent
    (a script, not a browser: browsers send ``Origin`` on every cross-site POST)."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return True
    return source != "null" and urlsplit(source).netloc.lower() == request.host.lower()


def audit_request(action: str, target: str | None = None, outcome: str = "ok", detail: dict | None = None, *,
                  engine: Engine | None = None, actor: str | None = None, actor_kind: str | None = None) -> None:
    """Record ``action`` in the audit log for the current caller and address; a failing audit log is logged,
    never turned into a failed request. Outside a request (a callback called as a plain function) nothing is
    recorded: there is no caller."""
    from core.auth.audit import record

    if not has_request_context():
        return
    principal = current_principal()
    try:
        record(engine or _engine(), action, actor=actor or (principal.username if principal else "anonymous"),
               actor_kind=actor_kind or (principal.kind if principal else "anonymous"), target=target,
               outcome=outcome, address=client_address(), detail=detail)
    except Exception:  # noqa: BLE001 — the action already happened; losing its audit line must be visible in logs
        _log.exception("could not write the audit line %s %s", action, target)


def _engine() -> Engine:
    from flask import current_app

    from core.runtime import SETTINGS_KEY
    from data.store import get_engine

    return get_engine(current_app.config[SETTINGS_KEY].database_url)
