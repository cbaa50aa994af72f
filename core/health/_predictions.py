"""Predictions for the Health page: the stored metric series through ``analytics.health``'s pure functions.

Every answer fails soft: with too little history it says "not enough history yet" instead of raising.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from core.health._metric_store import read_series
from core.health._names import COMPONENTS, PROCESS_KINDS
from core.health._signals import limits_of

__all__ = ["component_predictions", "capacity_plan", "WEB_REQUESTS_PER_WORKER", "JOBS_PER_WORKER"]

HISTORY = dt.timedelta(days=14)
LEAK_HISTORY = dt.timedelta(hours=6)
# What one worker is assumed to handle (the capacity plan's unit); measure yours with benchmarks/ and adjust.
WEB_REQUESTS_PER_WORKER = 20.0  # requests per second one gunicorn worker serves
JOBS_PER_WORKER = 4.0  # background jobs waiting in the queue one Celery worker process keeps up with
NOT_ENOUGH = "not enough history yet"


def _series(engine: Engine, component: str, metric: str, since: dt.datetime, now: dt.datetime) -> pd.DataFrame:
    frame = read_series(engine, component, metric, since, now)
    return frame[["at", "value"]].dropna()


def _soft(label: str, call, *args, **kwargs) -> dict[str, Any]:
    """The prediction as a plain dict, or ``{"status": "not_enough_history", ...}`` when it cannot be made yet."""
    try:
        found = call(*args, **kwargs)
    except ValueError as error:
        return {"name": label, "status": "not_enough_history", "sentence": f"{NOT_ENOUGH} ({error})"}
    return {"name": label, **_plain(found)}


def _plain(found) -> dict[str, Any]:
    """A result dataclass as JSON-ready values (timestamps as ISO text, nested results as dicts, a forecast frame
    as records ``{at, mean, lo-80, hi-80, ...}`` for a chart)."""
    values = {}
    for key, value in vars(found).items():
        if isinstance(value, pd.DataFrame):
            frame = value.copy()
            if "at" in frame:
                frame["at"] = pd.to_datetime(frame["at"]).map(lambda moment: moment.isoformat())
            value = frame.astype(object).where(frame.notna(), None).to_dict("records")
        elif isinstance(value, pd.Timestamp):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = [_plain(item) if hasattr(item, "__dataclass_fields__") else item for item in value]
        values[key] = value
    return values


def _limit(engine, now, component, metric, limit, what) -> dict[str, Any]:
    from analytics.health import time_to_limit

    frame = _series(engine, component, metric, now - HISTORY, now)
    if frame.empty or limit is None:
        return {"name": f"{component}.{metric}", "status": "not_enough_history", "sentence": NOT_ENOUGH}
    return _soft(f"{component}.{metric}", time_to_limit, frame, float(limit), pd.Timestamp(now, tz="UTC"),
                 what=what)


def _leak(engine, now, component) -> dict[str, Any]:
    from analytics.health import detect_leak

    frame = _series(engine, component, "rss_bytes", now - LEAK_HISTORY, now)
    if frame.empty:
        return {"name": f"{component}.rss_bytes", "status": "not_enough_history", "sentence": NOT_ENOUGH}
    return _soft(f"{component}.rss_bytes", detect_leak, frame, name=f"{component} RSS")


def _degradation(engine, now, component, metric) -> dict[str, Any]:
    from analytics.health import degradation

    frame = _series(engine, component, metric, now - dt.timedelta(days=2), now)
    if frame.empty:
        return {"name": f"{component}.{metric}", "status": "not_enough_data", "sentence": NOT_ENOUGH}
    return _soft(f"{component}.{metric}", degradation, frame, name=f"{component}.{metric}")


def component_predictions(engine: Engine, component: str, now: dt.datetime, settings=None) -> list[dict[str, Any]]:
    """The predictions for one component: time to its limits (host disk and memory, the store's size), a memory
    leak per process kind, and error-rate and latency degradation for web. Each a dict with ``status`` and a
    ``sentence``."""
    if component not in COMPONENTS:
        raise ValueError(f"unknown component {component!r}; use one of {', '.join(COMPONENTS)}")
    limits = limits_of(settings)
    found = []
    if component == "host":
        found += [_limit(engine, now, "host", "disk_percent", limits.disk_percent, "disk full"),
                  _limit(engine, now, "host", "memory_percent", limits.memory_percent, "memory exhausted")]
    if component == "store":
        found.append(_limit(engine, now, "store", "size_bytes", limits.store_bytes, "store over its size limit"))
    if component in PROCESS_KINDS:
        found.append(_leak(engine, now, component))
    if component == "web":
        found += [_degradation(engine, now, "web", "request_error_rate"),
                  _degradation(engine, now, "web", "request_p95_ms")]
    return found


def _plan(engine, now, component, metric, per_worker, current) -> dict[str, Any]:
    from analytics.health import capacity_plan as plan_capacity

    frame = _series(engine, component, metric, now - dt.timedelta(days=90), now)
    if frame.empty:
        return {"name": f"{component}.{metric}", "status": "not_enough_history", "sentence": NOT_ENOUGH,
                "current_workers": current}
    return _soft(f"{component}.{metric}", plan_capacity, frame, per_worker_capacity=per_worker,
                 current_workers=current, horizons=(30, 90))


def capacity_plan(engine: Engine, settings, now: dt.datetime, worker_concurrency: int | None = None) -> dict:
    """Request and job load 30 and 90 days ahead and the workers they need: ``{"web": ..., "worker": ...}``,
    against ``settings.web_concurrency`` and the background worker concurrency (``worker_concurrency``, default
    ``settings.worker_concurrency`` when the settings have it, else the Procfile's 2)."""
    web_now = int(getattr(settings, "web_concurrency", 2) or 2)
    workers_now = int(worker_concurrency or getattr(settings, "worker_concurrency", 2) or 2)
    return {"web": _plan(engine, now, "web", "request_rate", WEB_REQUESTS_PER_WORKER, web_now),
            "worker": _plan(engine, now, "worker", "queue_length", JOBS_PER_WORKER, workers_now)}
