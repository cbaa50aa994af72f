"""Routine maintenance placed into the forecast low-traffic windows, with a calendar admins approve, move or run now.

``MaintenanceScheduler(engine, settings).plan(now)`` keeps the next 7 days in ``maintenance_tasks``: each daily
task in the quietest slot of each day, each weekly task in the quietest slot of the week. Slots come from
``analytics.health.low_traffic_windows`` on the web request rate of the last 4 weeks once a day of it is stored;
before that, the default night slot (``DEFAULT_SLOT_HOUR`` UTC, daily). ``tick(now)`` runs the due tasks that
are approved (or need no approval); when several runs of one task were missed (the app was down) it runs once,
marked ``catch_up``, and the older runs are marked skipped.

In-process by default (``maintenance_step``, a Monitor step); with Redis, ``register_maintenance_beat`` puts
``tick`` on the Celery worker's beat the way ``core.uploads`` schedules its sweep, and the step stands aside.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert, select, update

from core.auth import audit
from core.health._tasks import TASKS, MaintenanceTask, task_named
from data.schema import maintenance_tasks

__all__ = ["MaintenanceScheduler", "approve_task", "move_task", "run_task_now", "maintenance_calendar",
           "maintenance_step", "register_maintenance_beat", "TICK_TASK", "DEFAULT_SLOT_HOUR"]

log = logging.getLogger(__name__)
TICK_TASK = "neon_foresight.health_maintenance_tick"
MAINTENANCE_APPROVE, MAINTENANCE_MOVE, MAINTENANCE_RUN = "maintenance_approve", "maintenance_move", "maintenance_run"
DEFAULT_SLOT_HOUR = 3  # 03:00 UTC daily until a day of request history shows the quiet hours
PLAN_DAYS = 7
MAX_MOVE = dt.timedelta(days=30)
_BEAT_SECONDS = 300
STEP_EVERY = dt.timedelta(seconds=_BEAT_SECONDS)
_RUNNABLE = ("planned", "approved")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _row(row) -> dict[str, Any]:
    values = dict(row)
    values["result"] = json.loads(values["result"]) if values["result"] else None
    values["catch_up"] = bool(values["catch_up"])
    for name in ("due_at", "started_at", "finished_at"):
        values[name] = values[name].isoformat(timespec="seconds") if values[name] else None
    values["needs_approval"] = task_named(values["task"]).needs_approval if values["task"] in TASKS else False
    return values


def maintenance_calendar(engine: Engine, since: dt.datetime, until: dt.datetime) -> list[dict[str, Any]]:
    """The maintenance tasks due between ``since`` and ``until`` (inclusive), earliest first."""
    table = maintenance_tasks.c
    query = select(maintenance_tasks).where(table.due_at >= since, table.due_at <= until).order_by(table.due_at,
                                                                                                   table.id)
    with engine.connect() as connection:
        return [_row(row) for row in connection.execute(query).mappings()]


def _task(engine: Engine, task_id: int) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(select(maintenance_tasks).where(maintenance_tasks.c.id == task_id)).mappings().first()
    if row is None:
        raise LookupError(f"no maintenance task {task_id}; maintenance_calendar lists them")
    return _row(row)


def _set(engine: Engine, task_id: int, states: tuple[str, ...], **values: Any) -> bool:
    """Change a task only while it is in one of ``states`` (a claim: two processes never both run it)."""
    table = maintenance_tasks.c
    with engine.begin() as connection:
        changed = connection.execute(update(maintenance_tasks).where(table.id == task_id, table.state.in_(states))
                                     .values(**values))
    return changed.rowcount == 1


def approve_task(engine: Engine, task_id: int, actor: str) -> dict[str, Any]:
    """An admin approves a planned task so ``tick`` runs it when due."""
    task = _task(engine, task_id)
    if not _set(engine, task_id, ("planned",), state="approved", approved_by=actor[:64]):
        raise ValueError(f"maintenance task {task_id} is {task['state']}; only a planned one can be approved")
    audit.record(engine, MAINTENANCE_APPROVE, actor=actor, target=f"task:{task_id}", detail={"task": task["task"]})
    return _task(engine, task_id)


def move_task(engine: Engine, task_id: int, due_at: dt.datetime, actor: str,
              now: dt.datetime | None = None) -> dict[str, Any]:
    """An admin moves a planned or approved task to ``due_at``: in the future and at most 30 days ahead."""
    now = now or _now()
    if due_at.tzinfo is not None:
        due_at = due_at.astimezone(dt.UTC).replace(tzinfo=None)
    if not now < due_at <= now + MAX_MOVE:
        raise ValueError(f"move maintenance task {task_id} to {due_at.isoformat()}: the new time must be in the future "
                         f"and at most 30 days ahead (now is {now.isoformat()} UTC)")
    task = _task(engine, task_id)
    if not _set(engine, task_id, _RUNNABLE, due_at=due_at, moved_by=actor[:64],
                reason=f"moved by {actor} (was {task['due_at']})"):
        raise ValueError(f"maintenance task {task_id} is {task['state']}; only a planned or approved one can move")
    audit.record(engine, MAINTENANCE_MOVE, actor=actor, target=f"task:{task_id}",
                 detail={"task": task["task"], "from": task["due_at"], "to": due_at.isoformat(timespec="seconds")})
    return _task(engine, task_id)


def _execute(engine: Engine, settings, task_id: int, spec: MaintenanceTask, now: dt.datetime, *,
             catch_up: bool = False, states: tuple[str, ...] = _RUNNABLE) -> dict[str, Any] | None:
    if not _set(engine, task_id, states, state="running", started_at=now, catch_up=catch_up):
        return None  # another process took it
    try:
        result, state = spec.run(engine, settings, now), "done"
    except Exception as error:  # noqa: BLE001 - recorded on the calendar; the next slot tries again
        log.exception("health: maintenance task %s failed", spec.name)
        result, state = {"error": f"{type(error).__name__}: {error}"[:500]}, "failed"
    _set(engine, task_id, ("running",), state=state, finished_at=now,
         result=json.dumps(result, default=str))
    return _task(engine, task_id)


def run_task_now(engine: Engine, settings, task_id: int, actor: str, now: dt.datetime | None = None) -> dict:
    """An admin runs a planned or approved task at once (approval implied)."""
    now = now or _now()
    task = _task(engine, task_id)
    _set(engine, task_id, ("planned",), state="approved", approved_by=actor[:64])
    done = _execute(engine, settings, task_id, task_named(task["task"]), now)
    if done is None:
        raise ValueError(f"maintenance task {task_id} is {task['state']}; only a planned or approved one can run")
    audit.record(engine, MAINTENANCE_RUN, actor=actor, target=f"task:{task_id}",
                 detail={"task": task["task"], "state": done["state"]})
    return done


@dataclass
class MaintenanceScheduler:
    """Plans routine tasks into low-traffic slots and runs them when due (see the module's docstring)."""

    engine: Engine
    settings: Any

    def slots(self, now: dt.datetime) -> tuple[list[dt.datetime], str]:
        """The start times of quiet windows over the next 7 days, the quietest window's first, and why."""
        import pandas as pd

        from core.health._metric_store import read_series

        load = read_series(self.engine, "web", "request_rate", now - dt.timedelta(days=28), now)
        if len(load) >= 2 and load["at"].iloc[-1] - load["at"].iloc[0] >= pd.Timedelta(hours=24):
            try:
                from analytics.health import low_traffic_windows, next_slots

                windows = low_traffic_windows(load[["at", "value"]], duration_hours=1, count=3)
                starts = [start for window in windows for start in next_slots([window], now, days=PLAN_DAYS)]
                labels = ", ".join(window.label for window in windows)
                return [s.tz_convert(None).to_pydatetime() for s in starts], f"low-traffic window ({labels})"
            except (ImportError, ValueError) as error:
                log.info("health: no low-traffic windows yet (%s); using the night slot", error)
        first = now.replace(hour=DEFAULT_SLOT_HOUR, minute=0, second=0, microsecond=0)
        starts = [first + dt.timedelta(days=day) for day in range(PLAN_DAYS + 1)]
        return [s for s in starts if now <= s < now + dt.timedelta(days=PLAN_DAYS)], \
            f"default night slot {DEFAULT_SLOT_HOUR:02d}:00 UTC (not enough request history yet)"

    def _wanted(self, now: dt.datetime) -> list[tuple[str, dt.datetime, str]]:
        starts, why = self.slots(now)
        by_day: dict[dt.date, dt.datetime] = {}
        for start in starts:  # quietest window first: the first slot of a day in this order wins
            by_day.setdefault(start.date(), start)
        daily = sorted(by_day.values())
        wanted = []
        for spec in TASKS.values():
            chosen = daily if spec.every_days == 1 else daily[:1]
            wanted += [(spec.name, start, why) for start in chosen]
        return wanted

    def plan(self, now: dt.datetime) -> list[dict[str, Any]]:
        """Fill the calendar of the next 7 days (a task already near a slot is kept); returns what it added."""
        table = maintenance_tasks.c
        with self.engine.connect() as connection:
            existing = connection.execute(select(table.task, table.due_at).where(
                table.due_at >= now - dt.timedelta(days=7))).all()
        added = []
        for name, start, why in self._wanted(now):
            spec = task_named(name)
            near = dt.timedelta(days=spec.every_days) - dt.timedelta(hours=12)
            if any(task == name and abs(due - start) < near for task, due in existing):
                continue
            with self.engine.begin() as connection:
                task_id = connection.execute(insert(maintenance_tasks).values(
                    task=name, due_at=start, reason=why, state="planned", catch_up=False)).inserted_primary_key[0]
            existing.append((name, start))
            added.append(_task(self.engine, int(task_id)))
        return added

    def tick(self, now: dt.datetime) -> list[dict[str, Any]]:
        """Run the due tasks that may run; a task missed more than once runs once (``catch_up``)."""
        table = maintenance_tasks.c
        with self.engine.connect() as connection:
            due = connection.execute(select(table.id, table.task, table.due_at, table.state).where(
                table.state.in_(_RUNNABLE), table.due_at <= now).order_by(table.due_at)).all()
        ran = []
        for name in sorted({row.task for row in due}):
            spec = task_named(name)
            runnable = [row for row in due if row.task == name and (row.state == "approved" or not spec.needs_approval)]
            if not runnable:
                continue
            latest, older = runnable[-1], runnable[:-1]
            for row in older:
                _set(self.engine, row.id, _RUNNABLE, state="skipped", finished_at=now,
                     result=json.dumps({"why": f"missed; caught up once by task {latest.id}"}))
            catch_up = bool(older) or now - latest.due_at > spec.grace
            done = _execute(self.engine, self.settings, latest.id, spec, now, catch_up=catch_up)
            if done is not None:
                ran.append(done)
        self.plan(now)
        return ran


_LAST_STEP: dict[str, dt.datetime] = {}  # store URL -> when this process last ticked it (the Monitor's thread)


def maintenance_step(engine: Engine, settings, now: dt.datetime, points) -> list[dict[str, Any]]:
    """A Monitor step: tick the scheduler in-process every ``STEP_EVERY`` (with Redis, the Celery beat ticks it
    instead)."""
    if getattr(settings, "redis_url", None):
        return []
    key = engine.url.render_as_string(hide_password=True)
    last = _LAST_STEP.get(key)
    if last is not None and dt.timedelta(0) <= now - last < STEP_EVERY:
        return []
    _LAST_STEP[key] = now
    return MaintenanceScheduler(engine, settings).tick(now)


def register_maintenance_beat(settings, celery_app) -> None:
    """With Celery: a beat entry every 5 minutes that ticks the scheduler on the worker (``core.uploads``'s way)."""
    if celery_app is None:
        return

    def health_maintenance_tick() -> int:
        from data.store import get_engine

        return len(MaintenanceScheduler(get_engine(settings.database_url), settings).tick(_now()))

    celery_app.task(name=TICK_TASK)(health_maintenance_tick)
    celery_app.conf.beat_schedule = {**(celery_app.conf.beat_schedule or {}),
                                     "health-maintenance-tick": {"task": TICK_TASK, "schedule": _BEAT_SECONDS}}
