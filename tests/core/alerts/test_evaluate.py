"""Evaluation on the sample company: the numbers equal SQL on the store, rules fire exactly when they hold, once per
period or anomaly, and the watcher evaluates each new dataset version once however many processes watch."""
from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.alerts import (AlertWatcher, claim_version, create_rule, evaluate_rules, list_alerts, unread_count,
                         update_rule)
from data.store import current_version
from data.watermark import complete_through
from tests.core.alerts.helpers import FakeAnomaly, add_version, detector, sql_revenue

WEEK = dt.timedelta(days=7)


def _rule(engine, name, **fields):
    base = {"name": name, "kind": "threshold", "metric": "revenue", "scope": {"region": "EMEA"}, "operator": "<",
            "window_days": 7}
    return create_rule(engine, {**base, **fields}, owner="ada")


def test_threshold_and_change_rules_fire_exactly_when_the_stores_numbers_cross(engine):
    through = complete_through(engine).through
    week = sql_revenue(engine, through - WEEK + dt.timedelta(days=1), through, "EMEA")
    before = sql_revenue(engine, through - 2 * WEEK + dt.timedelta(days=1), through - WEEK, "EMEA")
    change = (week - before) / before * 100
    assert week > 1000, "the sample company sells in EMEA every week"
    fires = _rule(engine, "just above", threshold=week * 1.01)
    _rule(engine, "just below", threshold=week * 0.99)
    grew = _rule(engine, "change holds", kind="change", threshold=change + 1)
    _rule(engine, "change misses", kind="change", threshold=change - 1)
    version = current_version(engine).version

    fired = evaluate_rules(engine, version)

    assert sorted(event.rule.name for event in fired) == ["change holds", "just above"]
    by_rule = {event.rule.id: event for event in fired}
    threshold = by_rule[fires.id]
    assert threshold.values["value"] == pytest.approx(week, rel=1e-9)
    assert threshold.values["previous"] == pytest.approx(before, rel=1e-9)
    assert (threshold.values["start"], threshold.values["end"]) == ((through - dt.timedelta(days=6)).isoformat(),
                                                                     through.isoformat())
    assert f"${week:,.2f}" in threshold.body and "EMEA" in threshold.title
    assert by_rule[grew.id].values["change_pct"] == pytest.approx(change, rel=1e-9)
    assert by_rule[grew.id].dedup_key == f"change:{through - dt.timedelta(days=6)}..{through}"
    assert evaluate_rules(engine, version) == [], "the same period never fires twice"
    assert unread_count(engine) == 2


def test_a_new_period_fires_again_and_a_paused_rule_never(engine):
    rule = _rule(engine, "EMEA low", threshold=1e12)
    assert len(evaluate_rules(engine, 1)) == 1
    assert len(evaluate_rules(engine, 1, through=complete_through(engine).through - dt.timedelta(days=1))) == 1
    update_rule(engine, rule.id, {"enabled": False})
    assert evaluate_rules(engine, 1, through=complete_through(engine).through - dt.timedelta(days=2)) == []


def test_anomaly_rules_take_recent_anomalies_above_the_score_in_scope(engine):
    through = complete_through(engine).through
    recent = FakeAnomaly("revenue", "spike", through - dt.timedelta(days=3), through - dt.timedelta(days=2), 5.5,
                         {"region": "EMEA"})
    found = detector(recent,
                     FakeAnomaly("revenue", "drop", through - dt.timedelta(days=2), through, 2.0, {"region": "EMEA"}),
                     FakeAnomaly("orders", "level_shift", through - dt.timedelta(days=90),
                                 through - dt.timedelta(days=60), 9.0, {"region": "EMEA"}),
                     FakeAnomaly("revenue", "spike", through - dt.timedelta(days=1), through, 8.0, {"region": "APAC"}))
    create_rule(engine, {"name": "EMEA anomalies", "kind": "anomaly", "scope": {"region": "EMEA"}, "min_score": 3,
                         "window_days": 14}, owner="ada")

    fired = evaluate_rules(engine, 1, detector=found)

    assert [event.values["score"] for event in fired] == [5.5] and found.calls == 1
    assert fired[0].title.startswith("Revenue spike in EMEA") and fired[0].values["kind"] == "spike"
    longer = FakeAnomaly(recent.metric, recent.kind, recent.start_date, through, 6.0, recent.scope)
    assert evaluate_rules(engine, 2, detector=detector(longer)) == [], "an anomaly that goes on is one alert"


def test_a_failing_detector_leaves_the_kpi_rules_working(engine, caplog):
    def broken(_engine):
        raise RuntimeError("no baseline")

    _rule(engine, "EMEA low", threshold=1e12)
    create_rule(engine, {"name": "any", "kind": "anomaly", "min_score": 1}, owner="ada")
    with caplog.at_level(logging.WARNING, logger="core.alerts"):
        fired = evaluate_rules(engine, 1, detector=broken)
    assert [event.rule.name for event in fired] == ["EMEA low"]
    assert "the anomaly detector failed (no baseline); 1 anomaly rule(s) not evaluated" in caplog.text


def test_one_claim_per_version_however_many_processes_race(engine):
    version = current_version(engine).version
    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(lambda n: claim_version(engine, version, f"worker-{n}"), range(8)))
    assert won.count(True) == 1
    assert claim_version(engine, version - 1) is False, "an older version is never evaluated after a newer one"


def test_the_watcher_evaluates_each_new_version_once(engine):
    _rule(engine, "EMEA low", threshold=1e12)
    first, second = AlertWatcher(engine), AlertWatcher(engine)
    version = add_version(engine)

    run = first.poll_once()

    assert run is not None and run.version == version and len(run.fired) == 1
    assert first.poll_once() is None and second.poll_once() is None, "claimed: nobody evaluates it again"
    newer = add_version(engine)
    again = second.poll_once()
    assert again.version == newer and again.fired == [], "same period: deduplicated"
    assert list_alerts(engine)[0] == 1
