"""One collection of every health metric (``_names.METRICS``): the host and the app's processes (psutil), the app's
instrumentation (requests, callbacks, cache, store statements; across gunicorn workers), the job queue, the store's
size and quarantine rate, the stream's lag and dead letters, and each component's readiness probe.

Every reader fails soft: a component that is not configured (no Redis, no model process) adds no points, and a
reader that raises is logged once and skipped, so ``collect_once`` never raises. Rates (I/O per second, requests per
second, error share, p95 latencies, hit rate) come from the difference to the previous collection, so the first
collection has none of them.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import psutil
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from core.health._instrument import WebTotals, instrument_engine, web_totals
from core.health._metric_store import Point
from core.health._proc_usage import ProcessTable
from core.health._ready import DOWN, NOT_CONFIGURED, OK, check_readiness

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = ["Collector"]

log = logging.getLogger(__name__)

Values = dict[str, dict[str, float]]  # component -> metric -> value


def _p95_ms(now: dict[float, float], before: dict[float, float]) -> float | None:
    """The 95th percentile in ms of the observations between two readings of a cumulative histogram (interpolated
    inside its bucket); None without observations."""
    bounds = sorted(now)
    counts = [now[bound] - before.get(bound, 0.0) for bound in bounds]
    if not counts or counts[-1] <= 0:
        return None
    target, lower, below = 0.95 * counts[-1], 0.0, 0.0
    for bound, count in zip(bounds, counts):
        if count >= target:
            if bound == float("inf"):
                return lower * 1000
            share = (target - below) / (count - below) if count > below else 1.0
            return (lower + share * (bound - lower)) * 1000
        lower, below = bound, count
    return lower * 1000


class Collector:
    """Collects every health metric for ``settings`` (the app's ``Settings``); ``collect_once(now)`` -> points.

    ``status`` holds, after each collection, each component's ``ok``, ``down`` or ``not_configured``.
    """

    def __init__(self, engine: Engine, settings: "Settings"):
        self.engine, self.settings = engine, settings
        self.status: dict[str, str] = {}
        self._processes = ProcessTable(settings.database_url)
        self._previous: dict[str, tuple[float, object]] = {}  # reader -> (monotonic time, its cumulative reading)
        self._failed: set[str] = set()
        self._model_seen = False  # whether the chat's model process has answered since this collector started
        instrument_engine(engine)
        psutil.cpu_percent(None)  # starts the host's CPU measurement

    def collect_once(self, now: dt.datetime) -> list[Point]:
        """Read every metric once; points stamped ``now``."""
        values: Values = {}
        readers: tuple[Callable[[Values], None], ...] = (
            self._host, self._process_usage, self._web, self._queue, self._store, self._stream, self._probes)
        for reader in readers:
            try:
                reader(values)
                self._failed.discard(reader.__name__)
            except Exception:  # noqa: BLE001 — one failing reader must not stop the others
                if reader.__name__ not in self._failed:
                    log.warning("health: reading %s failed; it is skipped until it works", reader.__name__,
                                exc_info=True)
                self._failed.add(reader.__name__)
        return [Point(now, component, metric, float(value))
                for component, metrics in values.items() for metric, value in metrics.items() if value is not None]

    def _delta(self, name: str, reading) -> tuple[float, object] | None:
        """(seconds since, previous reading) of cumulative reader ``name``; None the first time."""
        moment = time.monotonic()
        previous = self._previous.get(name)
        self._previous[name] = (moment, reading)
        if previous is None or moment <= previous[0]:
            return None
        return moment - previous[0], previous[1]

    def _host(self, values: Values) -> None:
        host = values.setdefault("host", {})
        disk = psutil.disk_usage(str(self.settings.health.disk_path))
        host.update(cpu_percent=psutil.cpu_percent(None), memory_percent=psutil.virtual_memory().percent,
                    swap_percent=psutil.swap_memory().percent, disk_percent=disk.percent,
                    disk_free_bytes=disk.free, load1=os.getloadavg()[0], up=1.0)
        io, net = psutil.disk_io_counters(), psutil.net_io_counters()
        reading = (io.read_bytes if io else 0, io.write_bytes if io else 0, net.bytes_sent, net.bytes_recv)
        delta = self._delta("host", reading)
        if delta is not None:
            seconds, before = delta
            rates = [max(0.0, (after - earlier) / seconds) for after, earlier in zip(reading, before)]
            host.update(zip(("disk_read_bytes_s", "disk_write_bytes_s", "net_sent_bytes_s", "net_recv_bytes_s"),
                            rates))

    def _process_usage(self, values: Values) -> None:
        usage = self._processes.usage()
        # The stream processor is optional even with Redis (the Procfile runs none): _probes decides whether the
        # deployment uses it.
        configured = {"web": True, "worker": bool(self.settings.redis_url), "model": self.settings.chat.model != "none"}
        for kind, is_configured in configured.items():
            if kind in usage:
                values.setdefault(kind, {}).update(usage[kind])
            elif is_configured:  # expected but not running: say so with a count of 0
                values.setdefault(kind, {})["processes"] = 0.0

    def _web(self, values: Values) -> None:
        totals = web_totals(self.settings.health.metrics_dir)
        delta = self._delta("web", totals)
        if delta is None:
            return
        seconds, before = delta
        assert isinstance(before, WebTotals)
        requests = totals.requests - before.requests
        web = values.setdefault("web", {})
        web.update(request_rate=max(0.0, requests / seconds),
                   request_error_rate=(totals.errors - before.errors) / requests if requests > 0 else 0.0,
                   request_p95_ms=_p95_ms(totals.request_buckets, before.request_buckets),
                   callback_p95_ms=_p95_ms(totals.callback_buckets, before.callback_buckets))
        gets = (totals.cache_hits - before.cache_hits) + (totals.cache_misses - before.cache_misses)
        if gets > 0:
            values.setdefault("cache", {})["hit_rate"] = (totals.cache_hits - before.cache_hits) / gets
        queries = totals.queries - before.queries
        if queries > 0:
            values.setdefault("store", {})["query_ms"] = (totals.query_seconds - before.query_seconds) / queries * 1000

    def _queue(self, values: Values) -> None:
        """API jobs queued or running (their records are in the results cache) plus Celery's queue with Redis."""
        from core.api.jobs import active
        from core.cache import cache

        jobs: list[dict] = []
        if getattr(cache, "app", None) is not None:  # else no app bound the cache: no job records to read
            with cache.app.app_context():
                jobs = active()
        now = dt.datetime.now(dt.timezone.utc)
        ages = {state: [(now - dt.datetime.fromisoformat(job["created_at"])).total_seconds()
                        for job in jobs if job["state"] == state] for state in ("queued", "running")}
        length = float(len(jobs))
        if self.settings.redis_url:
            from core.health._ready import _redis_client

            length += _redis_client(self.settings.redis_url, self.settings.health.probe_timeout_s).llen("celery")
        values.setdefault("worker", {}).update(queue_length=length, job_wait_s=max(ages["queued"], default=0.0),
                                               job_run_s=max(ages["running"], default=0.0))

    def _store(self, values: Values) -> None:
        from data.schema import ingest_runs

        store = values.setdefault("store", {})
        with self.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                store["size_bytes"] = connection.execute(text("SELECT pg_database_size(current_database())")).scalar()
            else:
                path = Path(self.engine.url.database or "")
                store["size_bytes"] = sum(file.stat().st_size for file in (path, Path(f"{path}-wal"))
                                          if file.is_file())
            since = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(hours=1)
            read, quarantined = connection.execute(
                select(func.coalesce(func.sum(ingest_runs.c.rows_read), 0),
                       func.coalesce(func.sum(ingest_runs.c.quarantined), 0))
                .where(ingest_runs.c.finished_at >= since)).one()
        store["quarantine_rate"] = quarantined / read if read else 0.0

    def _stream(self, values: Values) -> None:
        if not self.settings.redis_url:
            return
        import redis

        from core.health._ready import _redis_client
        from data.stream import DEFAULT_GROUP, DEFAULT_STREAM, dead_letter_stream

        client = _redis_client(self.settings.redis_url, self.settings.health.probe_timeout_s)
        stream = values.setdefault("stream", {})
        try:
            groups = client.xinfo_groups(DEFAULT_STREAM)
        except redis.ResponseError:  # no stream yet: nothing waits
            groups = []
        group = next((item for item in groups if item.get("name") in (DEFAULT_GROUP, DEFAULT_GROUP.encode())), None)
        lag = group.get("lag") if group else 0
        stream["lag"] = float(lag if lag is not None else group.get("pending", 0))
        stream["dead_letters"] = float(client.xlen(dead_letter_stream(DEFAULT_STREAM)))

    def _model_counts(self, probe, values: Values) -> bool:
        """Whether the model probe's answer is news: the model process is optional (without it the chat answers
        from templates) and takes a while to load, so it is down only once it has answered before, or while its
        process runs without loading; never started, or still loading, it records nothing."""
        if probe.status == OK:
            self._model_seen = True
            return True
        running = values.get("model", {}).get("processes", 0.0) > 0
        return self._model_seen or (running and "still loading" not in probe.detail)

    def _probes(self, values: Values) -> None:
        readiness = check_readiness(self.settings)
        self.status = {"host": OK, "web": OK}
        for name, probe in readiness.components.items():
            self.status[name] = probe.status
            if name == "model" and not self._model_counts(probe, values):
                self.status[name] = NOT_CONFIGURED
                continue
            if probe.status != NOT_CONFIGURED:
                values.setdefault(name, {}).update(up=1.0 if probe.status == OK else 0.0, probe_ms=probe.latency_ms)
        values.setdefault("web", {})["up"] = 1.0
        stream = values.get("stream", {})
        running, waiting = stream.get("processes", 0.0) > 0, stream.get("lag", 0.0) > 0
        if self.settings.redis_url and (running or waiting):
            stream.setdefault("processes", 0.0)
            stream["up"] = 1.0 if running and self.status.get("redis") == OK else 0.0
            self.status["stream"] = OK if stream["up"] else DOWN
        else:  # no Redis, or no processor and no event waiting for one: this deployment does not use the stream
            self.status["stream"] = NOT_CONFIGURED
