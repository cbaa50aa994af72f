"""Fault injection for real: a stopped Redis, a store locked by another connection, a disk over its limit, a
leaking worker process and a poison flood on the stream. For each: an incident opens, readiness shows what it can
of it, RCA ranks the injected component first, the matching runbook acts (or waits for approval) and the system
recovers with no source row lost. Time moves by explicit ticks; a real process is waited on with deadlines only.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import struct
import subprocess
import sys
import threading
import time

import psutil
import pytest
import redis

from core.health import (Point, approve_action, check_readiness, incident_step, list_actions, list_incidents,
                         record_points, run_runbook, runbook_step)
from core.health._incidents import RESOLVE_TICKS
from core.settings import Settings
from data import store
from data.schema import customers, orders
from data.stream import DEFAULT_STREAM, StreamingDataProcessor, dead_letter_stream
from tests.services import free_port, start_server, stop

T0 = dt.datetime(2026, 12, 7, 12, 0)
SOURCES = (customers, orders)


def _settings(tmp_path, **env) -> Settings:
    return Settings.from_env({"FORESIGHT_INSTANCE_DIR": str(tmp_path), "FORESIGHT_CHAT_MODEL": "none",
                              "FORESIGHT_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}", **env})


def _store(settings):
    engine = store.get_engine(settings.database_url)
    store.upgrade(engine)
    moment = dt.datetime(2026, 1, 1)
    with engine.begin() as connection:
        connection.execute(customers.insert(), [
            {"customer_id": i, "name": f"c{i}", "email": f"c{i}@example.com", "signup_date": dt.date(2025, 1, 1),
             "segment": "smb", "region": "EMEA", "channel": "web", "plan": "basic", "updated_at": moment}
            for i in range(1, 41)])
        connection.execute(orders.insert(), [
            {"order_id": i, "customer_id": 1 + i % 40, "order_date": dt.date(2025, 6, 1), "channel": "web",
             "updated_at": moment} for i in range(1, 101)])
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    return engine


def _counts(engine) -> dict[str, int]:
    return {table.name: store.row_count(engine, table) for table in SOURCES}


def _probe_points(settings, at, only) -> list[Point]:
    """What the collector records from readiness: each configured component's up and probe latency."""
    points = []
    for name, probe in check_readiness(settings, only=only).components.items():
        if probe.status != "not_configured":
            points += [Point(at, name, "up", 1.0 if probe.status == "ok" else 0.0),
                       Point(at, name, "probe_ms", float(probe.latency_ms or 0.0))]
    return points


def _tick(engine, settings, seconds, points):
    at = T0 + dt.timedelta(seconds=seconds)
    points = [dataclasses.replace(point, at=at) for point in points]
    record_points(engine, points)
    opened = incident_step(engine, settings, at, points)
    return opened, runbook_step(engine, settings, at, points)


def _recovers(engine, settings, start, points_at) -> None:
    for tick in range(RESOLVE_TICKS):
        _tick(engine, settings, start + 10 * tick, points_at(start + 10 * tick))
    assert list_incidents(engine, state="open") == []


def _start_redis(tmp_path, port):
    return start_server([shutil.which("redis-server"), "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                         "--appendonly", "no", "--dir", str(tmp_path)], "Ready to accept connections")


@pytest.mark.services
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_a_stopped_redis(tmp_path):
    port = free_port()
    server = _start_redis(tmp_path, port)
    settings = _settings(tmp_path, REDIS_URL=f"redis://127.0.0.1:{port}/0", FORESIGHT_HEALTH_PROBE_TIMEOUT="0.5")
    engine, only = _store(settings), ("store", "cache", "redis")
    before = _counts(engine)
    try:
        assert _tick(engine, settings, 0, _probe_points(settings, T0, only)) == ([], [])
        stop(server)
        readiness = check_readiness(settings, only=only)
        assert not readiness.ready and readiness.components["redis"].status == "down"
        [incident], requested = _tick(engine, settings, 10, _probe_points(settings, T0, only))
        assert incident.causes[0]["component"] == "redis" and {"redis", "cache"} <= incident.components()
        assert [(a["runbook"], a["state"]) for a in requested] == [("replay_stream", "pending")]
        server = _start_redis(tmp_path, port)
        _recovers(engine, settings, 20, lambda s: _probe_points(settings, T0, only))
        assert check_readiness(settings, only=only).ready
        assert approve_action(engine, requested[0]["id"], "admin", settings)["state"] == "done"
    finally:
        stop(server)
    assert _counts(engine) == before


def test_a_store_locked_by_another_connection(tmp_path):
    import sqlite3

    settings = _settings(tmp_path, FORESIGHT_HEALTH_PROBE_TIMEOUT="0.3")
    engine = _store(settings)
    before = _counts(engine)
    assert _tick(engine, settings, 0, _probe_points(settings, T0, ("store",))) == ([], [])
    engine.dispose()  # the other connection takes the lock while nobody is inside the store
    holder = sqlite3.connect(str(tmp_path / "store.db"), isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE customers SET name = name")
    released = threading.Event()
    threading.Timer(2.0, lambda: (holder.execute("ROLLBACK"), holder.close(), released.set())).start()
    assert check_readiness(settings, only=("store",)).components["store"].status == "down"  # /readyz: 503
    slow = _settings(tmp_path, FORESIGHT_HEALTH_PROBE_TIMEOUT="10")
    points = _probe_points(slow, T0, ("store",))  # answers once the lock is gone: slowly
    assert released.is_set() and next(p.value for p in points if p.metric == "probe_ms") > 1000
    [incident], requested = _tick(engine, settings, 10, points)
    assert incident.causes[0]["component"] == "store" and incident.signals[0].kind == "slow"
    assert [(a["runbook"], a["state"]) for a in requested] == [("vacuum_store", "pending")]
    assert approve_action(engine, requested[0]["id"], "admin", settings)["state"] == "done"
    _recovers(engine, settings, 20, lambda s: _probe_points(settings, T0, ("store",)))
    assert check_readiness(settings, only=("store",)).ready and _counts(engine) == before


def test_a_disk_over_its_limit(tmp_path):
    settings = _settings(tmp_path)
    engine = _store(settings)
    before = _counts(engine)
    used = psutil.disk_usage(str(settings.health.disk_path)).percent
    low = dataclasses.replace(settings, health=dataclasses.replace(
        settings.health, limits=dataclasses.replace(settings.health.limits, disk_percent=max(1.0, used - 5))))
    now = int(time.time())
    expired = [settings.cache_dir / f"old{i}" for i in range(5)]
    for path in expired:
        path.write_bytes(struct.pack("I", now - 60) + b"x" * 4096)
    valid = settings.cache_dir / "valid"
    valid.write_bytes(struct.pack("I", now + 3600) + b"y")

    def disk(_seconds):
        return [Point(T0, "host", "disk_percent", psutil.disk_usage(str(settings.health.disk_path)).percent)]

    [incident], [action] = _tick(engine, low, 0, disk(0))
    assert incident.causes[0]["component"] == "host" and incident.signals[0].kind == "limit"
    assert action["runbook"] == "prune_cache" and action["state"] == "done" and action["result"]["removed_files"] == 5
    assert not any(path.exists() for path in expired) and valid.exists()
    assert check_readiness(settings, only=("store", "cache")).ready  # a full disk is the monitor's, not readiness's
    _recovers(engine, settings, 10, disk)  # the limit raised back (or the disk freed)
    assert _counts(engine) == before


_LEAKER = ("import sys\nheld = []\nfor line in sys.stdin:\n    held.append(b'x' * (4 << 20))\n"
           "    print(len(held), flush=True)\n")


def _leaking_worker(settings):
    """A process that looks like this deployment's Celery worker (command line, store) and leaks 4 MB per line."""
    return subprocess.Popen([sys.executable, "-c", _LEAKER, "celery", "-A", "app:celery_app", "worker"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "FORESIGHT_DATABASE_URL": settings.database_url})


def _grow(process) -> float:
    process.stdin.write("more\n")
    process.stdin.flush()
    process.stdout.readline()
    return float(psutil.Process(process.pid).memory_info().rss)


def test_a_leaking_worker(tmp_path):
    settings = _settings(tmp_path)
    engine = _store(settings)
    before = _counts(engine)
    worker = _leaking_worker(settings)
    try:
        opened, requested = [], []
        for step in range(16):  # every 5 minutes for 80 minutes
            at = T0 + dt.timedelta(minutes=5 * step)
            point = Point(at, "worker", "rss_bytes", _grow(worker))
            record_points(engine, [point])
            opened += incident_step(engine, settings, at, [point])
            requested += runbook_step(engine, settings, at, [point])
        [incident] = opened
        assert incident.causes[0]["component"] == "worker" and incident.signals[0].kind == "leak"
        [action] = requested
        assert action["runbook"] == "restart_worker" and action["state"] == "pending"
        assert action["plan"]["process"]["pid"] == worker.pid
        done = approve_action(engine, action["id"], "admin", settings)
        assert done["state"] == "done" and done["result"]["signalled"]
        assert worker.wait(timeout=30) != 0  # ended by SIGTERM
    finally:
        worker.kill()
        worker.wait()
    fresh = _leaking_worker(settings)  # what the process manager does: a new worker, its memory flat
    try:
        rss = _grow(fresh)
        later = T0 + dt.timedelta(hours=4)
        for tick in range(RESOLVE_TICKS + 1):
            at = later + dt.timedelta(minutes=tick)
            point = Point(at, "worker", "rss_bytes", rss)
            record_points(engine, [point])
            incident_step(engine, settings, at, [point])
    finally:
        fresh.kill()
        fresh.wait()
    assert list_incidents(engine, state="open") == [] and _counts(engine) == before


@pytest.mark.services
def test_a_poison_flood_on_the_stream(tmp_path, clean_redis):
    from core.health import Collector

    settings = _settings(tmp_path, REDIS_URL=clean_redis, FORESIGHT_HEALTH_PROBE_TIMEOUT="0.2")
    engine = _store(settings)
    before = _counts(engine)
    client = redis.Redis.from_url(clean_redis)
    collector = Collector(engine, settings)

    def stream_points(_seconds):
        return [p for p in collector.collect_once(T0) if p.component == "stream" and p.metric == "dead_letters"]

    processor = StreamingDataProcessor(redis_url=clean_redis, database_url=settings.database_url, block_ms=10,
                                       linger_ms=0).start()
    assert _tick(engine, settings, 0, stream_points(0)) == ([], [])
    for i in range(20):
        client.xadd(DEFAULT_STREAM, {"event_id": f"poison-{i}", "type": "nonsense", "payload": "{not json"})
    deadline = time.monotonic() + 30
    while processor.metrics_.dead_lettered < 20 and time.monotonic() < deadline:
        processor.step()
    processor.close()
    assert client.xlen(dead_letter_stream(DEFAULT_STREAM)) == 20
    [incident], [action] = _tick(engine, settings, 10, stream_points(10))
    assert incident.causes[0]["component"] == "stream" and incident.signals[0].kind == "dead_letters"
    assert action["runbook"] == "replay_stream" and action["state"] == "pending"
    assert check_readiness(settings, only=("redis",)).ready  # the broker is fine; the poison is the stream's
    dry = run_runbook(engine, settings, "replay_stream", "admin", dry_run=True)
    assert dry["state"] == "dry_run" and dry["plan"]["dead_letters"] == 20 and dry["plan"]["pending"] == 0
    assert approve_action(engine, action["id"], "admin", settings)["result"]["dead_letters_after"] == 20
    assert client.xlen(dead_letter_stream(DEFAULT_STREAM)) == 20  # reported, never deleted
    _recovers(engine, settings, 20, stream_points)
    assert _counts(engine) == before and len(list_actions(engine, runbook="replay_stream")) == 2
