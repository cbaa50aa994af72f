"""The Health page's builders on hand-made data: the service map, gauges, incidents, the drill-down, capacity, the
maintenance calendar and the runbooks (buttons for admins only)."""
from __future__ import annotations

import datetime as dt

import pytest
from dash import dcc, html

from components import ids
from components.health import (GAUGE_LABELS, as_of, format_gauge, format_when, gauge_tiles, health_layout,
                               incident_card, incident_timeline, open_incidents, status_chips)
from components.health_figures import (MAP_POSITIONS, STATUS_COLORS, load_forecast_figure, metric_figure,
                                       service_map_figure, sparkline_figure)
from components.health_ops import (actions_list, calendar, capacity_section, component_detail, plan_text,
                                   prediction_list, runbook_catalogue, when_value)
from components.theme import PALETTE
from tests.components.helpers import assert_empty_with_message, assert_valid_neon, by_id, texts
from tests.layout_walk import walk

COMPONENTS = ("host", "web", "worker", "store", "redis", "stream", "model", "cache")
DEPENDENCIES = {"host": (), "web": ("store", "cache", "redis", "model", "host"), "worker": ("store", "redis", "host"),
                "stream": ("redis", "store", "host"), "model": ("host",), "store": ("host",), "cache": ("host",),
                "redis": ("host",)}
STATUSES = {"host": "ok", "web": "degraded", "worker": "ok", "store": "down", "redis": "not_configured",
            "stream": "ok", "model": "ok", "cache": "ok"}
AT = dt.datetime(2026, 12, 7, 11, 30)
SNAPSHOT = {"at": int(AT.replace(tzinfo=dt.timezone.utc).timestamp() * 1000),
            "gauges": {"host.cpu_percent": 42.14, "host.memory_percent": 61.0, "host.disk_percent": 80.5,
                       "web.request_p95_ms": 182.4, "web.request_error_rate": 0.005, "worker.queue_length": 3.0,
                       "stream.lag": None},
            "statuses": STATUSES, "open_incidents": 1}
INCIDENT = {"id": 7, "component": "store", "title": "store down", "severity": "critical", "state": "open",
            "opened_at": "2026-12-07T11:20:00", "resolved_at": None,
            "signals": [{"component": "store", "metric": "up", "at": "2026-12-07T11:20:00", "value": 0.0,
                         "score": 1.0, "kind": "down", "severity": "critical", "detail": "probe failed"},
                        {"component": "web", "metric": "request_p95_ms", "at": "2026-12-07T11:21:00",
                         "value": 2400.0, "score": 0.999, "kind": "anomaly", "severity": "warning", "detail": ""}],
            "causes": [{"component": "store", "rank": 1, "score": 1.0,
                        "evidence": ["abnormal: store.up (down)", "web depend(s) on store and also went wrong"]},
                       {"component": "web", "rank": 2, "score": 0.5, "evidence": ["depends on store"]}],
            "actions": [{"id": 3, "runbook": "vacuum_store", "target": "store", "state": "done",
                         "decided_by": "admin", "requested_at": "2026-12-07T11:22:00",
                         "finished_at": "2026-12-07T11:23:00"}]}
ACTION = {"id": 11, "runbook": "prune_cache", "target": "cache", "reason": "disk 93% full", "mode": "approval",
          "state": "pending", "plan": {"steps": ["delete 12 expired cache files (3.1 MB)", "keep 40 live ones"]},
          "requested_at": "2026-12-07T11:00:00"}
TASK = {"id": 5, "task": "vacuum", "due_at": dt.datetime(2026, 12, 8, 3, 0), "reason": "lowest traffic of the week",
        "state": "planned", "catch_up": False}
RUNBOOK = {"name": "prune_cache", "description": "Delete expired cache entries.", "trigger": "disk above 90%",
           "mode": "approval", "max_per_hour": 2, "enabled": True}


def words(tree) -> str:
    """Every piece of text in a tree (strings in lists of children too), joined by spaces."""
    if isinstance(tree, str):
        return tree
    if isinstance(tree, (list, tuple)):
        return " ".join(words(item) for item in tree)
    return words(getattr(tree, "children", None) or "")


def _buttons(tree) -> list:
    return [c for c in walk(tree) if type(c).__name__ == "Button"]


def test_the_service_map_draws_every_component_coloured_by_status_with_an_arrow_per_dependency():
    fig = service_map_figure(STATUSES, DEPENDENCIES, selected="store")
    assert_valid_neon(fig)
    nodes = fig["data"][0]
    assert nodes["customdata"] == list(MAP_POSITIONS)  # a click names the component
    colours = dict(zip(nodes["customdata"], nodes["marker"]["line"]["color"]))
    assert colours["web"] == STATUS_COLORS["degraded"] and colours["store"] == PALETTE["cyan"]  # store is selected
    assert "store<br>down" in nodes["text"] and "redis<br>not configured" in nodes["text"]
    arrows = fig["layout"]["annotations"]
    assert len(arrows) == sum(len(targets) for targets in DEPENDENCIES.values()) == 15
    to_store = [a for a in arrows if (a["x"], a["y"]) == MAP_POSITIONS["store"]]
    assert len(to_store) == 3 and all(a["arrowcolor"] == PALETTE["danger"] for a in to_store)  # store is down


def test_gauges_show_each_value_with_its_unit_and_a_sparkline():
    history = {"host.cpu_percent": (["2026-12-07 11:29:50", "2026-12-07 11:30:00"], [40.0, 42.14])}
    tiles = gauge_tiles(SNAPSHOT["gauges"], history)
    assert len(tiles) == len(GAUGE_LABELS) == 7
    found = by_id(html.Div(tiles))
    assert found[ids.health_gauge_value("host.cpu_percent")].children == "42.1 %"
    assert found[ids.health_gauge_value("web.request_error_rate")].children == "0.50 %"
    assert found[ids.health_gauge_value("web.request_p95_ms")].children == "182 ms"
    assert found[ids.health_gauge_value("stream.lag")].children == "—"
    spark = found[ids.health_sparkline("host.cpu_percent")].figure
    assert spark["data"][0]["y"] == [40.0, 42.14]
    assert found[ids.health_sparkline("stream.lag")].figure["data"] == []


@pytest.mark.parametrize("name, value, text", [("host.disk_percent", 99.96, "100.0 %"),
                                               ("worker.queue_length", 1204.0, "1,204"),
                                               ("web.request_error_rate", 0.0, "0.00 %")])
def test_format_gauge(name, value, text):
    assert format_gauge(name, value) == text


def test_status_chips_and_as_of_say_the_status_in_words():
    chips = status_chips(STATUSES)
    assert chips.id == ids.HEALTH_STATUSES and len(chips.children) == 8
    assert "Not configured" in texts(chips) and "Down" in texts(chips)
    assert as_of(SNAPSHOT) == "Measured at 2026-12-07 11:30:00 UTC · 1 open incident"
    assert as_of({**SNAPSHOT, "open_incidents": 0}).endswith("no open incidents")
    assert as_of(None).startswith("No measurements yet")


def test_an_incident_card_lists_its_alerts_ranked_causes_with_evidence_and_actions():
    card = incident_card(INCIDENT)
    text = words(card)
    assert "store down" in text and "#7 · store" in text and "critical" in text
    assert "store.up" in text and "web.request_p95_ms" in text and " · score 0.999" in text
    assert "web depend(s) on store and also went wrong" in text
    assert "vacuum_store" in text and "Alerts (2)" in text and "Actions taken (1)" in text
    causes = [c for c in walk(card) if type(c).__name__ == "Ol"][0]
    assert [li.children[0].children[0].children for li in causes.children] == ["store", "web"]  # ranked
    assert "is-critical" in card.className and "is-open" in card.className


def test_no_incidents_says_so_and_the_timeline_keeps_order():
    assert "No open incidents" in words(open_incidents([]))
    resolved = [{**INCIDENT, "id": 9, "state": "resolved", "resolved_at": "2026-12-07T11:40:00"},
                {**INCIDENT, "id": 8, "state": "resolved", "resolved_at": "2026-12-07T10:40:00"}]
    timeline = incident_timeline(resolved)
    assert [item.children.__dict__["data-incident"] for item in timeline.children] == ["9", "8"]
    assert "resolved 2026-12-07 11:40 UTC" in words(timeline)


def test_a_metric_chart_overlays_the_anomaly_score_and_marks_points_above_the_threshold():
    times = ["t0", "t1", "t2", "t3"]
    fig = metric_figure("store.query_ms", times, [5.0, 6.0, 90.0, 5.5], [0.0, 0.5, 0.9995, 0.6])
    assert_valid_neon(fig)
    line, score, marks = fig["data"]
    assert fig["layout"]["yaxis2"]["tickvals"] == [0, 0.5, 1]
    assert score["yaxis"] == "y2" and fig["layout"]["yaxis2"]["range"] == [0, 1.02]
    assert marks["x"] == ["t2"] and marks["y"] == [90.0]
    assert_empty_with_message(metric_figure("store.query_ms", [], []), "no points recorded yet")


def test_sparkline_and_forecast_figures():
    assert_valid_neon(sparkline_figure(["a", "b"], [1.0, 2.0]))
    fig = load_forecast_figure("Requests per second", (["d1", "d2"], [1.0, 2.0]),
                               {"at": ["d3", "d4"], "mean": [2.5, 3.0], "lower": [2.0, 2.2], "upper": [3.0, 3.9]},
                               capacity=3.5)
    assert_valid_neon(fig)
    assert [t["name"] for t in fig["data"]] == ["recorded", "upper", "80% interval", "forecast"]
    assert fig["data"][2]["fill"] == "tonexty" and fig["layout"]["shapes"][0]["y0"] == 3.5


def test_the_calendar_has_approve_move_and_run_for_an_admin_only():
    admin = calendar([TASK], admin=True)
    found = by_id(admin) | {str(c.id): c for c in walk(admin) if isinstance(getattr(c, "id", None), dict)}
    assert {str(ids.health_task_action(a, 5)) for a in ("approve", "move", "run")} <= set(found)
    when = [c for c in walk(admin) if getattr(c, "id", None) == ids.health_task_when(5)][0]
    assert when.type == "datetime-local" and when.value == "2026-12-08T03:00"
    assert "Vacuum and analyse the store" in texts(admin)
    assert _buttons(calendar([TASK], admin=False)) == []
    assert _buttons(calendar([{**TASK, "state": "done"}], admin=True)) == []  # a finished task takes no action
    assert texts(calendar([], admin=True)) == ["Nothing scheduled in the next 7 days."]
    later = [TASK, {**TASK, "id": 6, "state": "approved"}, {**TASK, "id": 7, "due_at": "2026-12-09T03:00:00"},
             {**TASK, "id": 8, "due_at": "2026-12-10T03:00:00"}]
    days = calendar(later, admin=False).children
    assert [day.children[0].children for day in days] == ["Tue 08 Dec · 2 tasks · 1 to approve",
                                                          "Wed 09 Dec · 1 task · 1 to approve",
                                                          "Thu 10 Dec · 1 task · 1 to approve"]
    assert [day.open for day in days] == [True, True, False]


def test_runbooks_show_their_mode_switchable_by_an_admin_and_pending_actions_their_plan():
    switch = [c for c in walk(runbook_catalogue([RUNBOOK], admin=True))
              if getattr(c, "id", None) == ids.health_runbook_mode("prune_cache")]
    assert switch and switch[0].value == "approval"
    viewer = runbook_catalogue([RUNBOOK], admin=False)
    assert "mode: approval" in texts(viewer) and "trigger: disk above 90% · at most 2 per hour" in texts(viewer)
    done = {**ACTION, "id": 10, "state": "done"}
    shown = actions_list([done, ACTION], admin=True)
    assert [row.__dict__["data-action"] for row in shown.children] == ["11", "10"]  # pending first
    assert [b.id for b in _buttons(shown)] == [ids.health_action_decision("approve", 11),
                                              ids.health_action_decision("reject", 11)]
    assert "delete 12 expired cache files (3.1 MB)\nkeep 40 live ones" in texts(shown)
    assert _buttons(actions_list([ACTION], admin=False)) == []


def test_plan_text_and_when_value():
    assert plan_text('{"files": 3, "bytes": 10}') == "files: 3\nbytes: 10"
    assert plan_text(["a", "b"]) == "a\nb" and plan_text(None) == ""
    assert when_value(None) is None and when_value("2026-12-08T03:00:00") == "2026-12-08T03:00"
    assert format_when(dt.datetime(2026, 12, 8, 4, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))) == \
        "2026-12-08 03:00 UTC"


def test_the_drill_down_shows_metrics_predictions_and_maintenance_history():
    chart = metric_figure("store.query_ms", ["t0"], [5.0], [0.0])
    detail = component_detail("store", [("query_ms", chart)],
                              [{"what": "Store size", "status": "warning", "sentence": "Reaches 1 GB in 12 days "
                                                                                       "(8–20)."}],
                              [{"task": "vacuum", "state": "done", "finished_at": "2026-12-06T03:05:00"}])
    found = by_id(detail)
    assert isinstance(found[ids.health_metric_chart("store", "query_ms")], dcc.Graph)
    shown = texts(detail)
    assert "Reaches 1 GB in 12 days (8–20)." in shown and "vacuum" in shown
    assert "No predictions" in prediction_list([]).children


def test_capacity_section_has_tiles_and_charts():
    fig = load_forecast_figure("Requests", ([], []), {"at": ["d"], "mean": [1.0], "lower": [0.5], "upper": [1.5]})
    section = capacity_section([("Web workers", "3", "recommended (now 2)")], [("requests", fig)], "how")
    assert ids.child_id(ids.HEALTH_CAPACITY, "requests") in by_id(section)
    assert "Web workers" in texts(section) and "3" in texts(section)


def test_the_layout_holds_every_section_and_the_live_store():
    page = health_layout(SNAPSHOT, "store", COMPONENTS, DEPENDENCIES, poll_ms=15_000)
    found = by_id(page)
    for section in (ids.HEALTH_LIVE, ids.HEALTH_POLL, ids.HEALTH_MAP, ids.HEALTH_GAUGES, ids.HEALTH_INCIDENTS,
                    ids.HEALTH_TIMELINE, ids.HEALTH_COMPONENT, ids.HEALTH_DETAIL, ids.HEALTH_CAPACITY,
                    ids.HEALTH_CALENDAR, ids.HEALTH_RUNBOOKS, ids.HEALTH_ACTIONS, ids.HEALTH_MESSAGE,
                    ids.HEALTH_REFRESH, ids.HEALTH_OPEN_COUNT):
        assert section in found, section
    assert page.id == ids.HEALTH and found[ids.HEALTH_LIVE].data is SNAPSHOT and found[ids.HEALTH_OPEN_COUNT].data == 1
    assert found[ids.HEALTH_POLL].disabled is True and found[ids.HEALTH_COMPONENT].value == "store"
    assert found[ids.health_gauge_value("host.cpu_percent")].children == "42.1 %"
    empty = health_layout(None, "host", COMPONENTS, DEPENDENCIES, poll_ms=15_000)
    assert by_id(empty)[ids.HEALTH_AS_OF].children.startswith("No measurements yet")
