"""HTTP security headers for a Dash app that intranet portals embed in an iframe."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import Flask, Response
from flask_talisman import Talisman

from core.settings import Settings

__all__ = ["content_security_policy", "init_security"]


def content_security_policy(settings: Settings, script_hashes: Sequence[str]) -> str:
    """Only this origin may serve anything; who may frame us comes from the settings."""
    directives = {
        "default-src": ["'self'"],
        # Dash's inline bootstrap and clientside callbacks are allowed by hash;
        # Plotly compiles some code at run time.
        "script-src": ["'self'", "'unsafe-eval'", *script_hashes],
        # Plotly and React set inline styles on elements.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": list(settings.frame_ancestors),
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def init_security(server: Flask, settings: Settings, script_hashes: Callable[[], Sequence[str]]) -> None:
    """Send CSP (with frame-ancestors) and the usual hardening headers.

    The CSP is built per response because Dash adds some inline scripts (page routing)
    only when it handles its first request; ``script_hashes`` is ``app.csp_hashes``.
    X-Frame-Options is left out on purpose: it cannot express a list of portal origins
    and would conflict with ``frame-ancestors``.
    """
    Talisman(
        server,
        force_https=False,  # TLS is terminated by the operator's proxy
        frame_options=None,
        content_security_policy=None,
        session_cookie_secure=False,
        referrer_policy="strict-origin-when-cross-origin",
    )

    @server.after_request
    def _add_csp(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = content_security_policy(settings, script_hashes())
        return response
