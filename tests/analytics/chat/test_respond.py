"""The templates: short sentences written only from the facts, which the guard accepts as they are."""
from __future__ import annotations

import pytest

from analytics.chat import Fact, Parse, ResponseGenerator, check_text
from analytics.chat.answers.common import fact
from analytics.chat.answers.format import count, display, money, percent
from data.vocabulary import CATEGORIES, CHANNELS, REGIONS, SEGMENTS

VOCABULARY = (*REGIONS, *SEGMENTS, *CHANNELS, *CATEGORIES)
PERIOD = ("2026-09-01", "2026-09-30")


@pytest.mark.parametrize("value, unit, shown", [
    (1_234_567.891, "currency", "$1.23M"), (999.5, "currency", "$999.50"), (12_500, "currency", "$12.50k"),
    (-7_593.25, "currency", "-$7.59k"), (3_456, "count", "3,456"), (0.04234, "percent", "4.2%"),
    (0.67, "score", "0.67"), (714.0, "days", "714 days"), (float("nan"), "currency", "—"), ("SMB", "text", "SMB"),
])
def test_numbers_are_written_like_the_pages(value, unit, shown):
    assert display(value, unit) == shown


def test_helpers_agree_with_display():
    assert (money(2e9), count(1e6), percent(0.5, 0)) == ("$2.00B", "1,000,000", "50%")


def _kpi_facts(filters):
    values = {"revenue": (45_203.12, "currency"), "orders": (138, "count"), "active customers": (97, "count"),
              "average order value": (327.56, "currency"), "churn rate": (0.026, "percent")}
    facts = [fact(name, value, unit, PERIOD, filters) for name, (value, unit) in values.items()]
    facts += [fact("revenue (previous period)", 50_730.0, "currency", ("2026-08-02", "2026-08-31"), filters),
              fact("revenue change", 45_203.12 / 50_730.0 - 1, "percent", PERIOD, filters)]
    return facts


def test_kpi_template_leads_with_the_asked_metric_and_its_change():
    parse = Parse("kpi", {"metric": "revenue", "region": "EMEA"}, 0.9, "revenue in EMEA last month")
    facts = _kpi_facts({"region": "EMEA"})
    text = ResponseGenerator().template(parse, facts, {"focus": "revenue"})
    assert text.startswith("Revenue for EMEA was $45.20k from 2026-09-01 to 2026-09-30, down 10.9% on the "
                           "previous period ($50.73k).")
    assert "Orders 138, active customers 97, average order value $327.56, churn rate 2.6%." in text
    assert check_text(text, facts, VOCABULARY) == ()


def test_forecast_template_states_total_and_summed_intervals():
    names = {"total": 240_420.0, "total lower 80%": 109_000.0, "total upper 80%": 371_850.0,
             "total lower 95%": 9_270.0, "total upper 95%": 565_870.0, "per day": 8_014.0}
    period = ("2026-11-01", "2026-11-30")
    facts = [fact(f"forecast revenue {name}", value, "currency", period) for name, value in names.items()]
    facts.append(fact("horizon", 30, "days", period))
    text = ResponseGenerator().template(Parse("forecast", {}, 0.9, "forecast"), facts, {"metric": "revenue"})
    assert text == ("Revenue is forecast at $240.42k over the next 30 days from 2026-11-01 to 2026-11-30, about "
                    "$8.01k a day. Summing the daily intervals gives $109.00k to $371.85k (80%) and $9.27k to "
                    "$565.87k (95%).")


def test_churn_template_lists_the_customers_to_act_on():
    facts = [fact("churn rate", 0.086, "percent", PERIOD), fact("churn model base rate", 0.0861, "percent"),
             fact("churn model AUC", 0.671, "score"),
             fact("churn probability · customer 735", 0.1128, "percent", None, {"customer_id": "735"})]
    table = ({"customer": 735},)
    text = ResponseGenerator().template(Parse("churn", {"top_n": 1}, 0.9, "top 1 at risk"), facts,
                                        {"drivers": ["tenure", "orders per year"]}, table)
    assert "The churn rate was 8.6% from 2026-09-01 to 2026-09-30" in text
    assert "out-of-time AUC is 0.67" in text and "tenure, orders per year" in text
    assert text.endswith("The 1 customers to act on first: 735 (11.3%).")


def test_change_template_names_the_largest_contributions():
    facts = [fact("revenue", 45_203.12, "currency", PERIOD, {"region": "EMEA"}),
             fact("revenue (previous period)", 52_796.37, "currency", ("2026-08-01", "2026-08-31"), {"region": "EMEA"}),
             fact("revenue change", -7_593.25, "currency", PERIOD, {"region": "EMEA"}),
             fact("revenue change %", -0.1438, "percent", PERIOD, {"region": "EMEA"}),
             fact("revenue change · Electronics", -10_271.0, "currency", PERIOD, {"category": "Electronics"}),
             fact("revenue change · Home", 4_439.68, "currency", PERIOD, {"category": "Home"}, shown="+$4.44k")]
    parse = Parse("explain", {"metric": "revenue"}, 0.9, "why did revenue drop")
    text = ResponseGenerator().template(parse, facts, {"contributors": {"category": ["Electronics", "Home"]}})
    assert text.startswith("Revenue for EMEA fell to $45.20k (2026-09-01 to 2026-09-30) from $52.80k (2026-08-01 to "
                           "2026-08-31), -$7.59k (-14.4%).")
    assert "Largest changes by category: Electronics -$10.27k, Home +$4.44k." in text
    assert check_text(text, facts, VOCABULARY) == ()


def test_messages_for_no_answer_hold_no_numbers():
    responder = ResponseGenerator()
    for text in (responder.not_ready("churn model"), responder.no_data("no store"), responder.unknown("KPIs")):
        assert text and not any(ch.isdigit() for ch in text)


def test_every_fact_has_a_display():
    assert all(isinstance(f, Fact) and f.display for f in _kpi_facts({}))
