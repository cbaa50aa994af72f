"""The health monitor: one per deployment, collecting every ``interval_s`` and running the steps built on it.

Every web process gets a ``Monitor`` (started by the first request it serves, so after gunicorn forks); only the
holder of the ``monitor`` lease in ``health_leases`` collects. The holder renews the lease on each tick; a holder
that died stops renewing, its lease expires after ``LEASE_INTERVALS`` intervals and the next process to tick takes
over. Each tick: collect, record the points, expose them as gauges, fold and prune the stored points once an hour,
then call each ``step(engine, settings, now, points)`` (incidents, runbooks, ...), logging a step that raises.
"""
from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from core.health._collector import Collector
from core.health._instrument import set_health_gauges
from core.health._metric_store import Point, downsample_and_prune, record_points
from data.schema import health_leases

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = ["Monitor", "Step", "LEASE_NAME", "LEASE_INTERVALS", "hold_lease", "release_lease"]

log = logging.getLogger(__name__)

LEASE_NAME = "monitor"
LEASE_INTERVALS = 3  # a lease lasts this many intervals (at least 30 s): a slow tick does not lose it
DOWNSAMPLE_EVERY = dt.timedelta(hours=1)
Step = Callable[[Engine, "Settings", dt.datetime, list[Point]], object]
_numbers = itertools.count(1)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def hold_lease(engine: Engine, name: str, holder: str, now: dt.datetime, seconds: float) -> bool:
    """Take or renew lease ``name`` for ``holder`` until ``now + seconds``: True when ``holder`` has it (it was free,
    expired, or already its own), False while another holder's lease runs. Each step is one atomic statement, so two
    processes racing for it never both win, and no store-wide write lock is taken."""
    until = now + dt.timedelta(seconds=seconds)
    table = health_leases.c
    with engine.begin() as connection:
        taken = connection.execute(update(health_leases).where(
            table.name == name, (table.holder == holder) | (table.expires_at <= now)
        ).values(holder=holder, expires_at=until)).rowcount
        if taken:
            return True
        if connection.execute(select(table.holder).where(table.name == name)).first() is not None:
            return False  # another holder's lease runs
        try:
            with connection.begin_nested():
                connection.execute(insert(health_leases).values(name=name, holder=holder, expires_at=until))
        except IntegrityError:  # another process created it first
            return False
    return True


def release_lease(engine: Engine, name: str, holder: str) -> None:
    """Give lease ``name`` up if ``holder`` has it, so another process takes over at its next tick."""
    with engine.begin() as connection:
        connection.execute(delete(health_leases).where(health_leases.c.name == name,
                                                       health_leases.c.holder == holder))


class Monitor:
    """Collects, records and runs ``steps`` every ``settings.health.interval_s`` while it holds the lease."""

    def __init__(self, engine: Engine, settings: "Settings", steps: Sequence[Step] = (), *,
                 collector: Collector | None = None):
        self.engine, self.settings, self.steps = engine, settings, list(steps)
        self._collector = collector
        self._number = next(_numbers)  # two monitors in one process (tests) are two holders
        self._last_fold: dt.datetime | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()
        self.ticks = 0  # ticks that collected (held the lease)

    @property
    def holder(self) -> str:
        """This monitor's name in the lease: host, process and monitor number (a forked child is another)."""
        return f"{socket.gethostname()}:{os.getpid()}:{self._number}"[:128]

    @property
    def collector(self) -> Collector:
        if self._collector is None:  # created lazily: psutil's CPU readings start in the process that collects
            self._collector = Collector(self.engine, self.settings)
        return self._collector

    def tick(self, now: dt.datetime | None = None) -> list[Point] | None:
        """One round at ``now`` (UTC): the points collected, or None when another process holds the lease."""
        now = now or _utcnow()
        lease = max(30.0, LEASE_INTERVALS * self.settings.health.interval_s)
        if not hold_lease(self.engine, LEASE_NAME, self.holder, now, lease):
            return None
        points = self.collector.collect_once(now)
        record_points(self.engine, points)
        set_health_gauges(points)
        if self._last_fold is None or now - self._last_fold >= DOWNSAMPLE_EVERY:
            downsample_and_prune(self.engine, now)
            self._last_fold = now
        for step in self.steps:
            try:
                step(self.engine, self.settings, now, points)
            except Exception:  # noqa: BLE001 — one failing step must not stop the monitor or the other steps
                log.exception("health: step %s failed", getattr(step, "__name__", step))
        self.ticks += 1
        return points

    def ensure_started(self) -> None:
        """Start the monitoring thread in this process (again after a fork)."""
        with self._lock:
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            self._pid, self._stop = os.getpid(), threading.Event()
            self._collector = None  # a collector inherited through a fork measured the parent
            self._thread = threading.Thread(target=self._run, name="health-monitor", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        """Tick until stopped. dash.testing ends a test server by raising SystemExit in its threads: carry on."""
        while not self._stop.is_set():
            try:
                self.tick()
                self._stop.wait(self.settings.health.interval_s)
            except SystemExit:  # raised in the tick or in the wait between ticks
                continue
            except Exception:  # noqa: BLE001 — a store that is down now may be back at the next tick
                log.exception("health: the monitor's tick failed")
                self._stop.wait(self.settings.health.interval_s)

    def stop(self) -> None:
        """Stop the thread and give the lease up (tests; a process that ends simply drops the daemon thread)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            release_lease(self.engine, LEASE_NAME, self.holder)
        except Exception:  # noqa: BLE001 — the lease expires on its own
            log.warning("health: could not release the monitor lease", exc_info=True)
