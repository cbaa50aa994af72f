"""Incidents: abnormal signals grouped so one failure raises one incident, ranked for their root cause, delivered
once as an alert, and resolved when their signals have been normal for ``RESOLVE_TICKS`` ticks.

``incident_step(engine, settings, now, points)`` is a Monitor step (the Monitor calls it after every collection).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert, select, update

from core.health._incident_alerts import deliver_incident
from core.health._metric_store import read_series
from core.health._rca import Signal, graph_for, linked, rank_signals
from core.health._signals import limits_of, watch_of
from data.schema import health_actions, health_incidents

__all__ = ["Incident", "incident_step", "list_incidents", "get_incident", "RESOLVE_TICKS", "GROUP_WINDOW"]

log = logging.getLogger(__name__)
RESOLVE_TICKS = 3  # consecutive ticks without any of its signals before an incident resolves
GROUP_WINDOW = dt.timedelta(minutes=5)  # new signals on linked components within this of an opening join it
CORRELATION_SPAN = dt.timedelta(minutes=30)
_SEVERITY = {"warning": 1, "critical": 2}


@dataclass(frozen=True)
class Incident:
    """One failure: its signals, its root-cause ranking (with evidence) and the runbook actions taken on it."""

    id: int
    group_key: str
    component: str
    title: str
    severity: str
    state: str
    opened_at: dt.datetime
    updated_at: dt.datetime
    resolved_at: dt.datetime | None
    signals: tuple[Signal, ...]
    causes: tuple[dict, ...]
    alert_event_id: int | None
    actions: tuple[dict, ...] = field(default=())

    def components(self) -> set[str]:
        return {signal.component for signal in self.signals}

    def to_dict(self) -> dict[str, Any]:
        """The incident as JSON (the page and the CLI)."""
        stamp = lambda moment: moment.isoformat(timespec="seconds") if moment else None  # noqa: E731
        return {"id": self.id, "group_key": self.group_key, "component": self.component, "title": self.title,
                "severity": self.severity, "state": self.state, "opened_at": stamp(self.opened_at),
                "updated_at": stamp(self.updated_at), "resolved_at": stamp(self.resolved_at),
                "signals": [s.to_dict() for s in self.signals], "causes": list(self.causes),
                "alert_event_id": self.alert_event_id, "actions": list(self.actions)}


def _incident(row, actions: Sequence[dict] = ()) -> Incident:
    signals = tuple(Signal.from_dict(item) for item in json.loads(row["signals"] or "[]"))
    return Incident(row["id"], row["group_key"], row["component"], row["title"], row["severity"], row["state"],
                    row["opened_at"], row["updated_at"], row["resolved_at"], signals,
                    tuple(json.loads(row["causes"] or "[]")), row["alert_event_id"], tuple(actions))


def _actions_of(engine: Engine, ids: Sequence[int]) -> dict[int, list[dict]]:
    if not ids:
        return {}
    table = health_actions.c
    query = select(table.id, table.incident_id, table.runbook, table.target, table.state, table.mode,
                   table.requested_at, table.decided_by, table.finished_at).where(table.incident_id.in_(ids))
    found: dict[int, list[dict]] = {}
    with engine.connect() as connection:
        for row in connection.execute(query.order_by(table.id)).mappings():
            item = {key: (value.isoformat(timespec="seconds") if isinstance(value, dt.datetime) else value)
                    for key, value in row.items() if key != "incident_id"}
            found.setdefault(row["incident_id"], []).append(item)
    return found


def list_incidents(engine: Engine, state: str | None = None, limit: int = 50) -> list[Incident]:
    """Incidents newest first (``state`` 'open' or 'resolved' filters), each with its actions."""
    if state not in (None, "open", "resolved"):
        raise ValueError(f"unknown incident state {state!r}; use 'open', 'resolved' or None for both")
    query = select(health_incidents).order_by(health_incidents.c.opened_at.desc(), health_incidents.c.id.desc())
    if state:
        query = query.where(health_incidents.c.state == state)
    with engine.connect() as connection:
        rows = connection.execute(query.limit(limit)).mappings().all()
    actions = _actions_of(engine, [row["id"] for row in rows])
    return [_incident(row, actions.get(row["id"], ())) for row in rows]


def get_incident(engine: Engine, incident_id: int) -> Incident:
    """One incident with its actions; LookupError when there is none."""
    with engine.connect() as connection:
        row = connection.execute(select(health_incidents).where(health_incidents.c.id == incident_id)) \
            .mappings().first()
    if row is None:
        raise LookupError(f"no incident {incident_id}; list_incidents (python -m core.health incidents) lists them")
    return _incident(row, _actions_of(engine, [incident_id]).get(incident_id, ()))


def _groups(signals: Sequence[Signal], graph) -> list[list[Signal]]:
    """Signals split so that linked components (one depends on the other) share a group."""
    groups: list[list[Signal]] = []
    for signal in signals:
        joined = [group for group in groups if any(linked(signal.component, s.component, graph) for s in group)]
        merged = [signal] + [s for group in joined for s in group]
        groups = [group for group in groups if group not in joined] + [merged]
    return groups


def _summary(signals: Sequence[Signal], causes: Sequence[dict]) -> tuple[str, str, str]:
    root = causes[0]["component"] if causes else signals[0].component
    mine = sorted((s for s in signals if s.component == root), key=lambda s: -_SEVERITY.get(s.severity, 0)) or \
        list(signals)
    severity = max((s.severity for s in signals), key=lambda name: _SEVERITY.get(name, 0))
    return root, mine[0].detail[:200], severity


def _merge(old: Sequence[Signal], new: Sequence[Signal]) -> list[Signal]:
    """Every signal key once, as it first went wrong (earliness matters to the ranking)."""
    merged = {s.key(): s for s in old}
    for signal in new:
        merged.setdefault(signal.key(), signal)
    return list(merged.values())


def _recent_series(engine: Engine, signals: Sequence[Signal], now: dt.datetime) -> dict:
    """The signalling metrics' last CORRELATION_SPAN (for the ranking's correlation evidence)."""
    series = {}
    for component, metric in {s.key() for s in signals}:
        frame = read_series(engine, component, metric, now - CORRELATION_SPAN, now)[["at", "value"]]
        if len(frame) >= 5:
            series[(component, metric)] = frame
    return series


def _rank(engine: Engine, settings, now: dt.datetime, signals: Sequence[Signal]) -> list[dict]:
    return rank_signals(signals, graph_for(settings), _recent_series(engine, signals, now))


def _open(engine: Engine, settings, now: dt.datetime, signals: list[Signal]) -> Incident:
    causes = _rank(engine, settings, now, signals)
    root, title, severity = _summary(signals, causes)
    row = {"group_key": root, "component": root, "title": title, "severity": severity, "state": "open",
           "opened_at": now, "updated_at": now, "signals": json.dumps([s.to_dict() for s in signals]),
           "causes": json.dumps(causes, default=str)}
    with engine.begin() as connection:
        incident_id = int(connection.execute(insert(health_incidents).values(**row)).inserted_primary_key[0])
    log.warning("health: incident %d opened: %s (root cause: %s)", incident_id, title, root)
    evidence = "; ".join(causes[0].get("evidence", [])) if causes else ""
    values = {"incident_id": incident_id, "component": root, "severity": severity,
              "signals": [s.to_dict() for s in signals], "causes": causes[:3]}
    deliver_incident(engine, incident_id, f"Incident: {title}", f"Likely cause: {root}. {evidence}", values,
                     getattr(settings, "alerts", None))
    return get_incident(engine, incident_id)


def _grow(engine: Engine, settings, now: dt.datetime, incident: Incident, signals: list[Signal]) -> None:
    """Add new signals to an open incident and rank it again; signals it already holds only mark it updated."""
    merged = _merge(incident.signals, signals)
    values: dict[str, Any] = {"updated_at": now}
    if len(merged) > len(incident.signals):
        causes = _rank(engine, settings, now, merged)
        root, title, severity = _summary(merged, causes)
        values.update(component=root, title=title, severity=severity, causes=json.dumps(causes, default=str),
                      signals=json.dumps([s.to_dict() for s in merged]))
    with engine.begin() as connection:
        connection.execute(update(health_incidents).where(health_incidents.c.id == incident.id).values(**values))


def _absorbs(incident: Incident, group: Sequence[Signal], now: dt.datetime, graph) -> bool:
    """An open incident takes a group when it already holds one of its signals, or it opened within the group
    window on a linked component."""
    keys = {s.key() for s in incident.signals}
    if any(s.key() in keys for s in group):
        return True
    return now - incident.opened_at <= GROUP_WINDOW and \
        any(linked(s.component, c, graph) for s in group for c in incident.components())


def _resolve_quiet(engine: Engine, now: dt.datetime, open_incidents: Iterable[Incident], abnormal: set,
                   normal_ticks: dict) -> None:
    for incident in open_incidents:
        if abnormal & {s.key() for s in incident.signals}:
            normal_ticks[incident.id] = 0
            continue
        normal_ticks[incident.id] = normal_ticks.get(incident.id, 0) + 1
        if normal_ticks[incident.id] >= RESOLVE_TICKS:
            with engine.begin() as connection:
                connection.execute(update(health_incidents).where(health_incidents.c.id == incident.id)
                                   .values(state="resolved", resolved_at=now, updated_at=now))
            normal_ticks.pop(incident.id, None)
            log.info("health: incident %d resolved (%s)", incident.id, incident.title)


def incident_step(engine: Engine, settings, now: dt.datetime, points: Sequence) -> list[Incident]:
    """One tick: find the abnormal signals among ``points``, add them to the open incident they belong to or open
    (and deliver) a new one, and resolve incidents whose signals stayed normal. Returns the incidents opened."""
    watch = watch_of(engine)
    signals = watch.signals(points, limits_of(settings))
    open_incidents = list_incidents(engine, state="open", limit=500)
    opened, graph = [], graph_for(settings)
    for group in _groups(signals, graph):
        home = next((incident for incident in open_incidents if _absorbs(incident, group, now, graph)), None)
        if home is not None:
            _grow(engine, settings, now, home, group)
        else:
            opened.append(_open(engine, settings, now, group))
    _resolve_quiet(engine, now, open_incidents, {s.key() for s in signals}, watch.normal_ticks)
    return opened
