"""The app's own instrumentation in Prometheus metrics: requests, latency and server errors per route, Dash callbacks
per output, results-cache hits, and the gauges the health collector sets.

Under gunicorn, ``gunicorn.conf.py`` points ``PROMETHEUS_MULTIPROC_DIR`` at a folder it empties before the workers
fork; prometheus_client then keeps every worker's values in files there, and ``/metrics`` (any worker) and the
collector (the monitor's worker) read all of them. Without it (``python app.py``, tests) one process counts alone in
the default registry. Labels stay bounded: a route is Flask's URL rule (``/api/v1/jobs/<job_id>``, never the raw
path), a callback is its output id (pattern-matching ids by their ``type``), and past ``MAX_CALLBACK_LABELS`` distinct
outputs in one process the rest count as ``other``.
"""
from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

from flask import Flask, g, request

__all__ = ["metrics", "instrument_server", "instrument_cache", "instrument_engine", "registry_for", "metrics_text",
           "set_health_gauges", "web_totals", "WebTotals", "MAX_CALLBACK_LABELS", "CALLBACK_PATH"]

CALLBACK_PATH = "/_dash-update-component"
MAX_CALLBACK_LABELS = 256
_UNMATCHED = "<unmatched>"  # a 404 has no URL rule: one label for every unknown path
# Latency buckets in seconds: fine below 100 ms where /readyz and most callbacks live, coarse up to a slow fit.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0, float("inf"))
_RESULT_KEY = re.compile(r":c[0-9a-f]{12}:v-?\d+:[0-9a-f]{24}$")  # core.cache.cache_key (not its :lock/:progress)



class _Metrics:
    """The app's Prometheus metrics. prometheus_client picks how values are kept (memory, or the multiprocess
    folder's files) when it is first imported, so it is imported here, on first use: in a gunicorn worker after the
    fork, never in the master that imports this package with gunicorn.conf.py before it sets the folder."""

    def __init__(self):
        from prometheus_client import Counter, Gauge, Histogram

        self.requests = Counter("foresight_http_requests", "HTTP requests answered, by route, method and status class",
                                ["route", "method", "status"])
        self.request_seconds = Histogram("foresight_http_request_seconds", "Time to answer an HTTP request, by route",
                                         ["route"], buckets=_BUCKETS)
        self.errors = Counter("foresight_http_errors", "HTTP requests answered with a 5xx status, by route",
                              ["route"])
        self.callback_seconds = Histogram("foresight_callback_seconds", "Time to answer a Dash callback, by its output",
                                          ["callback"], buckets=_BUCKETS)
        self.store_query_seconds = Histogram(
            "foresight_store_query_seconds", "Time the store took to run a statement",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, float("inf")))
        self.cache_gets = Counter("foresight_cache_gets", "Results-cache reads, by hit or miss", ["result"])
        self.health = Gauge("foresight_health", "The health monitor's newest value of each component's metric",
                            ["component", "metric"], multiprocess_mode="livemostrecent")


_created: list[_Metrics] = []
_create_lock = threading.Lock()


def metrics() -> _Metrics:
    """This process's metrics, created once on first use (see ``_Metrics``). Under a lock: the first request's
    statements and the monitor's thread (which the first request starts) may both ask first, and a second
    registration of the same names would raise."""
    if not _created:
        with _create_lock:
            if not _created:
                _created.append(_Metrics())
    return _created[0]


_callback_labels: set[str] = set()
_labels_lock = threading.Lock()


def _callback_label() -> str:
    """The output id of this Dash callback request, bounded (see the module's doc)."""
    try:
        body = request.get_json(silent=True, cache=True)
    except Exception:  # noqa: BLE001 — counting must never fail the request
        body = None
    output = str(body.get("output", "")) if isinstance(body, dict) else ""
    if output.startswith("{"):
        try:
            label = "pattern:" + str(json.loads(output.rsplit("}", 1)[0] + "}").get("type", ""))[:60]
        except (ValueError, AttributeError):
            label = "pattern"
    else:
        label = output.lstrip(".").split(".", 1)[0][:100] or "unknown"  # a multi-output callback: its first id
    with _labels_lock:
        if label in _callback_labels:
            return label
        if len(_callback_labels) >= MAX_CALLBACK_LABELS:
            return "other"
        _callback_labels.add(label)
    return label


def instrument_server(server: Flask) -> None:
    """Count and time every request ``server`` answers (idempotent per server)."""
    if server.extensions.get("foresight_instrumented"):
        return
    server.extensions["foresight_instrumented"] = True

    def _start_timer() -> None:
        g.health_started = time.perf_counter()

    # First of all before-request functions, so refusals by the guard are timed and counted too.
    server.before_request_funcs.setdefault(None, []).insert(0, _start_timer)

    @server.after_request
    def _count(response):
        started = g.pop("health_started", None)
        if started is None:
            return response
        elapsed = time.perf_counter() - started
        route = request.url_rule.rule if request.url_rule is not None else _UNMATCHED
        recorded = metrics()
        recorded.requests.labels(route, request.method, f"{response.status_code // 100}xx").inc()
        recorded.request_seconds.labels(route).observe(elapsed)
        if response.status_code >= 500:
            recorded.errors.labels(route).inc()
        if route == CALLBACK_PATH and request.method == "POST":
            # A refused callback's body may be unread (413: too large to read at all): never read it here.
            label = "refused" if 400 <= response.status_code < 500 else _callback_label()
            recorded.callback_seconds.labels(label).observe(elapsed)
        return response


class _CountingCache:
    """The results cache's backend, counting reads of computed results (not locks, progress or job records)."""

    def __init__(self, backend):
        self._backend = backend

    def __getattr__(self, name):
        return getattr(self._backend, name)

    def get(self, key):
        value = self._backend.get(key)
        if isinstance(key, str) and _RESULT_KEY.search(key):
            metrics().cache_gets.labels("miss" if value is None else "hit").inc()
        return value


def instrument_cache(server: Flask) -> None:
    """Count hits and misses of the results cache ``core.cache.init_cache`` bound to ``server`` (if any)."""
    backends = server.extensions.get("cache") or {}
    for extension, backend in list(backends.items()):
        if not isinstance(backend, _CountingCache):
            backends[extension] = _CountingCache(backend)


def instrument_engine(engine) -> None:
    """Time every statement ``engine`` runs (SQLAlchemy cursor events; idempotent per engine)."""
    from sqlalchemy import event

    if getattr(engine, "_foresight_timed", False):
        return
    engine._foresight_timed = True

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("foresight_started", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        started = conn.info.get("foresight_started")
        if started:
            metrics().store_query_seconds.observe(time.perf_counter() - started.pop())


def registry_for(metrics_dir: Path | None):
    """The registry to read: every process's values from ``metrics_dir`` (multiprocess), else this process's."""
    from prometheus_client import REGISTRY, CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    metrics()  # the metrics exist (at zero) before the first request of this process
    if metrics_dir is None:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(metrics_dir))
    return registry


def metrics_text(metrics_dir: Path | None) -> bytes:
    """``/metrics``' body in the Prometheus text format."""
    from prometheus_client import generate_latest

    return generate_latest(registry_for(metrics_dir))


def set_health_gauges(points) -> None:
    """Expose the newest collected points as ``foresight_health{component, metric}``."""
    gauge = metrics().health
    for point in points:
        gauge.labels(point.component, point.metric).set(point.value)


# The probes' own routes: counted on /metrics like every route, left out of the web's rates, latency and error rate
# (a scraper or an orchestrator polls them every few seconds, and /readyz answers 503 by design when a part is down).
PROBE_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


class WebTotals:
    """Cumulative counts over every process since the server started: requests, 5xx errors, result-cache hits and
    misses, store statements and their total seconds, and the latency histograms' bucket counts
    ``{upper bound: count}`` for requests and callbacks."""

    def __init__(self):
        self.requests = 0.0
        self.errors = 0.0
        self.cache_hits = 0.0
        self.cache_misses = 0.0
        self.query_seconds = 0.0
        self.queries = 0.0
        self.request_buckets: dict[float, float] = {}
        self.callback_buckets: dict[float, float] = {}


def web_totals(metrics_dir: Path | None) -> WebTotals:
    """Sum the instrumentation's samples (see ``WebTotals``); the collector turns two of them into rates."""
    totals = WebTotals()
    for family in registry_for(metrics_dir).collect():
        for sample in family.samples:
            name, labels, value = sample.name, sample.labels, sample.value
            if labels.get("route") in PROBE_ROUTES:
                continue  # a 503 of /readyz reports a component down; it is not the web failing its users
            if name == "foresight_http_requests_total":
                totals.requests += value
            elif name == "foresight_http_errors_total":
                totals.errors += value
            elif name == "foresight_cache_gets_total":
                if labels.get("result") == "hit":
                    totals.cache_hits += value
                else:
                    totals.cache_misses += value
            elif name == "foresight_store_query_seconds_sum":
                totals.query_seconds += value
            elif name == "foresight_store_query_seconds_count":
                totals.queries += value
            elif name in ("foresight_http_request_seconds_bucket", "foresight_callback_seconds_bucket"):
                target = totals.request_buckets if name.startswith("foresight_http") else totals.callback_buckets
                bound = float(labels["le"])
                target[bound] = target.get(bound, 0.0) + value
    return totals
