"""The calendar of events and the event-aware demand forecast: planted lifts are found, forecast and explained."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.forecasting.calendar import black_friday, commercial_days, event_calendar, public_holidays
from analytics.forecasting.demand import forecast_demand
from analytics.forecasting.demand_inputs import DemandInputs
from analytics.forecasting.events import EventAdjusted, event_design, fit_event_effects
from analytics.forecasting.models import Theta

DAYS = pd.date_range("2022-01-01", "2025-01-10", freq="D")
BF_LIFT, PROMO_LIFT, RUN_UP_LIFT, OPENING_LIFT = 2.5, 1.4, 1.25, 0.6  # planted multipliers


def test_commercial_days_follow_their_rules():
    assert [black_friday(y).strftime("%Y-%m-%d") for y in (2023, 2024, 2025)] == [
        "2023-11-24", "2024-11-29", "2025-11-28"]
    days = commercial_days(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31"))
    on = days.groupby("name")["ds"].agg(["min", "max", "count"])
    assert on.loc["Cyber Monday", "min"] == pd.Timestamp("2025-12-01")
    assert on.loc["Christmas run-up"].tolist() == [pd.Timestamp("2025-12-01"), pd.Timestamp("2025-12-22"), 22]
    assert on.loc["Easter weekend"].tolist() == [pd.Timestamp("2025-04-18"), pd.Timestamp("2025-04-21"), 4]
    assert on.loc["Mother's Day", "min"] == pd.Timestamp("2025-05-11")


def test_public_holidays_come_from_the_holidays_library_by_country():
    start, end = pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31")
    us = public_holidays(start, end, ["US"])
    assert pd.Timestamp("2025-07-04") in set(us["ds"]) and (us["kind"] == "holiday").all()
    de = public_holidays(start, end, ["de"])
    assert pd.Timestamp("2025-10-03") in set(de["ds"])  # German Unity Day
    with pytest.raises(ValueError, match="holiday country 'XX' is not known.*ISO 3166"):
        public_holidays(start, end, ["XX"])


def test_the_calendar_merges_promotions_commercial_days_holidays_and_analyst_events():
    promotions = pd.DataFrame({"name": ["Spring sale 2025"], "start_date": [pd.Timestamp("2025-03-10")],
                               "end_date": [pd.Timestamp("2025-03-12")], "discount": [0.2], "category": [None]})
    events = pd.DataFrame({"name": ["Black Friday", "Store opening"], "kind": ["commercial", "one_off"],
                           "start_date": pd.to_datetime(["2025-11-21", "2025-06-02"]),
                           "end_date": pd.to_datetime(["2025-11-21", "2025-06-03"]), "region": [None, "EMEA"],
                           "category": [None, None], "expected_lift": [np.nan, 0.3]})
    cal = event_calendar("2025-01-01", "2025-12-31", promotions, events, ["US"])
    bf = cal[cal["name"] == "Black Friday"]
    assert bf["ds"].tolist() == [pd.Timestamp("2025-11-21")], "the analyst's date replaces the rule's that year"
    assert cal[cal["kind"] == "promotion"]["discount"].tolist() == [0.2, 0.2, 0.2]
    assert not ((cal["ds"] == pd.Timestamp("2025-12-25")) & (cal["kind"] == "holiday")).any()
    opening = cal[cal["name"] == "Store opening"]
    assert opening["region"].tolist() == ["EMEA", "EMEA"] and opening["expected_lift"].tolist() == [0.3, 0.3]


def _planted(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Daily revenue of one region and category: weekly pattern, trend, noise, and planted event lifts."""
    rng = np.random.default_rng(seed)
    weekday = np.array([1.0, 0.9, 0.9, 1.0, 1.2, 1.4, 1.1])[DAYS.dayofweek]
    level = 1000 * (1 + 0.0002 * np.arange(DAYS.size)) * weekday
    multiplier = np.ones(DAYS.size)
    for year in (2022, 2023, 2024):
        multiplier[DAYS == black_friday(year)] *= BF_LIFT
        multiplier[(DAYS >= pd.Timestamp(year, 12, 1)) & (DAYS <= pd.Timestamp(year, 12, 22))] *= RUN_UP_LIFT
    promos = pd.DataFrame({"name": [f"Spring {y}" for y in (2022, 2023, 2024)] + [f"Summer {y}" for y in (2022, 2023, 2024)],
                           "start_date": pd.to_datetime(["2022-03-10", "2023-03-09", "2024-03-14",
                                                         "2022-07-05", "2023-07-11", "2024-07-09"]),
                           "discount": [0.2] * 6, "category": [None] * 6})
    promos["end_date"] = promos["start_date"] + pd.Timedelta(days=4)
    for start, end in zip(promos["start_date"], promos["end_date"]):
        multiplier[(DAYS >= start) & (DAYS <= end)] *= PROMO_LIFT
    y = level * multiplier * rng.lognormal(0, 0.05, DAYS.size)
    sales = pd.DataFrame({"ds": DAYS, "region": "EMEA", "category": "Home", "revenue": y, "units": y / 50})
    return sales, promos, multiplier


def _quiet_calendar(start, end, promotions):
    """The calendar without public holidays (none is planted in these series)."""
    return event_calendar(start, end, promotions, None, countries=())


def test_the_event_regression_recovers_planted_lifts_within_its_intervals():
    sales, promos, _ = _planted()
    cal = _quiet_calendar(DAYS[0], DAYS[-1], promos)
    design = event_design(cal, DAYS, DAYS[-1])
    fit = fit_event_effects(sales["revenue"].to_numpy(), design.X)
    found = dict(zip(design.columns, zip(fit.coef, fit.se)))
    for column, amount, planted in (("event:Black Friday", 1.0, BF_LIFT), ("event:Christmas run-up", 1.0, RUN_UP_LIFT),
                                    ("promo:sitewide", 0.2, PROMO_LIFT)):
        coef, se = found[column]
        low, high = np.exp((coef - 1.96 * se) * amount), np.exp((coef + 1.96 * se) * amount)
        assert low <= planted <= high, (column, low, planted, high)
        assert np.exp(coef * amount) == pytest.approx(planted, rel=0.12), column
    for column in ("event:Boxing Day", "event:Valentine's Day"):  # nothing planted: no lift found
        coef, se = found[column]
        assert abs(np.expm1(coef)) < 0.1 and abs(coef) < 2.5 * se + 0.02, column


def test_an_event_adjusted_member_forecasts_black_friday_and_a_plain_one_does_not():
    sales, promos, multiplier = _planted(seed=1)
    y = sales["revenue"].to_numpy()
    cutoff = int(np.flatnonzero(DAYS == black_friday(2024) - pd.Timedelta(days=20))[0])
    h = 30
    cal = _quiet_calendar(DAYS[0], DAYS[-1], promos)
    design = event_design(cal, DAYS[:cutoff + h], DAYS[cutoff - 1])
    X = np.column_stack([design.X, design.offset])
    aware = EventAdjusted(Theta([7]), design.X.shape[1]).fit(y[:cutoff], X[:cutoff]).predict(h, X_future=X[cutoff:])
    plain = Theta([7]).fit(y[:cutoff]).predict(h)
    bf = 20  # the horizon's 21st day
    actual = y[cutoff + bf]
    assert aware["mean"][bf] == pytest.approx(actual, rel=0.2)
    assert plain["mean"][bf] < 0.6 * actual
    assert aware["lo-95"][bf] <= actual <= aware["hi-95"][bf]


@pytest.fixture(scope="module")
def planted_forecast():
    sales, promos, multiplier = _planted(seed=2)
    cutoff = black_friday(2024) - pd.Timedelta(days=42)
    inputs = DemandInputs(sales[sales["ds"] <= cutoff], pd.DataFrame({"ds": DAYS, "spend": 100.0}), promos,
                          countries=())
    return forecast_demand(inputs, "revenue", 45, n_jobs=1), sales


def test_the_demand_forecast_catches_black_friday_inside_its_interval(planted_forecast):
    result, sales = planted_forecast
    day = black_friday(2024)
    row = result.forecast[(result.forecast["unique_id"] == "total") & (result.forecast["ds"] == day)].iloc[0]
    actual = float(sales.loc[sales["ds"] == day, "revenue"].iloc[0])
    assert row["mean"] == pytest.approx(actual, rel=0.3)
    assert row["lo-95"] <= actual <= row["hi-95"]
    marked = result.events[(result.events["unique_id"] == "total") & (result.events["ds"] == day)]
    assert "Black Friday" in set(marked["name"])
    lift = float(marked.loc[marked["name"] == "Black Friday", "lift"].iloc[0])
    assert lift == pytest.approx(BF_LIFT - 1, rel=0.25)


def test_the_effects_panel_reports_the_planted_lifts_with_intervals_that_hold_them(planted_forecast):
    result, _ = planted_forecast
    effects = result.effects[result.effects["unique_id"] == "total"].set_index("regressor")
    for regressor, planted in (("event:Black Friday", BF_LIFT - 1), ("promo:sitewide", PROMO_LIFT - 1),
                               ("event:Christmas run-up", RUN_UP_LIFT - 1)):
        row = effects.loc[regressor]
        assert row["relative_lo"] <= planted <= row["relative_hi"], (regressor, row.to_dict())
        assert row["relative"] == pytest.approx(planted, abs=0.12 * (1 + planted))
    assert effects.loc["promo:sitewide", "per"] == "per promotion day at 20% off"


def test_event_days_get_their_own_backtest_score_and_weights(planted_forecast):
    result, _ = planted_forecast
    total = result.backtest[result.backtest["unique_id"] == "total"].set_index("model")
    assert (total["event_days"] > 0).all()
    assert total.loc["ensemble", "mase_events"] < total.loc["Theta (no calendar)", "mase_events"]
    assert total["event_weight"].drop("ensemble").sum() == pytest.approx(1.0)


def test_a_one_off_event_with_an_expected_lift_moves_the_forecast():
    sales, promos, _ = _planted(seed=3)
    cutoff = pd.Timestamp("2024-06-01")
    opening = pd.DataFrame({"name": ["Store opening"], "kind": ["one_off"], "start_date": [pd.Timestamp("2024-06-10")],
                            "end_date": [pd.Timestamp("2024-06-10")], "region": [None], "category": [None],
                            "expected_lift": [OPENING_LIFT]})
    spend = pd.DataFrame({"ds": DAYS, "spend": 100.0})
    base = DemandInputs(sales[sales["ds"] <= cutoff], spend, promos, countries=())
    with_opening = DemandInputs(sales[sales["ds"] <= cutoff], spend, promos, opening, countries=())
    day = pd.Timestamp("2024-06-10")

    def total_on(inputs):
        frame = forecast_demand(inputs, "revenue", 14, n_jobs=1).forecast
        return float(frame[(frame["unique_id"] == "total") & (frame["ds"] == day)]["mean"].iloc[0])

    assert total_on(with_opening) / total_on(base) == pytest.approx(1 + OPENING_LIFT, rel=0.05)


@pytest.mark.slow  # writes a sample company and fits its year-end forecast
def test_out_of_time_the_sample_companys_year_end_peak_is_inside_the_95_interval(tmp_path):
    """Seed 42, cut six weeks before Black Friday 2025: the horizon's peak day (Black Friday or Cyber Monday) is
    forecast within its 95% interval and within 30%, and the 45 days' total within 10%."""
    from data import store
    from data.sample import SampleConfig, generate_sample, write_sample
    from analytics.forecasting.demand_inputs import load_demand_inputs

    engine = store.get_engine(f"sqlite:///{tmp_path / 'store.db'}")
    write_sample(engine, generate_sample(SampleConfig(customers=6000, seed=42,
                                                    end_date=pd.Timestamp("2026-01-10").date())))
    cutoff = black_friday(2025) - pd.Timedelta(days=42)
    past, whole = load_demand_inputs(engine, cutoff.date().isoformat()), load_demand_inputs(engine)
    engine.dispose()
    assert past.sales["ds"].max() == cutoff
    one_node = {"region": "All regions", "category": "All categories"}  # the company's total, one series
    result = forecast_demand(DemandInputs(past.sales.assign(**one_node), past.spend, past.promotions),
                             "revenue", 45, n_jobs=1)
    actual = whole.sales.groupby("ds")["revenue"].sum()
    forecast = result.forecast[result.forecast["unique_id"] == "total"].set_index("ds")
    horizon = actual.reindex(forecast.index)
    peak = horizon.idxmax()
    assert peak in (black_friday(2025), black_friday(2025) + pd.Timedelta(days=3)), "Black Friday or Cyber Monday"
    assert forecast.loc[peak, "lo-95"] <= horizon[peak] <= forecast.loc[peak, "hi-95"]
    assert forecast.loc[peak, "mean"] == pytest.approx(horizon[peak], rel=0.3)
    assert forecast["mean"].sum() == pytest.approx(horizon.sum(), rel=0.1)
