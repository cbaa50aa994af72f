"""The metric store on SQLite and PostgreSQL: planted raw points fold into known 1-minute and 1-hour means, minima,
maxima and sample counts, folding twice changes nothing, pruning keeps each resolution its time, and a series is read
from the finest resolution that reaches back far enough."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.health import Point, downsample_and_prune, latest_values, read_series, record_points
from data.schema import health_metrics
from data.store import get_engine, upgrade

T0 = dt.datetime(2026, 12, 1, 10, 0, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    url = (f"sqlite:///{tmp_path / 'store.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_database"))
    engine = get_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _rows(engine, resolution: str) -> list[tuple]:
    table = health_metrics.c
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(
            select(table.component, table.metric, table.at, table.value, table.value_min, table.value_max,
                   table.samples).where(table.resolution == resolution).order_by(table.metric, table.at))]


def _plant(engine, start: dt.datetime, count: int, step_s: int = 10, metric: str = "cpu_percent") -> None:
    record_points(engine, [Point(start + dt.timedelta(seconds=step_s * i), "host", metric, float(i))
                           for i in range(count)])


def test_raw_points_fold_into_known_minutes_and_hours_once(engine):
    _plant(engine, T0, 12)  # values 0..11 at 10 s: minute 10:00 holds 0..5, 10:01 holds 6..11
    _plant(engine, T0 + dt.timedelta(hours=1), 3)  # an hour that is not over yet
    assert downsample_and_prune(engine, T0 + dt.timedelta(hours=1, seconds=30))["1m"] >= 2
    minutes = _rows(engine, "1m")
    assert minutes == [("host", "cpu_percent", T0, 2.5, 0.0, 5.0, 6),
                       ("host", "cpu_percent", T0 + dt.timedelta(minutes=1), 8.5, 6.0, 11.0, 6)]
    assert _rows(engine, "1h") == [("host", "cpu_percent", T0, 5.5, 0.0, 11.0, 12)]  # weighted by the samples
    downsample_and_prune(engine, T0 + dt.timedelta(hours=1, seconds=30))
    assert _rows(engine, "1m") == minutes and len(_rows(engine, "1h")) == 1


def test_an_hour_of_uneven_minutes_is_weighted_by_samples(engine):
    record_points(engine, [Point(T0, "web", "request_rate", 10.0)])  # minute 10:00: one sample of 10
    record_points(engine, [Point(T0 + dt.timedelta(minutes=1, seconds=s), "web", "request_rate", 1.0)
                           for s in (0, 20, 40)])  # minute 10:01: three samples of 1
    downsample_and_prune(engine, T0 + dt.timedelta(hours=1))
    assert _rows(engine, "1h") == [("web", "request_rate", T0, pytest.approx(13 / 4), 1.0, 10.0, 4)]


def test_pruning_keeps_raw_two_days_minutes_thirty_days_hours_a_year(engine):
    now = dt.datetime(2026, 12, 7, 12, 0, 0)
    ages = {"raw": (47, 49), "1m": (29 * 24, 31 * 24), "1h": (364 * 24, 366 * 24)}
    with engine.begin() as connection:
        for resolution, hours in ages.items():
            for age in hours:
                connection.execute(health_metrics.insert().values(
                    resolution=resolution, component="host", metric="disk_percent",
                    at=now - dt.timedelta(hours=age), value=1.0, value_min=1.0, value_max=1.0, samples=1))
    result = downsample_and_prune(engine, now)
    for resolution, (kept, dropped) in ages.items():
        assert now - dt.timedelta(hours=kept) in [row[2] for row in _rows(engine, resolution)], resolution
        assert now - dt.timedelta(hours=dropped) not in [row[2] for row in _rows(engine, resolution)], resolution
    assert result["pruned"] >= 3


def test_a_series_comes_from_the_finest_resolution_reaching_back_with_newer_raw_points_appended(engine):
    _plant(engine, T0, 12)
    downsample_and_prune(engine, T0 + dt.timedelta(minutes=1))  # 10:00 folded; the 10:01 points stay raw only
    with engine.begin() as connection:  # raw 10:00 pruned away, as if it were older than two days
        connection.execute(health_metrics.delete().where(health_metrics.c.resolution == "raw",
                                                         health_metrics.c.at < T0 + dt.timedelta(minutes=1)))
    recent = read_series(engine, "host", "cpu_percent", T0 + dt.timedelta(minutes=1))
    assert list(recent["value"]) == [6.0, 7.0, 8.0, 9.0, 10.0, 11.0]  # raw covers it
    whole = read_series(engine, "host", "cpu_percent", T0 - dt.timedelta(days=1))
    assert list(whole.columns) == ["at", "value", "value_min", "value_max"]
    assert list(whole["value"]) == [2.5, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0]  # the 10:00 minute, then raw from 10:01
    assert (whole.iloc[0]["value_min"], whole.iloc[0]["value_max"]) == (0.0, 5.0)
    assert (whole.iloc[1]["value_min"], whole.iloc[1]["value_max"]) == (6.0, 6.0)
    bounded = read_series(engine, "host", "cpu_percent", T0 + dt.timedelta(minutes=1),
                          until=T0 + dt.timedelta(minutes=1, seconds=20))
    assert list(bounded["value"]) == [6.0, 7.0, 8.0]
    assert read_series(engine, "host", "unknown", T0).empty


def test_latest_values_and_points_recorded_twice(engine):
    _plant(engine, T0, 3)
    _plant(engine, T0, 2, metric="memory_percent")
    record_points(engine, [Point(T0, "host", "memory_percent", 42.0), Point(T0, "host", "swap_percent", float("nan"))])
    latest = latest_values(engine)
    assert latest == {"host": {"cpu_percent": (T0 + dt.timedelta(seconds=20), 2.0),
                               "memory_percent": (T0 + dt.timedelta(seconds=10), 1.0)}}
    assert [row[3] for row in _rows(engine, "raw") if row[1] == "memory_percent"] == [42.0, 1.0]
    aware = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    record_points(engine, [Point(aware, "host", "load1", 0.5)])
    assert latest_values(engine)["host"]["load1"] == (dt.datetime(2026, 12, 1, 10, 0), 0.5)
