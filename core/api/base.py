"""The API's blueprint and its conventions: problem+json errors, ETags, CSV, pagination, the OpenAPI generator.

Views return plain JSON-able dicts (validated against their response models by spectree). What is about HTTP rather
than about the data happens here, around every view:

* every error is ``core.problems.problem`` (RFC 9457) with the specific message: ``ApiError`` raised by a view,
  the project's own ValueError (400) and LookupError (404) messages, werkzeug's HTTP errors (401/403 from
  ``core.auth``, 429 from the limiter, 413), request validation (400 naming the parameter), and anything
  unexpected (500 with an error id; the traceback goes to the log only);
* a GET declared ``cacheable`` gets an ``ETag`` derived from the dataset version, the last complete day and the
  request (path, query, format); ``If-None-Match`` with it answers 304 before any work is done;
* a view that returns a table calls ``table_response``: the JSON page of rows, or with ``Accept: text/csv`` or
  ``?format=csv`` every row as CSV through ``data.csv_safe``.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from flask import Blueprint, Response, current_app, g, request
from pydantic import ValidationError
from spectree import SecurityScheme, SpecTree
from werkzeug.exceptions import HTTPException

from core.errors import designed, report_unexpected
from core.problems import problem
from core.runtime import SETTINGS_KEY
from data.csv_safe import safe_csv

__all__ = ["API_PREFIX", "ApiError", "api", "api_spec", "cacheable", "csv_wanted", "page_of", "records",
           "table_response"]

API_PREFIX = "/api/v1"
api = Blueprint("api_v1", __name__, url_prefix=API_PREFIX)


class ApiError(Exception):
    """An error with its HTTP status and the message for the caller (what is wrong, where, how to fix it)."""

    def __init__(self, status: int, detail: str, *, slug: str | None = None, headers: dict | None = None, **extra):
        super().__init__(detail)
        self.status, self.detail, self.slug, self.headers, self.extra = status, detail, slug, headers, extra

    def response(self) -> Response:
        if self.status < 400:  # 202 "being computed": plain JSON with the job, not a problem
            extra = {k: v for k, v in self.extra.items() if k != "title"}
            body = json.dumps({"status": self.status, "detail": self.detail, **extra})
            return Response(body, status=self.status, mimetype="application/json", headers=self.headers)
        return problem(self.status, self.detail, slug=self.slug, headers=self.headers, **self.extra)


def _location(error: dict) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()))
    return f"`{where}`" if where else "the request"


def validation_message(error: ValidationError, what: str) -> str:
    """Pydantic's errors as one sentence naming each parameter, what it got and what it needs."""
    parts = []
    for item in error.errors(include_context=False, include_url=False)[:5]:
        if item["type"] == "extra_forbidden":
            parts.append(f"{_location(item)} is not a {what} of {request.path}")
            continue
        got = item.get("input")
        shown = "" if isinstance(got, dict) or item["type"] == "missing" else f" (got {str(got)[:40]!r})"
        parts.append(f"{what} {_location(item)}: {item['msg']}{shown}")
    return "; ".join(parts) + "; see /api/v1/docs for every parameter"


def _before_view(_request, _response, error: ValidationError | None, _instance) -> None:
    """spectree's hook: a request that fails validation becomes a 400 problem naming the parameter."""
    if error is not None:
        raise ApiError(400, validation_message(error, "query parameter" if request.method == "GET" else "field"),
                       slug="invalid-request")


api_spec = SpecTree(
    "flask", title="Neon Foresight API", version="v1", mode="strict", path="api/v1/docs",
    description="What the pages show, as JSON or CSV; uploads, retrains and jobs. Authenticate with a session "
                "cookie (log in at /login) or `Authorization: Bearer <token>` (`python -m core.users token NAME`).",
    security_schemes=[SecurityScheme(name="bearer", data={"type": "http", "scheme": "bearer"})],
    security={"bearer": []}, before=_before_view, validation_error_status=400, annotations=True,
)


# --- Errors -------------------------------------------------------------------------------------------------------
@api.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    return error.response()


@api.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    if error.code == 304:
        return error.get_response()
    headers = {k: v for k, v in error.get_headers() if k in ("Retry-After", "Allow", "WWW-Authenticate")}
    detail = error.description or error.name
    return problem(error.code or 500, detail, headers=headers)


@api.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    if designed(error):  # the project's own messages, written for people
        text = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
        return problem(400 if isinstance(error, ValueError) else 404, str(text))
    error_id = report_unexpected(error, f"{request.method} {request.path}")
    return problem(500, f"unexpected error (error id {error_id}); the details are in the server log",
                   error_id=error_id)


@api.after_request
def _finish(response: Response) -> Response:
    """ETag on fresh reads, CSV instead of JSON when asked, problem+json for errors that came from elsewhere."""
    if response.status_code == 200 and getattr(g, "api_etag", None):
        response.set_etag(g.api_etag)
        response.headers["Cache-Control"] = "private, no-cache"
        response.vary.add("Accept")
    if response.status_code == 200 and getattr(g, "api_link", None):
        response.headers["Link"] = f'<{g.api_link}>; rel="next"'
    if response.status_code == 200 and getattr(g, "api_csv", None) is not None:
        response.set_data(safe_csv(g.api_csv))
        response.mimetype = "text/csv"
    elif response.status_code >= 400 and response.mimetype not in ("application/problem+json",):
        detail = response.get_data(as_text=True)[:500] if response.mimetype == "text/plain" else response.status
        return problem(response.status_code, detail or response.status, headers=_kept_headers(response))
    return response


def _kept_headers(response: Response) -> dict:
    return {k: v for k, v in response.headers.items() if k in ("Retry-After", "Allow", "WWW-Authenticate")}


# --- ETags -------------------------------------------------------------------------------------------------------
_CACHEABLE: set[str] = set()


def cacheable(view: Callable) -> Callable:
    """Mark a GET view whose answer depends only on the data and the request (it gets an ETag)."""
    _CACHEABLE.add(f"{api.name}.{view.__name__}")
    return view


@api.before_request
def _not_modified() -> Response | None:
    """Answer 304 to ``If-None-Match`` with the current ETag, before the view does any work."""
    if request.method not in ("GET", "HEAD") or request.endpoint not in _CACHEABLE:
        return None
    from core.api.store import data_state

    state = data_state()
    if state is None:  # an empty store has nothing to cache
        return None
    blob = f"{state}|{request.path}|{sorted(request.args.items(multi=True))}|{csv_wanted()}"
    g.api_etag = f"v{state.split('|')[0]}-{hashlib.sha256(blob.encode()).hexdigest()[:20]}"
    if g.api_etag in request.if_none_match:
        response = Response(status=304)
        response.set_etag(g.api_etag)
        return response
    return None


# --- Tables: CSV and pagination ----------------------------------------------------------------------------------
def csv_wanted() -> bool:
    """Whether the caller asked for CSV (``?format=csv``, or an Accept header preferring text/csv)."""
    if request.args.get("format") == "csv":
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv" and request.accept_mimetypes["text/csv"] > request.accept_mimetypes["application/json"]


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-able dicts: dates as ISO text, NaN as null, numpy scalars as Python numbers."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d").where(out[column].notna(), None)
    out = out.astype(object).where(out.notna(), None)
    return [{str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            for row in out.to_dict("records")]


def page_of(total: int, limit: int, offset: int) -> dict:
    """Pagination members: ``total, limit, offset, next`` (the next page's URL, None on the last page)."""
    following = offset + limit
    next_url = None
    if following < total:
        args = {**request.args.to_dict(), "limit": limit, "offset": following}
        next_url = f"{request.path}?{urlencode(args)}"
        g.api_link = next_url
    return {"total": int(total), "limit": limit, "offset": offset, "next": next_url}


def table_response(frame: pd.DataFrame, body: dict, *, limit: int | None = None, offset: int = 0,
                   key: str = "items") -> dict:
    """``body`` with ``frame``'s rows under ``key`` (the page ``limit``/``offset`` of them with ``total`` and a
    ``next`` link when paginated); with CSV asked for, the whole table (or the page) goes out as CSV instead."""
    total = len(frame)
    if limit is not None:
        frame = frame.iloc[offset:offset + limit]
        body = {**body, **page_of(total, limit, offset)}
    if csv_wanted():
        g.api_csv = frame
    return {**body, key: records(frame)}


def settings():
    """The Settings the app was built with."""
    return current_app.config[SETTINGS_KEY]

