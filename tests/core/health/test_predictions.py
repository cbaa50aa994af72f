"""Predictions glue: the stored series through analytics.health, failing soft without history."""
from __future__ import annotations

import datetime as dt
import json
import types

import numpy as np
import pytest

from core.health import Point, capacity_plan, component_predictions, record_points
from data import store

NOW = dt.datetime(2026, 12, 7, 12, 0)


@pytest.fixture
def engine(tmp_path):
    engine = store.get_engine(f"sqlite:///{tmp_path / 'store.db'}")
    store.upgrade(engine)
    return engine


def _hourly(engine, component, metric, values):
    start = NOW - dt.timedelta(hours=len(values))
    record_points(engine, [Point(start + dt.timedelta(hours=i), component, metric, float(v))
                           for i, v in enumerate(values)])


def test_without_history_every_answer_says_so(engine):
    for component in ("host", "store", "worker", "web"):
        found = component_predictions(engine, component, NOW)
        assert found and all(item["status"].startswith("not_enough") for item in found)
    plan = capacity_plan(engine, types.SimpleNamespace(web_concurrency=3), NOW)
    assert plan["web"]["status"] == "not_enough_history" and plan["web"]["current_workers"] == 3
    with pytest.raises(ValueError, match="unknown component"):
        component_predictions(engine, "kettle", NOW)


def test_a_filling_disk_gets_a_crossing_time(engine):
    _hourly(engine, "host", "disk_percent", 50 + 0.2 * np.arange(96))  # +4.8 points a day from 50 to 69
    disk = component_predictions(engine, "host", NOW)[0]
    assert disk["name"] == "host.disk_percent" and disk["status"] == "crosses"
    assert 3 < disk["days_to_limit"] < 6  # (90 - 69.2) / 4.8 ≈ 4.3 days
    json.dumps(disk)  # plain values only


def test_a_growing_worker_is_a_leak(engine):
    start = NOW - dt.timedelta(hours=3)
    record_points(engine, [Point(start + dt.timedelta(minutes=5 * i), "worker", "rss_bytes", 200e6 + 2e6 * i)
                           for i in range(36)])
    [leak] = component_predictions(engine, "worker", NOW)
    assert leak["leaking"] and leak["status"] == "leaking"


def test_capacity_plan_against_the_configured_workers(engine):
    rng = np.random.default_rng(3)
    hours = np.arange(24 * 14)
    _hourly(engine, "web", "request_rate", 30 + 10 * np.sin(hours / 24 * 2 * np.pi) + rng.normal(0, 1, hours.size))
    plan = capacity_plan(engine, types.SimpleNamespace(web_concurrency=1), NOW)
    web = plan["web"]
    assert web["status"] == "planned" and web["current_workers"] == 1
    assert [h["days"] for h in web["horizons"]] == [30, 90]
    assert all(h["recommended_workers"] >= 2 for h in web["horizons"])  # peaks near 40/s, 20/s per worker
    assert plan["worker"]["status"] == "not_enough_history"
    assert len(web["forecast"]) == 90 * 24 and {"at", "mean", "hi-95"} <= set(web["forecast"][0])
    json.dumps(plan)
