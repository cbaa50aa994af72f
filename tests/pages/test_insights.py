"""The Insights page's callbacks as plain functions: the feed through the page's own job, the period in the URL,
the empty/waiting/error states, the alert-rule form and list, and the header's alert centre."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from dash import no_update
from flask import g

from components import ids
from core import alerts
from core.auth import Principal
from core.runtime import complete_through, dataset_version
from core.warm import warm_entries
from tests.pages.helpers import by_id, run_page_job, text_of, triggered_by

ANALYST = Principal("ana", "analyst", "session", user_id=2)
OTHER = Principal("bo", "analyst", "session", user_id=3)
VIEWER = Principal("vi", "viewer", "session", user_id=4)


@contextmanager
def signed_in(store, principal: Principal = ANALYST):
    """A Dash callback request by ``principal`` (what the access guard leaves in ``flask.g``)."""
    with store.app.server.test_request_context("/_dash-update-component", method="POST"):
        g.principal = principal
        yield


@pytest.fixture
def insights(pages, monkeypatch):
    monkeypatch.setattr(pages.insights, "WITH_MODELS", False)  # the feed alone: no forecast fit in these tests
    return pages.insights


def test_the_default_period_is_the_entry_core_warm_fills(pages, company):
    through = complete_through().iso
    warmed = dict((loader.__name__, params) for loader, params in warm_entries(through))
    assert pages.insights.INSIGHTS_JOB.to_params({"window": 30}) == warmed["load_insight_feed"]
    assert pages.insights.INSIGHTS_JOB.compute.__name__ == "load_insight_feed"


def test_the_page_opens_in_the_state_its_url_describes_and_bad_values_fall_back(pages):
    page = pages.insights.layout(window="7", tab="rules")
    assert by_id(page, ids.INSIGHTS_WINDOW).value == 7 and by_id(page, ids.INSIGHTS_TABS).active_tab == "rules"
    ranged = pages.insights.layout(start="2026-01-01", end="2026-01-31")
    assert by_id(ranged, ids.INSIGHTS_PERIOD).data == {"start": "2026-01-01", "end": "2026-01-31"}
    hostile = pages.insights.layout(window="<script>", tab="x", start="yesterday")
    assert by_id(hostile, ids.INSIGHTS_WINDOW).value == 30 and by_id(hostile, ids.INSIGHTS_TABS).active_tab == "findings"


def test_a_custom_range_is_checked_with_a_message_that_says_how_to_fix_it(insights, company):
    through = complete_through().through
    first = through.replace(day=1)
    params = insights._feed_params({"start": first.isoformat(), "end": through.isoformat()})
    assert (params["period_days"], params["end"]) == (through.day, through.isoformat())
    with pytest.raises(ValueError, match="swap the dates"):
        insights._feed_params({"start": through.isoformat(), "end": "2020-01-01"})
    with pytest.raises(ValueError, match="after the last complete day"):
        insights._feed_params({"start": "2020-01-01", "end": "2099-01-01"})
    with pytest.raises(ValueError, match="at most 366 days"):
        insights._feed_params({"start": "2001-01-01", "end": through.isoformat()})
    with triggered_by(ids.INSIGHTS_WINDOW, "value", 7):
        assert insights.choose_period(7, None, None) == (7, None, None, {"window": 7})
    with triggered_by(ids.INSIGHTS_RANGE, "end_date", "2026-01-31"):
        assert insights.choose_period(30, "2026-01-01", "2026-01-31")[3] == {"start": "2026-01-01",
                                                                             "end": "2026-01-31"}


def test_the_feed_is_computed_in_the_background_once_and_drawn_as_ranked_cards(insights, company):
    job = run_page_job(insights.INSIGHTS_JOB, {"window": 90})
    assert job.status.startswith("Findings for the 90 days") and "computed in" in job.status
    cards, message = insights.show_feed(job.ready)
    assert message is None
    findings = job.result
    shown = text_of(cards)
    if findings:
        assert f"{len(findings)} finding" in shown and findings[0].title in shown
        assert findings[0].impact.display in shown and f"{findings[0].confidence.score:.2f}" in shown
    else:
        assert "Nothing unusual" in shown
    again = run_page_job(insights.INSIGHTS_JOB, {"window": 90})
    assert again.progress == [] and again.status.endswith("from the cache.")


def test_waiting_failed_and_empty_store_states_say_so_without_a_traceback(insights, company, unmigrated_store):
    feed, message = insights.show_feed(None)
    assert "No data" in text_of(message) and feed is None  # unmigrated_store is current: no dataset version
    # (the company store's states are below, in its own context)


def test_waiting_and_failed_states_on_a_company(insights, company):
    feed, message = insights.show_feed(None)
    assert text_of(feed) == insights.INSIGHTS_JOB.waiting and message is None
    feed, message = insights.show_feed({"failed": "Unexpected error (error id abc123); details in the log."})
    assert feed is None and "abc123" in text_of(message)


def _form(**values) -> list:
    defaults = {"name": "EMEA revenue", "kind": "threshold", "metric": "revenue", "scope_dimension": "region",
                "scope_member": "EMEA", "operator": ">", "threshold": 0, "min_score": 5.5, "window_days": 7,
                "webhook_url": "", "emails": ""}
    defaults.update(values)
    return [defaults[name] for name in ids.RULE_FIELDS]


def test_the_form_shows_the_rule_error_under_the_field_it_names(insights, private_company):
    rules = insights._alert_rules
    with signed_in(private_company):
        saved, status, *errors = rules.create_rule(1, *_form(threshold=None))
        assert saved is no_update and status is None
        assert errors[ids.RULE_FIELDS.index("threshold")].startswith("`threshold` is missing")
        _, _, *errors = rules.create_rule(1, *_form(emails="not-an-address"))
        assert "`emails`" in errors[ids.RULE_FIELDS.index("emails")]
        _, _, *errors = rules.create_rule(1, *_form(webhook_url="ftp://x"))
        assert "`webhook_url`" in errors[ids.RULE_FIELDS.index("webhook_url")]
        _, _, *errors = rules.create_rule(1, *_form(name=" "))
        assert errors[ids.RULE_FIELDS.index("name")] is not None
    assert alerts.list_rules(private_company.engine) == []


def test_an_analyst_creates_toggles_and_deletes_their_rule_and_nobody_else_may(insights, private_company):
    rules = insights._alert_rules
    with signed_in(private_company):
        saved, status, *errors = rules.create_rule(1, *_form(webhook_url="https://hooks.example.com/x"))
        assert errors == [None] * len(ids.RULE_FIELDS) and "created" in text_of(status)
        assert "Webhook secret" in text_of(status)
        (rule,) = alerts.list_rules(private_company.engine)
        assert saved["id"] == rule.id and rule.owner == "ana" and rule.scope == {"region": "EMEA"}
        assert "EMEA revenue" in text_of(rules.show_rules(saved, None, ids.INSIGHTS_RULE_LIST))
    toggle = ids.insights_rule_action("toggle", rule.id)
    with signed_in(private_company, OTHER), triggered_by(toggle, "n_clicks", 1):
        changed, status = rules.change_rule([1])
        assert changed is no_update and "belongs to ana" in text_of(status)
        assert text_of(rules.show_rules(None, None, None)).startswith("No alert rules yet")
    with signed_in(private_company), triggered_by(toggle, "n_clicks", 1):
        changed, status = rules.change_rule([1])
        assert changed["action"] == "toggle" and "disabled" in text_of(status)
    assert alerts.get_rule(private_company.engine, rule.id).enabled is False
    with signed_in(private_company), triggered_by(ids.insights_rule_action("delete", rule.id), "n_clicks", 1):
        rules.change_rule([1])
    assert alerts.list_rules(private_company.engine) == []


def test_a_viewer_reads_a_notice_and_the_form_is_hidden(insights, private_company):
    with signed_in(private_company, VIEWER):
        page = insights.layout()
        assert by_id(page, ids.INSIGHTS_RULE_FORM).style == {"display": "none"}
        assert "Only analysts and admins create alert rules" in text_of(by_id(page, ids.INSIGHTS_RULE_NOTICE))
    with signed_in(private_company):
        page = insights.layout()
        assert getattr(by_id(page, ids.INSIGHTS_RULE_FORM), "style", None) is None
        with pytest.raises(LookupError):
            by_id(page, ids.INSIGHTS_RULE_NOTICE)


def test_the_bell_counts_a_fired_alert_and_acknowledge_and_snooze_clear_it(pages, private_company):
    centre = pages.alerts
    with signed_in(private_company):
        count, style, label, listed = centre.refresh_alerts(None, None, 0)
        assert style == {"display": "none"} and "No alerts yet" in text_of(listed)
        pages.insights._alert_rules.create_rule(1, *_form(name="Any revenue", scope_dimension="",
                                                             scope_member=None, window_days=30))
        run = alerts.run_alerts(private_company.engine, dataset_version().version)
        assert len(run.fired) == 1
        count, style, label, listed = centre.refresh_alerts({"version": 1}, None, 0)
        assert (count, style, label) == ("1", {}, "Alerts: 1 unread") and "NEW" in text_of(listed)
        (alert,) = alerts.list_alerts(private_company.engine)[1]
        with triggered_by(ids.alerts_action("snooze-1h", alert["id"]), "n_clicks", 1):
            acted, status = centre.act_on_alert([1])
        assert acted["action"] == "snooze-1h" and status == "Snoozed for 1 h."
        assert centre.refresh_alerts(None, acted, 0)[:3] == ("0", {"display": "none"}, "Alerts: none unread")
        with triggered_by(ids.alerts_action("ack", alert["id"]), "n_clicks", 1):
            assert centre.act_on_alert([1])[1] == "Acknowledged."
        assert "SEEN" in text_of(centre.refresh_alerts(None, None, 0)[3])
