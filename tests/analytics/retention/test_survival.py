"""Survival: the table by hand, Kaplan–Meier on known curves, log-rank power, Cox on planted hazards."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analytics.retention.facts import RetentionFacts, facts_from_tables
from analytics.retention.survival import CoxResult, KMResult, cox_hazards, kaplan_meier, survival_table
from data.sample import SampleConfig, generate_sample


@pytest.fixture(scope="module")
def sample_table():
    return survival_table(facts_from_tables(generate_sample(SampleConfig(customers=1500, seed=7)).tables))


def _facts():
    customers = pd.DataFrame({
        "customer_id": [1, 2, 3],
        "signup_date": pd.to_datetime(["2023-01-01", "2024-01-01", "2024-06-30"]),
        "cancel_date": pd.to_datetime([pd.NaT, "2024-07-01", pd.NaT]),
        "region": ["EMEA", "APAC", "EMEA"], "channel": "Web", "segment": ["SMB", "Consumer", "Consumer"],
        "plan": "Basic"})
    orders = pd.DataFrame({"order_id": [1, 2, 3], "customer_id": [1, 1, 2], "revenue": 10.0,
                           "order_date": pd.to_datetime(["2024-01-01", "2024-06-01", "2024-12-31"])})
    tickets = pd.DataFrame({"customer_id": [2], "opened_date": pd.to_datetime(["2024-02-01"]),
                            "resolved_date": pd.to_datetime(["2024-02-02"]), "priority": "low",
                            "satisfaction": [np.nan]})
    return RetentionFacts(customers, orders, tickets, pd.Timestamp("2024-12-31"))


def test_survival_table_by_hand():
    table = survival_table(_facts()).set_index("customer_id")
    assert table.loc[:, "duration_days"].tolist() == [730, 182, 184]
    assert table.loc[:, "churned"].tolist() == [False, True, False]
    assert table.loc[:, "entry"].tolist() == [365, 0, 0]  # customer 1 was only seen from 2024-01-01
    years = np.array([365, 182, 184]) / 365.25
    mean_tickets = 1 / years.sum()
    expected = (np.array([0, 1, 0]) + mean_tickets) / (years + 1)
    np.testing.assert_allclose(table["tickets_per_year"], expected)
    mean_orders = 3 / years.sum()
    np.testing.assert_allclose(table["orders_per_year"], (np.array([2, 1, 0]) + mean_orders) / (years + 1))
    np.testing.assert_allclose(table["log_orders_per_year"], np.log1p(table["orders_per_year"]))


def _simple(durations, churned, **extra):
    return pd.DataFrame({"duration_days": durations, "churned": churned, **extra})


def test_kaplan_meier_on_a_known_curve():
    km = kaplan_meier(_simple([1, 2, 2, 3, 4], [True, False, True, True, False]))
    assert isinstance(km, KMResult) and km.logrank is None
    curve = km.curves.set_index("timeline_days")["survival"]
    # 5 at risk: S(1) = 4/5; at 2: 4 at risk, 1 event -> 3/5; at 3: 2 at risk, 1 event -> 3/10
    assert curve[1.0] == pytest.approx(0.8) and curve[2.0] == pytest.approx(0.6)
    assert curve[3.0] == pytest.approx(0.3) and curve[4.0] == pytest.approx(0.3)
    assert km.medians == {"All": 3.0}
    assert (km.curves["lower"] <= km.curves["survival"] + 1e-12).all()


def test_none_churned_and_all_churned_groups():
    km = kaplan_meier(_simple([5, 6, 7, 1, 2], [False, False, False, True, True], g=list("aaabb")), by="g")
    assert km.medians["a"] == math.inf
    assert km.curves.query("group == 'a'")["survival"].eq(1.0).all()
    assert km.curves.query("group == 'b'")["survival"].iloc[-1] == 0.0
    assert km.logrank["dof"] == 1


def test_a_group_of_one_customer_works():
    km = kaplan_meier(_simple([3, 4, 5, 9], [True, False, True, True], g=["x", "x", "x", "solo"]), by="g")
    solo = km.curves.query("group == 'solo'")
    assert solo["survival"].tolist() == [1.0, 0.0]
    assert km.medians["solo"] == 9.0 and km.logrank is not None


def test_delayed_entry_changes_the_risk_set():
    table = _simple([2, 10, 10], [True, False, True], entry=[0, 5, 0])
    curve = kaplan_meier(table).curves.set_index("timeline_days")["survival"]
    # at day 2 only customers 1 and 3 are at risk (customer 2 enters on day 5)
    assert curve[2.0] == pytest.approx(0.5)


def test_logrank_detects_a_real_difference_and_not_a_fake_one():
    rng = np.random.default_rng(11)
    slow, fast = rng.exponential(300, 150), rng.exponential(100, 150)
    table = _simple(np.r_[slow, fast].round() + 1, True, g=["slow"] * 150 + ["fast"] * 150)
    assert kaplan_meier(table, by="g").logrank["p_value"] < 1e-6
    same = _simple(rng.exponential(200, 300).round() + 1, True, g=["a", "b"] * 150)
    assert kaplan_meier(same, by="g").logrank["p_value"] > 0.05


def test_cox_recovers_planted_hazard_ratios():
    rng = np.random.default_rng(5)
    n = 3000
    segment = rng.choice(["Consumer", "SMB"], n)
    tickets = rng.gamma(2.0, 1.0, n)
    risk = np.exp(np.log(2.0) * (segment == "SMB") + 0.3 * tickets)
    time = rng.exponential(400 / risk)
    censor = rng.uniform(0, 800, n)
    table = _simple(np.minimum(time, censor).round() + 1, time <= censor, segment=segment, tickets_per_year=tickets)
    result = cox_hazards(table, ["segment", "tickets_per_year"], penalizer=0.0)
    assert isinstance(result, CoxResult)
    ratios = result.hazard_ratios.set_index("covariate")
    assert ratios.loc["segment: SMB", "hazard_ratio"] == pytest.approx(2.0, rel=0.1)
    assert ratios.loc["tickets_per_year", "hazard_ratio"] == pytest.approx(math.exp(0.3), rel=0.05)
    assert ratios.loc["segment: SMB", "lower"] < 2.0 < ratios.loc["segment: SMB", "upper"]
    assert result.references == {"segment": "Consumer"}
    assert result.n == n and result.events == int((time <= censor).sum())
    assert set(result.ph_test.columns) == {"covariate", "statistic", "p_value", "violated"}
    assert 0.5 < result.concordance < 1.0


def test_cox_reference_falls_back_to_the_first_level_alphabetically():
    rng = np.random.default_rng(2)
    table = _simple(rng.integers(1, 100, 60), rng.random(60) < 0.7, region=rng.choice(["LATAM", "APAC", "EMEA"], 60))
    result = cox_hazards(table, ["region"])
    assert result.references == {"region": "APAC"}
    assert result.hazard_ratios["covariate"].tolist() == ["region: EMEA", "region: LATAM"]


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match=r"lacks columns \['churned'\]"):
        kaplan_meier(pd.DataFrame({"duration_days": [1, 2]}))
    with pytest.raises(ValueError, match=r"lacks columns \['plan'\]"):
        cox_hazards(_simple([1, 2], [True, False]), ["plan"])


def test_sample_company_enterprise_churns_less_than_consumer(sample_table):
    result = cox_hazards(sample_table)
    ratios = result.hazard_ratios.set_index("covariate")
    assert ratios.loc["segment: Enterprise", "hazard_ratio"] < 1.0  # ground truth exp(-0.6) = 0.55
    assert result.references["segment"] == "Consumer" and result.references["plan"] == "Basic"
    assert (sample_table.loc[sample_table["entry"] > 0, "duration_days"]
            >= sample_table.loc[sample_table["entry"] > 0, "entry"]).all()
