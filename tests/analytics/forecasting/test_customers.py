"""The customer-driven revenue forecast on the sample company, held out: fitted 90 days before the store's end, its
forecast, parts and what-ifs are checked against what the store's later data shows, on two seeds."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from analytics.forecasting import Theta
from analytics.forecasting.customers import (BACKTEST_COLUMNS, FORECAST_COLUMNS, GAP_COLUMNS,
                                             IntegratedForecastingEngine, gap_by_part, load_integrated_inputs,
                                             recent_split, store_customer_forecast)
from analytics.forecasting.customers._inputs import revenue_by_part
from data import store
from data.sample import SampleConfig, generate_sample, write_sample

H = 90
SEEDS = (42, 7)


@pytest.fixture(scope="session", params=SEEDS)
def held_out(request, tmp_path_factory):
    """(inputs, engine fitted H days before the end, actual revenue by part over those H days) of one seed."""
    folder = tmp_path_factory.mktemp(f"integrated-{request.param}")
    engine = store.get_engine(f"sqlite:///{folder / 'store.db'}")
    write_sample(engine, generate_sample(SampleConfig(customers=2500, seed=request.param)), folder / "truth.json")
    inputs = load_integrated_inputs(engine)
    engine.dispose()
    as_of = pd.Timestamp(inputs.facts.as_of) - pd.Timedelta(days=H)
    fitted = IntegratedForecastingEngine(h=H, n_windows=2, demand_model=Theta(7)).fit(inputs, as_of=as_of)
    actual = revenue_by_part(inputs.facts, as_of, fitted.model_.days)
    return inputs, fitted, actual


def _total(engine, part: str) -> pd.Series:
    return engine.totals_.set_index("part").loc[part]


def test_the_90_day_total_lands_near_the_revenue_that_followed(held_out):
    _inputs, engine, actual = held_out
    total = _total(engine, "total")
    assert total["mean"] == pytest.approx(actual["total"].sum(), rel=0.15)
    assert total["lo-95"] <= actual["total"].sum() <= total["hi-95"]


def test_the_existing_and_new_parts_add_up_to_the_total(held_out):
    _inputs, engine, _actual = held_out
    frame = engine.forecast_.pivot(index="ds", columns="part", values="mean")
    assert list(engine.forecast_.columns) == FORECAST_COLUMNS
    np.testing.assert_allclose(frame["existing"] + frame["new"], frame["total"], rtol=1e-12)
    assert (engine.forecast_["lo-95"] <= engine.forecast_["lo-80"]).all()
    assert (engine.forecast_["hi-80"] <= engine.forecast_["hi-95"]).all()


def test_each_part_matches_the_revenue_of_its_customers(held_out):
    _inputs, engine, actual = held_out
    assert _total(engine, "existing")["mean"] == pytest.approx(actual["existing"].sum(), rel=0.15)
    # the new part is the weak one (signups keep growing faster than the trend says): within a factor of two
    assert 0.5 < _total(engine, "new")["mean"] / actual["new"].sum() < 2.0


def test_the_backtest_scores_three_forecasts_on_the_same_cutoffs(held_out):
    _inputs, engine, _actual = held_out
    table = engine.backtest_.set_index("model")
    assert list(engine.backtest_.columns) == BACKTEST_COLUMNS
    assert list(table.index) == ["demand", "customers", "combined"]
    assert (table["windows"] == 2).all()
    assert table.loc["customers", "mase"] < 1.2  # better than last week repeated, on a noisy 2,500-customer store
    assert table.loc["customers", "coverage-95"] >= 0.8
    assert table.loc["demand", "weight"] + table.loc["customers", "weight"] == pytest.approx(1.0)
    weight = engine.weights_["demand"]
    mean = engine.combined_["mean"].to_numpy()
    expected = weight * engine.demand_["mean"].to_numpy() + (1 - weight) * engine.model_.parts()["total"]
    np.testing.assert_allclose(mean, expected)


def test_higher_order_values_raise_revenue_in_proportion(held_out):
    _inputs, engine, _actual = held_out
    result = engine.what_if(aov_multiplier=1.2).summary.set_index("part")
    assert result.loc["total", "change_pct"] == pytest.approx(0.2, rel=1e-9)
    assert result.loc["total", "lo-95"] <= result.loc["total", "change"] <= result.loc["total", "hi-95"]
    assert result.loc["total", "lo-80"] > 0


def test_half_again_as_many_new_customers_adds_half_the_new_part(held_out):
    _inputs, engine, actual = held_out
    result = engine.what_if(new_customer_multiplier=1.5).summary.set_index("part")
    assert result.loc["existing", "change"] == 0
    assert result.loc["total", "change"] == pytest.approx(0.5 * _total(engine, "new")["mean"])
    share = result.loc["total", "change"] / result.loc["total", "baseline"]
    true_share = 0.5 * actual["new"].sum() / actual["total"].sum()  # what the later data say new customers bring
    assert 0.5 < share / true_share < 2.0


def test_doubling_churn_in_a_region_costs_what_its_later_cancellations_imply(held_out):
    inputs, engine, _actual = held_out
    region = "North America"
    result = engine.what_if(churn_multiplier={region: 2.0}).summary.set_index("part")
    # each cancellation in the next 90 days cost about half the horizon's revenue of that customer; doubling the
    # hazard doubles them, so the loss is about (share cancelling in 90 days) / 2 of the region's existing revenue
    customers = inputs.facts.customers
    as_of = engine.as_of_
    active = customers[(customers["region"] == region) & (customers["signup_date"] <= as_of)
                       & (customers["cancel_date"].isna() | (customers["cancel_date"] > as_of))]
    share = (active["cancel_date"] <= as_of + pd.Timedelta(days=H)).mean()
    expected_loss = share / 2 * engine.existing_revenue(f"region={region}")
    assert result.loc["new", "change"] == 0
    assert -2.5 * expected_loss < result.loc["existing", "change"] < -expected_loss / 2.5
    others = engine.what_if(churn_multiplier={"region=EMEA": 2.0}).summary.set_index("part")
    assert others.loc["existing", "change"] < 0


def test_what_if_names_unknown_groups_and_bad_multipliers(held_out):
    _inputs, engine, _actual = held_out
    with pytest.raises(ValueError, match="matches no active customer.*'APAC'"):
        engine.what_if(churn_multiplier={"Atlantis": 2.0})
    with pytest.raises(ValueError, match="'Nowhere' is not a customer attribute"):
        engine.what_if(churn_multiplier={"Nowhere=APAC": 2.0})
    with pytest.raises(ValueError, match="aov_multiplier must be a finite number >= 0"):
        engine.what_if(aov_multiplier=-1)


def test_what_if_before_fit_says_to_fit():
    with pytest.raises(NotFittedError, match=r"call fit\(inputs\) first"):
        IntegratedForecastingEngine().what_if(aov_multiplier=1.1)


def _facts(inputs, **frames):
    return dataclasses.replace(inputs, facts=dataclasses.replace(inputs.facts, **frames))


def test_hostile_inputs_get_specific_errors(held_out):
    inputs, _engine, _actual = held_out
    model = IntegratedForecastingEngine(h=H, n_windows=2, demand_model=None)
    facts = inputs.facts
    with pytest.raises(ValueError, match="needs customers and their orders; got 0 customers and 0 orders"):
        model.fit(_facts(inputs, customers=facts.customers.iloc[:0], orders=facts.orders.iloc[:0]))
    gone = facts.customers.assign(cancel_date=facts.customers["signup_date"])
    with pytest.raises(ValueError, match="no customer is active at .*had cancelled"):
        model.fit(_facts(inputs, customers=gone))
    with pytest.raises(ValueError, match="is before the first order"):
        model.fit(inputs, as_of=facts.orders["order_date"].min() - pd.Timedelta(days=3))
    with pytest.raises(ValueError, match="days of orders before it; 180 are needed"):
        IntegratedForecastingEngine(h=H, n_windows=12, demand_model=None).fit(inputs)
    with pytest.raises(ValueError, match="n_windows must be a whole number >= 2"):
        IntegratedForecastingEngine(n_windows=1).fit(inputs)


def test_the_recent_split_is_the_last_h_days_revenue_by_existing_and_new_customers(held_out):
    inputs, engine, _actual = held_out
    days = pd.date_range(engine.as_of_ - pd.Timedelta(days=H - 1), engine.as_of_, freq="D")
    orders = inputs.facts.orders
    window = orders[(orders["order_date"] > days[0] - pd.Timedelta(days=1)) & (orders["order_date"] <= days[-1])]
    signups = inputs.facts.customers.set_index("customer_id")["signup_date"]
    from_new = window["customer_id"].map(signups) > days[0] - pd.Timedelta(days=1)
    split = recent_split(engine)
    assert split["new"] == pytest.approx(window.loc[from_new, "revenue"].sum() / window["revenue"].sum(), rel=1e-9)
    assert split["existing"] + split["new"] == pytest.approx(1.0)
    assert 0 < split["new"] < 0.5  # most revenue comes from customers who signed up before the last 90 days


def test_the_gap_to_the_demand_forecast_splits_exactly_into_existing_and_new_customers(held_out):
    _inputs, engine, _actual = held_out
    gap = gap_by_part(engine).set_index("part")
    assert list(gap.reset_index().columns) == GAP_COLUMNS
    assert gap.loc["total", "demand"] == pytest.approx(engine.demand_["mean"].sum(), rel=1e-12)
    assert gap.loc["total", "customers"] == pytest.approx(_total(engine, "total")["mean"], rel=1e-12)
    for column in ("customers", "demand", "gap"):
        assert gap.loc["existing", column] + gap.loc["new", column] == pytest.approx(gap.loc["total", column],
                                                                                    rel=1e-9, abs=1e-6)
    split = recent_split(engine)
    assert gap.loc["new", "demand"] == pytest.approx(split["new"] * gap.loc["total", "demand"], rel=1e-12)


def test_without_a_demand_forecast_there_is_no_gap(held_out):
    inputs, engine, _actual = held_out
    alone = IntegratedForecastingEngine(h=30, n_windows=2, demand_model=None).fit(inputs, as_of=engine.as_of_)
    assert gap_by_part(alone).empty and alone.demand_ is None


def test_the_what_if_groups_are_every_attribute_value_with_its_active_customers(held_out):
    _inputs, engine, _actual = held_out
    customers = engine.model_.existing.customers
    groups = dict(engine.what_if_groups())
    assert sum(n for key, n in groups.items() if key.startswith("region=")) == len(customers)
    for key, n in groups.items():
        column, _, value = key.partition("=")
        assert (customers[column].astype(str) == value).sum() == n
        assert engine.existing_revenue(key) > 0


def test_the_store_loader_fits_and_reports_each_window(tmp_path):
    engine = store.get_engine(f"sqlite:///{tmp_path / 'store.db'}")
    write_sample(engine, generate_sample(SampleConfig(customers=300, seed=11, years=2)), tmp_path / "truth.json")
    heard = []
    through = (pd.Timestamp(load_integrated_inputs(engine).facts.as_of) - pd.Timedelta(days=5)).date().isoformat()
    fitted = store_customer_forecast(engine, lambda done, total, message: heard.append((done, total, message)),
                                     h=30, through=through)
    engine.dispose()
    assert fitted.as_of_ <= pd.Timestamp(through) and fitted.demand_ is not None
    assert [done for done, total, _ in heard if total == 4] == [0, 1, 2, 3]
    assert heard[-1][2].startswith("forecasting 30 days from")
