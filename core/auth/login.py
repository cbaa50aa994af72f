"""The open routes: the sign-in form (``GET``/``POST /login``) and ``POST /logout``; core.health has the probes.

The form is plain HTML (fields ``username``, ``password``, ``csrf_token``) so password managers and scripts work.
A failure never says whether the account exists; failed sign-ins count per account and per address
(``core.auth.limits``) and the next one after ``FORESIGHT_LOGIN_FAILURES`` within the lockout answers 429.
"""
from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, redirect, render_template, request

from core.auth.limits import login_limits
from core.auth.session import audit_request, csrf_token, current_principal, login_user, logout, same_origin
from core.runtime import SETTINGS_KEY

__all__ = ["blueprint", "render_login", "safe_next"]

blueprint = Blueprint("access", __name__, template_folder="templates")

WRONG = "Wrong username or password."  # the same words for an unknown user, a disabled one and a bad password


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site (``/forecast?h=30``), else ``/``: never another site."""
    target = (target or "").strip()
    parts = urlsplit(target)
    if (not target.startswith("/") or target.startswith("//") or "\\" in target or parts.scheme or parts.netloc
            or any(ord(ch) < 32 for ch in target)):
        return "/"
    return target


def render_login(message: str | None = None, *, status: int = 200, headers: dict | None = None,
                 username: str = "") -> Response:
    """The sign-in page, with ``message`` (an error, or why the caller must wait)."""
    nxt = safe_next(request.values.get("next"))
    html = render_template("login.html", message=message, csrf_token=csrf_token(), next=nxt, username=username)
    return Response(html, status=status, mimetype="text/html", headers=headers)


@blueprint.get("/login")
def login_form() -> Response:
    """The sign-in form."""
    return render_login()


@blueprint.post("/login")
@login_limits
def login_submit() -> Response:
    """Check the CSRF token and the password; start the session and go where the user was heading."""
    from core.auth.accounts import authenticate
    from core.auth.audit import LOGIN, LOGIN_FAILED

    settings = current_app.config[SETTINGS_KEY]
    username = request.form.get("username", "").strip()[:64]
    sent = request.form.get("csrf_token", "")
    if not sent or not hmac.compare_digest(sent, csrf_token()):
        return render_login("The form expired or came from another site; sign in again.", status=400,
                            username=username)
    user = authenticate(_engine(), username, request.form.get("password", ""))
    if user is None:
        audit_request(LOGIN_FAILED, target=username or "(empty)", outcome="failed", actor=username or "anonymous",
                      actor_kind="session")
        return render_login(WRONG, status=401, username=username)
    login_user(user, settings.access.session_hours)
    audit_request(LOGIN, target=user.username, actor=user.username, actor_kind="session")
    return redirect(safe_next(request.form.get("next")), code=303)


@blueprint.post("/logout")
def logout_submit() -> Response:
    """End the session (only from this site's own pages) and go back to the sign-in form."""
    from core.auth.audit import LOGOUT
    from core.auth.session import session_principal

    if not same_origin():
        return Response("cross-site request refused: sign out from the app's own header", status=403,
                        mimetype="text/plain")
    principal = current_principal() or session_principal(_engine())
    if principal is not None:
        audit_request(LOGOUT, target=principal.username, actor=principal.username, actor_kind=principal.kind)
    logout()
    return redirect("/login", code=303)


def _engine():
    from data.store import get_engine

    return get_engine(current_app.config[SETTINGS_KEY].database_url)
