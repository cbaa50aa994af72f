"""The alert routes: only analysts and admins create rules, a bad rule is a 422 naming the field, an analyst changes
only their own rules, everyone signed in reads the alert centre, acknowledging and snoozing need the alerts right."""
from __future__ import annotations

import datetime as dt

import pytest

from core.alerts import create_rule, evaluate_rules
from data import store
from tests.core.alerts.helpers import FakeAnomaly, detector
from tests.core.api.conftest import build_api

RULE = {"name": "EMEA week", "kind": "threshold", "metric": "revenue", "scope": {"region": "EMEA"}, "operator": "<",
        "threshold": 50000, "window_days": 7, "webhook_url": "https://hooks.example.com/foresight"}


def _api(folder):
    url = f"sqlite:///{folder / 'api.db'}"
    store.upgrade(store.get_engine(url))
    return build_api(url, folder)


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """One app for the module's rule tests (each creates its own rules)."""
    return _api(tmp_path_factory.mktemp("alerts-api"))


def _send(api, method: str, path: str, user: str, body: dict | None = None):
    return api.client().open(f"/api/v1{path}", method=method, json=body, headers=api.headers(user))


def test_a_viewer_cannot_create_a_rule_and_an_analyst_can(api):
    refused = _send(api, "POST", "/alerts/rules", "viewer", RULE)
    assert refused.status_code == 403 and "may not alerts" in refused.json["detail"]
    created = _send(api, "POST", "/alerts/rules", "analyst", RULE)
    assert created.status_code == 201, created.json
    body = created.json
    assert body["owner"] == "analyst" and len(body["webhook_secret"]) == 64, "the secret is shown once"
    shown = _send(api, "GET", f"/alerts/rules/{body['id']}", "analyst").json
    assert "webhook_secret" not in shown and shown["has_webhook_secret"] is True
    assert _send(api, "GET", "/alerts/rules", "viewer").status_code == 403


@pytest.mark.parametrize("change, detail", [
    ({"webhook_url": "file:///etc/passwd"}, "`webhook_url` 'file:///etc/passwd' is not an http(s) URL"),
    ({"threshold": "lots"}, "`threshold` 'lots' is not a number; give e.g. 50000"),
    ({"metric": "profit"}, "unknown metric 'profit'; choose one of revenue, orders"),
    ({"scope": {"region": "Atlantis"}}, "`scope.region` 'Atlantis' is not a known region"),
])
def test_a_bad_rule_is_a_422_naming_the_field(api, change, detail):
    answer = _send(api, "POST", "/alerts/rules", "analyst", {**RULE, **change})
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert answer.json["detail"].startswith(detail) and answer.json["type"].endswith("/invalid-rule")


def test_an_analyst_changes_only_their_own_rules_and_an_admin_any(api):
    theirs = _send(api, "POST", "/alerts/rules", "admin", RULE).json
    denied = _send(api, "PATCH", f"/alerts/rules/{theirs['id']}", "analyst", {"threshold": 1})
    assert denied.status_code == 403 and "belongs to admin" in denied.json["detail"]
    own = _send(api, "POST", "/alerts/rules", "analyst", RULE).json
    paused = _send(api, "PATCH", f"/alerts/rules/{own['id']}", "analyst", {"enabled": False, "threshold": "40000"})
    assert paused.status_code == 200 and paused.json["enabled"] is False and paused.json["threshold"] == 40000
    assert "webhook_secret" not in paused.json, "an unchanged secret is not shown again"
    assert _send(api, "DELETE", f"/alerts/rules/{own['id']}", "admin").status_code == 200
    assert _send(api, "GET", f"/alerts/rules/{own['id']}", "analyst").status_code == 404


def test_the_alert_centre_over_the_api(tmp_path):
    api = _api(tmp_path)
    create_rule(api.engine, {"name": "drops", "kind": "anomaly", "min_score": 1}, owner="analyst")
    day = dt.date(2026, 10, 31)
    [first, second] = evaluate_rules(api.engine, 1, through=day, detector=detector(
        FakeAnomaly("orders", "drop", day, day, 3.0), FakeAnomaly("revenue", "spike", day, day, 2.0)))
    listed = _send(api, "GET", "/alerts", "viewer").json
    assert listed["unread"] == 2 and [item["id"] for item in listed["items"]] == [second.event_id, first.event_id]
    assert _send(api, "POST", f"/alerts/{first.event_id}/ack", "viewer").status_code == 403
    acked = _send(api, "POST", f"/alerts/{first.event_id}/ack", "analyst")
    assert acked.status_code == 200 and acked.json["unread"] == 1
    snoozed = _send(api, "POST", f"/alerts/{second.event_id}/snooze", "analyst", {"hours": 24})
    assert snoozed.status_code == 200 and snoozed.json["unread"] == 0
    neither = _send(api, "POST", f"/alerts/{second.event_id}/snooze", "analyst", {})
    assert neither.status_code == 400 and "give either `hours` or `until`" in neither.json["detail"]
    log = _send(api, "GET", f"/alerts/{first.event_id}/deliveries", "analyst").json
    assert [item["channel"] for item in log["items"]] == ["in_app"]
    assert _send(api, "GET", "/alerts?state=acknowledged", "viewer").json["total"] == 1
    assert _send(api, "POST", "/alerts/999/ack", "analyst").status_code == 404
