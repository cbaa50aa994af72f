"""Evaluating the rules after every new dataset version, in the background, once per version across processes.

Every write to the store (an ingest, a stream micro-batch, the sample generator) adds a row to ``dataset_versions``;
that is the one seam both paths share, and ``data`` must not call into ``core``. So each web process runs an
``AlertWatcher`` thread that reads the newest version every ``poll_seconds``. When it is newer than any evaluated
one, the watcher claims it by inserting its row into ``alert_runs``: the primary key lets exactly one process win
(two gunicorn workers, or a worker and ``python -m core.alerts watch``), and the loser moves on. Versions written
while an evaluation runs are not evaluated one by one: the next poll evaluates the newest, which holds their data.
A process that dies mid-evaluation leaves its claim unfinished; the next dataset version is evaluated as usual.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from core.alerts._deliver import Delivery, RetryPolicy, deliver_alerts
from core.alerts._evaluate import Detector, Fired, evaluate_rules
from core.alerts._rule_store import now
from core.alerts.config import AlertSettings
from data.schema import alert_runs
from data.store import current_version
from data.watermark import complete_through

__all__ = ["AlertRun", "AlertWatcher", "claim_version", "run_alerts"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertRun:
    """One evaluated dataset version: what fired and how each delivery went."""

    version: int
    fired: list[Fired]
    deliveries: list[Delivery]


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:128]


def claim_version(engine: Engine, version: int, worker: str | None = None) -> bool:
    """Claim the evaluation of ``version``: True for exactly one caller, False when it or a newer version was
    claimed already."""
    with engine.begin() as connection:
        newest = connection.execute(select(func.max(alert_runs.c.version))).scalar()
        if newest is not None and newest >= version:
            return False
        try:
            with connection.begin_nested():
                connection.execute(insert(alert_runs).values(version=version, claimed_by=worker or _worker_name(),
                                                             started_at=now()))
        except IntegrityError:
            return False
    return True


def _finish(engine: Engine, version: int, fired: int | None, error: str | None) -> None:
    with engine.begin() as connection:
        connection.execute(update(alert_runs).where(alert_runs.c.version == version)
                           .values(finished_at=now(), fired=fired, error=error))


def run_alerts(engine: Engine, version: int, settings: AlertSettings = AlertSettings(), *,
               through: dt.date | None = None, detector: Detector | None = None,
               policy: RetryPolicy = RetryPolicy(), sleep: Callable[[float], None] = time.sleep) -> AlertRun:
    """Evaluate every enabled rule on dataset ``version`` and deliver what fired (no claim: see ``AlertWatcher``)."""
    fired = evaluate_rules(engine, version, through=through, detector=detector)
    return AlertRun(version, fired, deliver_alerts(engine, fired, settings, policy=policy, sleep=sleep))


class AlertWatcher:
    """Watches the store for new dataset versions and runs the alerts once per version (see the module's doc).

    ``complete_through``: the ``FORESIGHT_COMPLETE_THROUGH`` setting (None: from the stream's clock or the data).
    """

    def __init__(self, engine: Engine, settings: AlertSettings = AlertSettings(), *,
                 complete_through: dt.date | None = None, detector: Detector | None = None,
                 policy: RetryPolicy = RetryPolicy(), sleep: Callable[[float], None] = time.sleep):
        self.engine, self.settings, self.override = engine, settings, complete_through
        self.detector, self.policy, self.sleep = detector, policy, sleep
        self._seen = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    def poll_once(self) -> AlertRun | None:
        """Evaluate the newest dataset version if nobody has; the run, or None when there was nothing to do."""
        try:
            version = current_version(self.engine)
        except (OperationalError, ProgrammingError):  # a store that is not created or migrated yet
            return None
        if version is None or version.version <= self._seen:
            return None
        self._seen = version.version
        if not claim_version(self.engine, version.version):
            return None
        try:
            through = complete_through(self.engine, self.override).through
            run = run_alerts(self.engine, version.version, self.settings, through=through, detector=self.detector,
                             policy=self.policy, sleep=self.sleep)
        except Exception as error:
            _finish(self.engine, version.version, None, f"{type(error).__name__}: {error}"[:2000])
            raise
        _finish(self.engine, version.version, len(run.fired), None)
        return run

    def ensure_started(self) -> None:
        """Start the watching thread in this process (again after a fork); no-op when polling is off."""
        if self.settings.poll_seconds <= 0:
            return
        with self._lock:
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            self._pid, self._stop = os.getpid(), threading.Event()
            self._thread = threading.Thread(target=self._run, name="alert-watcher", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        """Poll until stopped. dash.testing ends a test server by raising SystemExit in its threads: carry on."""
        while not self._stop.is_set():
            try:
                self.poll_once()
                self._stop.wait(self.settings.poll_seconds)
            except SystemExit:  # raised in the poll or in the wait between polls
                continue
            except Exception:  # noqa: BLE001 - one failed evaluation must not stop the watching
                log.exception("alerts: evaluating a new dataset version failed")
                self._stop.wait(self.settings.poll_seconds)

    def stop(self) -> None:
        """Stop the thread (tests; a process that ends simply drops the daemon thread)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
