"""Known answers: for questions on the seeded sample company, every fact in the answer equals a direct SQL or pandas
computation on the store (or, for a fitted model's output, the number the page shows from the same model)."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import text

from analytics.chat import Conversation, ConversationalAI, DirectResults, QueryParser, Vocabulary
from analytics.forecasting import forecast_demand, load_demand_inputs, node_view
from data import store
from data.sample import SampleConfig
from tests.browser.helpers import sql_kpis
from tests.sample_stores import write_template

COMPANY = SampleConfig(customers=1200, seed=11)
FORECAST_REGION, FORECAST_CATEGORIES = "EMEA", ("Electronics", "Home")


class OneRegionForecast(DirectResults):
    """The store's results, with the demand forecast fitted on one region's sales of two categories (four nodes
    instead of twenty-six keep the module quick; the total node is then that region's two categories)."""

    def forecast(self, metric: str, h: int):
        def compute():
            inputs = load_demand_inputs(self.engine(), self.through, ("US",))
            sales = inputs.sales[(inputs.sales["region"] == FORECAST_REGION)
                                 & inputs.sales["category"].isin(FORECAST_CATEGORIES)]
            return forecast_demand(dataclasses.replace(inputs, sales=sales), metric, h, n_jobs=1)
        return self._once(("forecast", metric, h), compute)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    path = write_template(tmp_path_factory.mktemp("answers"), COMPANY)
    engine = store.get_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def results(engine):
    return OneRegionForecast(engine)


@pytest.fixture(scope="module")
def ask(results, engine):
    assistant = ConversationalAI(results, QueryParser(Vocabulary.from_store(engine),
                                                      today=dt.date.fromisoformat(results.through)))

    def ask(question: str):
        answer = assistant.answer(question, Conversation())
        assert answer.facts, f"{question!r} got no facts: {answer.text}"
        return answer, {f.name: f for f in answer.facts}
    return ask


def _sql(engine, query: str, **params) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query), params)]


def _trailing(results, days: int) -> tuple[str, str]:
    last = dt.date.fromisoformat(results.through)
    return (last - dt.timedelta(days=days - 1)).isoformat(), last.isoformat()


def _last_month(results) -> tuple[str, str]:
    """The calendar month before the last complete day's month (what "last month" means to the parser)."""
    end = dt.date.fromisoformat(results.through).replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1).isoformat(), end.isoformat()


def _check_kpis(facts, expected: dict[str, float], period: tuple[str, str], filters: dict) -> None:
    names = {"revenue": "revenue", "orders": "orders", "active-customers": "active customers",
             "aov": "average order value", "churn-rate": "churn rate"}
    for key, name in names.items():
        assert facts[name].value == pytest.approx(expected[key], rel=1e-9), name
        assert facts[name].period == period and facts[name].filters == filters


def test_kpis_for_the_last_30_days(ask, results, engine):
    answer, facts = ask("KPIs for the last 30 days")
    assert answer.parse.intent == "kpi"
    _check_kpis(facts, sql_kpis(engine, window=30), _trailing(results, 30), {})
    assert answer.citations[0].page == "Overview" and answer.citations[0].href == "/"
    assert answer.citations[0].dataset_version == results.version
    assert facts["revenue"].display in answer.text


def test_revenue_in_emea_last_month(ask, results, engine):
    answer, facts = ask("revenue in EMEA last month")
    start, end = _last_month(results)
    _check_kpis(facts, sql_kpis(engine, region="EMEA", start=start, end=end), (start, end), {"region": "EMEA"})
    days = (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days + 1
    before_end = dt.date.fromisoformat(start) - dt.timedelta(days=1)
    before = sql_kpis(engine, region="EMEA", start=(before_end - dt.timedelta(days=days - 1)).isoformat(),
                      end=before_end.isoformat())
    assert facts["revenue (previous period)"].value == pytest.approx(before["revenue"], rel=1e-9)
    assert facts["revenue change"].value == pytest.approx(facts["revenue"].value / before["revenue"] - 1)
    assert answer.citations[0].href == f"/?start={start}&end={end}&region=EMEA"


def test_orders_by_channel(ask, results, engine):
    answer, facts = ask("orders by channel in the last 30 days")
    start, end = _trailing(results, 30)
    rows = _sql(engine, "SELECT o.channel, COUNT(DISTINCT o.order_id) FROM orders o JOIN order_lines ol"
                        " ON ol.order_id = o.order_id WHERE ol.order_date BETWEEN :s AND :e GROUP BY o.channel",
                s=start, e=end)
    assert {name.split(" · ")[1]: f.value for name, f in facts.items() if name.startswith("orders · ")} == dict(rows)
    assert [row["channel"] for row in answer.table] == [c for c, _ in sorted(rows, key=lambda r: -r[1])]


def test_churn_rate(ask, results, engine):
    answer, facts = ask("what is the churn rate?")
    analyzer = results.retention()
    start, end = _trailing(results, 90)
    ((base, churned),) = _sql(engine, "SELECT COUNT(*), SUM(CASE WHEN cancel_date BETWEEN :s AND :e THEN 1 ELSE 0 END)"
                                      " FROM customers WHERE signup_date < :s AND (cancel_date IS NULL OR"
                                      " cancel_date >= :s)", s=start, e=end)
    assert facts["churn rate"].value == pytest.approx(churned / base) and facts["churn rate"].period == (start, end)
    assert facts["churn model AUC"].value == analyzer.churn_.auc
    assert facts["churn model base rate"].value == analyzer.churn_.base_rate
    assert answer.citations[0].model and answer.citations[0].href == "/retention"
    assert any("AUC" in reason for reason in answer.confidence.reasons)


def test_top_5_at_risk_customers(ask, results):
    answer, facts = ask("top 5 at-risk customers")
    scores = results.retention().churn_.scores.set_index("customer_id")["churn_probability"]
    listed = [row["customer"] for row in answer.table]
    assert listed == list(results.retention().top_at_risk(5)["customer_id"]) and len(listed) == 5
    for customer in listed:
        assert facts[f"churn probability · customer {customer}"].value == pytest.approx(scores[customer])


def test_clv_by_segment(ask, results, engine):
    answer, facts = ask("CLV by segment")
    analyzer = results.retention()
    clv = analyzer.clv_.customers.set_index("customer_id")["clv"]
    customers = pd.read_sql(text("SELECT customer_id, segment FROM customers WHERE cancel_date IS NULL"), engine)
    customers["clv"] = customers["customer_id"].map(clv)
    expected = customers.groupby("segment")["clv"].agg(["size", "sum", "mean"])
    for segment, row in expected.iterrows():
        assert facts[f"active customers · {segment}"].value == row["size"]
        assert facts[f"total CLV · {segment}"].value == pytest.approx(row["sum"])
        assert facts[f"average CLV · {segment}"].value == pytest.approx(row["mean"])


def test_revenue_forecast_total_for_the_next_30_days(ask, results):
    answer, facts = ask("what is the revenue forecast for the next 30 days?")
    result = results.forecast("revenue", 30)
    total = result.forecast[result.forecast["unique_id"] == "total"].sort_values("ds").head(30)
    assert facts["forecast revenue total"].value == pytest.approx(total["mean"].sum())
    assert facts["forecast revenue total"].value == pytest.approx(node_view(result, "total").forecast_total)
    for level in (80, 95):
        assert facts[f"forecast revenue total lower {level}%"].value == pytest.approx(total[f"lo-{level}"].sum())
        assert facts[f"forecast revenue total upper {level}%"].value == pytest.approx(total[f"hi-{level}"].sum())
    assert facts["forecast revenue total"].period == (f"{total['ds'].min():%Y-%m-%d}", f"{total['ds'].max():%Y-%m-%d}")
    assert answer.series["y"] == [round(v, 2) for v in total["mean"]]
    assert answer.citations[0].href == "/forecast" and answer.citations[0].model


def test_why_did_revenue_drop_in_a_month(ask, results, engine):
    start, end = _last_month(results)
    month = dt.date.fromisoformat(start).strftime("%B %Y")
    answer, facts = ask(f"why did revenue drop in {month}?")
    assert answer.parse.intent == "explain"
    before_end = dt.date.fromisoformat(start) - dt.timedelta(days=1)
    before = (before_end.replace(day=1).isoformat(), before_end.isoformat())
    by_region = {}
    for label, (s, e) in (("now", (start, end)), ("before", before)):
        by_region[label] = dict(_sql(engine, "SELECT c.region, SUM(ol.quantity * ol.unit_price * (1 - ol.discount))"
                                             " FROM order_lines ol JOIN orders o ON o.order_id = ol.order_id JOIN"
                                             " customers c ON c.customer_id = o.customer_id WHERE ol.order_date"
                                             " BETWEEN :s AND :e GROUP BY c.region", s=s, e=e))
    assert facts["revenue"].value == pytest.approx(sum(by_region["now"].values()))
    assert facts["revenue (previous period)"].value == pytest.approx(sum(by_region["before"].values()))
    assert facts["revenue (previous period)"].period == before
    rows = {row["member"]: row["change"] for row in answer.table if row["dimension"] == "region"}
    assert rows == pytest.approx({r: by_region["now"][r] - by_region["before"][r] for r in by_region["now"]}, abs=0.01)
    assert sum(rows.values()) == pytest.approx(facts["revenue change"].value, abs=0.05)
