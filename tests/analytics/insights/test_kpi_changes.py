"""KPI-change findings on a hand-made store: exact additive parts, and a planted drop found as the driver."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from analytics.insights import language as lang
from analytics.insights._kpi_changes import kpi_change_findings, member_changes
from analytics.kpis import build_kpi_model, kpi_values

AS_OF = pd.Timestamp("2026-03-31")
REGIONS, CHANNELS = ("North America", "EMEA", "APAC"), ("Web", "Mobile")
BASE = {"Electronics": 100.0, "Home": 50.0}
PLANTED = {("EMEA", "Electronics"): -80.0, ("APAC", "Home"): -5.0}  # per line, in the last 30 days


def _frames(extra_web_orders: int = 0):
    """One customer per region and channel; each orders once a day (one Electronics and one Home line) for 60
    days; in the last 30 days EMEA Electronics lines sell 80 less and APAC Home lines 5 less."""
    customers, orders, lines = [], [], []
    for cid, (region, channel) in enumerate(itertools.product(REGIONS, CHANNELS), start=1):
        customers.append({"customer_id": cid, "signup_date": pd.Timestamp("2025-01-01"), "cancel_date": pd.NaT,
                          "region": region, "channel": channel})
        for day in range(60):
            date = AS_OF - pd.Timedelta(days=day)
            repeats = 1 + (extra_web_orders if channel == "Web" and day < 30 else 0)
            for _ in range(repeats):
                oid = len(orders) + 1
                orders.append({"order_id": oid, "customer_id": cid, "order_date": date, "channel": channel})
                for category, price in BASE.items():
                    change = PLANTED.get((region, category), 0.0) if day < 30 else 0.0
                    lines.append({"order_id": oid, "category": category, "revenue": price + change})
    return pd.DataFrame(orders), pd.DataFrame(lines), pd.DataFrame(customers)


@pytest.fixture(scope="module")
def model():
    return build_kpi_model(*_frames(), as_of=AS_OF, windows=(30,))


def test_every_dimension_adds_up_exactly_to_the_change(model):
    members = member_changes(model, 30, "revenue")
    total = -80.0 * 2 * 30 - 5.0 * 2 * 30
    for dim in ("region", "category", "channel"):
        rows = members[members["filters"].map(lambda f: list(f) == [dim])]
        assert rows["change"].sum() == pytest.approx(total, abs=1e-9)
        assert rows["share"].sum() == pytest.approx(1.0, abs=1e-12)
    emea = members[members["label"] == "EMEA Electronics"].iloc[0]
    assert emea["change"] == pytest.approx(-4800.0) and emea["share"] == pytest.approx(4800 / 5100)


def test_orders_and_active_customers_add_up_over_their_additive_dimensions():
    model = build_kpi_model(*_frames(extra_web_orders=1), as_of=AS_OF, windows=(30,))
    orders = member_changes(model, 30, "orders")
    for dim in ("region", "channel"):
        rows = orders[orders["filters"].map(lambda f: list(f) == [dim])]
        assert rows["change"].sum() == pytest.approx(3 * 30)  # three Web customers order twice a day
    web = orders[orders["label"] == "Web"].iloc[0]
    assert web["share"] == pytest.approx(1.0)
    active = member_changes(model, 30, "active_customers")
    assert active[active["size"] == 1]["change"].sum() == 0


def test_the_planted_drop_is_the_top_kpi_change_with_its_exact_share(model):
    findings = kpi_change_findings(model, 30)
    top = max(findings, key=lambda f: f.rank_score)
    assert top.metric == "revenue"
    assert top.scope == {"region": "EMEA", "category": "Electronics"}
    facts = {f.name: f for f in top.facts}
    assert facts["share of the change · EMEA Electronics"].value == pytest.approx(4800 / 5100)
    assert facts["revenue change"].value == pytest.approx(-5100.0)
    assert top.title == ("Revenue fell 18.9% (\u2212$5.10k) against the previous 30 days; EMEA Electronics "
                                "explains 94.1% of the fall.")  # 5,100 of 27,000; 4,800 of 5,100
    assert "category=Electronics" in top.link and "region=EMEA" in top.link
    assert lang.check_sentence(top.title, top.facts) == ()


def test_average_order_value_splits_exactly_into_mix_and_rate():
    model = build_kpi_model(*_frames(extra_web_orders=1), as_of=AS_OF, windows=(30,))
    aov = next(f for f in kpi_change_findings(model, 30) if f.metric == "aov")
    facts = {f.name: f.value for f in aov.facts}
    value = {v.key: v for v in kpi_values(model, 30)}["aov"]
    assert facts["average order value change within regions"] + facts[
        "average order value change from the regions' mix"] == pytest.approx(value.value - value.previous, abs=1e-9)
    assert lang.check_sentence(aov.title, aov.facts) == ()


def test_a_window_the_model_lacks_is_refused(model):
    with pytest.raises(ValueError, match="windows"):
        kpi_change_findings(model, 7)


def test_unchanged_kpis_give_no_finding():
    orders, lines, customers = _frames()
    lines["revenue"] = np.where(lines["category"] == "Electronics", 100.0, 50.0)
    model = build_kpi_model(orders, lines, customers, as_of=AS_OF, windows=(30,))
    assert kpi_change_findings(model, 30) == []
