"""Cohort retention on hand-made transactions with matrices worked out by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.retention.cohorts import CohortTable, cohort_retention, cohorts_from_facts
from analytics.retention.facts import RetentionFacts


def _tx(rows):
    return pd.DataFrame(rows, columns=["customer_id", "order_date", "revenue"]).assign(
        order_date=lambda f: pd.to_datetime(f["order_date"]))


# January cohort: a, b, c; February cohort: d, e. Last transaction in March.
TX = _tx([
    ("a", "2024-01-05", 10.0), ("a", "2024-02-10", 20.0), ("a", "2024-03-01", 5.0),
    ("b", "2024-01-20", 30.0), ("b", "2024-03-15", 15.0),
    ("c", "2024-01-31", 20.0),
    ("d", "2024-02-01", 40.0), ("d", "2024-03-03", 10.0),
    ("e", "2024-02-28", 0.0),
])


def test_matrices_match_the_hand_computation():
    table = cohort_retention(TX)
    assert isinstance(table, CohortTable)
    assert list(table.customers.index) == ["2024-01", "2024-02"]
    assert list(table.customers.columns) == [0, 1, 2]
    expected_customers = np.array([[1.0, 1 / 3, 2 / 3], [1.0, 0.5, np.nan]])
    np.testing.assert_allclose(table.customers.to_numpy(), expected_customers)
    expected_revenue = np.array([[1.0, 20 / 60, 20 / 60], [1.0, 10 / 40, np.nan]])
    np.testing.assert_allclose(table.revenue.to_numpy(), expected_revenue)
    np.testing.assert_allclose(table.counts.to_numpy(), [[3, 1, 2], [2, 1, np.nan]])
    assert table.sizes.tolist() == [3, 2]


def test_at_and_size_weighted_average():
    table = cohort_retention(TX)
    assert table.at(1).tolist() == pytest.approx([1 / 3, 0.5])
    assert table.average(1) == pytest.approx(2 / 5)
    assert table.average(2) == pytest.approx(2 / 3)  # only January is observed two months on
    assert table.at(9).isna().all() and np.isnan(table.average(9))
    with pytest.raises(ValueError, match="whole number"):
        table.at(-1)


def test_order_of_rows_does_not_matter():
    shuffled = TX.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(cohort_retention(shuffled).customers, cohort_retention(TX).customers)


def test_first_dates_put_non_buyers_in_the_cohort_size():
    first = pd.Series(pd.to_datetime(["2024-01-01"] * 3 + ["2024-02-01", "2024-02-01", "2024-01-15"]),
                      index=["a", "b", "c", "d", "e", "f"])
    table = cohort_retention(TX, first_dates=first)
    assert table.sizes.tolist() == [4, 2]
    assert table.customers.loc["2024-01", 0] == pytest.approx(3 / 4)


def test_max_periods_truncates():
    assert list(cohort_retention(TX, max_periods=1).customers.columns) == [0, 1]


def test_single_purchase_customers_and_a_cohort_that_all_churned():
    table = cohort_retention(_tx([("x", "2024-01-02", 5.0), ("y", "2024-01-09", 7.0), ("z", "2024-03-01", 1.0)]))
    assert table.customers.loc["2024-01"].tolist() == [1.0, 0.0, 0.0]
    assert table.revenue.loc["2024-01"].tolist() == [1.0, 0.0, 0.0]


def test_zero_revenue_in_the_first_month_gives_nan_revenue_retention():
    table = cohort_retention(_tx([("x", "2024-01-02", 0.0), ("x", "2024-02-02", 8.0)]))
    assert table.customers.loc["2024-01"].tolist() == [1.0, 1.0]
    assert table.revenue.loc["2024-01"].isna().all()


def test_custom_column_names():
    other = TX.rename(columns={"customer_id": "who", "order_date": "when", "revenue": "paid"})
    table = cohort_retention(other, customer="who", date="when", amount="paid")
    pd.testing.assert_frame_equal(table.customers, cohort_retention(TX).customers)


@pytest.mark.parametrize("frame, match", [
    (TX.drop(columns="revenue"), r"lack columns \['revenue'\]"),
    (TX.iloc[:0], "empty"),
    (TX.assign(revenue=[-1.0] + [1.0] * 8), "negative values in rows 0"),
    (TX.assign(revenue=[np.nan] + [1.0] * 8), "`revenue` is empty in rows 0"),
])
def test_bad_transactions_are_explained(frame, match):
    with pytest.raises(ValueError, match=match):
        cohort_retention(frame)


def test_transactions_before_first_dates_name_the_rows():
    first = pd.Series(pd.to_datetime(["2024-01-10"] * 5), index=list("abcde"))
    with pytest.raises(ValueError, match=r"rows 0 \(1 in all\) are dated before the customer's first_dates"):
        cohort_retention(TX, first_dates=first)
    with pytest.raises(ValueError, match="no entry in first_dates"):
        cohort_retention(TX, first_dates=first.drop("e"))


def test_cohorts_from_facts_keeps_customers_who_signed_up_inside_the_window():
    customers = pd.DataFrame({"customer_id": [1, 2, 3], "signup_date": pd.to_datetime(
        ["2023-06-01", "2024-01-03", "2024-01-20"]), "cancel_date": pd.NaT, "region": "EMEA", "channel": "Web",
        "segment": "Consumer", "plan": "Basic"})
    orders = pd.DataFrame({"order_id": [1, 2, 3], "customer_id": [1, 2, 2], "revenue": [5.0, 6.0, 7.0],
                           "order_date": pd.to_datetime(["2024-01-01", "2024-01-04", "2024-02-04"])})
    tickets = pd.DataFrame(columns=["customer_id", "opened_date", "resolved_date", "priority", "satisfaction"])
    table = cohorts_from_facts(RetentionFacts(customers, orders, tickets, pd.Timestamp("2024-02-04")))
    assert table.sizes.tolist() == [2]
    assert table.customers.loc["2024-01"].tolist() == [0.5, 0.5]
