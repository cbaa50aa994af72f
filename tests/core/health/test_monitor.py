"""The monitor: one lease holder collects, a dead holder's lease expires and another takes over, points are recorded
and folded hourly, every step runs even when one raises, and the thread ticks, stops and gives the lease up."""
from __future__ import annotations

import datetime as dt
import logging
import time

import pytest
from sqlalchemy import select

from core.health import Monitor, Point, latest_values
from core.health._monitor import LEASE_NAME, hold_lease
from core.settings import Settings
from data.schema import health_leases, health_metrics
from data.store import get_engine, upgrade

NOW = dt.datetime(2026, 12, 7, 12, 0, 5)


class FixedCollector:
    """Stands in for the psutil collector: one known point per tick."""

    def __init__(self):
        self.calls = 0

    def collect_once(self, now):
        self.calls += 1
        return [Point(now, "host", "cpu_percent", float(self.calls))]


@pytest.fixture
def setup(tmp_path):
    settings = Settings.from_env({"FORESIGHT_INSTANCE_DIR": str(tmp_path), "FORESIGHT_SECRET_KEY": "health-tests",
                                  "FORESIGHT_CHAT_MODEL": "none", "FORESIGHT_HEALTH_INTERVAL": "1"})
    engine = get_engine(settings.database_url)
    upgrade(engine)
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    return engine, settings


def _holder(engine) -> str | None:
    with engine.connect() as connection:
        return connection.execute(select(health_leases.c.holder).where(health_leases.c.name == LEASE_NAME)).scalar()


def test_one_of_two_monitors_collects_until_its_lease_expires(setup):
    engine, settings = setup
    first, second = Monitor(engine, settings), Monitor(engine, settings, collector=FixedCollector())
    points = first.tick(NOW)
    assert points and {point.component for point in points} >= {"host", "web", "store"}  # the real collector
    assert second.tick(NOW + dt.timedelta(seconds=10)) is None and second.collector.calls == 0
    assert first.tick(NOW + dt.timedelta(seconds=20)) is not None  # the holder renews
    assert _holder(engine) == first.holder
    # the first stops renewing (as if it died): after 30 s its lease has expired and the second takes over
    assert second.tick(NOW + dt.timedelta(seconds=45)) is None
    assert second.tick(NOW + dt.timedelta(seconds=51)) is not None and _holder(engine) == second.holder
    assert first.tick(NOW + dt.timedelta(seconds=52)) is None
    assert latest_values(engine)["host"]["cpu_percent"] == (NOW + dt.timedelta(seconds=51), 1.0)


def test_every_step_runs_even_when_one_raises(setup, caplog):
    engine, settings = setup
    seen = []

    def broken_step(engine_, settings_, now, points):
        raise RuntimeError("step broke")

    def recording_step(engine_, settings_, now, points):
        seen.append((engine_ is engine, settings_ is settings, now, [point.value for point in points]))

    monitor = Monitor(engine, settings, steps=[broken_step, recording_step], collector=FixedCollector())
    with caplog.at_level(logging.ERROR, logger="core.health._monitor"):
        monitor.tick(NOW)
    assert seen == [(True, True, NOW, [1.0])]
    assert "step broken_step failed" in caplog.text and "step broke" in caplog.text


def test_points_are_folded_once_an_hour(setup):
    engine, settings = setup
    monitor = Monitor(engine, settings, collector=FixedCollector())
    for second in range(0, 60, 10):
        monitor.tick(NOW + dt.timedelta(seconds=second))  # folds at the first tick only (nothing complete yet)
    with engine.connect() as connection:
        assert connection.execute(select(health_metrics).where(health_metrics.c.resolution == "1m")).first() is None
    monitor.tick(NOW + dt.timedelta(hours=1))
    with engine.connect() as connection:
        minute = connection.execute(select(health_metrics.c.value, health_metrics.c.samples)
                                    .where(health_metrics.c.resolution == "1m")).all()
    assert [tuple(row) for row in minute] == [(3.5, 6)]  # the six points 1..6 of 12:00


def test_the_thread_ticks_then_stops_and_gives_the_lease_up(setup):
    engine, settings = setup
    monitor = Monitor(engine, settings, collector=FixedCollector())
    monitor.ensure_started()
    monitor.ensure_started()  # a second call in the same process starts nothing
    deadline = time.monotonic() + 10
    while monitor.ticks < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert monitor.ticks >= 2
    monitor.stop()
    assert _holder(engine) is None
    assert Monitor(engine, settings, collector=FixedCollector()).tick() is not None  # taken over at once


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_lease_on_both_stores(backend, tmp_path, request):
    url = f"sqlite:///{tmp_path / 's.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_database")
    engine = get_engine(url)
    upgrade(engine)
    assert hold_lease(engine, "monitor", "a", NOW, 30)
    assert not hold_lease(engine, "monitor", "b", NOW + dt.timedelta(seconds=29), 30)
    assert hold_lease(engine, "monitor", "a", NOW + dt.timedelta(seconds=29), 30)  # renewed until NOW + 59 s
    assert not hold_lease(engine, "monitor", "b", NOW + dt.timedelta(seconds=58), 30)
    assert hold_lease(engine, "monitor", "b", NOW + dt.timedelta(seconds=59), 30)  # expired: taken over
    assert not hold_lease(engine, "monitor", "a", NOW + dt.timedelta(seconds=60), 30)
    assert hold_lease(engine, "scheduler", "a", NOW, 30)  # another lease is independent
    engine.dispose()
