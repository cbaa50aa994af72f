"""Complete days on a seeded sample store: a partial last day changes no KPI window, trend or forecast input,
shows up only as "today so far", and a custom date range equals pandas on the raw tables."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from analytics import kpis
from analytics.forecasting import complete_days, load_demand_inputs
from analytics.kpis.live import today_so_far, trend_tail
from analytics.kpis.overview import check_range, overview_snapshot
from data import schema, store
from data.sample import SampleConfig
from data.watermark import complete_through
from tests.sample_stores import store_fixtures

END = dt.date(2026, 10, 31)
COMPANY = SampleConfig(customers=1500, seed=7, end_date=END)
FILTERS = ({}, {"region": "EMEA"}, {"category": "Home", "channel": "Web"})


template, engine = store_fixtures("complete-days", COMPANY)


def add_lines(engine, day: dt.date, prices: list[float]) -> None:
    """One order per price, one line each, dated ``day`` (written the way any batch is)."""
    with engine.connect() as connection:
        order = connection.execute(select(func.max(schema.orders.c.order_id))).scalar() + 1
        customer, channel = connection.execute(select(schema.orders.c.customer_id, schema.orders.c.channel)
                                               .order_by(schema.orders.c.order_date.desc()).limit(1)).one()
        product, category = connection.execute(select(schema.products.c.product_id, schema.products.c.category)
                                               .limit(1)).one()
    ids = range(order, order + len(prices))
    store.write_frames(engine, {
        "orders": pd.DataFrame({"order_id": ids, "customer_id": customer, "order_date": day, "channel": channel,
                                "promo_id": None}),
        "order_lines": pd.DataFrame({"order_id": ids, "line_number": 1, "product_id": product, "category": category,
                                     "quantity": 1, "unit_price": prices, "discount": 0.0, "order_date": day}),
    }, source="late-test", description="a thin slice after the last complete day")


def _view(engine):
    mark = complete_through(engine)
    model = kpis.load_kpi_model(engine, through=mark.iso)
    views = {(window, tuple(f.items())): overview_snapshot(model, window, f) for window in kpis.WINDOWS for f in FILTERS}
    return mark, model, views, complete_days(load_demand_inputs(engine), mark.iso)


def test_a_partial_last_day_changes_no_kpi_window_trend_or_forecast_input(engine):
    mark, model, before, demand = _view(engine)
    add_lines(engine, END + dt.timedelta(days=1), [900.0, 40.0, 15.5, 3.0])
    mark_after, model_after, after, demand_after = _view(engine)
    assert mark_after.through == mark.through == END
    assert model_after.as_of == model.as_of == pd.Timestamp(END)
    for key, view in before.items():
        other = after[key]
        assert [(k.value, k.previous, k.sparkline) for k in view.kpis] == \
            [(k.value, k.previous, k.sparkline) for k in other.kpis], key
        pd.testing.assert_frame_equal(view.trend, other.trend, check_exact=True)
        for dim, frame in view.breakdowns.items():
            pd.testing.assert_frame_equal(frame, other.breakdowns[dim], check_exact=True)
    pd.testing.assert_frame_equal(demand.sales, demand_after.sales, check_exact=True)
    pd.testing.assert_frame_equal(demand.spend, demand_after.spend, check_exact=True)
    # Without the watermark the same lines would have entered the newest window.
    assert kpis.load_kpi_model(engine).as_of == pd.Timestamp(END + dt.timedelta(days=1))


def test_today_so_far_holds_exactly_the_partial_lines(engine):
    assert today_so_far(engine, END) is None
    add_lines(engine, END + dt.timedelta(days=1), [900.0, 40.0, 15.5, 3.0])
    partial = today_so_far(engine, complete_through(engine).through)
    assert (partial.first, partial.last, partial.days) == (END + dt.timedelta(days=1),) * 2 + (1,)
    assert (partial.revenue, partial.orders, partial.lines) == (958.5, 4, 4)
    assert isinstance(partial.as_of, dt.datetime)


def test_the_live_trend_tail_stops_at_the_last_complete_day(engine):
    model = kpis.load_kpi_model(engine, through=END.isoformat())
    trend = kpis.revenue_trend(model)
    add_lines(engine, END + dt.timedelta(days=1), [900.0])
    tail = trend_tail(engine, END, len(trend), through=END)
    assert tail.end == END.isoformat() and tail.length == len(trend)
    np.testing.assert_allclose(tail.revenue, trend["revenue"].to_numpy()[-len(tail.revenue):], rtol=1e-12)


def _raw(engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Order lines joined to their order and customer, and the customers, straight from the tables."""
    with engine.connect() as connection:
        lines = pd.read_sql_table("order_lines", connection)
        orders = pd.read_sql_table("orders", connection)
        customers = pd.read_sql_table("customers", connection)
    lines["revenue"] = lines["quantity"] * lines["unit_price"] * (1 - lines["discount"])
    joined = lines.drop(columns=["order_date"]).merge(orders, on="order_id").merge(
        customers[["customer_id", "region"]], on="customer_id")
    joined["order_date"] = pd.to_datetime(joined["order_date"])
    for column in ("signup_date", "cancel_date"):
        customers[column] = pd.to_datetime(customers[column])
    return joined, customers


def _pandas_kpis(joined, customers, first: pd.Timestamp, last: pd.Timestamp, region: str | None) -> dict:
    sel = joined[(joined["order_date"] >= first) & (joined["order_date"] <= last)]
    cust = customers
    if region:
        sel, cust = sel[sel["region"] == region], cust[cust["region"] == region]
    before = first - pd.Timedelta(days=1)  # subscribed at the start: signed up by the day before, not cancelled
    base = cust[(cust["signup_date"] <= before) & ~(cust["cancel_date"] <= before)]
    churned = base[base["cancel_date"] <= last]
    revenue, orders = sel["revenue"].sum(), sel["order_id"].nunique()
    return {"revenue": revenue, "orders": orders, "active_customers": sel["customer_id"].nunique(),
            "aov": revenue / orders, "churn_rate": len(churned) / len(base)}


@pytest.mark.parametrize("region", [None, "APAC"])
def test_a_custom_range_equals_pandas_and_compares_with_the_previous_equal_period(engine, region):
    first, last = pd.Timestamp("2026-08-10"), pd.Timestamp("2026-09-23")  # 45 days
    model = kpis.load_range_kpis(engine, start="2026-08-10", end="2026-09-23")
    assert model.windows == (45,) and model.as_of == last
    values = {v.key: v for v in kpis.kpi_values(model, 45, {"region": region})}
    joined, customers = _raw(engine)
    current = _pandas_kpis(joined, customers, first, last, region)
    previous = _pandas_kpis(joined, customers, first - pd.Timedelta(days=45), first - pd.Timedelta(days=1), region)
    for key in kpis.KPI_DEFINITIONS:
        np.testing.assert_allclose(values[key].value, current[key], rtol=1e-9, err_msg=key)
        np.testing.assert_allclose(values[key].previous, previous[key], rtol=1e-9, err_msg=key)
    region_revenue = kpis.breakdown(model, "region", 45, {"region": region})
    np.testing.assert_allclose(region_revenue["revenue"].sum(), _pandas_kpis(joined, customers, first, last, None)[
        "revenue"], rtol=1e-9)


@pytest.mark.parametrize("start, end, message", [
    (None, "2026-09-01", "has no start date"),
    ("2026-09-01", "", "has no end date"),
    ("2026-09-10", "2026-09-01", "ends on 2026-09-01 before it starts on 2026-09-10"),
    ("2026-09-01", "2026-11-02", "outside the complete data, 2023-11-01 to 2026-10-31"),
    ("2020-01-01", "2026-09-01", "outside the complete data"),
    ("1st of May", "2026-09-01", "the start date '1st of May' is not a date; use YYYY-MM-DD"),
])
def test_bad_ranges_say_what_to_pick(start, end, message):
    with pytest.raises(ValueError, match=message):
        check_range(start, end, dt.date(2023, 11, 1), END)


def test_a_good_range_comes_back_as_dates():
    assert check_range("2026-09-01", "2026-09-30", dt.date(2023, 11, 1), END) == (dt.date(2026, 9, 1),
                                                                                   dt.date(2026, 9, 30))
