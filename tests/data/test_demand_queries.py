"""The demand queries equal direct computations on the sample company's tables."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data.queries import daily_marketing_spend, daily_sales, promotion_calendar


def test_daily_sales_by_region_and_category_equal_the_order_lines(written_sample):
    t = written_sample.dataset.tables
    lines = t["order_lines"].merge(t["orders"][["order_id", "customer_id"]], on="order_id") \
        .merge(t["customers"][["customer_id", "region"]], on="customer_id")
    lines["revenue"] = lines["quantity"] * lines["unit_price"] * (1 - lines["discount"])
    expected = lines.groupby([pd.to_datetime(lines["order_date"]).rename("ds"), "region", "category"]) \
        .agg(revenue=("revenue", "sum"), units=("quantity", "sum")).reset_index()
    got = daily_sales(written_sample.engine).sort_values(["ds", "region", "category"], ignore_index=True)
    expected = expected.sort_values(["ds", "region", "category"], ignore_index=True)
    assert list(got.columns) == ["ds", "region", "category", "revenue", "units"]
    pd.testing.assert_frame_equal(got[["ds", "region", "category"]], expected[["ds", "region", "category"]],
                                  check_dtype=False)
    np.testing.assert_allclose(got["revenue"], expected["revenue"], rtol=1e-9)
    np.testing.assert_array_equal(got["units"], expected["units"])


def test_daily_marketing_spend_sums_every_campaign(written_sample):
    daily = written_sample.dataset.tables["marketing_daily"]
    expected = daily.groupby(pd.to_datetime(daily["date"]))["spend"].sum()
    got = daily_marketing_spend(written_sample.engine).set_index("ds")["spend"]
    assert got.index.is_monotonic_increasing
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-9)


def test_promotion_calendar_lists_past_and_planned_promotions(written_sample):
    calendar = promotion_calendar(written_sample.engine)
    table = written_sample.dataset.tables["promotions"]
    assert len(calendar) == len(table) and calendar["start_date"].is_monotonic_increasing
    end = pd.Timestamp(written_sample.dataset.ground_truth["end_date"])
    assert (calendar["start_date"] > end).any(), "planned promotions are part of the calendar"
    sitewide = calendar["category"].isna()
    assert sitewide.any() and (~sitewide).any() and calendar.loc[sitewide, "category"].map(lambda v: v is None).all()


def test_through_stops_daily_sales_and_spend_at_the_cutoff(written_sample):
    engine = written_sample.engine
    all_sales, all_spend = daily_sales(engine), daily_marketing_spend(engine)
    cutoff = all_sales["ds"].sort_values().iloc[len(all_sales) // 2]
    for through in (cutoff.date(), cutoff.strftime("%Y-%m-%d")):
        sales, spend = daily_sales(engine, through=through), daily_marketing_spend(engine, through=through)
        assert sales["ds"].max() == cutoff and spend["ds"].max() <= cutoff
        assert len(sales) == (all_sales["ds"] <= cutoff).sum()
        np.testing.assert_allclose(spend["spend"], all_spend.loc[all_spend["ds"] <= cutoff, "spend"], rtol=1e-12)
    assert len(daily_sales(engine, through="1990-01-01")) == 0
    assert list(daily_marketing_spend(engine, through="1990-01-01").columns) == ["ds", "spend"]


def test_through_that_is_not_a_date_is_refused_with_the_form_to_use(written_sample):
    with pytest.raises(ValueError, match="ISO date such as"):
        daily_sales(written_sample.engine, through="last tuesday")
