"""The ``health`` event of the push channel: the key gauges, every component's status and the open incidents.

One snapshot is what the Health page shows live: ``{"at", "gauges", "statuses", "open_incidents"}``, all JSON
(``at`` in epoch ms). The broadcaster reads the source once per tick; the source reads the store at most once every
``min_interval_s`` (the monitor records every 10 s, so a fresher read would only repeat itself) and the broadcaster
sends an event only when the snapshot changed.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from core.health._metric_store import latest_values
from core.health._names import COMPONENTS
from data.schema import health_incidents

__all__ = ["HEALTH_EVENT", "GAUGES", "STATUSES", "component_statuses", "health_snapshot", "health_source"]

HEALTH_EVENT = "health"
# The key gauges as component.metric, in the order the page shows them.
GAUGES: tuple[str, ...] = ("host.cpu_percent", "host.memory_percent", "host.disk_percent", "web.request_p95_ms",
                           "web.request_error_rate", "worker.queue_length", "stream.lag")
STATUSES: tuple[str, ...] = ("ok", "degraded", "down", "not_configured")


def component_statuses(latest: Mapping[str, Mapping[str, tuple]], troubled: Mapping[str, int]) -> dict[str, str]:
    """Each component's status from its newest probe (``up``) and its open incidents (``troubled``: component ->
    count): down when the probe failed, degraded when it answers but has an open incident, ok when it answers,
    not_configured when it was never probed (no Redis, no model process in this deployment)."""
    statuses = {}
    for component in COMPONENTS:
        up = (latest.get(component) or {}).get("up")
        if up is None:
            statuses[component] = "not_configured"
        elif up[1] < 0.5:
            statuses[component] = "down"
        else:
            statuses[component] = "degraded" if troubled.get(component) else "ok"
    return statuses


def _epoch_ms(moment: dt.datetime | None) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # the store keeps UTC without a zone
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return int(moment.timestamp() * 1000)


def _open_by_component(engine: Engine) -> dict[str, int]:
    table = health_incidents.c
    with engine.connect() as connection:
        rows = connection.execute(select(table.component, func.count()).where(table.state == "open")
                                  .group_by(table.component)).all()
    return {component: int(count) for component, count in rows}


def health_snapshot(engine: Engine) -> dict:
    """The live part of the Health page: when the newest point was measured, the key gauges (None when not
    collected), each component's status and how many incidents are open."""
    latest = latest_values(engine)
    troubled = _open_by_component(engine)
    gauges = {}
    newest = None
    for name in GAUGES:
        component, metric = name.split(".", 1)
        point = (latest.get(component) or {}).get(metric)
        gauges[name] = None if point is None else float(point[1])
    for metrics in latest.values():
        for at, _value in metrics.values():
            newest = at if newest is None or at > newest else newest
    return {"at": _epoch_ms(newest), "gauges": gauges, "statuses": component_statuses(latest, troubled),
            "open_incidents": sum(troubled.values())}


def health_source(engine: Engine, min_interval_s: float = 2.0):
    """The push channel's ``health`` source (``core.push.Source``): one snapshot, re-read from the store at most
    every ``min_interval_s`` seconds, the last reading repeated in between."""
    from core.push import Source

    lock = threading.Lock()
    last: dict = {}

    def read() -> dict[str, dict]:
        with lock:
            now = time.monotonic()
            if "snapshot" not in last or now - last["at"] >= min_interval_s:
                try:
                    last["snapshot"] = health_snapshot(engine)
                except (OperationalError, ProgrammingError):  # a store not migrated yet: nothing to announce
                    last["snapshot"] = None
                last["at"] = now
            return {} if last["snapshot"] is None else {"": last["snapshot"]}

    return Source(HEALTH_EVENT, read)
