"""Demand forecasts for the region × category hierarchy: inputs, drivers, and the sample company end to end."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.forecasting import METRICS
from analytics.forecasting.demand import forecast_demand
from analytics.forecasting.demand_inputs import DemandInputs, demand_history, demand_regressors, load_demand_inputs
from analytics.forecasting.demand_view import forecast_table, node_view
from data import store
from data.sample import SampleConfig, generate_sample, write_sample

DAYS = pd.date_range("2024-01-01", periods=120, freq="D")


def _sales() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = [(d, r, c, float(rng.integers(50, 150)), float(rng.integers(1, 9)))
            for d in DAYS for r, c in (("EMEA", "Home"), ("EMEA", "Sports"), ("APAC", "Home"))]
    frame = pd.DataFrame(rows, columns=["ds", "region", "category", "revenue", "units"])
    return frame.drop(index=[4]).reset_index(drop=True)  # rows go day by day: day 1 has no EMEA/Sports sales


def _promotions() -> pd.DataFrame:
    return pd.DataFrame({
        "name": ["Spring", "Home week", "Planned"],
        "start_date": pd.to_datetime(["2024-02-01", "2024-03-01", "2024-05-05"]),
        "end_date": pd.to_datetime(["2024-02-03", "2024-03-07", "2024-05-06"]),
        "discount": [0.15, 0.2, 0.25], "category": [None, "Home", None],
    })


def _spend() -> pd.DataFrame:
    return pd.DataFrame({"ds": DAYS, "spend": np.linspace(100, 220, DAYS.size)})


def test_history_is_a_complete_calendar_with_zeros_and_levels_that_add_up():
    history, hierarchy = demand_history(_sales(), "revenue")
    wide = history.pivot(index="ds", columns="unique_id", values="y")
    assert len(wide) == DAYS.size and not wide.isna().any().any()
    assert wide.loc[DAYS[1], "EMEA/Sports"] == 0.0, "a day without sales is 0, not a gap"
    assert set(hierarchy.nodes) == {"total", "EMEA", "APAC", "EMEA/Home", "EMEA/Sports", "APAC/Home"}
    np.testing.assert_allclose(wide["EMEA"], wide["EMEA/Home"] + wide["EMEA/Sports"])
    np.testing.assert_allclose(wide["total"], wide["EMEA"] + wide["APAC"])
    assert wide["total"].sum() == pytest.approx(_sales()["revenue"].sum())


@pytest.mark.parametrize("sales, metric, message", [
    (_sales(), "profit", "metric='profit' is not an option"),
    (_sales().drop(columns="region"), "revenue", "sales lack columns ['region']"),
    (_sales().iloc[:0], "revenue", "there are no sales to forecast"),
])
def test_bad_history_input_says_what_is_wrong(sales, metric, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        demand_history(sales, metric)


@pytest.mark.parametrize("h", [0, -3, 400, 2.5, True])
def test_a_horizon_outside_1_to_365_days_is_refused(h):
    with pytest.raises(ValueError, match="whole number of days from 1 to 365"):
        forecast_demand(DemandInputs(_sales(), _spend(), _promotions()), "revenue", h)


def test_drivers_flag_promotions_per_node_and_hold_spend_over_the_horizon():
    _, hierarchy = demand_history(_sales(), "revenue")
    as_of = DAYS[-1]
    days = pd.date_range(DAYS[0], as_of + pd.Timedelta(days=30))
    drivers, assumptions = demand_regressors(hierarchy, days, as_of, DemandInputs(_sales(), _spend(), _promotions()))
    node = drivers.set_index(["unique_id", "ds"])
    assert node.loc[("EMEA/Sports", pd.Timestamp("2024-02-02")), "sitewide_promo"] == 1
    assert node.loc[("EMEA/Sports", pd.Timestamp("2024-03-02")), "category_promo"] == 0, "Home's promotion only"
    assert node.loc[("EMEA/Home", pd.Timestamp("2024-03-02")), "category_promo"] == 1
    assert node.loc[("total", pd.Timestamp("2024-03-02")), "category_promo"] == 1, "any category, above categories"
    assert node.loc[("total", pd.Timestamp("2024-05-05")), "sitewide_promo"] == 1, "planned promotions are known"
    future = drivers[drivers["ds"] > as_of]["marketing_spend"]
    trailing = _spend()["spend"].rolling(7, min_periods=1).mean().iloc[-28:].mean() / 100
    np.testing.assert_allclose(future, trailing)
    assert "held at its mean of the last 28 days" in assumptions[0]
    assert "Planned (05 May–06 May)" in assumptions[1]


def test_a_driver_that_never_varies_in_the_history_is_left_out_and_said_so():
    _, hierarchy = demand_history(_sales(), "revenue")
    flat = _spend().assign(spend=100.0)
    none = _promotions().iloc[:0]
    drivers, assumptions = demand_regressors(hierarchy, DAYS, DAYS[-1], DemandInputs(_sales(), flat, none))
    assert list(drivers.columns) == ["unique_id", "ds"]
    assert assumptions == ("Marketing spend is not used: it does not vary in the history.",
                           "Promotions are not used: none ran in the history.")


# --- the sample company, end to end -------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_inputs(tmp_path_factory) -> DemandInputs:
    """The 1,500-customer sample company's facts, read back through the store's queries."""
    engine = store.get_engine(f"sqlite:///{tmp_path_factory.mktemp('demand') / 'store.db'}")
    write_sample(engine, generate_sample(SampleConfig(customers=1500, seed=7)))
    inputs = load_demand_inputs(engine)
    engine.dispose()
    return inputs


@pytest.fixture(scope="module")
def emea(sample_inputs):
    """EMEA's forecast (the total is EMEA alone): seven nodes keep the fit quick."""
    sales = sample_inputs.sales[sample_inputs.sales["region"] == "EMEA"]
    calls = []
    result = forecast_demand(DemandInputs(sales, sample_inputs.spend, sample_inputs.promotions), "revenue", 30,
                             n_jobs=2, progress=lambda done, total, message: calls.append((done, total, message)))
    return result, calls


def test_sample_company_forecasts_beat_seasonal_naive_in_backtest(emea):
    result, _ = emea
    scores = result.backtest.pivot(index="unique_id", columns="model", values="mase")
    assert set(scores.index) == set(result.nodes)
    assert (scores["ensemble"] < scores["SeasonalNaive"]).all(), scores[["ensemble", "SeasonalNaive"]]
    assert scores.loc["total", "ensemble"] < 0.9 * scores.loc["total", "SeasonalNaive"]


def test_sample_company_forecasts_are_coherent_and_bands_are_ordered(emea):
    result, calls = emea
    wide = result.forecast.pivot(index="ds", columns="unique_id", values="mean")
    categories = [n for n in result.nodes if n.startswith("EMEA/")]
    np.testing.assert_allclose(wide["EMEA"], wide[categories].sum(axis=1), rtol=1e-9)
    np.testing.assert_allclose(wide["total"], wide["EMEA"], rtol=1e-9)
    assert list(wide.index) == list(pd.date_range(result.as_of + pd.Timedelta(days=1), periods=30))
    f = result.forecast
    for inner, outer in zip(result.levels, result.levels[1:]):
        assert (f[f"lo-{outer}"] <= f[f"lo-{inner}"] + 1e-9).all() and (f[f"hi-{inner}"] <= f[f"hi-{outer}"] + 1e-9).all()
    assert (f["lo-50"] <= f["mean"]).all() and (f["mean"] <= f["hi-50"]).all() and (f["lo-99"] >= 0).all()
    assert result.reconciliation.startswith("MinT")
    assert calls[-1][:2] == (len(result.nodes), len(result.nodes)) and len(calls) == len(result.nodes)
    messages = {message for *_, message in calls}
    assert "fitted EMEA / Home" in messages, messages
    assert "fitted All business" in messages, "the total is named as the page names it"


def test_sample_company_weights_sum_to_one_and_effects_are_measured(emea):
    result, _ = emea
    members = result.backtest[result.backtest["model"] != "ensemble"]
    np.testing.assert_allclose(members.groupby("unique_id")["weight"].sum(), 1.0)
    ensemble = result.backtest[result.backtest["model"] == "ensemble"]
    assert len(ensemble) == len(result.nodes)
    np.testing.assert_allclose(ensemble["weight"], 1.0, err_msg="the ensemble row is the members' total, 100%")
    total = result.effects[result.effects["unique_id"] == "total"].set_index("regressor")
    assert {"promo:sitewide", "promo:category", "marketing_spend", "event:Black Friday",
            "event:Christmas run-up"} <= set(total.index)
    # ground truth: Black Friday orders x 2.6 and x (1 + 2 d) for its 25% sitewide sale, revenue net of the
    # discount; this small region (about 20 orders a day) splits it between the day and the sale noisily
    black_friday = (1 + total.loc["event:Black Friday", "relative"]) * (1 + total.loc["promo:sitewide", "relative"])
    assert black_friday > 1.6, "Black Friday is far above a normal day"
    assert total.loc["event:Christmas Day", "relative"] < -0.2, "Christmas Day is below a normal day (x 0.35)"
    assert total.loc["promo:sitewide", "relative"] > 0.1, "sitewide promotions lift revenue (orders x (1 + 2 d))"
    assert (total["relative_lo"] <= total["relative"]).all() and (total["relative"] <= total["relative_hi"]).all()
    level = result.history[(result.history["unique_id"] == "total")]["y"].iloc[-365:].mean()
    np.testing.assert_allclose(total["effect"], total["relative"] * level, rtol=1e-9)
    assert any("Black Friday 2026" in text for text in result.assumptions), "the planned promotion is used"


def test_node_view_and_download_table_follow_the_selected_node(emea):
    result, _ = emea
    view = node_view(result, "EMEA")
    assert view.path == (("total", "All business"), ("EMEA", "EMEA"))
    assert list(view.children["unique_id"]) == list(result.children("EMEA"))
    assert view.children["forecast_total"].sum() == pytest.approx(view.forecast_total)
    leaf = node_view(result, "EMEA/Home")
    assert leaf.children.empty and set(leaf.ribbons["unique_id"]) == set(result.children("EMEA"))
    assert leaf.backtest["model"].iloc[0] == "ensemble"
    with pytest.raises(KeyError, match="'Mars' is not a node"):
        node_view(result, "Mars")
    table = forecast_table(result)
    assert len(table) == 30 * len(result.nodes)
    assert list(table.columns[:4]) == ["node", "level", "date", "revenue"]
    assert table["date"].iloc[0] == (result.as_of + pd.Timedelta(days=1)).strftime("%Y-%m-%d")


def test_metrics_listed_for_the_page_are_the_ones_history_accepts():
    for metric in METRICS:
        history, _ = demand_history(_sales(), metric)
        assert len(history)
