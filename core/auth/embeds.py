"""Signed embed links: one page with fixed filters, read-only, for an iframe in an intranet portal.

An admin creates a link (``create_link``): a row in ``embed_links`` (page, fixed query, expiry) and a token signed
with the app's secret key (itsdangerous, salted) that names the row. ``GET /embed/<token>`` (``init_embeds``) checks
the signature, the expiry and the row (not revoked), then writes ``session["embed"] = {"id", "page", "exp"}`` and
redirects to the page with its filters. The access guard (``core.auth.guard``) turns that session into a viewer
``Principal(kind="embed")`` limited to the page, asking :func:`is_active` on every request, so revoking a link ends
the sessions it opened at once. See docs/embedding.md.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

from flask import Flask, Response, current_app, redirect, render_template_string, session
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Engine, insert, select, update

from analytics.kpis import DIMENSIONS
from core.auth import audit
from core.auth.session import audit_request
from data.schema import embed_links
from data.store import get_engine

if TYPE_CHECKING:  # core.settings imports core.auth (its AccessSettings): no import at run time
    from core.settings import Settings

__all__ = ["EMBEDDABLE_PAGES", "MAX_HOURS", "EmbedError", "EmbedLink", "create_link", "list_links", "revoke_link",
           "is_active", "sign", "verify", "validate_target", "embed_path", "init_embeds"]

_SALT = "nf-embed-link"
MAX_HOURS = 24 * 366  # a link lives at most a year; portals renew longer ones
_MAX_VALUE = 200  # characters of one filter value
_VIEW = "view"  # the app-wide 2D/3D switch (components/layout.py)
# The pages a link may show, with the URL-state keys each page reads (its ``URL_PARAMS`` in pages/*.py; a test keeps
# them in step). The admin, data-management, insights (alert rules and the alert centre belong to signed-in users)
# and health pages (the system's processes, incidents and runbook plans are for its operators) are never embeddable.
EMBEDDABLE_PAGES: dict[str, frozenset[str]] = {
    "/": frozenset({"window", "start", "end", *DIMENSIONS, _VIEW}),
    "/forecast": frozenset({"metric", "h", "levels", "node", "tab", _VIEW}),
    "/retention": frozenset({"by", "cohorts", "customer", _VIEW}),
}


class EmbedError(ValueError):
    """A refused link or link request; ``reason`` is a short word (unsigned, tampered, expired, revoked, ...) and
    ``link_id`` the link it names, when its signature was good."""

    def __init__(self, message: str, reason: str = "invalid", link_id: int | None = None):
        super().__init__(message)
        self.reason, self.link_id = reason, link_id


@dataclass(frozen=True)
class EmbedLink:
    """One row of ``embed_links`` (times are naive UTC, like the rest of the store)."""

    id: int
    page: str
    query: str
    role: str
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    note: str | None

    def status(self, now: dt.datetime | None = None) -> str:
        """``revoked``, ``expired`` or ``active``."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= (now or _now()) else "active"

    @property
    def target(self) -> str:
        """The page with its fixed filters, e.g. ``/forecast?metric=orders``."""
        return embed_path(self.page, self.query)


def _now() -> dt.datetime:
    return audit.now()


def embed_path(page: str, query: str) -> str:
    """``page`` with ``query`` appended (when there is one)."""
    return f"{page}?{query}" if query else page


def _check_page(page: str) -> str:
    path = "/" + (page or "").strip().strip("/")
    if path in ("/admin", "/data"):
        raise EmbedError(f"the page {path} cannot be embedded (admin and data management need a login); "
                         f"embed one of {', '.join(EMBEDDABLE_PAGES)}", "page")
    if path not in EMBEDDABLE_PAGES:
        raise EmbedError(f"unknown page {page!r}; embed one of {', '.join(EMBEDDABLE_PAGES)}", "page")
    return path


def _check_query(path: str, query: str) -> str:
    text = (query or "").strip().lstrip("?")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=50)
    except ValueError:
        raise EmbedError(f"the filters {text[:80]!r} are not a query string; write them as key=value&key=value "
                         "(copy them from the page's address bar after the '?')", "query") from None
    allowed = EMBEDDABLE_PAGES[path]
    keys = [key for key, _ in pairs]
    unknown = sorted(set(keys) - allowed)
    if unknown:
        raise EmbedError(f"the page {path} has no filter {', '.join(map(repr, unknown))}; "
                         f"use {', '.join(sorted(allowed))}", "query")
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise EmbedError(f"the filter {', '.join(map(repr, repeated))} is given twice; keep one value", "query")
    for key, value in pairs:
        if not value or len(value) > _MAX_VALUE or not value.isprintable():
            raise EmbedError(f"the filter {key!r} needs a value of 1 to {_MAX_VALUE} printable characters", "query")
    return urlencode(pairs)


def validate_target(page: str, query: str) -> tuple[str, str]:
    """The page path and its normalised query string; EmbedError naming the page or the filter otherwise."""
    path = _check_page(page)
    return path, _check_query(path, query)


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=_SALT)


def sign(secret_key: str, link_id: int, page: str, query: str, expires_at: dt.datetime) -> str:
    """The URL-safe token naming link ``link_id`` for ``page?query`` until ``expires_at`` (naive UTC)."""
    exp = int(expires_at.replace(tzinfo=dt.timezone.utc).timestamp())
    return _serializer(secret_key).dumps({"id": link_id, "page": page, "q": query, "exp": exp})


def verify(secret_key: str, token: str) -> dict:
    """The token's payload ``{"id", "page", "q", "exp"}``; EmbedError (reason unsigned, tampered or expired) else."""
    if not token or "." not in token:
        raise EmbedError("this embed link is not signed; ask an admin for a new link (admins make them on the admin "
                         "page)", "unsigned")
    try:
        payload = _serializer(secret_key).loads(token)
    except BadSignature:
        raise EmbedError("this embed link was changed after it was signed (or signed with another key); "
                         "ask an admin for a new link", "tampered") from None
    if not isinstance(payload, dict) or not {"id", "page", "q", "exp"} <= payload.keys():
        raise EmbedError("this embed link does not name a link; ask an admin for a new link", "tampered")
    if payload["exp"] <= _now().replace(tzinfo=dt.timezone.utc).timestamp():
        when = dt.datetime.fromtimestamp(payload["exp"], dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        raise EmbedError(f"this embed link expired on {when}; ask an admin for a new link", "expired", payload["id"])
    return payload


def _row(record) -> EmbedLink:
    return EmbedLink(**{field: record._mapping[field] for field in EmbedLink.__dataclass_fields__})


def _get(engine: Engine, link_id: int) -> EmbedLink | None:
    with engine.connect() as conn:
        record = conn.execute(select(embed_links).where(embed_links.c.id == link_id)).first()
    return None if record is None else _row(record)


def create_link(engine: Engine, page: str, query: str, *, hours: int, actor: str, note: str | None = None,
                secret_key: str | None = None) -> tuple[EmbedLink, str]:
    """Store a link for ``page?query`` valid ``hours`` hours; returns the row and its signed token.

    ``secret_key`` defaults to the running Flask app's (the key every worker shares).
    """
    path, query = validate_target(page, query)
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= MAX_HOURS:
        raise EmbedError(f"the expiry must be a whole number of hours from 1 to {MAX_HOURS}, not {hours!r}", "hours")
    note = (note or "").strip() or None
    if note and len(note) > 255:
        raise EmbedError(f"the note has {len(note)} characters; keep it to 255", "note")
    now = _now()
    values = {"page": path, "query": query, "role": "viewer", "created_by": actor, "created_at": now,
              "expires_at": now + dt.timedelta(hours=hours), "revoked_at": None, "note": note}
    with engine.begin() as conn:
        link_id = conn.execute(insert(embed_links).values(**values)).inserted_primary_key[0]
        link = EmbedLink(id=link_id, **values)
        audit.record_in(conn, audit.EMBED_CREATE, actor=actor, target=f"embed {link_id} {link.target}",
                        detail={"hours": hours, "note": note})
    return link, sign(secret_key or current_app.config["SECRET_KEY"], link_id, path, query, link.expires_at)


def list_links(engine: Engine) -> list[EmbedLink]:
    """Every link, newest first."""
    with engine.connect() as conn:
        records = conn.execute(select(embed_links).order_by(embed_links.c.id.desc())).all()
    return [_row(record) for record in records]


def revoke_link(engine: Engine, link_id: int, actor: str) -> EmbedLink:
    """Revoke link ``link_id`` now (its open sessions stop at their next request); EmbedError if unknown or done."""
    link = _get(engine, link_id)
    if link is None:
        raise EmbedError(f"there is no embed link {link_id}; pick one from the list", "unknown")
    if link.revoked_at is not None:
        raise EmbedError(f"embed link {link_id} was already revoked on {link.revoked_at:%Y-%m-%d %H:%M} UTC",
                         "revoked")
    now = _now()
    with engine.begin() as conn:
        conn.execute(update(embed_links).where(embed_links.c.id == link_id).values(revoked_at=now))
        audit.record_in(conn, audit.EMBED_REVOKE, actor=actor, target=f"embed {link_id} {link.target}")
    return EmbedLink(**{**link.__dict__, "revoked_at": now})


def is_active(engine: Engine, link_id: int) -> bool:
    """Whether link ``link_id`` exists, is not revoked and has not expired."""
    link = _get(engine, link_id)
    return link is not None and link.status() == "active"


_REFUSED = """<!doctype html>
<html lang="en" data-bs-theme="dark"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Embed link refused · Neon Foresight</title>
<link rel="stylesheet" href="/assets/00-tokens.css"><link rel="stylesheet" href="/assets/48-admin.css"></head>
<body class="nf-embed-refused"><main class="nf-embed-refused-card" role="alert">
<p class="nf-embed-refused-brand">NEON FORESIGHT</p>
<h1 id="nf-embed-refused-title">Embed link {{ reason }}</h1>
<p id="nf-embed-refused-detail">{{ message }}</p></main></body></html>"""


def _open(settings: Settings, token: str) -> Response:
    """``GET /embed/<token>``: a valid, active link becomes an embed session and a redirect to its page."""
    engine = get_engine(settings.database_url)
    try:
        payload = verify(current_app.config["SECRET_KEY"], token)
        link = _get(engine, int(payload["id"]))
        if link is None:
            raise EmbedError("this embed link no longer exists; ask an admin for a new link", "unknown", payload["id"])
        if link.status() == "revoked":
            raise EmbedError(f"this embed link was revoked on {link.revoked_at:%Y-%m-%d %H:%M} UTC; "
                             "ask an admin for a new link", "revoked", link.id)
    except EmbedError as error:
        target = "embed link" if error.link_id is None else f"embed {error.link_id}"
        audit_request(audit.EMBED_OPEN, target, "denied", {"reason": error.reason}, engine=engine,
                      actor="anonymous", actor_kind="embed")
        page = render_template_string(_REFUSED, reason=error.reason, message=str(error))
        return Response(page, status=403, mimetype="text/html")
    session.clear()  # the link's read-only session replaces any login this browser had on the app
    session["embed"] = {"id": link.id, "page": link.page, "exp": payload["exp"]}
    audit_request(audit.EMBED_OPEN, f"embed {link.id} {link.target}", engine=engine, actor=f"embed:{link.id}",
                  actor_kind="embed")
    return redirect(link.target, code=303)


def init_embeds(server: Flask, settings: Settings) -> None:
    """Register ``GET /embed/<token>``."""
    server.add_url_rule("/embed/<path:token>", "embed_link", lambda token: _open(settings, token),
                        methods=["GET"])
