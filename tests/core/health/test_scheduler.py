"""The maintenance scheduler: slots from the low-traffic windows (or the night slot), a 7-day calendar, due tasks
run once, approval, moving, running now, catching up a missed run once, SQLite backups kept to the last N."""
from __future__ import annotations

import datetime as dt
import sqlite3
import types
from contextlib import closing

import numpy as np
import pytest
from celery import Celery

from core.auth import audit
from core.health import (MaintenanceScheduler, Point, approve_task, maintenance_calendar, maintenance_step, move_task,
                         record_points, register_maintenance_beat, run_task_now)
from core.health._scheduler import DEFAULT_SLOT_HOUR, TICK_TASK
from core.health._tasks import sqlite_backup
from data import store

NOW = dt.datetime(2026, 12, 7, 12, 0)  # a Monday


@pytest.fixture
def setup(tmp_path):
    engine = store.get_engine(f"sqlite:///{tmp_path / 'store.db'}")
    store.upgrade(engine)
    settings = types.SimpleNamespace(redis_url=None, cache_dir=tmp_path / "cache", instance_dir=tmp_path,
                                     database_url=f"sqlite:///{tmp_path / 'store.db'}")
    return engine, settings, MaintenanceScheduler(engine, settings)


def _week(engine, scheduler, now=NOW):
    scheduler.plan(now)
    return maintenance_calendar(engine, now, now + dt.timedelta(days=7))


def test_without_history_the_calendar_uses_the_night_slot_for_seven_days(setup):
    engine, _, scheduler = setup
    calendar = _week(engine, scheduler)
    backups = [task for task in calendar if task["task"] == "backup"]
    assert len(backups) == 7 and all(task["due_at"].endswith(f"T{DEFAULT_SLOT_HOUR:02d}:00:00") for task in backups)
    assert "default night slot" in backups[0]["reason"]
    assert len([task for task in calendar if task["task"] == "vacuum"]) == 1
    assert scheduler.plan(NOW) == []  # planning again adds nothing


def test_with_a_day_of_requests_tasks_go_into_the_quietest_hour(setup):
    engine, _, scheduler = setup
    start = NOW - dt.timedelta(days=3)
    rates = [Point(start + dt.timedelta(minutes=10 * i), "web", "request_rate",
                   1.0 if (start + dt.timedelta(minutes=10 * i)).hour == 5 else 10 + np.sin(i)) for i in range(432)]
    record_points(engine, rates)
    backups = [task for task in _week(engine, scheduler) if task["task"] == "backup"]
    assert backups and all(task["due_at"].endswith("T05:00:00") for task in backups)
    assert "low-traffic window" in backups[0]["reason"]


def test_due_tasks_run_once_and_approval_tasks_wait(setup):
    engine, _, scheduler = setup
    calendar = _week(engine, scheduler)
    first_night = dt.datetime.fromisoformat(calendar[0]["due_at"])
    ran = scheduler.tick(first_night + dt.timedelta(minutes=1))
    assert sorted(task["task"] for task in ran) == ["backup", "cache_prune", "downsample"]
    assert all(task["state"] == "done" and not task["catch_up"] for task in ran)
    assert scheduler.tick(first_night + dt.timedelta(minutes=2)) == []
    vacuum = next(task for task in calendar if task["task"] == "vacuum")
    assert vacuum["needs_approval"] and vacuum["state"] == "planned"
    approve_task(engine, vacuum["id"], "admin")
    ran = scheduler.tick(dt.datetime.fromisoformat(vacuum["due_at"]))
    assert [task["task"] for task in ran if task["task"] == "vacuum"] == ["vacuum"]


def test_missed_runs_are_caught_up_once(setup):
    engine, _, scheduler = setup
    _week(engine, scheduler)
    later = NOW + dt.timedelta(days=3, hours=2)  # three nights missed: the app was down
    ran = scheduler.tick(later)
    backups = [task for task in ran if task["task"] == "backup"]
    assert len(backups) == 1 and backups[0]["catch_up"]
    states = [task["state"] for task in maintenance_calendar(engine, NOW, later) if task["task"] == "backup"]
    assert states == ["skipped", "skipped", "done"]


def test_moving_is_validated_and_run_now_runs(setup):
    engine, settings, scheduler = setup
    task = _week(engine, scheduler)[0]
    with pytest.raises(ValueError, match="in the future"):
        move_task(engine, task["id"], NOW - dt.timedelta(hours=1), "admin", now=NOW)
    with pytest.raises(ValueError, match="30 days"):
        move_task(engine, task["id"], NOW + dt.timedelta(days=31), "admin", now=NOW)
    moved = move_task(engine, task["id"], NOW + dt.timedelta(days=2, hours=1), "admin", now=NOW)
    assert moved["moved_by"] == "admin" and moved["due_at"] == "2026-12-09T13:00:00"
    done = run_task_now(engine, settings, task["id"], "admin", now=NOW)
    assert done["state"] == "done" and done["approved_by"] == "admin"
    with pytest.raises(ValueError, match="only a planned or approved"):
        run_task_now(engine, settings, task["id"], "admin", now=NOW)
    assert {row["action"] for row in audit.query(engine)} == {"maintenance_move", "maintenance_run"}


def test_backups_are_consistent_copies_and_only_the_last_n_stay(setup, tmp_path):
    engine, _, _ = setup
    folder = tmp_path / "backups"
    for day in range(4):
        result = sqlite_backup(engine, folder, NOW + dt.timedelta(days=day), keep=2)
    assert sorted(path.name for path in folder.iterdir()) == ["foresight-20261209T120000.db",
                                                              "foresight-20261210T120000.db"]
    with closing(sqlite3.connect(result["backup"])) as copy:
        assert copy.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)


def test_with_celery_the_beat_ticks_the_scheduler(setup):
    _, settings, _ = setup
    celery_app = Celery("test-beat")
    register_maintenance_beat(settings, celery_app)
    assert celery_app.conf.beat_schedule["health-maintenance-tick"]["task"] == TICK_TASK
    assert TICK_TASK in celery_app.tasks


def test_the_monitor_step_ticks_every_five_minutes_in_process_only(setup):
    engine, settings, scheduler = setup
    first_night = dt.datetime.fromisoformat(_week(engine, scheduler)[0]["due_at"])
    assert maintenance_step(engine, settings, first_night - dt.timedelta(minutes=1), []) == []
    assert maintenance_step(engine, settings, first_night + dt.timedelta(minutes=1), []) == []  # within 5 minutes
    assert len(maintenance_step(engine, settings, first_night + dt.timedelta(minutes=5), [])) == 3
    with_redis = types.SimpleNamespace(**{**vars(settings), "redis_url": "redis://127.0.0.1:1/0"})
    assert maintenance_step(engine, with_redis, first_night + dt.timedelta(days=1, minutes=5), []) == []
