"""The Insights page's builders: evidence charts, finding cards, the empty feed, the rule form and the alert centre."""
from __future__ import annotations

import pytest
from dash import dcc

from analytics.insights import Confidence, Evidence, Finding, Impact
from components import ids
from components.alert_rules import field_errors, rule_form, rules_list
from components.alerts import alert_centre, alert_items, bell_label
from components.insights import EVIDENCE_HEIGHT, evidence_figure, feed, finding_card, insights_layout, link_label
from components.theme import PALETTE
from tests.components.helpers import assert_valid_neon, by_id, texts
from tests.layout_walk import walk

LINE = Evidence(chart="line", x=("2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04"),
                series={"revenue (all)": (10.0, 12.0, 30.0, 11.0), "revenue (EMEA)": (4.0, 5.0, 20.0, 4.0)},
                unit="currency", highlight=("2026-10-02", "2026-10-03"))
BARS = Evidence(chart="bar", x=("Monday", "Friday", "Sunday"), series={"against the average day": (-0.1, 0.2, 0.0)},
                unit="percent", highlight=("Friday",))


def _finding(evidence=LINE, link="/?start=2026-10-02&end=2026-10-03&region=EMEA", related=()) -> Finding:
    return Finding(kind="anomaly", title="Revenue spiked 150% in EMEA on 2–3 Oct.", evidence=evidence,
                   impact=Impact(value=31.0, unit="currency", display="+$31", money=31.0),
                   confidence=Confidence(level="high", score=0.91, reasons=("score 9.1, far above 5.5",)),
                   link=link, facts=(), key="anomaly:revenue:EMEA", period=("2026-10-02", "2026-10-03"),
                   metric="revenue", scope={"region": "EMEA"}, related=related)


def test_a_line_evidence_draws_every_series_and_shades_the_period_it_is_about():
    fig = evidence_figure(LINE)
    assert_valid_neon(fig)
    assert [t["name"] for t in fig["data"]] == ["revenue (all)", "revenue (EMEA)"]
    assert fig["data"][0]["y"] == [10.0, 12.0, 30.0, 11.0] and fig["data"][0]["line"]["color"] == PALETTE["cyan"]
    (shade,) = fig["layout"]["shapes"]
    assert (shade["type"], shade["x0"], shade["x1"]) == ("rect", "2026-10-02", "2026-10-03")
    assert fig["layout"]["height"] == EVIDENCE_HEIGHT and fig["layout"]["showlegend"] is True
    assert "$" in fig["data"][0]["hovertemplate"]


def test_a_single_day_is_a_dashed_line_and_bars_mark_the_members_in_magenta():
    one_day = Evidence(chart="line", x=("2026-01-01", "2026-01-02"), series={"season": (0.1, 0.9)}, unit="percent",
                       highlight=("2026-01-02",))
    (mark,) = evidence_figure(one_day)["layout"]["shapes"]
    assert mark["type"] == "line" and mark["x0"] == mark["x1"] == "2026-01-02"
    bars = evidence_figure(BARS)
    assert_valid_neon(bars)
    assert bars["data"][0]["type"] == "bar" and bars["layout"]["shapes"] == []
    assert bars["data"][0]["marker"]["color"] == [PALETTE["cyan"], PALETTE["magenta"], PALETTE["cyan"]]
    assert bars["layout"]["yaxis"]["tickformat"] == ".0%" and bars["layout"]["showlegend"] is False


def test_a_card_shows_the_sentence_impact_confidence_chart_and_a_link_to_the_filtered_page():
    card = finding_card(_finding(related=("Orders spiked in EMEA",)), 1)
    words = " ".join(texts(card))
    assert "Revenue spiked 150% in EMEA on 2–3 Oct." in words and "+$31" in words
    assert "high confidence" in words and " 0.91" in words and "#1" in words and "Anomaly" in words
    assert "Also: Orders spiked in EMEA" in words
    graphs = [c for c in walk(card) if isinstance(c, dcc.Graph)]
    assert len(graphs) == 1 and graphs[0].figure["data"][0]["name"] == "revenue (all)" and graphs[0].responsive
    (link,) = [c for c in walk(card) if isinstance(c, dcc.Link)]
    assert link.href == "/?start=2026-10-02&end=2026-10-03&region=EMEA" and link.children[0] == "Open in Overview"
    assert card.className.endswith("accent-magenta")


@pytest.mark.parametrize("link, label", [("/?window=90", "Open in Overview"), ("/forecast?node=EMEA", "Open in Forecast"),
                                         ("/retention?by=plan", "Open in Retention"), ("", "Open in Overview")])
def test_the_link_names_the_page_it_opens(link, label):
    assert link_label(link) == label


def test_the_feed_ranks_the_cards_and_an_empty_feed_says_what_to_try():
    shown = feed([_finding(), _finding(BARS, "/forecast")], "the 30 days 2026-10-02 – 2026-10-31")
    words = " ".join(texts(shown))
    assert "2 findings for the 30 days 2026-10-02 – 2026-10-31, largest first" in words
    assert "#1" in words and "#2" in words
    empty = " ".join(texts(feed([], "the 7 days 2026-10-25 – 2026-10-31")))
    assert "Nothing unusual" in empty and "Try a longer period (90 days)" in empty


def test_the_layout_holds_the_period_controls_the_feed_and_the_rules_tab():
    page = insights_layout(ids.INSIGHTS_JOB, window=None, start="2026-10-01", end="2026-10-31", tab="rules",
                           rules_form=rule_form([{"label": "Revenue", "value": "revenue"}], ["region"], ["<", ">"]),
                           rules_notice="Only analysts and admins create alert rules.")
    found = by_id(page)
    assert found[ids.INSIGHTS_PERIOD].data == {"start": "2026-10-01", "end": "2026-10-31"}
    assert found[ids.INSIGHTS_WINDOW].value is None and found[ids.INSIGHTS_TABS].active_tab == "rules"
    for element in (ids.INSIGHTS_FEED, ids.INSIGHTS_MESSAGE, ids.INSIGHTS_RULE_FORM, ids.INSIGHTS_RULE_NOTICE,
                    ids.INSIGHTS_RULE_LIST, ids.INSIGHTS_RULE_SAVED, ids.INSIGHTS_JOB.ready):
        assert element in found, element
    for name in ids.RULE_FIELDS:
        assert ids.insights_rule_field(name) in found and ids.insights_rule_error(name) in found, name


def test_a_rule_error_goes_under_its_field_only():
    errors = field_errors("threshold", "`threshold` is missing; give a number, e.g. 50000")
    assert errors[ids.RULE_FIELDS.index("threshold")].startswith("`threshold` is missing")
    assert sum(e is not None for e in errors) == 1 and field_errors(None, None) == [None] * len(ids.RULE_FIELDS)


def test_the_rule_list_offers_enable_disable_and_delete_only_to_who_may_change():
    rule = {"id": 4, "name": "EMEA drop", "enabled": False, "condition": "revenue ... < 5", "owner": "ana",
            "webhook_url": "https://h.example/x", "emails": []}
    found = by_id(rules_list([rule]))  # pattern ids are dicts: look for the buttons' text instead
    words = " ".join(texts(rules_list([rule])))
    assert "Enable" in words and "Delete" in words and "DISABLED" in words and "webhook" in words
    assert found == {} and "Delete" not in " ".join(texts(rules_list([rule], can_change=False)))
    assert "No alert rules yet" in " ".join(texts(rules_list([])))


def test_the_alert_centre_lists_alerts_with_acknowledge_and_snooze_for_who_may_act():
    alert = {"id": 7, "title": "Revenue below 5", "state": "unread", "fired_at": "2026-10-31T06:00:00Z",
             "rule_name": "EMEA drop", "snoozed_until": None}
    words = " ".join(texts(alert_items([alert], True, 12)))
    assert "NEW" in words and "Revenue below 5" in words and "Showing the newest 1 of 12." in words
    buttons = [c for c in walk(alert_items([alert], True, 1)) if isinstance(getattr(c, "id", None), dict)]
    assert sorted(b.id["action"] for b in buttons) == ["ack", "snooze-1d", "snooze-1h"]
    assert not [c for c in walk(alert_items([alert], False, 1)) if isinstance(getattr(c, "id", None), dict)]
    assert "No alerts yet" in " ".join(texts(alert_items([], True, 0)))
    assert bell_label(3) == "Alerts: 3 unread" and bell_label(0) == "Alerts: none unread"
    assert ids.ALERTS_BELL in by_id(alert_centre()) and ids.ALERTS_ACTED in by_id(alert_centre())
