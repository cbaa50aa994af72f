"""Running runbooks with their guardrails: every request is a ``health_actions`` row (the audit record), each
runbook runs automatically or after an admin's approval (``runbook_settings``), at most ``max_per_hour`` times in
any rolling hour (past that the request is recorded as ``limited`` and not run), and a dry run is always available.
Admin decisions (mode changes, approvals, rejections, manual runs) also go to ``core.auth.audit``'s log.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from core.auth import audit
from core.health._remedies import Plan
from core.health._runbooks import RUNBOOKS, Context, Runbook, runbook_named
from data.schema import health_actions, runbook_settings

__all__ = ["runbook_catalogue", "set_runbook_mode", "list_actions", "approve_action", "reject_action",
           "run_runbook", "runbook_step", "RUNBOOK_MODE", "RUNBOOK_APPROVE", "RUNBOOK_REJECT", "RUNBOOK_RUN"]

log = logging.getLogger(__name__)
RUNBOOK_MODE, RUNBOOK_APPROVE, RUNBOOK_REJECT, RUNBOOK_RUN = "runbook_mode", "runbook_approve", "runbook_reject", \
    "runbook_run"
_RUNS = ("done", "failed")
REPEAT_AFTER = dt.timedelta(minutes=15)  # the same trigger on the same incident asks again only after this


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _setting(engine: Engine, runbook: Runbook) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(select(runbook_settings).where(runbook_settings.c.runbook == runbook.name)) \
            .mappings().first()
    if row is None:
        return {"mode": runbook.default_mode, "max_per_hour": runbook.max_per_hour, "enabled": True,
                "updated_by": None, "updated_at": None}
    return {"mode": row["mode"], "max_per_hour": row["max_per_hour"], "enabled": bool(row["enabled"]),
            "updated_by": row["updated_by"], "updated_at": row["updated_at"].isoformat(timespec="seconds")}


def _runs_last_hour(engine: Engine, name: str, now: dt.datetime) -> int:
    table = health_actions.c
    query = select(func.count()).where(table.runbook == name, table.state.in_(_RUNS),
                                       table.finished_at >= now - dt.timedelta(hours=1))
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def runbook_catalogue(engine: Engine, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every runbook with its current mode, limit, whether it is enabled and its runs in the last hour."""
    now = now or _now()
    return [{**runbook.to_dict(), **_setting(engine, runbook), "runs_last_hour": _runs_last_hour(engine, runbook.name,
                                                                                                 now)}
            for runbook in RUNBOOKS]


def set_runbook_mode(engine: Engine, name: str, mode: str, actor: str, *, max_per_hour: int | None = None,
                     enabled: bool | None = None) -> dict[str, Any]:
    """An admin's setting for one runbook: ``mode`` 'auto' or 'approval' (and optionally its limit per hour and
    whether it is enabled); audited. Returns the new setting."""
    runbook = runbook_named(name)
    if mode not in ("auto", "approval"):
        raise ValueError(f"unknown runbook mode {mode!r}; use 'auto' (runs on its trigger) or 'approval'")
    current = _setting(engine, runbook)
    limit = current["max_per_hour"] if max_per_hour is None else int(max_per_hour)
    if limit < 0:
        raise ValueError(f"max_per_hour={limit}; use 0 (never runs) or more")
    values = {"mode": mode, "max_per_hour": limit, "enabled": current["enabled"] if enabled is None else enabled,
              "updated_by": actor[:64], "updated_at": _now()}
    with engine.begin() as connection:
        changed = connection.execute(update(runbook_settings).where(runbook_settings.c.runbook == name)
                                     .values(**values))
        if changed.rowcount == 0:
            connection.execute(insert(runbook_settings).values(runbook=name, **values))
        audit.record_in(connection, RUNBOOK_MODE, actor=actor, target=f"runbook:{name}",
                        detail={k: v for k, v in values.items() if k in ("mode", "max_per_hour", "enabled")})
    return _setting(engine, runbook)


def _action(row) -> dict[str, Any]:
    values = dict(row)
    for name in ("plan", "result"):
        values[name] = json.loads(values[name]) if values[name] else None
    for name in ("requested_at", "decided_at", "finished_at"):
        values[name] = values[name].isoformat(timespec="seconds") if values[name] else None
    return values


def list_actions(engine: Engine, *, state: str | None = None, runbook: str | None = None,
                 incident_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Runbook requests newest first (the audit record), filtered by state, runbook or incident."""
    table = health_actions.c
    query = select(health_actions).order_by(table.requested_at.desc(), table.id.desc()).limit(limit)
    for column, value in ((table.state, state), (table.runbook, runbook), (table.incident_id, incident_id)):
        if value is not None:
            query = query.where(column == value)
    with engine.connect() as connection:
        return [_action(row) for row in connection.execute(query).mappings()]


def _get(engine: Engine, action_id: int) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(select(health_actions).where(health_actions.c.id == action_id)).mappings().first()
    if row is None:
        raise LookupError(f"no runbook action {action_id}; list_actions lists them")
    return _action(row)


def _insert(engine: Engine, runbook: Runbook, plan, *, reason: str, mode: str, state: str, now: dt.datetime,
            incident_id: int | None = None, actor: str | None = None) -> int:
    row = {"runbook": runbook.name, "incident_id": incident_id, "target": plan.target[:120], "reason": reason,
           "mode": mode, "state": state, "plan": json.dumps(plan.to_dict(), default=str), "requested_at": now,
           "decided_by": actor, "decided_at": now if actor else None}
    with engine.begin() as connection:
        return int(connection.execute(insert(health_actions).values(**row)).inserted_primary_key[0])


def _finish(engine: Engine, action_id: int, values: dict[str, Any]) -> None:
    with engine.begin() as connection:
        connection.execute(update(health_actions).where(health_actions.c.id == action_id).values(**values))


def _stored_plan(values: dict[str, Any]) -> Plan:
    """The plan as recorded (and approved): the run acts on what the admin saw, re-checked by the remedy."""
    details = {key: value for key, value in values.items() if key not in ("target", "summary")}
    return Plan(values["target"], values["summary"], details)


def _execute(engine: Engine, settings, runbook: Runbook, action_id: int, now: dt.datetime) -> dict[str, Any]:
    """Run an approved (or automatic) request within the hourly limit; records the outcome."""
    limit = _setting(engine, runbook)["max_per_hour"]
    if _runs_last_hour(engine, runbook.name, now) >= limit:
        _finish(engine, action_id, {"state": "limited", "finished_at": now, "result": json.dumps(
            {"why": f"{runbook.name} already ran {limit} time(s) in the last hour (its limit); not run"})})
        return _get(engine, action_id)
    try:
        result, state = runbook.run(engine, settings, _stored_plan(_get(engine, action_id)["plan"])), "done"
    except Exception as error:  # noqa: BLE001 - a failed action is recorded, never raised into the monitor
        log.exception("health: runbook %s failed", runbook.name)
        result, state = {"error": f"{type(error).__name__}: {error}"[:500]}, "failed"
    _finish(engine, action_id, {"state": state, "finished_at": now, "result": json.dumps(result, default=str)})
    log.warning("health: runbook %s %s: %s", runbook.name, state, result)
    return _get(engine, action_id)


def approve_action(engine: Engine, action_id: int, actor: str, settings, now: dt.datetime | None = None) -> dict:
    """An admin approves a pending request: it runs now (within its hourly limit); audited. Returns the action."""
    now = now or _now()
    action = _get(engine, action_id)
    if action["state"] != "pending":
        raise ValueError(f"runbook action {action_id} is {action['state']}; only a pending one can be approved")
    _finish(engine, action_id, {"state": "approved", "decided_by": actor[:64], "decided_at": now})
    audit.record(engine, RUNBOOK_APPROVE, actor=actor, target=f"action:{action_id}",
                 detail={"runbook": action["runbook"], "target": action["target"]})
    return _execute(engine, settings, runbook_named(action["runbook"]), action_id, now)


def reject_action(engine: Engine, action_id: int, actor: str, now: dt.datetime | None = None) -> dict:
    """An admin rejects a pending request (it never runs); audited. Returns the action."""
    now = now or _now()
    action = _get(engine, action_id)
    if action["state"] != "pending":
        raise ValueError(f"runbook action {action_id} is {action['state']}; only a pending one can be rejected")
    _finish(engine, action_id, {"state": "rejected", "decided_by": actor[:64], "decided_at": now, "finished_at": now})
    audit.record(engine, RUNBOOK_REJECT, actor=actor, target=f"action:{action_id}",
                 detail={"runbook": action["runbook"], "target": action["target"]})
    return _get(engine, action_id)


def run_runbook(engine: Engine, settings, name: str, actor: str, dry_run: bool = False,
                now: dt.datetime | None = None, incident_id: int | None = None) -> dict:
    """Run a runbook by hand (an admin, or the CLI): ``dry_run`` only records its plan. Limited per hour like any
    run; audited. Returns the action."""
    runbook, now = runbook_named(name), now or _now()
    plan = runbook.plan(engine, settings)
    state = "dry_run" if dry_run else "approved"
    action_id = _insert(engine, runbook, plan, reason=f"requested by {actor}" + (" (dry run)" if dry_run else ""),
                        mode="manual", state=state, now=now, incident_id=incident_id, actor=actor[:64])
    audit.record(engine, RUNBOOK_RUN, actor=actor, target=f"runbook:{name}",
                 detail={"action": action_id, "dry_run": dry_run})
    return _get(engine, action_id) if dry_run else _execute(engine, settings, runbook, action_id, now)


def _asked_recently(engine: Engine, name: str, incident_id: int | None, now: dt.datetime) -> bool:
    """A request of this runbook is still waiting, or one for the same incident was made within REPEAT_AFTER."""
    table = health_actions.c
    waiting = select(func.count()).where(table.runbook == name, table.state.in_(("pending", "approved")))
    recent = select(func.count()).where(table.runbook == name, table.mode != "manual",
                                        table.requested_at >= now - REPEAT_AFTER)
    if incident_id is not None:
        recent = recent.where(table.incident_id == incident_id)
    with engine.connect() as connection:
        return bool(connection.execute(waiting).scalar_one() or connection.execute(recent).scalar_one())


def runbook_step(engine: Engine, settings, now: dt.datetime, points) -> list[dict[str, Any]]:
    """A Monitor step: each enabled runbook whose trigger fires is requested once: run at once in 'auto' mode
    (within its limit), left 'pending' for an admin in 'approval' mode. Returns the actions it requested."""
    from core.health._incidents import list_incidents

    latest = {(point.component, point.metric): float(point.value) for point in points}
    context = Context(engine, settings, now, latest, list_incidents(engine, state="open", limit=200))
    requested = []
    for runbook in RUNBOOKS:
        setting = _setting(engine, runbook)
        fired = runbook.trigger(context) if setting["enabled"] else None
        if fired is None or _asked_recently(engine, runbook.name, fired[1], now):
            continue
        reason, incident_id = fired
        try:
            plan = runbook.plan(engine, settings)
        except Exception as error:  # noqa: BLE001 - a plan that cannot be made is reported, the others go on
            log.warning("health: runbook %s could not plan (%s)", runbook.name, error)
            continue
        mode = setting["mode"]
        action_id = _insert(engine, runbook, plan, reason=reason, mode=mode,
                            state="approved" if mode == "auto" else "pending", now=now, incident_id=incident_id)
        requested.append(_execute(engine, settings, runbook, action_id, now) if mode == "auto"
                         else _get(engine, action_id))
    return requested
