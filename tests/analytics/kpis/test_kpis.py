"""KPI model: every lookup equals a direct computation on the raw facts."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics import kpis
from analytics.kpis.overview import toggle_filter
from data.vocabulary import CATEGORIES, CHANNELS, REGIONS

AS_OF = pd.Timestamp("2024-06-30")


@pytest.fixture(scope="module")
def facts():
    rng = np.random.default_rng(7)
    n_customers, n_lines = 400, 6000
    signup = AS_OF - pd.to_timedelta(rng.integers(0, 1200, n_customers), unit="D")
    tenure = rng.integers(1, 1200, n_customers)
    cancel = signup + pd.to_timedelta(tenure, unit="D")
    cancel = pd.Series(cancel).where((rng.random(n_customers) < 0.4) & (cancel <= AS_OF))
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(n_customers),
            "signup_date": signup,
            "cancel_date": pd.to_datetime(cancel),
            "region": rng.choice(REGIONS, n_customers),
            "channel": rng.choice(CHANNELS, n_customers),
        }
    )
    n_orders = 2500
    orders = pd.DataFrame(
        {
            "order_id": np.arange(n_orders) * 3 + 11,  # ids need not be positions
            "customer_id": rng.integers(0, n_customers, n_orders),
            "order_date": AS_OF - pd.to_timedelta(rng.integers(0, 1100, n_orders), unit="D"),
            "channel": rng.choice(CHANNELS, n_orders),
        }
    )
    lines = pd.DataFrame(
        {
            "order_id": orders["order_id"].to_numpy()[rng.integers(0, n_orders, n_lines)],
            "category": rng.choice(CATEGORIES, n_lines),
            "revenue": rng.gamma(2.0, 40.0, n_lines),
        }
    )
    return orders, lines, customers


def _joined(orders, lines, customers):
    """Line-level facts joined the obvious way, for direct computations."""
    merged = lines.merge(orders, on="order_id").merge(customers[["customer_id", "region"]], on="customer_id")
    return merged


@pytest.fixture(scope="module")
def model(facts):
    return kpis.build_kpi_model(*facts, as_of=AS_OF)


def _direct(lines, customers, window, period, filters):
    days = (AS_OF - lines["order_date"]).dt.days
    sel = lines[(days >= period * window) & (days < (period + 1) * window)]
    for dim, value in filters.items():
        sel = sel[sel[dim] == value]
    start = AS_OF - pd.Timedelta(days=(period + 1) * window)
    end = AS_OF - pd.Timedelta(days=period * window)
    cust = customers
    for dim in ("region", "channel"):
        if dim in filters:
            cust = cust[cust[dim] == filters[dim]]
    base = cust[(cust["signup_date"] <= start) & ~(cust["cancel_date"] <= start)]
    churned = base[(base["cancel_date"] > start) & (base["cancel_date"] <= end)]
    revenue, orders = sel["revenue"].sum(), sel["order_id"].nunique()
    return {
        "revenue": revenue,
        "orders": orders,
        "active_customers": sel["customer_id"].nunique(),
        "aov": revenue / orders if orders else np.nan,
        "churn_rate": len(churned) / len(base) if len(base) else np.nan,
    }


@pytest.mark.parametrize("window", [30, 90])
@pytest.mark.parametrize(
    "filters",
    [{}, {"region": "EMEA"}, {"category": "Home", "channel": "Web"}, {"region": "APAC", "channel": "Retail"}],
)
def test_kpi_values_equal_direct_computation(facts, model, window, filters):
    orders, lines, customers = facts
    lines = _joined(orders, lines, customers)
    values = {v.key: v for v in kpis.kpi_values(model, window, filters)}
    assert list(values) == list(kpis.KPI_DEFINITIONS)
    for period, attr in ((0, "value"), (1, "previous")):
        expected = _direct(lines, customers, window, period, filters)
        for key, want in expected.items():
            got = getattr(values[key], attr)
            if key == "churn_rate" and "category" in filters:
                continue  # churn ignores the category filter, checked below
            np.testing.assert_allclose(got, want, rtol=1e-9, err_msg=f"{key} period {period}")
    spark = values["revenue"].sparkline
    assert len(spark) == kpis.N_PERIODS and spark[-1] == values["revenue"].value


def test_churn_ignores_category_filter(model):
    with_category = {v.key: v.value for v in kpis.kpi_values(model, 30, {"category": "Home", "region": "EMEA"})}
    without = {v.key: v.value for v in kpis.kpi_values(model, 30, {"region": "EMEA"})}
    assert with_category["churn_rate"] == without["churn_rate"]
    assert with_category["revenue"] < without["revenue"]


def test_delta_is_relative_change(model):
    revenue = kpis.kpi_values(model, 30)[0]
    assert revenue.delta == pytest.approx(revenue.value / revenue.previous - 1)


def test_trend_covers_every_day_and_sums_to_revenue(facts, model):
    lines = _joined(*facts)
    trend = kpis.revenue_trend(model, {"region": "LATAM"})
    assert trend["date"].is_monotonic_increasing
    assert len(trend) == (AS_OF - lines["order_date"].min()).days + 1
    np.testing.assert_allclose(trend["revenue"].sum(), lines.loc[lines["region"] == "LATAM", "revenue"].sum())


def test_breakdown_keeps_every_member_and_marks_selection(facts, model):
    frame = kpis.breakdown(model, "region", 90, {"region": "EMEA", "category": "Sports"})
    assert frame["region"].tolist() == list(REGIONS)
    assert frame["selected"].tolist() == [r == "EMEA" for r in REGIONS]
    lines = _joined(*facts)
    days = (AS_OF - lines["order_date"]).dt.days
    sel = lines[(days < 90) & (lines["category"] == "Sports")]
    np.testing.assert_allclose(frame["revenue"].to_numpy(), sel.groupby("region")["revenue"].sum().reindex(REGIONS).to_numpy())
    assert frame["share"].sum() == pytest.approx(1.0)


def test_matrix_is_region_by_category(model):
    matrix = kpis.region_category_matrix(model, 30, {"channel": "Partner"})
    assert list(matrix.index) == list(REGIONS) and list(matrix.columns) == list(CATEGORIES)
    assert (matrix.to_numpy() >= 0).all()


def test_toggle_filter_drills_and_clears():
    f = toggle_filter({}, "region", "EMEA")
    assert f == {"region": "EMEA", "category": None, "channel": None}
    assert toggle_filter(f, "region", "EMEA")["region"] is None
    assert toggle_filter(f, "channel", "Web") == {"region": "EMEA", "category": None, "channel": "Web"}


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m: kpis.kpi_values(m, 45), "window must be one of"),
        (lambda m: kpis.kpi_values(m, 30, {"region": "Mars"}), "unknown region 'Mars'"),
        (lambda m: kpis.breakdown(m, "colour", 30), "unknown dimension 'colour'"),
    ],
)
def test_bad_parameters_name_the_valid_options(model, call, message):
    with pytest.raises(ValueError, match=message):
        call(model)


def test_missing_columns_are_named(facts):
    orders, lines, customers = facts
    with pytest.raises(ValueError, match=r"order lines is missing column\(s\) \['revenue'\]"):
        kpis.build_kpi_model(orders, lines.drop(columns="revenue"), customers)


def test_orphan_lines_are_reported_not_dropped(facts):
    orders, lines, customers = facts
    orphan = pd.concat([lines, pd.DataFrame({"order_id": [999_999], "category": ["Home"], "revenue": [1.0]})])
    with pytest.raises(ValueError, match=r"order lines reference unknown orders \[999999\]"):
        kpis.build_kpi_model(orders, orphan, customers)


def test_progress_is_reported_to_completion(facts):
    steps = []
    kpis.build_kpi_model(*facts, as_of=AS_OF, progress=lambda s, t, m: steps.append((s, t)))
    assert steps[-1][0] == steps[-1][1] and [s for s, _ in steps] == sorted(s for s, _ in steps)
