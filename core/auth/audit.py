"""The audit log: who did what, when, from where, and whether it was allowed.

Append-only: the app only inserts, and the store's triggers (revision 0006) refuse UPDATE and DELETE.
Actions are the constants below; later features add theirs here. ``detail`` is a small dict stored as JSON.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection

from data.csv_safe import safe_csv
from data.schema import audit_log

__all__ = ["ACTIONS", "COLUMNS", "MAX_ROWS", "OUTCOMES", "count", "now", "query", "record", "record_in", "to_csv",
           "LOGIN", "LOGIN_FAILED", "LOGOUT", "UPLOAD", "INGEST", "RESUBMIT", "RETRAIN", "RECOMPUTE", "EXPORT",
           "JOB_CANCEL", "USER_ADD", "USER_ROLE", "USER_DISABLE", "USER_ENABLE", "PASSWORD_RESET", "TOKEN_CREATE",
           "TOKEN_REVOKE", "TOKEN_USE", "EMBED_CREATE", "EMBED_REVOKE", "EMBED_OPEN", "ACCESS_DENIED", "CHAT",
           "ALERT_RULE_CREATE", "ALERT_RULE_CHANGE", "ALERT_RULE_DELETE", "ALERT_ACK", "ALERT_SNOOZE"]

LOGIN, LOGIN_FAILED, LOGOUT = "login", "login_failed", "logout"
UPLOAD, INGEST, RESUBMIT = "upload", "ingest", "resubmit"
RETRAIN, RECOMPUTE, EXPORT, JOB_CANCEL = "retrain", "recompute", "export", "job_cancel"
USER_ADD, USER_ROLE, USER_DISABLE, USER_ENABLE = "user_add", "user_role", "user_disable", "user_enable"
PASSWORD_RESET = "password_reset"
TOKEN_CREATE, TOKEN_REVOKE, TOKEN_USE = "token_create", "token_revoke", "token_use"
EMBED_CREATE, EMBED_REVOKE, EMBED_OPEN = "embed_create", "embed_revoke", "embed_open"
ACCESS_DENIED = "access_denied"
CHAT = "chat"  # a question to the assistant; the target is the understood intent, never the question's text
ALERT_RULE_CREATE, ALERT_RULE_CHANGE, ALERT_RULE_DELETE = "alert_rule_create", "alert_rule_change", "alert_rule_delete"
ALERT_ACK, ALERT_SNOOZE = "alert_ack", "alert_snooze"
ACTIONS: tuple[str, ...] = (
    LOGIN, LOGIN_FAILED, LOGOUT, UPLOAD, INGEST, RESUBMIT, RETRAIN, RECOMPUTE, EXPORT, JOB_CANCEL, USER_ADD,
    USER_ROLE, USER_DISABLE, USER_ENABLE, PASSWORD_RESET, TOKEN_CREATE, TOKEN_REVOKE, TOKEN_USE, EMBED_CREATE,
    EMBED_REVOKE, EMBED_OPEN, ACCESS_DENIED, CHAT, ALERT_RULE_CREATE, ALERT_RULE_CHANGE, ALERT_RULE_DELETE, ALERT_ACK,
    ALERT_SNOOZE,
)
OUTCOMES: tuple[str, ...] = ("ok", "denied", "failed")
COLUMNS: tuple[str, ...] = ("id", "at", "actor", "actor_kind", "action", "target", "outcome", "address", "detail")
MAX_ROWS = 10_000
_ACTION = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def now() -> dt.datetime:
    """The current UTC time as the store keeps it (naive, whole microseconds)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _row(action: str, actor: str, actor_kind: str, target: str | None, outcome: str, address: str | None,
         detail: dict | None) -> dict[str, Any]:
    if not _ACTION.match(action or ""):
        raise ValueError(f"audit action {action!r} is not valid; use a constant of core.auth.audit, e.g. {LOGIN!r}")
    if outcome not in OUTCOMES:
        raise ValueError(f"audit outcome {outcome!r} is not valid; use one of {', '.join(OUTCOMES)}")
    return {"at": now(), "actor": (actor or "anonymous")[:128], "actor_kind": (actor_kind or "")[:16],
            "action": action, "target": None if target is None else str(target)[:255], "outcome": outcome,
            "address": None if address is None else str(address)[:64],
            "detail": None if detail is None else json.dumps(detail, sort_keys=True, default=str)}


def record_in(connection: Connection, action: str, *, actor: str, actor_kind: str = "session",
              target: str | None = None, outcome: str = "ok", address: str | None = None,
              detail: dict | None = None) -> None:
    """:func:`record` inside the caller's transaction, so the change and its audit row commit together."""
    connection.execute(audit_log.insert(), _row(action, actor, actor_kind, target, outcome, address, detail))


def record(engine: Engine, action: str, *, actor: str, actor_kind: str = "session", target: str | None = None,
           outcome: str = "ok", address: str | None = None, detail: dict | None = None) -> None:
    """Append one row: ``action`` (a constant above) by ``actor`` on ``target``, ``outcome`` ok|denied|failed."""
    with engine.begin() as connection:
        record_in(connection, action, actor=actor, actor_kind=actor_kind, target=target, outcome=outcome,
                  address=address, detail=detail)


def _where(action, actor, outcome, since, until) -> list:
    """Filters: exact action and outcome, ``actor`` as a case-insensitive part of the name, ``at`` in [since, until)."""
    conditions = []
    if action:
        conditions.append(audit_log.c.action == action)
    if outcome:
        conditions.append(audit_log.c.outcome == outcome)
    if actor:
        escaped = actor.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(func.lower(audit_log.c.actor).like(f"%{escaped}%", escape="\\"))
    if since is not None:
        conditions.append(audit_log.c.at >= since)
    if until is not None:
        conditions.append(audit_log.c.at < until)
    return conditions


def query(engine: Engine, *, action: str | None = None, actor: str | None = None, outcome: str | None = None,
          since: dt.datetime | None = None, until: dt.datetime | None = None, limit: int = 200,
          offset: int = 0) -> list[dict]:
    """Matching rows, newest first, as dicts keyed by :data:`COLUMNS` (``detail`` parsed back to a dict)."""
    if not 1 <= limit <= MAX_ROWS or offset < 0:
        raise ValueError(f"limit must be 1..{MAX_ROWS} and offset >= 0 (got limit={limit}, offset={offset})")
    statement = (select(audit_log).where(*_where(action, actor, outcome, since, until))
                 .order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit).offset(offset))
    with engine.connect() as connection:
        rows = [dict(row) for row in connection.execute(statement).mappings()]
    for row in rows:
        row["detail"] = json.loads(row["detail"]) if row["detail"] else None
    return rows


def count(engine: Engine, *, action: str | None = None, actor: str | None = None, outcome: str | None = None,
          since: dt.datetime | None = None, until: dt.datetime | None = None) -> int:
    """How many rows :func:`query` would page through with the same filters."""
    statement = select(func.count()).select_from(audit_log).where(*_where(action, actor, outcome, since, until))
    with engine.connect() as connection:
        return int(connection.execute(statement).scalar_one())


def to_csv(rows: list[dict]) -> str:
    """``rows`` from :func:`query` as CSV that is safe to open in a spreadsheet (``data.csv_safe``)."""
    frame = pd.DataFrame([{column: row.get(column) for column in COLUMNS} for row in rows], columns=list(COLUMNS),
                         dtype=object)
    frame["at"] = frame["at"].map(lambda at: at.isoformat(sep=" ") if isinstance(at, dt.datetime) else at)
    frame["detail"] = frame["detail"].map(
        lambda detail: json.dumps(detail, sort_keys=True, default=str) if isinstance(detail, dict) else detail)
    return safe_csv(frame)
