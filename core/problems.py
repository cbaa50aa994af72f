"""One JSON shape for every API error: RFC 9457 problem details (``application/problem+json``)."""
from __future__ import annotations

import json
from collections.abc import Mapping

from flask import Response
from werkzeug.http import HTTP_STATUS_CODES

__all__ = ["PROBLEM_TYPE_BASE", "problem"]

PROBLEM_TYPE_BASE = "/api/v1/problems/"  # + a short slug, e.g. /api/v1/problems/forbidden


def problem(status: int, detail: str, *, slug: str | None = None, title: str | None = None,
            headers: Mapping[str, str] | None = None, **extra) -> Response:
    """A problem+json response: ``type``, ``title``, ``detail``, ``status`` (plus any ``extra`` members).

    ``detail`` is the specific message (what is wrong, where, how to fix it), never a traceback.
    """
    title = title or HTTP_STATUS_CODES.get(status, "Error")
    slug = slug or title.lower().replace(" ", "-").replace("'", "")
    body = {"type": f"{PROBLEM_TYPE_BASE}{slug}", "title": title, "detail": detail, "status": status, **extra}
    return Response(json.dumps(body), status=status, mimetype="application/problem+json", headers=dict(headers or {}))
