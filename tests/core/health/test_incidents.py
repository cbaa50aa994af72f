"""Incidents: hard rules open them at once, linked components share one, the detector needs a real change for
several ticks, RCA ranks the dependency first, each incident is one alert of the system's health rule (webhook
included), and an incident resolves after its signals stay normal."""
from __future__ import annotations

import datetime as dt
import types

import numpy as np
import pytest
from sqlalchemy import func, select

from core import alerts
from core.health import Point, get_incident, incident_step, list_incidents, record_points, set_incident_delivery
from core.health._incidents import RESOLVE_TICKS
from data import store
from data.schema import alert_events, alert_rules
from tests.webhook_receiver import running_receiver

T0 = dt.datetime(2026, 12, 7, 12, 0)
SETTINGS = types.SimpleNamespace(redis_url=None, alerts=alerts.AlertSettings())


@pytest.fixture
def engine(tmp_path):
    engine = store.get_engine(f"sqlite:///{tmp_path / 'store.db'}")
    store.upgrade(engine)
    return engine


def _tick(engine, seconds: int, values: dict, settings=SETTINGS):
    at = T0 + dt.timedelta(seconds=seconds)
    points = [Point(at, component, metric, value) for (component, metric), value in values.items()]
    record_points(engine, points)
    return incident_step(engine, settings, at, points)


def _alert_count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(alert_events)).scalar_one()


def test_a_stopped_dependency_opens_one_incident_ranked_first_and_alerts_once(engine):
    healthy = {("redis", "up"): 1.0, ("stream", "up"): 1.0, ("store", "up"): 1.0}
    assert _tick(engine, 0, healthy) == []
    opened = _tick(engine, 10, {**healthy, ("redis", "up"): 0.0, ("stream", "up"): 0.0})
    assert len(opened) == 1
    incident = opened[0]
    assert incident.state == "open" and incident.severity == "critical"
    assert incident.causes[0]["component"] == "redis" and incident.causes[0]["evidence"]
    assert {s.component for s in incident.signals} == {"redis", "stream"}
    assert _tick(engine, 20, {**healthy, ("redis", "up"): 0.0, ("stream", "up"): 0.0}) == []
    assert len(list_incidents(engine, state="open")) == 1
    assert _alert_count(engine) == 1  # delivered once, however long it lasts
    total, items = alerts.list_alerts(engine)
    assert total == 1 and items[0]["kind"] == "health" and items[0]["dedup_key"] == f"incident:{incident.id}"
    assert get_incident(engine, incident.id).alert_event_id == items[0]["id"]


def test_an_incident_resolves_after_its_signals_stay_normal(engine):
    _tick(engine, 0, {("store", "up"): 0.0})
    for tick in range(1, RESOLVE_TICKS):
        _tick(engine, 10 * tick, {("store", "up"): 1.0})
        assert list_incidents(engine, state="open")
    _tick(engine, 10 * RESOLVE_TICKS, {("store", "up"): 1.0})
    [incident] = list_incidents(engine)
    assert incident.state == "resolved" and incident.resolved_at == T0 + dt.timedelta(seconds=10 * RESOLVE_TICKS)


def test_unrelated_failures_are_separate_incidents(engine):
    opened = _tick(engine, 0, {("store", "up"): 0.0, ("model", "up"): 0.0})
    assert sorted(incident.component for incident in opened) == ["model", "store"]


def test_with_redis_configured_a_stopped_redis_takes_the_cache_along_in_one_incident(engine):
    settings = types.SimpleNamespace(redis_url="redis://127.0.0.1:1/0", alerts=alerts.AlertSettings())
    [incident] = _tick(engine, 0, {("redis", "up"): 0.0, ("cache", "up"): 0.0}, settings)
    assert incident.causes[0]["component"] == "redis"


def test_limits_and_error_rates_break_hard_rules(engine):
    opened = _tick(engine, 0, {("host", "disk_percent"): 97.0, ("web", "request_error_rate"): 0.3})
    [incident] = opened  # web depends on host: one incident, the host first
    assert incident.causes[0]["component"] == "host"
    assert {s.kind for s in incident.signals} == {"limit", "rate"}


def test_the_detector_needs_a_real_change_for_several_ticks(engine):
    rng = np.random.default_rng(7)
    history = [Point(T0 - dt.timedelta(seconds=10 * (200 - i)), "web", "request_p95_ms", 100 + rng.normal(0, 3))
               for i in range(200)]
    record_points(engine, history)
    for tick in range(5):
        assert _tick(engine, 10 * tick, {("web", "request_p95_ms"): 100 + rng.normal(0, 3)}) == []
    assert _tick(engine, 50, {("web", "request_p95_ms"): 900.0}) == []  # one spike is not an incident
    assert _tick(engine, 60, {("web", "request_p95_ms"): 101.0}) == []  # nor is one that passes
    assert _tick(engine, 70, {("web", "request_p95_ms"): 950.0}) == []
    [incident] = _tick(engine, 80, {("web", "request_p95_ms"): 990.0})  # a change that lasts is
    assert incident.severity == "warning" and incident.signals[0].kind == "anomaly"


def test_the_ranking_shows_a_dependency_moving_with_the_symptom(engine):
    rng = np.random.default_rng(5)
    load = 1 + 0.1 * np.sin(np.arange(200) / 10) + rng.normal(0, 0.01, 200)
    record_points(engine, [Point(T0 - dt.timedelta(seconds=10 * (200 - i)), component, metric, base * load[i])
                           for i in range(200) for component, metric, base in
                           (("store", "query_ms", 20.0), ("web", "request_p95_ms", 100.0))])
    assert _tick(engine, 0, {("store", "query_ms"): 150.0, ("web", "request_p95_ms"): 700.0}) == []
    [incident] = _tick(engine, 10, {("store", "query_ms"): 160.0, ("web", "request_p95_ms"): 720.0})
    store_cause = incident.causes[0]
    assert store_cause["component"] == "store" and store_cause["relation"] == "dependency"
    assert any("moves with web.request_p95_ms" in line for line in store_cause["evidence"])


def test_the_detector_ignores_changes_for_the_better_and_tiny_ones(engine):
    rng = np.random.default_rng(11)
    record_points(engine, [Point(T0 - dt.timedelta(seconds=10 * (200 - i)), component, metric, value + rng.normal(0, 1))
                           for i in range(200) for component, metric, value in
                           (("store", "probe_ms", 3.0), ("worker", "rss_bytes", 500e6))])
    for tick in range(6):  # a probe from 3 to 40 ms, a worker's memory halved: unusual, but nothing wrong
        assert _tick(engine, 10 * tick, {("store", "probe_ms"): 40.0, ("worker", "rss_bytes"): 250e6}) == []


def test_a_leak_stays_open_between_the_ticks_that_check_it(engine):
    record_points(engine, [Point(T0 - dt.timedelta(minutes=5 * (24 - i)), "worker", "rss_bytes", 200e6 + 5e6 * i)
                           for i in range(24)])
    [incident] = _tick(engine, 0, {("worker", "rss_bytes"): 320e6})
    assert incident.signals[0].kind == "leak"
    for tick in range(1, 2 * RESOLVE_TICKS):  # every 10 s: the leak is checked once a minute
        assert _tick(engine, 10 * tick, {("worker", "rss_bytes"): 320e6}) == []
    assert [i.id for i in list_incidents(engine, state="open")] == [incident.id]


def test_incidents_reach_the_configured_webhook_signed(engine):
    with running_receiver() as receiver:
        delivery = set_incident_delivery(engine, webhook_url=receiver.url, emails=["ops@example.com"])
        receiver.secret = delivery["webhook_secret"]
        [incident] = _tick(engine, 0, {("store", "up"): 0.0})
    [request] = receiver.requests
    assert request["verified"] and request["body"]["alert"]["dedup_key"] == f"incident:{incident.id}"
    assert request["body"]["alert"]["rule"]["kind"] == "health"


def test_the_health_rule_is_not_a_rule_people_list_or_edit(engine):
    set_incident_delivery(engine, emails=["ops@example.com"])
    assert alerts.list_rules(engine) == []
    [rule] = alerts.list_rules(engine, system=True)
    assert rule.kind == "health" and rule.owner == "system" and rule.describe().startswith("every system health")
    with pytest.raises(alerts.RuleError, match="app's own health rule"):
        alerts.update_rule(engine, rule.id, {"enabled": False})
    with pytest.raises(alerts.RuleError, match="webhook_url"):
        set_incident_delivery(engine, webhook_url="file:///etc/passwd")
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(alert_rules)).scalar_one() == 1


def test_the_operations_run_as_monitor_steps_on_real_probes(tmp_path):
    from core.health import OPERATION_STEPS, Monitor
    from core.settings import Settings
    from tests.services import free_port

    settings = Settings.from_env({"FORESIGHT_INSTANCE_DIR": str(tmp_path), "FORESIGHT_CHAT_MODEL": "none",
                                  "FORESIGHT_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
                                  "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
                                  "FORESIGHT_HEALTH_PROBE_TIMEOUT": "0.3", "FORESIGHT_HEALTH_DISK_PERCENT": "100",
                                  "FORESIGHT_HEALTH_MEMORY_PERCENT": "100"})
    engine = store.get_engine(settings.database_url)
    store.upgrade(engine)
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    monitor = Monitor(engine, settings, OPERATION_STEPS)
    assert monitor.tick(T0)
    [incident] = list_incidents(engine, state="open")
    assert incident.causes[0]["component"] == "redis" and "redis" in incident.components()
    assert alerts.list_alerts(engine)[0] == 1
