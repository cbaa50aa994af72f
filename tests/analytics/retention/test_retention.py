"""RetentionAnalyzer, the one object every caller asks, on the 1,500-customer sample (seed 7)."""
from __future__ import annotations

import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from analytics.retention import AT_RISK_COLUMNS, KM_GROUPS, RetentionAnalyzer, facts_from_tables
from data.sample import SampleConfig, generate_sample


@pytest.fixture(scope="module")
def fitted():
    facts = facts_from_tables(generate_sample(SampleConfig(customers=1500, seed=7)).tables)
    steps = []
    analyzer = RetentionAnalyzer().fit(facts, progress=lambda done, total, message: steps.append((done, total, message)))
    return analyzer, steps


def _active(analyzer) -> pd.DataFrame:
    customers = analyzer.facts_.customers
    return customers[customers["cancel_date"].isna()]


def test_questions_before_fit_say_to_fit_first():
    with pytest.raises(NotFittedError, match="call fit"):
        RetentionAnalyzer().top_at_risk(5)


def test_fit_reports_every_step_in_order(fitted):
    _, steps = fitted
    assert [done for done, _, _ in steps] == list(range(len(steps)))
    assert steps[-1] == (5, 5, "done") and {total for _, total, _ in steps} == {5}


def test_churn_rate_of_a_segment_is_the_observed_share_that_cancelled(fitted):
    analyzer, _ = fitted
    start, end = pd.Timestamp("2025-07-01"), pd.Timestamp("2025-12-31")
    c = analyzer.facts_.customers
    at_start = c[(c["segment"] == "SMB") & (c["signup_date"] <= start)
                 & (c["cancel_date"].isna() | (c["cancel_date"] > start))]
    expected = ((at_start["cancel_date"] > start) & (at_start["cancel_date"] <= end)).mean()
    assert analyzer.churn_rate(start, end, segment="SMB") == pytest.approx(expected)
    assert analyzer.churn_rate(start, end) != pytest.approx(expected)


def test_top_at_risk_lists_risky_active_customers_by_value_at_risk_with_a_reason_in_words(fitted):
    analyzer, _ = fitted
    top = analyzer.top_at_risk(200)
    assert list(top.columns) == list(AT_RISK_COLUMNS) and len(top) == 200
    assert set(top["customer_id"]) <= set(_active(analyzer)["customer_id"])
    assert set(top["risk"]) <= {"high", "medium"}
    assert (top["churn_probability"] >= analyzer.churn_.base_rate).all()
    valued = top["value_at_risk"].notna()
    assert top.loc[valued, "value_at_risk"].is_monotonic_decreasing
    assert top["value_at_risk"].to_numpy() == pytest.approx((top["churn_probability"] * top["clv"]).to_numpy(),
                                                            nan_ok=True)
    assert not valued.iloc[:valued.sum()].eq(False).any()  # customers without history come after all others
    assert (top["orders"].head(100) > 0).all()  # brand-new sign-ups only fill the tail
    assert top["top_reason"].str.endswith("raises risk").all() and not top["top_reason"].str.contains(" = ").any()


def test_clv_by_segment_counts_every_active_customer_and_values_those_with_orders(fitted):
    analyzer, _ = fitted
    table = analyzer.clv_by_segment("segment").set_index("segment")
    active = _active(analyzer)
    assert table["customers"].to_dict() == active["segment"].value_counts().to_dict()
    clv = analyzer.clv_.customers.set_index("customer_id")["clv"]
    valued = active[active["customer_id"].isin(clv.index)]
    assert table["valued"].to_dict() == valued["segment"].value_counts().to_dict()
    assert (table["valued"] < table["customers"]).any(), "the sample has active customers without orders"
    for segment, group in valued.groupby("segment"):
        assert table.loc[segment, "clv_total"] == pytest.approx(clv[group["customer_id"]].sum())
        assert table.loc[segment, "clv_mean"] == pytest.approx(clv[group["customer_id"]].mean())
    by_rfm = analyzer.clv_by_segment("rfm_segment").set_index("rfm_segment")
    assert by_rfm.loc["No orders yet", "valued"] == 0 and by_rfm["customers"].sum() == len(active)
    with pytest.raises(ValueError, match="not a grouping"):
        analyzer.clv_by_segment("colour")


def test_cohort_retention_and_kaplan_meier_answer_from_the_fitted_tables(fitted):
    analyzer, _ = fitted
    pd.testing.assert_series_equal(analyzer.cohort_retention(3), analyzer.cohorts_.at(3))
    assert set(analyzer.kaplan_meier("segment").curves["group"]) == {"Consumer", "SMB", "Enterprise"}
    with pytest.raises(ValueError, match=str(sorted(KM_GROUPS))[1:-1]):
        analyzer.kaplan_meier("colour")


def test_customer_profile_gathers_history_value_and_reasons(fitted):
    analyzer, _ = fitted
    customer_id = int(analyzer.top_at_risk(1)["customer_id"].iloc[0])
    profile = analyzer.customer(customer_id)
    orders = analyzer.facts_.orders
    assert len(profile.history) == (orders["customer_id"] == customer_id).sum()
    assert profile.info["status"] == "active" and 0 <= profile.info["retention_score"] <= 100
    assert profile.info["p_alive"] is None or 0 <= profile.info["p_alive"] <= 1
    assert {"raises risk"} <= set(profile.reasons["direction"])
    with pytest.raises(KeyError, match="customer -1 is not in this dataset"):
        analyzer.customer(-1)


def test_a_cancelled_customer_is_worth_nothing_more(fitted):
    analyzer, _ = fitted
    c = analyzer.facts_.customers
    gone = c[c["cancel_date"].notna() & c["customer_id"].isin(analyzer.clv_.customers["customer_id"])]
    bgnbd = analyzer.clv_.customers.set_index("customer_id").loc[gone["customer_id"], "p_alive"]
    assert (bgnbd > 0).all()  # orders alone do not tell BG/NBD that the subscription ended
    profile = analyzer.customer(int(gone["customer_id"].iloc[0]))
    assert profile.info["status"].startswith("churned on")
    assert profile.info["p_alive"] == 0 and profile.info["clv"] == 0 and profile.info["expected_purchases"] == 0
