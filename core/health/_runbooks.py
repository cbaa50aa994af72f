"""The remediation runbooks: a small catalogue of safe actions, each with its trigger, dry run, default mode and
limit per hour. Requesting, approving and running them (with their audit record) is ``_actions``.

Triggers read the latest points, the open incidents and (for the process restarts) whether the process runs at all;
they never act.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from core.health import _remedies as remedies
from core.health._processes import app_processes
from core.health._signals import limits_of

__all__ = ["Context", "Runbook", "RUNBOOKS", "runbook_named"]


@dataclass(frozen=True)
class Context:
    """What a trigger looks at: the latest value of each metric and the open incidents."""

    engine: Engine
    settings: Any
    now: dt.datetime
    latest: dict[tuple[str, str], float]
    incidents: Sequence[Any]


Trigger = Callable[[Context], tuple[str, int | None] | None]


@dataclass(frozen=True)
class Runbook:
    """One safe action. ``trigger(context)`` gives ``(reason, incident id or None)`` when it should run;
    ``plan(engine, settings)`` is its dry run; ``run(engine, settings, plan)`` acts and returns what it did."""

    name: str
    title: str
    description: str
    trigger: Trigger
    plan: Callable[[Engine, Any], remedies.Plan]
    run: Callable[[Engine, Any, remedies.Plan], dict]
    default_mode: str
    max_per_hour: int
    when: str = ""  # the trigger in words

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "description": self.description, "trigger": self.when,
                "default_mode": self.default_mode, "default_max_per_hour": self.max_per_hour}


def _incident_with(context: Context, component: str, kinds: tuple[str, ...], metrics: tuple[str, ...] = ()):
    """The first open incident holding a signal of ``component`` of one of ``kinds`` (or on one of ``metrics``)."""
    for incident in context.incidents:
        for signal in incident.signals:
            if signal.component == component and (signal.kind in kinds or signal.metric in metrics):
                return incident, signal
    return None


def _disk_low(context: Context) -> tuple[str, int | None] | None:
    limit = limits_of(context.settings).disk_percent
    used = context.latest.get(("host", "disk_percent"))
    if used is None or used < limit:
        return None
    found = _incident_with(context, "host", ("limit",), ("disk_percent",))
    return f"disk {used:.1f}% full (limit {limit:g}%)", found[0].id if found else None


def _worker_stuck(context: Context) -> tuple[str, int | None] | None:
    found = _incident_with(context, "worker", ("leak", "down"), ("queue_length", "job_wait_s"))
    if found is None or not app_processes("worker", context.settings.database_url):  # nothing a restart could fix
        return None
    incident, signal = found
    return f"background worker: {signal.detail}", incident.id


def _stream_troubled(context: Context) -> tuple[str, int | None] | None:
    found = _incident_with(context, "stream", ("dead_letters",), ("lag", "dead_letters"))
    if found is not None:
        incident, signal = found
        return f"stream: {signal.detail}", incident.id
    found = _incident_with(context, "redis", ("down",))
    if found is not None:  # entries taken but not acknowledged while Redis was away wait in the group
        return "Redis went down: the stream's pending entries need replaying once it is back", found[0].id
    return None


def _store_slow(context: Context) -> tuple[str, int | None] | None:
    found = _incident_with(context, "store", ("slow", "limit"), ("query_ms", "size_bytes"))
    if found is None:
        return None
    incident, signal = found
    return f"store: {signal.detail}", incident.id


def _model_troubled(context: Context) -> tuple[str, int | None] | None:
    found = _incident_with(context, "model", ("down", "leak", "slow"))
    if found is None or not app_processes("model", context.settings.database_url):
        return None
    incident, signal = found
    return f"model process: {signal.detail}", incident.id


RUNBOOKS: tuple[Runbook, ...] = (
    Runbook("prune_cache", "Prune expired cache entries",
            "When the disk is over its limit, remove results-cache files and background-job results whose expiry "
            "has passed (valid entries stay; Redis expires its own).", _disk_low,
            remedies.plan_prune_cache, remedies.run_prune_cache, "auto", 4, "host disk use at or over its limit"),
    Runbook("restart_worker", "Restart a stuck or leaking background worker",
            "Ask the largest Celery worker process of the app to finish its jobs and stop (SIGTERM); its pool or "
            "the process manager starts a fresh one.", _worker_stuck,
            remedies.plan_restart_worker, remedies.run_restart_worker, "approval", 2,
            "an open incident with a worker memory leak, the worker down, or its queue or wait anomalous"),
    Runbook("replay_stream", "Drain and replay the stream's pending events",
            "Claim the stream's pending entries and apply them through the stream processor; entries it cannot "
            "apply go to the dead-letter stream, which is reported and never deleted.", _stream_troubled,
            remedies.plan_replay_stream, remedies.run_replay_stream, "approval", 4,
            "an open incident with new dead letters or an anomalous lag on the stream, or Redis down"),
    Runbook("vacuum_store", "Vacuum and analyse the store",
            "SQLite VACUUM and ANALYZE (PostgreSQL VACUUM ANALYZE) when the store is slow or large; rows are "
            "never removed.", _store_slow, remedies.plan_vacuum_store, remedies.run_vacuum_store, "approval", 1,
            "an open incident with the store slow to answer, its queries anomalous, or over its size limit"),
    Runbook("reload_model", "Reload the model process",
            "Ask the chat's model process to stop gracefully so the process manager starts it again with the model "
            "loaded afresh.", _model_troubled, remedies.plan_reload_model, remedies.run_reload_model, "approval", 2,
            "an open incident with the model process down, slow or leaking"),
)


def runbook_named(name: str) -> Runbook:
    """The runbook called ``name``; ValueError listing the catalogue otherwise."""
    for runbook in RUNBOOKS:
        if runbook.name == name:
            return runbook
    raise ValueError(f"unknown runbook {name!r}; choose one of {', '.join(r.name for r in RUNBOOKS)}")
