"""The routine maintenance tasks: what each does, how often, and whether an admin approves it first."""
from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from core.health import _remedies as remedies

__all__ = ["MaintenanceTask", "TASKS", "task_named", "sqlite_backup", "BACKUPS_KEPT"]

BACKUPS_KEPT = 7


@dataclass(frozen=True)
class MaintenanceTask:
    """``run(engine, settings, now) -> result``; every ``every_days``; a run later than ``grace`` after its slot
    (the app was down) counts as a catch-up."""

    name: str
    title: str
    every_days: int
    needs_approval: bool
    run: Callable[[Engine, Any, dt.datetime], dict]
    grace: dt.timedelta = dt.timedelta(hours=1)


def sqlite_backup(engine: Engine, folder: Path, now: dt.datetime, keep: int = BACKUPS_KEPT) -> dict[str, Any]:
    """A consistent copy of the SQLite store through sqlite3's backup API into ``folder``; the last ``keep`` stay."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return {"skipped": f"the store is {engine.dialect.name}, not a SQLite file; back it up with its own tools"}
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"foresight-{now:%Y%m%dT%H%M%S}.db"
    with closing(sqlite3.connect(engine.url.database)) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
    backups = sorted(folder.glob("foresight-*.db"))
    for old in backups[:-keep] if keep > 0 else []:
        old.unlink()  # only the scheduler's own older backups, never the store
    return {"backup": str(target), "bytes": target.stat().st_size, "kept": min(len(backups), keep)}


def _backup(engine: Engine, settings, now: dt.datetime) -> dict:
    return sqlite_backup(engine, Path(settings.instance_dir) / "backups", now)


def _vacuum(engine: Engine, settings, now: dt.datetime) -> dict:
    return remedies.run_vacuum_store(engine, settings, remedies.plan_vacuum_store(engine, settings))


def _prune(engine: Engine, settings, now: dt.datetime) -> dict:
    return remedies.run_prune_cache(engine, settings, remedies.plan_prune_cache(engine, settings))


def _downsample(engine: Engine, settings, now: dt.datetime) -> dict:
    from core.health._metric_store import downsample_and_prune

    return downsample_and_prune(engine, now)


def _retrain(engine: Engine, settings, now: dt.datetime) -> dict:
    """Recompute the models ``core.warm`` precomputes for the current dataset version (refreshing the cache)."""
    from flask import Flask

    from core.cache import cache, cached_call, init_cache
    from core.warm import warm_entries
    from data.store import current_version
    from data.watermark import complete_through

    version = current_version(engine)
    if version is None:
        return {"skipped": "the store is empty; nothing to retrain"}
    if getattr(cache, "app", None) is None:
        init_cache(Flask("maintenance"), settings)
    through = complete_through(engine, getattr(settings, "complete_through", None)).iso
    done = []
    for loader, params in warm_entries(through, getattr(settings, "holiday_countries", "US")):
        cached_call(loader, version.version, engine, refresh=True, **params)
        done.append(loader.__name__)
    return {"dataset_version": version.version, "retrained": done}


TASKS: dict[str, MaintenanceTask] = {task.name: task for task in (
    MaintenanceTask("backup", "Back up the SQLite store", 1, False, _backup),
    MaintenanceTask("cache_prune", "Prune expired cache entries", 1, False, _prune),
    MaintenanceTask("downsample", "Downsample and prune health metrics", 1, False, _downsample),
    MaintenanceTask("vacuum", "Vacuum and analyse the store", 7, True, _vacuum),
    MaintenanceTask("retrain", "Retrain the cached models", 7, True, _retrain),
)}


def task_named(name: str) -> MaintenanceTask:
    """The task called ``name``; ValueError listing them otherwise."""
    if name not in TASKS:
        raise ValueError(f"unknown maintenance task {name!r}; use one of {', '.join(TASKS)}")
    return TASKS[name]
