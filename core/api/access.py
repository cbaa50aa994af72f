"""Who may call what: every route asks ``core.auth`` for a permission, writes are audited, calls are rate limited."""
from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Response
from flask_limiter.errors import RateLimitExceeded

from core.api.base import api
from core.auth.limits import limiter, per_user, retry_after, setting_rate
from core.auth import Permission, audit_request, current_principal, require
from core.problems import problem

__all__ = ["Permission", "audit", "needs", "principal_label", "require"]


def needs(permission: Permission) -> Callable:
    """Put outside ``api_spec.validate``: a caller without ``permission`` gets 401/403 whatever they send, before
    the body is validated (a 400 would tell them about a route they may not use)."""
    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)  # copies spectree's attributes, so the route stays in the OpenAPI document
        def guarded(*args, **kwargs):
            require(permission)
            return view(*args, **kwargs)
        return guarded
    return decorate


def principal_label() -> str:
    """The caller as the audit log and job records name them."""
    principal = current_principal()
    return principal.username if principal else "anonymous"


def audit(action: str, target: str | None = None, outcome: str = "ok", detail: dict | None = None) -> None:
    """Record a write in the audit log with the caller and their address (``core.auth.session.audit_request``)."""
    audit_request(action, target=target, outcome=outcome, detail=detail)


# Every API route counts against FORESIGHT_API_RATE_LIMIT per user (per address before sign-in).
limiter.limit(setting_rate("api_rate"), key_func=per_user("api"), scope="api")(api)


@api.errorhandler(RateLimitExceeded)
def _too_many(error: RateLimitExceeded) -> Response:
    seconds, at = retry_after()
    return problem(429, f"too many API requests ({error.description}, FORESIGHT_API_RATE_LIMIT); try again in "
                        f"{seconds} s (at {at})", slug="rate-limited", headers={"Retry-After": str(seconds)})
