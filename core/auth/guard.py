"""Every request is checked: the before-request guard and the cookie flags.

Open: ``/login``, ``/logout``, ``/healthz``, ``/readyz``, ``/metrics`` (core.health: it checks its own address
allow-list and API token), ``/embed/<token>`` (it checks its own signature) and the static theme assets. Everything
else needs a caller: an API token (``Authorization: Bearer``), a user named by a trusted proxy's header (checked on
every request, no cookie), a browser session, or an embed session. Anonymous pages redirect to ``/login?next=...``;
anonymous ``/_dash-*`` and ``/api/`` calls get 401.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from urllib.parse import quote

from flask import Flask, Response, g, redirect, render_template, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import RateLimitExceeded
from sqlalchemy import Engine

from core.auth.callbacks import page_permission, required_permissions
from core.auth.limits import init_limits, retry_after
from core.auth.principal import Principal
from core.auth.roles import Permission
from core.auth.session import audit_request, same_origin, session_principal
from core.problems import problem
from core.settings import Settings
from data.store import get_engine

__all__ = ["init_access", "is_https", "OPEN_PATHS", "OPEN_PREFIXES"]

OPEN_PATHS = frozenset({"/login", "/logout", "/healthz", "/readyz", "/metrics", "/favicon.ico", "/_favicon.ico"})
OPEN_PREFIXES = ("/assets/", "/_dash-component-suites/", "/vendor/", "/embed/")
_PUSH_PATH = "/api/v1/events"  # core.push's stream: an embedded page follows new data like any other page
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PAGES_LOCATION = "_pages_location"  # Dash pages' router: its pathname input names the page being opened


def init_access(server: Flask, settings: Settings) -> None:
    """Guard every request of ``server`` (see the module docstring), set the cookie flags and the rate limits."""
    from core.auth.login import blueprint

    embedding = any(source not in ("'self'", "'none'") for source in settings.frame_ancestors)
    server.session_interface = _CookieFlags(settings, embedding)
    server.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=settings.access.session_hours)
    init_limits(server, settings.redis_url)
    server.register_blueprint(blueprint)
    engine = get_engine(settings.database_url)

    @server.before_request
    def _guard() -> Response | None:
        g.principal = None
        if request.path in OPEN_PATHS or request.path.startswith(OPEN_PREFIXES):
            return None
        found = _resolve(settings, engine)
        if isinstance(found, Response):
            return found
        if found is None:
            return _anonymous()
        g.principal = found
        return _check(found)

    server.register_error_handler(RateLimitExceeded, _too_many)


class _CookieFlags(SecureCookieSessionInterface):
    """``HttpOnly`` always; ``Secure`` whenever the request came over HTTPS; ``SameSite=None; Secure; Partitioned``
    only when a portal may frame the app (``FORESIGHT_FRAME_ANCESTORS`` names an origin), else ``SameSite=Lax``."""

    def __init__(self, settings: Settings, embedding: bool):
        self.settings, self.embedding = settings, embedding

    def get_cookie_httponly(self, app) -> bool:
        return True

    def get_cookie_secure(self, app) -> bool:
        return self.embedding or is_https(self.settings)

    def get_cookie_samesite(self, app) -> str:
        return "None" if self.embedding else "Lax"

    def get_cookie_partitioned(self, app) -> bool:
        # CHIPS: Chromium keeps a third-party (framed) cookie only when it is partitioned by the top-level site.
        return self.embedding


def is_https(settings: Settings) -> bool:
    """Whether this request came over HTTPS: directly, or said so by ``X-Forwarded-Proto`` from a trusted proxy."""
    if request.is_secure:
        return True
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return forwarded == "https" and settings.access.is_trusted_proxy(request.remote_addr)


def _resolve(settings: Settings, engine: Engine) -> Principal | Response | None:
    """The caller: an API token, a trusted proxy's user, the browser session or an embed session (in that order)."""
    authorization = request.headers.get("Authorization", "")
    if authorization[:7].lower() == "bearer ":
        return _token_principal(engine, authorization[7:].strip())
    sso = _sso_principal(settings, engine)
    if sso is not None:
        return sso
    return session_principal(engine) or _embed_principal(engine)


def _token_principal(engine: Engine, plaintext: str) -> Principal | Response:
    from core.auth.tokens import verify_token  # it notes the use (audit: token_use) at most once a minute

    found = verify_token(engine, plaintext) if plaintext else None
    if found is None:
        return _refuse(401, "the API token is unknown, expired or revoked (or its user is disabled); create a new "
                            "one on the admin page or with `python -m core.users token NAME`", slug="bad-token")
    user, token = found
    return Principal(username=user.username, role=user.role, kind="token", user_id=user.id, token_id=token.id)


def _sso_principal(settings: Settings, engine: Engine) -> Principal | Response | None:
    """The user a trusted proxy names in its header; the header is ignored from any other address."""
    access = settings.access
    if not access.trusted_user_header or not access.is_trusted_proxy(request.remote_addr):
        return None
    username = request.headers.get(access.trusted_user_header, "").strip()
    if not username:
        return None
    raw = request.headers.get(access.trusted_groups_header, "") if access.trusted_groups_header else ""
    groups = [group.strip() for group in raw.split(",") if group.strip()]
    role = access.role_for_groups(groups)
    if role is None:
        return _refuse(403, f"{username} is signed in by the single sign-on proxy, but none of the groups "
                            f"({', '.join(groups) or 'none sent'}) maps to a role; an admin adds a group to "
                            "FORESIGHT_GROUP_ROLES (or sets FORESIGHT_SSO_DEFAULT_ROLE)", slug="no-role")
    from core.auth.accounts import AccountError, ensure_sso_user

    try:
        user = ensure_sso_user(engine, username, role)
    except AccountError as error:
        return _refuse(403, f"the single sign-on proxy named {username[:64]!r}: {error}", slug="bad-user")
    if user.disabled:
        return _refuse(403, f"the account {username} is disabled; ask an admin to enable it", slug="disabled")
    return Principal(username=user.username, role=user.role, kind="sso", user_id=user.id)


def _embed_principal(engine: Engine) -> Principal | None:
    """The read-only viewer of a signed embed link, while the link is unexpired and not revoked."""
    embed = session.get("embed")
    if not isinstance(embed, dict) or not isinstance(embed.get("exp"), (int, float)) or embed["exp"] <= time.time():
        return None
    from core.auth.embeds import is_active

    if not is_active(engine, embed.get("id")):
        session.pop("embed", None)
        return None
    return Principal(username=f"embed-{embed['id']}", role="viewer", kind="embed", page=embed.get("page"),
                     embed_id=embed["id"])


def _anonymous() -> Response:
    if request.path.startswith(("/api/", "/_dash-")) or request.method != "GET":
        return _refuse(401, "sign in first (the login page is /login), or send an API token as "
                            "'Authorization: Bearer <token>'", slug="unauthorized",
                       headers={"WWW-Authenticate": 'Bearer realm="foresight"'})
    target = request.full_path if request.query_string else request.path
    return redirect("/login?next=" + quote(target, safe=""), code=302)


def _check(principal: Principal) -> Response | None:
    """Cross-site refusals, the embed's one page, page permissions and the Dash callback permissions."""
    if principal.kind != "token" and request.method in _UNSAFE and not same_origin():
        return _refuse(403, "cross-site request refused: its Origin/Referer is not this site; use the app's own "
                            "pages, or an API token for scripts", slug="cross-site")
    path = request.path
    if principal.kind == "embed" and not (path == principal.page or path.startswith("/_dash-") or path == _PUSH_PATH):
        return _refuse(403, f"this embed link shows only {principal.page}; sign in for the rest", slug="embed-only")
    refusal = _page_refusal(principal, path)
    if refusal is None and path == "/_dash-update-component" and request.method == "POST":
        refusal = _check_callback(principal)
    return refusal


def _page_refusal(principal: Principal, path: str) -> Response | None:
    needed = page_permission(path)
    if needed is not None and not principal.can(needed):
        return _denied(principal, needed, path)
    return None


def _check_callback(principal: Principal) -> Response | None:
    """Refuse a Dash callback the caller may not run (audited); audit an allowed one that registered an action."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return None  # Dash answers a malformed body itself
    routed = _routed_path(body)
    if routed is not None:
        if principal.kind == "embed" and routed.rstrip("/") != (principal.page or "").rstrip("/"):
            return _refuse(403, f"this embed link shows only {principal.page}", slug="embed-only")
        if (refusal := _page_refusal(principal, routed)) is not None:
            return refusal
    for permission, rule in required_permissions(body):
        if not principal.can(permission):
            return _denied(principal, permission, str(body.get("output"))[:200])
        if rule.audit and "cacheKey" not in request.args:  # a background callback's polls are not new actions
            audit_request(rule.audit, target=str(body.get("output"))[:200])
    return None


def _routed_path(body: dict) -> str | None:
    for item in body.get("inputs") or []:
        if isinstance(item, dict) and item.get("id") == _PAGES_LOCATION and item.get("property") == "pathname":
            return str(item.get("value") or "/")
    return None


def _denied(principal: Principal, permission: Permission, target: str) -> Response:
    from core.auth.audit import ACCESS_DENIED

    audit_request(ACCESS_DENIED, target=target, outcome="denied", detail={"needs": permission.value})
    return _refuse(403, f"{principal.label} may not {permission.value.replace('_', ' ')}; ask an admin for a role "
                        "that allows it", slug="forbidden")


def _refuse(status: int, detail: str, slug: str, headers: dict | None = None) -> Response:
    """The refusal in the caller's language: problem+json for the API, JSON for Dash, a themed page for people."""
    if request.path.startswith("/api/"):
        return problem(status, detail, slug=slug, headers=headers)
    if request.path.startswith("/_dash-") or request.method != "GET":
        return Response(json.dumps({"status": status, "detail": detail}), status=status,
                        mimetype="application/json", headers=headers)
    html = render_template("refused.html", status=status, detail=detail)
    return Response(html, status=status, mimetype="text/html", headers=headers)


def _too_many(error: RateLimitExceeded) -> Response:
    seconds, at = retry_after()
    if request.path == "/login":
        from core.auth.login import render_login

        return render_login(f"Too many failed sign-ins for this account or from this address. Try again after "
                            f"{at} (in {max(1, round(seconds / 60))} min).", status=429,
                            headers={"Retry-After": str(seconds)})
    return _refuse(429, f"rate limit {error.limit.limit} reached; try again after {at} (in {seconds} s)",
                   slug="too-many-requests", headers={"Retry-After": str(seconds)})
