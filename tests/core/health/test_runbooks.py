"""Runbooks: the catalogue, auto and approval modes, the hourly limit, dry runs, the audit record, and the promise
that no runbook deletes user data (source rows, the store file, uploads)."""
from __future__ import annotations

import datetime as dt
import os
import struct
import subprocess
import sys
import time
import types

import pytest
from sqlalchemy import func, select

from core.auth import audit
from core.health import (RUNBOOKS, Point, approve_action, incident_step, list_actions, reject_action, run_runbook,
                         runbook_catalogue, runbook_step, set_runbook_mode)
from core.health._processes import app_processes
from data import store
from data.schema import customers, orders

T0 = dt.datetime(2026, 12, 7, 12, 0)


@pytest.fixture
def setup(tmp_path):
    engine = store.get_engine(f"sqlite:///{tmp_path / 'store.db'}")
    store.upgrade(engine)
    cache = tmp_path / "cache"
    cache.mkdir()
    settings = types.SimpleNamespace(redis_url=None, cache_dir=cache, instance_dir=tmp_path,
                                     database_url=f"sqlite:///{tmp_path / 'store.db'}", alerts=None)
    return engine, settings


def _cache_file(folder, name: str, expires: int, size: int = 1000):
    path = folder / name
    path.write_bytes(struct.pack("I", expires) + b"x" * size)
    return path


def _disk_full(engine, settings, at=T0):
    points = [Point(at, "host", "disk_percent", 97.0)]
    incident_step(engine, settings, at, points)
    return runbook_step(engine, settings, at, points)


def test_the_catalogue_has_the_five_safe_actions(setup):
    engine, _ = setup
    assert [r.name for r in RUNBOOKS] == ["prune_cache", "restart_worker", "replay_stream", "vacuum_store",
                                          "reload_model"]
    catalogue = runbook_catalogue(engine)
    assert all({"mode", "max_per_hour", "enabled", "runs_last_hour", "description"} <= set(item) for item in catalogue)
    assert {item["name"]: item["mode"] for item in catalogue}["prune_cache"] == "auto"


def test_an_auto_runbook_acts_on_its_trigger_once_and_keeps_valid_entries(setup):
    engine, settings = setup
    old = [_cache_file(settings.cache_dir, f"old{i}", int(time.time()) - 60) for i in range(3)]
    keep = _cache_file(settings.cache_dir, "valid", int(time.time()) + 3600)
    forever = _cache_file(settings.cache_dir, "forever", 0)
    [action] = _disk_full(engine, settings)
    assert action["state"] == "done" and action["mode"] == "auto" and action["incident_id"] is not None
    assert action["result"]["removed_files"] == 3 and action["plan"]["files"] == 3
    assert not any(path.exists() for path in old) and keep.exists() and forever.exists()
    assert _disk_full(engine, settings, T0 + dt.timedelta(seconds=10)) == []  # not asked again for this incident


def test_an_approval_runbook_waits_then_runs_or_is_rejected_with_audit(setup):
    engine, settings = setup
    set_runbook_mode(engine, "prune_cache", "approval", "admin")
    [pending] = _disk_full(engine, settings)
    assert pending["state"] == "pending"
    done = approve_action(engine, pending["id"], "admin", settings)
    assert done["state"] == "done" and done["decided_by"] == "admin"
    with pytest.raises(ValueError, match="only a pending one"):
        reject_action(engine, pending["id"], "admin")
    actions = [row["action"] for row in audit.query(engine)]
    assert {"runbook_mode", "runbook_approve"} <= set(actions)
    [second] = _disk_full(engine, settings, T0 + dt.timedelta(hours=1))
    rejected = reject_action(engine, second["id"], "admin")
    assert rejected["state"] == "rejected" and rejected["result"] is None


def test_past_its_hourly_limit_a_runbook_is_limited_not_run(setup):
    engine, settings = setup
    set_runbook_mode(engine, "vacuum_store", "approval", "admin", max_per_hour=1)
    assert run_runbook(engine, settings, "vacuum_store", "admin")["state"] == "done"
    limited = run_runbook(engine, settings, "vacuum_store", "admin")
    assert limited["state"] == "limited" and "limit" in limited["result"]["why"]
    with pytest.raises(ValueError, match="unknown runbook mode"):
        set_runbook_mode(engine, "vacuum_store", "sometimes", "admin")


def test_a_dry_run_records_the_plan_and_touches_nothing(setup):
    engine, settings = setup
    old = _cache_file(settings.cache_dir, "old", int(time.time()) - 60)
    action = run_runbook(engine, settings, "prune_cache", "admin", dry_run=True)
    assert action["state"] == "dry_run" and action["plan"]["files"] == 1 and old.exists()
    assert list_actions(engine, state="dry_run")[0]["id"] == action["id"]


def test_no_runbook_deletes_user_data(setup, tmp_path):
    engine, settings = setup
    now = dt.datetime(2026, 1, 1)
    with engine.begin() as connection:
        connection.execute(customers.insert(), [
            {"customer_id": i, "name": f"c{i}", "email": f"c{i}@example.com", "signup_date": dt.date(2025, 1, 1),
             "segment": "smb", "region": "EMEA", "channel": "web", "plan": "basic", "updated_at": now}
            for i in range(50)])
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "mine.csv").write_text("a,b\n1,2\n")
    for name in ("prune_cache", "vacuum_store", "replay_stream", "restart_worker", "reload_model"):
        assert run_runbook(engine, settings, name, "admin")["state"] == "done"
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(customers)).scalar_one() == 50
        assert connection.execute(select(func.count()).select_from(orders)).scalar_one() == 0
    assert (uploads / "mine.csv").read_text() == "a,b\n1,2\n" and (tmp_path / "store.db").is_file()


def test_only_this_deployments_own_processes_are_targets():
    code, ours_url = "import sys; sys.stdin.read()", "sqlite:////srv/ours/foresight.db"

    def start(app: str, url: str):
        return subprocess.Popen([sys.executable, "-c", code, "celery", "-A", app, "worker"], stdin=subprocess.PIPE,
                                env={**os.environ, "FORESIGHT_DATABASE_URL": url})

    other_app, other_deployment, ours = (start("other:app", ours_url), start("app:celery_app", "sqlite:///x.db"),
                                         start("app:celery_app", ours_url))
    try:
        found = {process.pid for process in app_processes("worker", ours_url)}
        assert found == {ours.pid}
        assert {ours.pid, other_deployment.pid} <= {process.pid for process in app_processes("worker")}
    finally:
        for process in (other_app, other_deployment, ours):
            process.stdin.close()
            process.wait(timeout=30)
    assert app_processes("worker", ours_url) == []
    with pytest.raises(ValueError, match="unknown process kind"):
        app_processes("postgres")


def test_the_command_line_runs_a_dry_run_and_refuses_unknown_runbooks(setup, tmp_path, monkeypatch, capsys):
    import json

    from core.health.__main__ import main

    engine, _ = setup
    monkeypatch.setenv("FORESIGHT_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("FORESIGHT_CHAT_MODEL", "none")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert main(["--json", "--database-url", url, "run", "vacuum_store", "--dry-run"]) == 0
    action = json.loads(capsys.readouterr().out)
    assert action["state"] == "dry_run" and action["decided_by"] == "cli"
    assert main(["--database-url", url, "run", "nope"]) == 2
    assert "unknown runbook 'nope'" in capsys.readouterr().err
    assert main(["--json", "--database-url", url, "maintenance", "plan"]) == 0
    assert {task["task"] for task in json.loads(capsys.readouterr().out)} >= {"backup", "vacuum"}
    assert main(["--database-url", url, "status"]) == 0 and "no metrics" in capsys.readouterr().out
    assert [a["id"] for a in list_actions(engine)] == [action["id"]]


@pytest.mark.services
def test_on_postgresql_incidents_runbooks_and_the_calendar_work(postgres_database, tmp_path):
    from core.health import MaintenanceScheduler, list_incidents

    engine = store.get_engine(postgres_database)
    store.upgrade(engine)
    settings = types.SimpleNamespace(redis_url=None, cache_dir=tmp_path / "cache", instance_dir=tmp_path,
                                     database_url=postgres_database, alerts=None)
    set_runbook_mode(engine, "vacuum_store", "auto", "admin")
    points = [Point(T0, "store", "probe_ms", 5000.0), Point(T0, "store", "up", 1.0)]
    [incident] = incident_step(engine, settings, T0, points)
    assert incident.causes[0]["component"] == "store" and list_incidents(engine, state="open")
    [action] = runbook_step(engine, settings, T0, points)
    assert action["runbook"] == "vacuum_store" and action["state"] == "done", action["result"]
    backups = MaintenanceScheduler(engine, settings)
    backups.plan(T0)
    ran = backups.tick(T0 + dt.timedelta(days=1, hours=1))
    backup = next(task for task in ran if task["task"] == "backup")
    assert "not a SQLite file" in backup["result"]["skipped"]


def test_a_restart_is_not_asked_for_when_no_worker_process_runs(setup):
    engine, settings = setup
    points = [Point(T0, "worker", "up", 0.0)]
    [incident] = incident_step(engine, settings, T0, points)
    assert incident.component == "worker"
    assert [a["runbook"] for a in runbook_step(engine, settings, T0, points)] == []
