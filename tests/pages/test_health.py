"""The Health page's callbacks as plain functions on a migrated store: the live snapshot (and the push channel's
source), the map and gauges from recorded points, incidents, the drill-down, the runbooks and maintenance, and
the admin buttons (refused on the server for anyone but an admin)."""
from __future__ import annotations

import datetime as dt
import json
import sys
from contextlib import contextmanager

import pytest
from dash import no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict, stringify_id
from flask import g
from sqlalchemy import insert

from components import ids
from core.auth import Principal
from core.health import Point, list_actions, maintenance_calendar, record_points, set_runbook_mode
from core.health._actions import _insert
from core.health._push import health_snapshot, health_source
from core.health._runbooks import runbook_named
from data.schema import health_incidents, maintenance_tasks
from data.store import upgrade
from tests.pages.helpers import by_id, current, page_store, text_of

ADMIN = Principal("root", "admin", "session", user_id=1)
VIEWER = Principal("vera", "viewer", "session", user_id=2)


@pytest.fixture
def health(pages):
    """pages.health as the real app's page scanner imported it, and its admin callbacks."""
    return sys.modules["pages.health"], sys.modules["pages._health_actions"]


@pytest.fixture
def store(pages, tmp_path):
    """An empty migrated store, current for the test."""
    with current(page_store(f"sqlite:///{tmp_path / 'foresight.db'}", tmp_path)) as store:
        upgrade(store.engine)
        yield store


@contextmanager
def signed_in(store, principal: Principal = ADMIN):
    with store.app.server.test_request_context("/_dash-update-component", method="POST"):
        g.principal = principal
        yield


@contextmanager
def pressed(component_id: dict, prop: str = "n_clicks", value=1, states_list=()):
    """Dash's callback context while ``component_id.prop`` triggered the callback (and the States it read)."""
    token = context_value.set(AttributeDict(
        triggered_inputs=[{"prop_id": f"{stringify_id(component_id)}.{prop}", "value": value}],
        states_list=list(states_list)))
    try:
        yield
    finally:
        context_value.reset(token)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def _record(store, at: dt.datetime, **values: float) -> None:
    """Points at ``at``: ``host__cpu_percent=12`` is host.cpu_percent."""
    record_points(store.engine, [Point(at, *name.split("__"), value) for name, value in values.items()])


def _incident(store, state: str = "open", component: str = "store", title: str = "store down") -> int:
    now = _now()
    signal = {"component": component, "metric": "up", "at": now.isoformat(), "value": 0.0, "score": 1.0,
              "kind": "down", "severity": "critical", "detail": "probe failed"}
    cause = {"component": component, "rank": 1, "score": 1.0, "evidence": [f"abnormal: {component}.up (down)"]}
    row = {"group_key": component, "component": component, "title": title, "severity": "critical", "state": state,
           "opened_at": now, "updated_at": now, "resolved_at": now if state == "resolved" else None,
           "signals": json.dumps([signal]), "causes": json.dumps([cause])}
    with store.engine.begin() as connection:
        return int(connection.execute(insert(health_incidents).values(**row)).inserted_primary_key[0])


def _pending_action(store) -> int:
    runbook = runbook_named("prune_cache")
    plan = runbook.plan(store.engine, store.settings)
    return _insert(store.engine, runbook, plan, reason="disk 93% full", mode="approval", state="pending",
                   now=_now())


def _task(store, due_in: dt.timedelta = dt.timedelta(hours=5), task: str = "cache_prune") -> int:
    row = {"task": task, "due_at": _now() + due_in, "reason": "quietest hour", "state": "planned",
           "catch_up": False}
    with store.engine.begin() as connection:
        return int(connection.execute(insert(maintenance_tasks).values(**row)).inserted_primary_key[0])


def test_the_snapshot_reads_gauges_statuses_and_open_incidents_from_the_store(store):
    empty = health_snapshot(store.engine)
    assert empty["at"] is None and set(empty["statuses"].values()) == {"not_configured"}
    at = _now()
    _record(store, at, host__up=1, host__cpu_percent=12.5, store__up=0, web__up=1, web__request_p95_ms=180)
    _incident(store, component="web")
    snapshot = health_snapshot(store.engine)
    assert snapshot["gauges"]["host.cpu_percent"] == 12.5 and snapshot["gauges"]["stream.lag"] is None
    assert snapshot["statuses"] == {"host": "ok", "web": "degraded", "worker": "not_configured", "store": "down",
                                    "redis": "not_configured", "stream": "not_configured",
                                    "model": "not_configured", "cache": "not_configured"}
    assert snapshot["open_incidents"] == 1
    assert snapshot["at"] == int(at.replace(tzinfo=dt.timezone.utc).timestamp() * 1000)
    json.dumps(snapshot)  # it travels as an event's JSON


def test_the_push_source_rereads_the_store_at_most_once_per_interval(store):
    source = health_source(store.engine, min_interval_s=3600)
    assert source.event == "health" and source.read()[""]["gauges"]["host.cpu_percent"] is None
    _record(store, _now(), host__cpu_percent=50)
    assert source.read()[""]["gauges"]["host.cpu_percent"] is None  # within the interval: the last reading
    assert health_source(store.engine, min_interval_s=0).read()[""]["gauges"]["host.cpu_percent"] == 50


def test_the_layout_follows_the_component_in_the_url_and_shows_recorded_values(health, store):
    page, _ = health
    _record(store, _now(), host__up=1, host__cpu_percent=33.3)
    layout = page.layout(component="store")
    assert by_id(layout, ids.HEALTH_COMPONENT).value == "store"
    assert by_id(layout, ids.health_gauge_value("host.cpu_percent")).children == "33.3 %"
    assert by_id(layout, ids.HEALTH_LIVE).data["statuses"]["host"] == "ok"
    assert by_id(page.layout(component="<script>"), ids.HEALTH_COMPONENT).value == "host"


def test_the_map_and_gauges_follow_the_live_snapshot(health, store):
    page, _ = health
    start = _now() - dt.timedelta(minutes=2)
    for i in range(3):
        _record(store, start + dt.timedelta(seconds=10 * i), host__up=1, host__cpu_percent=10 + i, store__up=0)
    snapshot = health_snapshot(store.engine)
    figure, chips, as_of = page.update_service_map(snapshot, "store")
    colours = dict(zip(figure["data"][0]["customdata"], figure["data"][0]["text"]))
    assert colours["store"] == "store<br>down" and colours["host"] == "host<br>ok"
    assert "Down" in text_of(chips) and as_of.startswith("Measured at")
    tiles = page.update_gauges(snapshot)
    assert by_id(tiles, ids.health_gauge_value("host.cpu_percent")).children == "12.0 %"
    spark = by_id(tiles, ids.health_sparkline("host.cpu_percent")).figure
    assert spark["data"][0]["y"] == [10.0, 11.0, 12.0]
    assert page.poll_health(1, snapshot) is no_update  # nothing new since
    assert page.poll_health(1, None) == snapshot


def test_a_click_on_the_map_drills_into_its_component(health):
    page, _ = health
    assert page.drill_from_map({"points": [{"customdata": "redis"}]}) == "redis"
    assert page.drill_from_map({"points": [{"customdata": "nope"}]}) is no_update
    assert page.drill_from_map(None) is no_update


def test_incidents_open_and_past_with_their_alerts_and_causes(health, store):
    page, _ = health
    assert "No open incidents" in text_of(page.update_incidents(None, 0)[0])
    _incident(store, component="store", title="store down")
    _incident(store, state="resolved", component="redis", title="redis down")
    opened, timeline = page.update_incidents(None, 0)
    assert "store down" in text_of(opened) and "abnormal: store.up (down)" in text_of(opened)
    assert "redis down" in text_of(timeline) and "store down" not in text_of(timeline)


def test_the_drill_down_draws_each_recorded_metric_with_anomaly_scores(health, store):
    page, _ = health
    start = _now() - dt.timedelta(minutes=40)
    for i in range(200):
        _record(store, start + dt.timedelta(seconds=10 * i), store__up=1,
                store__query_ms=5.0 + (i % 3) * 0.1 + (80 if i == 150 else 0))
    detail = page.update_detail("store", 0)
    chart = by_id(detail, ids.health_metric_chart("store", "query_ms")).figure
    names = [trace["name"] for trace in chart["data"]]
    assert names == ["store.query_ms", "anomaly score", "anomaly"]  # the spike is flagged, nothing else
    assert chart["data"][2]["y"] == [85.0]
    assert chart["data"][1]["y"][:100] == [None] * 100  # no score while the detector warms up
    assert "Predictions" in text_of(detail) and "Maintenance history" in text_of(detail)
    assert getattr(page.update_detail("bogus", 0), "data-component") == "host"  # an unknown name: the host


def test_operations_show_buttons_to_admins_only(health, store):
    page, _ = health
    action_id = _pending_action(store)
    task_id = _task(store)
    with signed_in(store, ADMIN):
        tasks, books, actions = page.update_operations(0, None)
    assert by_id(actions, ids.health_action_decision("approve", action_id)) is not None
    assert by_id(tasks, ids.health_task_action("move", task_id)) is not None
    assert by_id(books, ids.health_runbook_mode("prune_cache")) is not None
    with signed_in(store, VIEWER):
        tasks, books, actions = page.update_operations(0, None)
    for tree, component_id in ((actions, ids.health_action_decision("approve", action_id)),
                               (tasks, ids.health_task_action("move", task_id)),
                               (books, ids.health_runbook_mode("prune_cache"))):
        with pytest.raises(LookupError):
            by_id(tree, component_id)
    assert "Dry run: what it will do" in text_of(actions) and "mode: auto" in text_of(books)


def test_an_admin_approves_a_pending_action_and_it_runs(health, store):
    _, act = health
    action_id = _pending_action(store)
    with signed_in(store, ADMIN), pressed(ids.health_action_decision("approve", action_id)):
        message, refresh = act.decide_action([1], 4)
    assert refresh == 5 and f"Action {action_id} approved; it is now done." in text_of(message)
    assert [a["state"] for a in list_actions(store.engine) if a["id"] == action_id] == ["done"]


def test_a_viewer_is_refused_on_the_server(health, store):
    _, act = health
    action_id = _pending_action(store)
    with signed_in(store, VIEWER), pressed(ids.health_action_decision("reject", action_id)):
        message, refresh = act.decide_action([1], 4)
    assert refresh is no_update and "only an admin may approve or reject runbook actions" in text_of(message)
    assert [a["state"] for a in list_actions(store.engine) if a["id"] == action_id] == ["pending"]
    with signed_in(store, VIEWER), pressed(ids.health_task_action("run", 1)):
        message, _ = act.change_task([1], [], 0)
    assert "only an admin may approve, move or run maintenance" in text_of(message)


def test_a_redrawn_button_that_was_not_pressed_does_nothing(health, store):
    _, act = health
    with signed_in(store, ADMIN), pressed(ids.health_action_decision("approve", 1), value=0):
        assert act.decide_action([0], 0) == (no_update, no_update)


def test_an_admin_switches_a_runbook_between_auto_and_approval(health, store):
    _, act = health
    mode_id = ids.health_runbook_mode("prune_cache")
    with signed_in(store, ADMIN), pressed(mode_id, "value", "approval"):
        message, refresh = act.switch_runbook_mode(["approval"], 0)
    assert "prune_cache now waits for an admin's approval" in text_of(message) and refresh == 1
    with signed_in(store, ADMIN), pressed(mode_id, "value", "approval"):
        assert act.switch_runbook_mode(["approval"], 1) == (no_update, no_update)  # drawn again, unchanged
    set_runbook_mode(store.engine, "prune_cache", "auto", "test")
    with signed_in(store, VIEWER), pressed(mode_id, "value", "approval"):
        message, _ = act.switch_runbook_mode(["approval"], 1)
    assert "only an admin may change a runbook's mode" in text_of(message)


def _when_state(task_id: int, value) -> list:
    return [[{"id": ids.health_task_when(task_id), "property": "value", "value": value}], {"value": 0}]


@pytest.mark.parametrize("value, words", [
    (None, "pick the new date and time for task"),
    ("next tuesday", "'next tuesday' is not a date and time; use the picker"),
    ("2020-01-01T03:00", "is in the past"),
    ("2099-01-01T03:00", "more than 30 days ahead"),
])
def test_moving_a_task_checks_the_new_time_with_a_specific_message(health, store, value, words):
    _, act = health
    task_id = _task(store)
    with signed_in(store, ADMIN), pressed(ids.health_task_action("move", task_id),
                                          states_list=_when_state(task_id, value)):
        message, refresh = act.change_task([1], [value], 0)
    assert words in text_of(message) and refresh is no_update


def test_an_admin_approves_moves_and_runs_a_task(health, store):
    _, act = health
    task_id = _task(store)
    with signed_in(store, ADMIN), pressed(ids.health_task_action("approve", task_id)):
        message, _ = act.change_task([1], [None], 0)
    assert f"Task {task_id} is approved" in text_of(message)
    target = (_now() + dt.timedelta(days=2)).replace(second=0)
    raw = target.strftime("%Y-%m-%dT%H:%M")
    with signed_in(store, ADMIN), pressed(ids.health_task_action("move", task_id),
                                          states_list=_when_state(task_id, raw)):
        message, refresh = act.change_task([1], [raw], 0)
    assert f"moved to {target:%Y-%m-%d %H:%M} UTC" in text_of(message) and refresh == 1
    with signed_in(store, ADMIN), pressed(ids.health_task_action("run", task_id)):
        message, _ = act.change_task([1], [raw], 1)
    assert f"Task {task_id} ran now; it is done." in text_of(message)
    [task] = [t for t in maintenance_calendar(store.engine, _now() - dt.timedelta(days=1),
                                              _now() + dt.timedelta(days=3)) if t["id"] == task_id]
    assert task["state"] == "done" and task["moved_by"] == "root"


def test_capacity_says_what_it_needs_when_there_is_not_enough_history(health, store):
    page, _ = health
    section = page.update_capacity(None)
    assert "Web workers" in text_of(section) and "Background workers" in text_of(section)
    assert by_id(section, ids.child_id(ids.HEALTH_CAPACITY, "web")) is not None


def test_capacity_recommends_workers_and_the_day_the_current_setting_runs_out(health, store):
    import math

    from core.health import capacity_plan
    from data.schema import health_metrics

    page, _ = health
    now = _now().replace(minute=0, second=0)
    rows = [{"resolution": "1h", "component": "web", "metric": "request_rate", "at": now - dt.timedelta(hours=h),
             "value": 30 + 10 * math.sin(h / 24 * 2 * math.pi) - h * 0.01, "value_min": None, "value_max": None,
             "samples": 360} for h in range(1, 60 * 24)]
    with store.engine.begin() as connection:
        connection.execute(insert(health_metrics), rows)
    expected = capacity_plan(store.engine, store.settings, now)["web"]
    assert expected["status"] == "planned"
    section = page.update_capacity(None)
    shown = text_of(section)
    longest = max(expected["horizons"], key=lambda h: h["days"])
    assert f"Web workers {longest['recommended_workers']} recommended for 90 days (now 2)" in shown
    runs_out = expected["runs_out_on"]
    assert (f"enough until {runs_out[:10]}" if runs_out else "enough until > 90 days") in shown
    chart = by_id(section, ids.child_id(ids.HEALTH_CAPACITY, "web")).figure
    assert [t["name"] for t in chart["data"]][-2:] == ["30-day peak", "90-day peak"]
    band = {t["name"]: t for t in chart["data"]}
    assert band["80% interval"]["y"] == [round(r["lo-80"], 4) for r in expected["forecast"]]
    assert len(band["forecast"]["x"]) == len(expected["forecast"]) == 90 * 24
    assert chart["layout"]["shapes"][0]["y0"] == expected["current_capacity"]


def test_a_store_without_health_tables_says_how_to_fix_it_and_the_sections_stay_empty(health, unmigrated_store):
    page, _ = health
    layout = page.layout()
    assert "run `python -m data upgrade`" in text_of(by_id(layout, ids.HEALTH_MESSAGE))
    assert page.update_gauges(None) is None and page.update_incidents(0, 0) == (None, None)
    assert page.update_operations(0, 0) == (None, None, None) and page.update_capacity(None) is None
