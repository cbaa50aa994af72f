"""RFM quintiles by hand and KMeans segments: choice of k, names, profiles and edge cases."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.retention.segments import CustomerSegmenter, SegmentResult, rfm_scores, segment_customers, segment_points

AS_OF = pd.Timestamp("2024-12-31")


def _orders(rows):
    return pd.DataFrame(rows, columns=["customer_id", "order_date", "revenue"]).assign(
        order_date=lambda f: pd.to_datetime(f["order_date"]))


def _rfm(recency, frequency, monetary):
    return pd.DataFrame({"customer_id": range(1, len(recency) + 1), "recency_days": recency,
                         "frequency": frequency, "monetary": monetary})


def test_rfm_values_and_quintiles_by_hand():
    # customer i (1..10) ordered i times, the last one 10*i days before as_of, each order worth 1 (zero for 10)
    rows = [(i, AS_OF - pd.Timedelta(days=10 * i + j), 0.0 if i == 10 else 1.0) for i in range(1, 11)
            for j in range(i)]
    rfm = rfm_scores(_orders(rows), AS_OF).set_index("customer_id")
    assert rfm["recency_days"].tolist() == [10 * i for i in range(1, 11)]
    assert rfm["frequency"].tolist() == list(range(1, 11))
    assert rfm["monetary"].tolist() == [float(i) for i in range(1, 10)] + [0.0]
    # ten distinct values: two customers per quintile; the most recent score 5
    assert rfm["r_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert rfm["f_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert rfm["m_score"].tolist() == [1, 2, 2, 3, 3, 4, 4, 5, 5, 1]  # zero spend ranks last
    assert rfm.loc[1, "rfm"] == "511" and rfm.loc[9, "rfm"] == "155"


def test_ties_share_a_score():
    orders = _orders([(c, "2024-12-01", 5.0) for c in "abcde"] + [("e", "2024-12-30", 5.0)])
    rfm = rfm_scores(orders, AS_OF).set_index("customer_id")
    # a-d tie on every measure: average rank 2.5 of 5 -> score 3 (floor(2/5 * 5) + 1)
    assert rfm.loc[list("abcd"), "f_score"].eq(3).all() and rfm.loc["e", "f_score"] == 5
    assert rfm.loc[list("abcd"), "r_score"].eq(3).all() and rfm.loc["e", "r_score"] == 5


def test_rfm_errors_name_the_problem():
    orders = _orders([("a", "2024-12-01", 5.0), ("b", "2025-01-02", 1.0)])
    with pytest.raises(ValueError, match=r"rows 1 \(1 in all\) are dated after as_of 2024-12-31"):
        rfm_scores(orders, AS_OF)
    with pytest.raises(ValueError, match=r"lack columns \['revenue'\]"):
        rfm_scores(orders.drop(columns="revenue"), AS_OF)
    with pytest.raises(ValueError, match="negative values"):
        rfm_scores(orders.assign(revenue=[-1.0, 1.0]), "2025-02-01")


def _two_groups(seed=0, n=40):
    rng = np.random.default_rng(seed)
    good = _rfm(rng.integers(1, 10, n), rng.integers(20, 30, n), rng.uniform(900, 1100, n))
    poor = _rfm(rng.integers(300, 400, n), rng.integers(1, 3, n), rng.uniform(10, 30, n))
    rfm = pd.concat([good, poor], ignore_index=True)
    return rfm.assign(customer_id=range(1, 2 * n + 1))


def test_two_clear_groups_are_found_and_named():
    rfm = _two_groups()
    churned = pd.Series(np.r_[np.zeros(40, bool), np.ones(40, bool)], index=rfm["customer_id"])
    result = segment_customers(rfm, churned=churned)
    assert isinstance(result, SegmentResult)
    assert result.k == 2 and max(result.scores, key=result.scores.get) == 2
    assert set(result.scores) == set(range(2, 9))
    names = result.assignments.set_index("customer_id")["segment"]
    assert names.iloc[:40].eq("Champions").all() and names.iloc[40:].eq("Hibernating").all()
    profiles = result.profiles.set_index("segment")
    assert profiles.loc["Champions", "size"] == 40 and profiles.loc["Champions", "share"] == 0.5
    assert profiles.loc["Champions", "churn_rate"] == 0.0 and profiles.loc["Hibernating", "churn_rate"] == 1.0
    assert profiles["value"].sum() == pytest.approx(rfm["monetary"].sum())
    assert profiles.loc["Hibernating", "description"].startswith("40 customers (50%) who bought ")
    assert profiles.loc["Hibernating", "description"].endswith("of revenue and 100% have churned.")


def test_scatter_points_carry_each_customer_s_segment_and_draw_reproducibly():
    rfm = _two_groups()
    result = segment_customers(rfm)
    every = segment_points(rfm, result, 1000)
    assert len(every) == 80 and every.set_index("customer_id")["segment"].to_dict() == \
        result.assignments.set_index("customer_id")["segment"].to_dict()
    drawn = segment_points(rfm, result, 10, random_state=3)
    assert len(drawn) == 10 and drawn["customer_id"].is_unique
    assert drawn.equals(segment_points(rfm, result, 10, random_state=3))
    assert set(drawn["customer_id"]) <= set(rfm["customer_id"])
    with pytest.raises(ValueError, match="at least 1 point"):
        segment_points(rfm, result, 0)


def test_the_segmenter_predicts_its_own_segments_and_places_new_customers_nearest():
    rfm = _two_groups()
    segmenter = CustomerSegmenter().fit(rfm)
    assert (segmenter.predict(rfm) == segmenter.assignments_["segment"].to_numpy()).all()
    newcomers = _rfm([3, 350], [25, 2], [1000.0, 20.0])
    assert segmenter.predict(newcomers).tolist() == ["Champions", "Hibernating"]
    alone = CustomerSegmenter().fit(_rfm([3], [1], [10.0]))
    assert alone.predict(newcomers).tolist() == ["All customers", "All customers"]


def test_a_segment_of_one_customer():
    rfm = _rfm([5] * 6 + [400], [10] * 6 + [1], [500.0] * 6 + [3.0])
    result = segment_customers(rfm, k_range=[2])
    profiles = result.profiles.set_index("segment")
    assert sorted(profiles["size"]) == [1, 6]
    lone = profiles[profiles["size"] == 1].iloc[0]
    assert lone["description"].startswith("1 customer (14%) who bought 1.0 times")
    assert np.isnan(lone["churn_rate"]) and lone["description"].endswith("of revenue.")


def test_k_is_capped_at_the_number_of_distinct_customers():
    rfm = _rfm([1, 1, 50, 50, 300, 300], [9, 9, 3, 3, 1, 1], [90.0, 90.0, 30.0, 30.0, 5.0, 5.0])
    result = segment_customers(rfm, k_range=range(2, 9))
    assert set(result.scores) <= {2, 3}
    assert result.assignments["segment"].nunique() == result.k


def test_one_or_two_customers_are_one_segment():
    for rfm in (_rfm([3], [1], [10.0]), _rfm([3, 90], [1, 4], [10.0, 0.0])):
        result = segment_customers(rfm)
        assert result.k == 1 and result.scores == {}
        assert result.assignments["segment"].eq("All customers").all()


def test_names_are_unique_with_many_clusters():
    rng = np.random.default_rng(4)
    rfm = _rfm(rng.integers(0, 700, 300), rng.integers(1, 40, 300), rng.gamma(2.0, 200.0, 300))
    result = segment_customers(rfm, k_range=[8])
    assert result.k == 8
    assert result.profiles["segment"].is_unique and len(result.profiles) == 8


def test_missing_rfm_columns_are_named():
    with pytest.raises(ValueError, match=r"lacks columns \['monetary'\]"):
        segment_customers(_rfm([1], [1], [1.0]).drop(columns="monetary"))
