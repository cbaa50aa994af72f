"""System health signals (issue 17): what the monitor costs, how fast the probes answer, what the metrics take on disk.

* collector: ``--ticks`` monitor ticks back to back in this process (lease, collect with psutil and every probe, record
  the points) on a migrated SQLite store; CPU is this process's user + system time per tick, as a percentage of one
  core at the default 10 s interval; RSS is the process's resident memory after the ticks, what the first tick
  added (the readers' imports) and how much it grew over the measured ticks;
* endpoints: ``app:server`` under gunicorn with gunicorn.conf.py (2 workers, multiprocess metrics) on loopback,
  ``--requests`` sequential requests to ``/readyz`` and ``/metrics`` on one keep-alive connection after warm-ups,
  p50 and p95 in milliseconds; with ``--with-redis`` again with a private redis-server and one Celery worker, so
  ``/readyz`` also pings Redis and the worker;
* storage: the points of one real collection, recorded ``--storage-ticks`` times at 10 s steps; bytes per raw point
  from the SQLite file's growth (after a WAL checkpoint), then per day and in the steady state (raw 2 days, 1-minute
  points 30 days, 1-hour points a year).

    python -m benchmarks.health --with-redis --out benchmarks/health.json

* fault to incident (``--faults``): the served app with a private redis-server and one Celery worker, the monitor at
  its default 10 s interval; once it has collected twice with nothing open, kill the Celery worker, then stop Redis,
  and time each fault until the monitor's incident for it is open in the store and until ``/readyz`` answers 503.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests

from benchmarks._common import free_port, print_result, table

ROOT = Path(__file__).resolve().parent.parent
INTERVAL_S = 10.0


def _settings(folder: Path):
    from core.settings import Settings

    return Settings.from_env({"FORESIGHT_INSTANCE_DIR": str(folder), "FORESIGHT_SECRET_KEY": "benchmark-health",
                              "FORESIGHT_CHAT_MODEL": "none"})


def _store(folder: Path):
    from data.store import get_engine, upgrade

    settings = _settings(folder)
    engine = get_engine(settings.database_url)
    upgrade(engine)
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    return engine, settings


def collector_overhead(folder: Path, ticks: int) -> dict:
    """CPU per monitor tick and the process's RSS (see the module's doc)."""
    from core.health import Monitor

    engine, settings = _store(folder)
    process = psutil.Process()
    rss_start = process.memory_info().rss
    monitor = Monitor(engine, settings)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    monitor.tick(now)  # the first tick starts psutil's CPU readings and imports what the readers need
    rss_before = process.memory_info().rss
    cpu_before, wall_before = process.cpu_times(), time.perf_counter()
    points = 0
    for number in range(1, ticks + 1):
        points += len(monitor.tick(now + dt.timedelta(seconds=INTERVAL_S * number)) or [])
    cpu_after, wall = process.cpu_times(), time.perf_counter() - wall_before
    cpu_s = (cpu_after.user - cpu_before.user + cpu_after.system - cpu_before.system) / ticks
    rss = process.memory_info().rss
    return {"ticks": ticks, "points_per_tick": round(points / ticks, 1), "cpu_ms_per_tick": round(cpu_s * 1000, 2),
            "wall_ms_per_tick": round(wall / ticks * 1000, 2),
            "cpu_percent_of_one_core_at_10s": round(cpu_s / INTERVAL_S * 100, 3),
            "rss_mb": round(rss / 1e6, 1), "rss_first_tick_mb": round((rss_before - rss_start) / 1e6, 1),
            "rss_growth_over_ticks_mb": round((rss - rss_before) / 1e6, 1)}


def _file_bytes(engine, path: Path) -> int:
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(file.stat().st_size for file in (path, Path(f"{path}-wal")) if file.is_file())


def storage_per_day(folder: Path, ticks: int) -> dict:
    """Bytes per raw point and per day of metrics (see the module's doc)."""
    from core.health import Collector, Point, record_points

    engine, settings = _store(folder)
    start = dt.datetime(2026, 1, 1)
    collector = Collector(engine, settings)
    collector.collect_once(start - dt.timedelta(seconds=INTERVAL_S))
    collected = collector.collect_once(start)  # the second collection has the rates too
    path = folder / "foresight.db"
    before = _file_bytes(engine, path)
    for number in range(ticks):
        at = start + dt.timedelta(seconds=INTERVAL_S * number)
        record_points(engine, [Point(at, point.component, point.metric, point.value) for point in collected])
    grown = _file_bytes(engine, path) - before
    per_point = grown / (ticks * len(collected))
    per_tick = len(collected)
    raw_per_day = per_tick * 86400 / INTERVAL_S
    steady_points = raw_per_day * 2 + per_tick * 1440 * 30 + per_tick * 24 * 365
    return {"points_per_tick": per_tick, "recorded_points": ticks * per_tick,
            "bytes_per_raw_point": round(per_point, 1),
            "raw_points_per_day": int(raw_per_day), "raw_mb_per_day": round(raw_per_day * per_point / 1e6, 1),
            "steady_state_mb": round(steady_points * per_point / 1e6, 1)}


def _env(folder: Path, port: int, redis_url: str | None) -> dict:
    env = {**{key: value for key, value in os.environ.items() if not key.startswith(("FORESIGHT_", "PROMETHEUS_"))},
           "FORESIGHT_INSTANCE_DIR": str(folder), "FORESIGHT_SECRET_KEY": "benchmark-health-0123456789abcdef",
           "FORESIGHT_CHAT_MODEL": "none", "WEB_CONCURRENCY": "2", "HOST": "127.0.0.1", "PORT": str(port)}
    env.pop("REDIS_URL", None)
    return {**env, "REDIS_URL": redis_url} if redis_url else env


def _start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    """A private redis-server on a free port, ready when it answers PING."""
    import redis

    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                               "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            redis.Redis.from_url(url).ping()
            return server, url
        except redis.ConnectionError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("redis-server did not start")


def _start_worker(folder: Path, env: dict) -> subprocess.Popen:
    """One Celery worker for the app (the Procfile's), ready once it answers a ping."""
    from celery import Celery

    log = open(folder / "celery-health.log", "w")
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "app:celery_app", "worker", "--pool=solo",
                               "--loglevel=WARNING"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    probe = Celery("ping", broker=env["REDIS_URL"], backend=env["REDIS_URL"])
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and worker.poll() is None:
        if probe.control.ping(timeout=1.0, limit=1):
            return worker
    worker.kill()
    raise RuntimeError(f"the Celery worker did not answer a ping:\n{Path(log.name).read_text()[-3000:]}")


def _serve(folder: Path, port: int, redis_url: str | None) -> subprocess.Popen:
    """gunicorn app:server with gunicorn.conf.py (2 workers) on 127.0.0.1:``port``, once /healthz answers."""
    _store(folder)
    log = open(folder / "gunicorn-health.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "app:server", "--config", "gunicorn.conf.py"],
                              cwd=ROOT, env=_env(folder, port, redis_url), stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok:
                return server
        except requests.RequestException:  # still booting
            time.sleep(0.5)
    server.kill()
    raise RuntimeError(f"gunicorn did not answer /healthz in time; see {log.name}")


def endpoint_latency(folder: Path, count: int, with_redis: bool = False) -> list[dict]:
    """p50/p95 of /readyz and /metrics against the served app (with Redis and a Celery worker: their probes too)."""
    port = free_port()
    helpers: list[subprocess.Popen] = []
    redis_url = None
    rows = []
    setup = "with Redis and a Celery worker" if with_redis else "SQLite, file cache"
    try:
        if with_redis:
            redis_server, redis_url = _start_redis(folder / "redis")
            helpers.append(redis_server)
            _store(folder)
            helpers.append(_start_worker(folder, _env(folder, port, redis_url)))
        helpers.append(_serve(folder, port, redis_url))
        session = requests.Session()
        for path in ("/readyz", "/metrics", "/healthz"):
            url = f"http://127.0.0.1:{port}{path}"
            for _ in range(5):
                session.get(url, timeout=10)
            samples, statuses, size = [], set(), 0
            for _ in range(count):
                started = time.perf_counter()
                answer = session.get(url, timeout=10)
                samples.append(time.perf_counter() - started)
                statuses.add(answer.status_code)
                size = len(answer.content)
            cuts = statistics.quantiles(samples, n=20, method="inclusive")
            rows.append({"endpoint": path, "setup": setup, "requests": count,
                         "status": ",".join(map(str, sorted(statuses))),
                         "bytes": size, "p50_ms": round(statistics.median(samples) * 1000, 2),
                         "p95_ms": round(cuts[18] * 1000, 2)})
    finally:
        for process in reversed(helpers):
            process.terminate()
            process.wait(timeout=30)
    return rows


def _opened_since(engine, moment: dt.datetime, components: set[str]) -> dict | None:
    """The first open incident holding a signal of one of ``components`` raised at or after ``moment`` (a new
    incident, or one already open that the fault joined: one failure, one incident)."""
    from sqlalchemy import select

    from data.schema import health_incidents

    table = health_incidents.c
    query = select(health_incidents).where(table.state == "open", table.updated_at >= moment).order_by(table.id)
    with engine.connect() as connection:
        for row in connection.execute(query).mappings():
            if any(signal.get("component") in components and dt.datetime.fromisoformat(signal["at"]).replace(
                    tzinfo=None) >= moment for signal in json.loads(row["signals"])):
                return dict(row)
    return None


def _wait_for(check, timeout: float, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(step)
    return None


def _time_fault(engine, port: int, name: str, components: set[str], inject) -> dict:
    """Inject a fault; seconds until /readyz says 503 and until the monitor's incident for it is open."""
    moment = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    started = time.monotonic()
    inject()
    unready = _wait_for(lambda: requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10).status_code == 503, 60)
    readyz_s = time.monotonic() - started if unready else None
    incident = _wait_for(lambda: _opened_since(engine, moment, components), 120)
    return {"fault": name, "readyz_503_s": round(readyz_s, 2) if readyz_s is not None else None,
            "incident_s": round(time.monotonic() - started, 2) if incident else None,
            "incident": incident["title"] if incident else None, "incident_id": incident["id"] if incident else None,
            "root_cause": json.loads(incident["causes"])[0]["component"] if incident else None}


def fault_to_incident(folder: Path) -> list[dict]:
    """Kill the Celery worker, then stop Redis, under the served app's monitor (10 s interval): time to each incident."""
    from data.store import get_engine

    port = free_port()
    redis_server, redis_url = _start_redis(folder / "redis")
    engine, _ = _store(folder)
    worker = _start_worker(folder, _env(folder, port, redis_url))
    server = None
    try:
        server = _serve(folder, port, redis_url)
        engine = get_engine(_settings(folder).database_url)
        requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10)  # a request starts the monitor
        from sqlalchemy import func, select

        from data.schema import health_incidents, health_metrics

        def settled() -> bool:
            with engine.connect() as connection:
                ticks = connection.execute(select(func.count(func.distinct(health_metrics.c.at))).where(
                    health_metrics.c.component == "host", health_metrics.c.metric == "cpu_percent")).scalar_one()
                open_now = connection.execute(select(func.count()).select_from(health_incidents).where(
                    health_incidents.c.state == "open")).scalar_one()
            return ticks >= 2 and open_now == 0

        if not _wait_for(settled, 120, 0.5):
            raise RuntimeError("the monitor did not collect twice with nothing open within 2 minutes")
        rows = [_time_fault(engine, port, "Celery worker killed", {"worker"}, worker.kill)]
        rows.append(_time_fault(engine, port, "Redis stopped", {"redis"}, redis_server.terminate))
        return rows
    finally:
        for process in (server, worker, redis_server):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ticks", type=int, default=60, help="monitor ticks measured for the collector's cost")
    parser.add_argument("--requests", type=int, default=200, help="requests per endpoint")
    parser.add_argument("--storage-ticks", type=int, default=2000, help="collections recorded for the storage")
    parser.add_argument("--with-redis", action="store_true",
                        help="also serve with a private redis-server and one Celery worker (/readyz pings it)")
    parser.add_argument("--faults", action="store_true",
                        help="also time injected faults (Celery worker killed, Redis stopped) until their incidents")
    parser.add_argument("--out", type=Path, help="write the JSON result here")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nf-health-bench-") as scratch:
        folder = Path(scratch)
        collector = collector_overhead(folder / "collector", args.ticks)
        storage = storage_per_day(folder / "storage", args.storage_ticks)
        endpoints = endpoint_latency(folder / "served", args.requests)
        if args.with_redis:
            endpoints += endpoint_latency(folder / "served-redis", args.requests, with_redis=True)
        faults = fault_to_incident(folder / "faults") if args.faults else []
    result = {"benchmark": "health", "date": dt.date.today().isoformat(), "cores": psutil.cpu_count(),
              "load1_at_end": round(os.getloadavg()[0], 2), "interval_s": INTERVAL_S, "collector": collector,
              "storage": storage, "endpoints": endpoints, "faults": faults,
              "command": "python -m benchmarks.health " + " ".join(argv if argv is not None else sys.argv[1:])}
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    readyz = max((row for row in endpoints if row["endpoint"] == "/readyz"), key=lambda row: row["p95_ms"])
    verdict = (f"collector: {collector['cpu_percent_of_one_core_at_10s']} % of one core at 10 s (target < 1 %); "
               f"/readyz p95 {readyz['p95_ms']} ms (target < 50 ms); "
               f"storage {storage['raw_mb_per_day']} MB of raw points per day, {storage['steady_state_mb']} MB steady")
    if faults:
        verdict += "; fault to incident " + ", ".join(f"{row['fault']} {row['incident_s']} s" for row in faults)
    tables = [table([collector]), table([storage]), table(endpoints)] + ([table(faults)] if faults else [])
    print_result(result, "\n\n".join(tables), verdict,
                 json_only=args.json)


if __name__ == "__main__":
    main()
