"""The in-app alert centre: alerts newest first, the unread count, acknowledge and snooze.

An alert is ``unread`` until someone acknowledges it (for everybody: the alert centre is shared) or snoozes it until a
moment; a snoozed alert counts as unread again once that moment has passed.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Engine, and_, case, func, select, update

from core.alerts._rule_store import now
from data.schema import alert_deliveries, alert_events, alert_rules

__all__ = ["STATES", "acknowledge", "deliveries_of", "get_alert", "list_alerts", "snooze", "unread_count"]

STATES: tuple[str, ...] = ("unread", "acknowledged", "snoozed")
MAX_SNOOZE = dt.timedelta(days=90)


def _effective(moment: dt.datetime):
    """The state as people see it: a snooze that ran out reads as unread."""
    events = alert_events.c
    return case((and_(events.state == "snoozed", events.snoozed_until <= moment), "unread"), else_=events.state)


def unread_count(engine: Engine, moment: dt.datetime | None = None) -> int:
    """Alerts nobody acknowledged and whose snooze (if any) is over."""
    query = select(func.count()).select_from(alert_events).where(_effective(moment or now()) == "unread")
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def _item(row: Any) -> dict[str, Any]:
    values = dict(row)
    values["values"] = json.loads(values["values"])
    for name in ("fired_at", "snoozed_until"):
        values[name] = values[name].isoformat(timespec="seconds") + "Z" if values[name] else None
    return values


def list_alerts(engine: Engine, *, state: str | None = None, rule_id: int | None = None, limit: int = 50,
                offset: int = 0, moment: dt.datetime | None = None,
                event_id: int | None = None) -> tuple[int, list[dict[str, Any]]]:
    """``(total, page)`` of alerts newest first, each with its rule's name and kind; ``state`` filters by the
    effective state (unread, acknowledged, snoozed)."""
    if state is not None and state not in STATES:
        raise ValueError(f"unknown alert state {state!r}; choose one of {', '.join(STATES)}")
    effective = _effective(moment or now()).label("state")
    events = alert_events.c
    columns = [events.id, events.rule_id, alert_rules.c.name.label("rule_name"), alert_rules.c.kind.label("kind"),
               events.dataset_version, events.fired_at, events.title, events.body, events["values"], events.dedup_key,
               effective, events.snoozed_until, events.acted_by]
    source = alert_events.join(alert_rules, alert_rules.c.id == events.rule_id)
    conditions = ([effective == state] if state else []) + ([events.rule_id == rule_id] if rule_id else []) + \
        ([events.id == event_id] if event_id is not None else [])
    query = select(*columns).select_from(source).where(*conditions)
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = connection.execute(query.order_by(events.fired_at.desc(), events.id.desc())
                                  .limit(limit).offset(offset)).mappings().all()
    return int(total), [_item(row) for row in rows]


def get_alert(engine: Engine, event_id: int) -> dict[str, Any]:
    """One alert as ``list_alerts`` shows it; LookupError when there is none."""
    found = list_alerts(engine, event_id=event_id, limit=1)[1]
    if not found:
        raise LookupError(f"no alert {event_id}; GET /api/v1/alerts lists them")
    return found[0]


def _act(engine: Engine, event_id: int, **values: Any) -> None:
    with engine.begin() as connection:
        changed = connection.execute(update(alert_events).where(alert_events.c.id == event_id).values(**values))
    if changed.rowcount == 0:
        raise LookupError(f"no alert {event_id}; GET /api/v1/alerts lists them")


def acknowledge(engine: Engine, event_id: int, actor: str) -> None:
    """Mark an alert acknowledged (for everybody); LookupError when there is no such alert."""
    _act(engine, event_id, state="acknowledged", snoozed_until=None, acted_by=actor[:64])


def snooze(engine: Engine, event_id: int, until: dt.datetime, actor: str, moment: dt.datetime | None = None) -> None:
    """Hide an alert from the unread count until ``until`` (UTC, naive or aware; at most 90 days ahead)."""
    moment = moment or now()
    if until.tzinfo is not None:
        until = until.astimezone(dt.UTC).replace(tzinfo=None)
    if not moment < until <= moment + MAX_SNOOZE:
        raise ValueError(f"snooze until {until.isoformat()} must be in the future and at most 90 days ahead "
                         f"(now is {moment.isoformat()} UTC)")
    _act(engine, event_id, state="snoozed", snoozed_until=until, acted_by=actor[:64])


def deliveries_of(engine: Engine, event_id: int) -> list[dict[str, Any]]:
    """The delivery log of one alert, oldest first: channel, target, attempt, outcome, status code, error, at."""
    table = alert_deliveries
    query = select(table.c.channel, table.c.target, table.c.attempt, table.c.outcome, table.c.status_code,
                   table.c.error, table.c.at).where(table.c.event_id == event_id).order_by(table.c.id)
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [{**row, "at": row["at"].isoformat(timespec="seconds") + "Z"} for row in rows]
