"""HTTP security headers for a Dash app that intranet portals embed in an iframe, and the request size limit."""
from __future__ import annotations

import io
from collections.abc import Callable, Sequence

from flask import Flask, Response, request
from flask_talisman import Talisman
from werkzeug.exceptions import RequestEntityTooLarge

from data.ingest import size_text

from core.settings import Settings

__all__ = ["content_security_policy", "init_security", "limit_request_size"]


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
    limit_request_size(server, settings.max_request_bytes)
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


def limit_request_size(server: Flask, max_bytes: int) -> None:
    """Answer 413 to request bodies over ``max_bytes`` (``FORESIGHT_MAX_REQUEST_MB``) without reading them.

    A declared ``Content-Length`` is checked before any view runs. A chunked body (no length) is read here, at most
    one byte past the limit, so it gets the same 413 instead of being cut at the limit and failing as bad JSON;
    ``MAX_CONTENT_LENGTH`` bounds every other read of the body too.
    """
    server.config["MAX_CONTENT_LENGTH"] = max_bytes

    def too_large(size: int | None) -> Response:
        what = f"a request body of {size_text(size)}" if size else "the request body"
        return Response(f"{what} is larger than the {size_text(max_bytes)} this server accepts "
                        "(FORESIGHT_MAX_REQUEST_MB); upload a smaller file, or ingest it with `python -m data ingest`",
                        status=413, mimetype="text/plain")

    @server.before_request
    def _refuse_large_bodies() -> Response | None:
        length = request.content_length
        if length is not None:
            return too_large(length) if length > max_bytes else None
        if "chunked" not in request.headers.get("Transfer-Encoding", "").lower():
            return None
        body = _read_at_most(request.environ["wsgi.input"], max_bytes + 1)
        if len(body) > max_bytes:
            return too_large(None)
        request.environ.update({"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
        return None

    @server.errorhandler(RequestEntityTooLarge)
    def _too_large(_error) -> Response:
        return too_large(request.content_length)


def _read_at_most(stream, limit: int) -> bytes:
    body = bytearray()
    while len(body) < limit:
        chunk = stream.read(min(64 * 1024, limit - len(body)))
        if not chunk:
            break
        body += chunk
    return bytes(body)
