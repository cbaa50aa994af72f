"""The Health page in headless Chromium: live gauges that change as the monitor's points arrive (over the push
channel), an injected fault that opens an incident, an admin who approves a pending runbook action, and a viewer
who sees every section but no button that acts.

Points are recorded straight into the store an hour ahead of the clock, so they are the newest whatever the app's own
monitor records meanwhile; the page must show them within seconds, without a reload.
"""
from __future__ import annotations

import datetime as dt

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import delete, func, select, update

from components import ids
from core.health import Point, incident_step, list_actions, record_points
from core.health._actions import _insert
from core.health._runbooks import runbook_named
from core.runtime import SETTINGS_KEY
from data.schema import alert_events, health_actions, health_incidents, health_metrics
from tests.browser.helpers import assert_clean_console, login, scroll_to

LIVE_TIMEOUT = 20  # the broadcaster ticks every second and the health source re-reads every 2 s


def _last_id(engine, table) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.max(table.c.id))).scalar() or 0


@pytest.fixture
def ahead(store_engine):
    """A time an hour ahead of the clock (naive UTC, as the store keeps it): the newest points, whatever else runs.

    The store is shared by every browser test: afterwards the points from then on go, and the incidents, their
    alerts and the actions the test made are settled (resolved, acknowledged, rejected), so no later test sees them.
    """
    moment = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0) + dt.timedelta(hours=1)
    incidents, actions = _last_id(store_engine, health_incidents), _last_id(store_engine, health_actions)
    yield moment
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    with store_engine.begin() as connection:
        connection.execute(delete(health_metrics).where(health_metrics.c.at >= moment - dt.timedelta(seconds=1)))
        events = select(health_incidents.c.alert_event_id).where(health_incidents.c.id > incidents)
        connection.execute(update(alert_events).where(alert_events.c.id.in_(events))
                           .values(state="acknowledged", acted_by="tests"))
        connection.execute(update(health_incidents).where(health_incidents.c.id > incidents)
                           .values(state="resolved", resolved_at=now))
        connection.execute(update(health_actions).where(health_actions.c.id > actions,
                                                        health_actions.c.state == "pending")
                           .values(state="rejected", decided_by="tests", decided_at=now))


def _gauge(dash_duo, name: str) -> str:
    return dash_duo.find_element(f"#{ids.health_gauge_value(name)}").text


def _pending_action(engine, settings) -> int:
    runbook = runbook_named("prune_cache")
    return _insert(engine, runbook, runbook.plan(engine, settings), reason="disk 93% full (browser test)",
                   mode="approval", state="pending", now=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))


def _open_health(dash_duo) -> None:
    dash_duo.driver.get(dash_duo.server_url + "/health")
    dash_duo.wait_for_element(f"#{ids.HEALTH_MAP} .js-plotly-plot", timeout=30)


def test_live_gauges_an_injected_fault_and_an_approved_runbook(dash_duo, nf_app, store_engine, ahead):
    settings = nf_app.server.config[SETTINGS_KEY]
    record_points(store_engine, [Point(ahead, "host", "cpu_percent", 12.34), Point(ahead, "host", "up", 1.0),
                                 Point(ahead, "store", "up", 1.0)])
    action_id = _pending_action(store_engine, settings)
    dash_duo.start_server(nf_app)
    _open_health(dash_duo)
    dash_duo.wait_for_text_to_equal(f"#{ids.health_gauge_value('host.cpu_percent')}", "12.3 %", timeout=LIVE_TIMEOUT)

    record_points(store_engine, [Point(ahead + dt.timedelta(seconds=10), "host", "cpu_percent", 56.78)])
    dash_duo.wait_for_text_to_equal(f"#{ids.health_gauge_value('host.cpu_percent')}", "56.8 %", timeout=LIVE_TIMEOUT)
    assert dash_duo.driver.execute_script("return window.nfPush.status();")["open"]  # it came over the channel

    fault_at = ahead + dt.timedelta(seconds=20)
    fault = [Point(fault_at, "store", "up", 0.0)]
    record_points(store_engine, fault)
    incident_step(store_engine, settings, fault_at, fault)
    dash_duo.wait_for_contains_text(f"#{ids.HEALTH_INCIDENTS}", "store is down", timeout=LIVE_TIMEOUT)
    dash_duo.wait_for_contains_text(f"#{ids.HEALTH_STATUSES}", "store\nDOWN", timeout=LIVE_TIMEOUT)
    incidents = dash_duo.find_element(f"#{ids.HEALTH_INCIDENTS}").text
    assert "store.up" in incidents and "Likely causes" in incidents  # its alert and the ranked causes

    row = f"//li[@data-action='{action_id}']"
    button = dash_duo.driver.find_element(By.XPATH, f"{row}//button[normalize-space()='Approve']")
    scroll_to(dash_duo, button)
    button.click()
    dash_duo.wait_for_contains_text(f"#{ids.HEALTH_MESSAGE}", f"Action {action_id} approved; it is now done",
                                    timeout=LIVE_TIMEOUT)
    dash_duo._wait_for(lambda d: d.find_element(By.XPATH, f"{row}//*[@data-state]").text.lower() == "done",
                       timeout=LIVE_TIMEOUT, msg="the approved action's state never showed done")
    assert [a["state"] for a in list_actions(store_engine) if a["id"] == action_id] == ["done"]
    assert_clean_console(dash_duo)


def test_a_viewer_sees_the_page_but_no_button_that_acts(dash_duo, nf_app, store_engine, ahead):
    action_id = _pending_action(store_engine, nf_app.server.config[SETTINGS_KEY])
    dash_duo.start_server(nf_app, navigate=False)
    login(dash_duo, dash_duo.server.url, "viewer")
    dash_duo.server_url = dash_duo.server.url
    _open_health(dash_duo)
    dash_duo.wait_for_contains_text(f"#{ids.HEALTH_ACTIONS}", "disk 93% full (browser test)", timeout=30)
    dash_duo.wait_for_contains_text(f"#{ids.HEALTH_RUNBOOKS}", "at most 4 per hour", timeout=30)
    assert dash_duo.driver.find_elements(By.XPATH, f"//li[@data-action='{action_id}']//button") == []
    sections = (ids.HEALTH_CALENDAR, ids.HEALTH_RUNBOOKS, ids.HEALTH_ACTIONS)
    acting = dash_duo.driver.find_elements(By.CSS_SELECTOR, ", ".join(
        f"#{section} button, #{section} input" for section in sections))
    assert [element.text for element in acting] == []
    assert "Dry run: what it will do" in dash_duo.find_element(f"#{ids.HEALTH_ACTIONS}").text

    dash_duo.select_dcc_dropdown(f"#{ids.HEALTH_COMPONENT}", value="store")  # drill down: it goes in the URL
    dash_duo._wait_for(lambda d: "component=store" in d.current_url, timeout=15, msg="the URL never said store")
    dash_duo.wait_for_element(f"#{ids.HEALTH_DETAIL} [data-component='store']", timeout=15)
    assert_clean_console(dash_duo)


def test_the_page_polls_while_the_push_channel_is_blocked(dash_duo, nf_app, store_engine, ahead):
    record_points(store_engine, [Point(ahead + dt.timedelta(minutes=5), "worker", "queue_length", 7.0)])
    dash_duo.start_server(nf_app, navigate=False)
    dash_duo.driver.execute_cdp_cmd("Network.enable", {})
    dash_duo.driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/api/v1/events*"]})
    dash_duo.server_url = dash_duo.server.url
    _open_health(dash_duo)
    dash_duo.wait_for_text_to_equal(f"#{ids.health_gauge_value('worker.queue_length')}", "7", timeout=LIVE_TIMEOUT)
    dash_duo._wait_for(lambda _: dash_duo.driver.execute_script("return window.nfPush.status();")["polling"],
                       timeout=30, msg="the push client never fell back to polling")
    record_points(store_engine, [Point(ahead + dt.timedelta(minutes=6), "worker", "queue_length", 9.0)])
    dash_duo.wait_for_text_to_equal(f"#{ids.health_gauge_value('worker.queue_length')}", "9", timeout=40)
    assert dash_duo.driver.execute_script("return window.nfPush.status();")["events"] == 0  # not over the channel
