"""Explaining forecasts against planted answers: the sample company's spring sale and weekly pattern are read back
from the gradient-boosted member's drivers (two seeds); every explanation adds up to the forecast it explains; the
uncertainty sentence says the intervals, errors and causes planted in a hand-made forecast."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics.forecasting import DemandForecast, describe_day, describe_uncertainty, explain_node, load_demand_inputs
from analytics.forecasting._checks import usable_seasons
from analytics.forecasting.demand_calendar import node_calendars
from analytics.forecasting.demand_inputs import demand_history
from analytics.forecasting.demand_nodes import SEASONS, calendar_members
from analytics.forecasting.explain._parts import WEEKDAY, log_shares
from data import store
from data.sample import SampleConfig
from data.sample.ground_truth import load_ground_truth
from tests.sample_stores import write_template

H = 21
END = dt.date(2026, 3, 1)  # the spring sitewide sale (14-16 March) falls in the 21 days ahead
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@pytest.fixture(scope="module", params=[42, 7])
def company(request, tmp_path_factory):
    """The sample company of a seed (2500 customers), its demand inputs, ground truth and units explanation."""
    path = write_template(tmp_path_factory.mktemp(f"explain{request.param}"),
                          SampleConfig(customers=2500, seed=request.param, end_date=END))
    inputs = load_demand_inputs(store.get_engine(f"sqlite:///{path}"))
    return inputs, load_ground_truth(path.with_suffix(".json")), explain_node(inputs, "total", "units", H)


def _spring_sale(truth: dict) -> tuple[dict, pd.DatetimeIndex]:
    sale = next(p for p in truth["promotions"] if p["category"] is None and p["start_date"] > END.isoformat())
    return sale, pd.date_range(sale["start_date"], sale["end_date"], freq="D")


def test_the_promotion_days_lead_driver_is_the_named_promotion_with_about_its_planted_lift(company):
    _, truth, explanation = company
    sale, days = _spring_sale(truth)
    lift = truth["promotion_effects"]["sitewide_order_lift_per_discount"] * sale["discount"]  # orders, so units
    for day in days:
        drivers = explanation.day(day)
        lead = drivers.iloc[0]
        assert lead["driver"] == sale["name"] and lead["group"] == "Sitewide promotion", drivers
        # a lift L is the share L / (1 + L) of the day's forecast: 0.3 -> 0.23
        assert lead["share"] == pytest.approx(lift / (1 + lift), abs=0.08), drivers
    assert describe_day(explanation, days[0]).startswith(f"{days[0]:%a %d %b %Y}: +")
    assert sale["name"] in describe_day(explanation, days[0])


def test_weekday_contributions_have_the_sign_of_the_planted_weekly_multipliers(company):
    _, truth, explanation = company
    weekly = truth["seasonality"]["weekly_order_multiplier"]
    rows = explanation.contributions[explanation.contributions["group"] == WEEKDAY]
    by_day = rows.groupby(rows["ds"].dt.dayofweek)["contribution"].mean()
    clear = {i: weekly[name] for i, name in enumerate(WEEKDAYS) if abs(weekly[name] - 1) >= 0.05}
    assert len(clear) >= 3
    for i, multiplier in clear.items():
        assert np.sign(by_day[i]) == np.sign(multiplier - 1), (WEEKDAYS[i], multiplier, by_day.to_dict())


def _fitted_members(inputs, node="total", metric="units"):
    history, _ = demand_history(inputs.sales, metric)
    y = history.loc[history["unique_id"] == node, "y"].to_numpy(dtype=float)
    as_of = history["ds"].max()
    days = pd.date_range(history["ds"].min(), as_of + pd.Timedelta(days=H), freq="D")
    cal = node_calendars([node], days, as_of, inputs, inputs.countries)[node]
    members = calendar_members(usable_seasons(SEASONS, y.size), cal)
    X_future = cal.X[y.size:]
    return {m.name: m.fit(y, cal.X[:y.size]).predict(H, X_future=X_future)["mean"].to_numpy() for m in members}, \
        np.exp(X_future[:, cal.n_events])


def test_drivers_and_components_add_up_to_the_forecasts_they_explain(company):
    inputs, _, explanation = company
    forecasts, expected_lifts = _fitted_members(inputs)
    days = explanation.days.set_index("ds")
    summed = explanation.contributions.groupby("ds")["contribution"].sum().reindex(days.index, fill_value=0.0)
    np.testing.assert_allclose(days["typical"] + summed, days["value"], rtol=1e-9, atol=1e-9)  # SHAP additivity
    ahead = days[days["ahead"]]
    np.testing.assert_allclose(ahead["value"], forecasts[explanation.member] * expected_lifts, rtol=1e-8)
    parts = explanation.components.groupby(["member", "ds"])["value"].sum()
    assert set(parts.index.get_level_values("member")) == {"Theta", "MSTL", "Theta (no calendar)"}
    for member, values in parts.groupby(level="member"):
        np.testing.assert_allclose(values.to_numpy(), forecasts[member], rtol=1e-8, err_msg=member)


def test_global_importance_ranks_recent_demand_and_lists_the_promotions(company):
    _, _, explanation = company
    table = explanation.importance
    assert list(table["mean_abs"]) == sorted(table["mean_abs"], reverse=True)
    assert table["group"].iloc[0] == "Recent demand"
    assert {"Weekday", "Time of year", "Sitewide promotion", "Marketing spend"} <= set(table["group"])
    assert (table["share"] > 0).all()


def test_bad_requests_say_what_to_pick(company):
    inputs, _, explanation = company
    with pytest.raises(KeyError, match="not a node.*nodes are"):
        explain_node(inputs, "Atlantis", "units", H)
    with pytest.raises(ValueError, match="from 1 to 365"):
        explain_node(inputs, "total", "units", 0)
    with pytest.raises(KeyError, match="not a forecast day; pick one from"):
        explanation.day("2020-01-01")


def test_log_shares_add_up_to_the_joint_lift_and_a_lone_multiplier_keeps_its_lift():
    anchor = np.array([100.0, 100.0, 50.0])
    logs = np.array([[np.log(1.3), 0.0], [np.log(1.3), np.log(0.9)], [0.0, 0.0]])
    parts = log_shares(anchor, logs)
    np.testing.assert_allclose(parts.sum(axis=1), anchor * (np.exp(logs.sum(axis=1)) - 1))
    assert parts[0, 0] == pytest.approx(30.0) and parts[0, 1] == 0.0
    assert parts[1, 0] > 0 > parts[1, 1]


# --- uncertainty in words, on a hand-made forecast -----------------------------------------------------------------
def _forecast(node_noise: float, widen: bool, history_days: int) -> DemandForecast:
    rng = np.random.default_rng(0)
    as_of = pd.Timestamp("2026-03-01")
    past = pd.date_range(end=as_of, periods=history_days, freq="D")
    ahead = pd.date_range(as_of + pd.Timedelta(days=1), periods=28, freq="D")
    history = pd.concat([pd.DataFrame({"unique_id": node, "ds": past, "y": level * rng.lognormal(0, noise, past.size)})
                         for node, level, noise in (("total", 200.0, 0.05), ("EMEA", 100.0, node_noise))])
    half = 0.10 * (1 + 2 * widen * np.arange(28) / 27)  # ±10%, or ±10% widening to ±30%
    event = ahead == pd.Timestamp("2026-03-14")
    half = np.where(event, 0.5, half)
    frames = []
    for node, level in (("total", 200.0), ("EMEA", 100.0)):
        frame = pd.DataFrame({"unique_id": node, "ds": ahead, "mean": level})
        for lv, z in ((80, 1.0), (95, 1.53)):
            frame[f"lo-{lv}"], frame[f"hi-{lv}"] = level * (1 - z * half), level * (1 + z * half)
        frames.append(frame)
    backtest = pd.DataFrame({"unique_id": ["EMEA"] * 2, "model": ["ensemble", "SeasonalNaive"], "weight": [1.0, 0.3],
                             "event_weight": [1.0, 0.3], "mase": [0.71, 0.93], "smape": [9.42, 12.0],
                             "mase_events": [np.nan] * 2, "event_days": [0, 0]})
    events = pd.DataFrame({"unique_id": ["EMEA"], "ds": [pd.Timestamp("2026-03-14")], "name": ["Spring sale"],
                           "kind": ["promotion"], "lift": [0.3], "lift_lo": [0.2], "lift_hi": [0.4]})
    return DemandForecast("units", 28, (80, 95), as_of, ("total", "EMEA"), (None, "total"), ("total", "region"),
                          history, pd.concat(frames, ignore_index=True), backtest, pd.DataFrame(), events, (),
                          "bottom-up", 0.0)


def test_the_uncertainty_sentence_says_the_planted_widths_errors_and_causes():
    note = describe_uncertainty(_forecast(node_noise=0.4, widen=True, history_days=400), "EMEA")
    assert note.width[80] == pytest.approx(0.20, abs=0.02) and note.width[95] == pytest.approx(0.306, abs=0.03)
    assert (note.mase, note.smape) == (0.71, 9.42)
    assert f"next 28 days, the 80% interval spans ±{note.width[80]:.0%} of the forecast (the 95% one ±" in note.text
    assert "MASE 0.71 (sMAPE 9.4%)" in note.text
    assert "better than repeating last week (0.93)" in note.text
    said = " ".join(note.reasons)
    assert "the horizon (±10% on the first day, ±30% by day 28)" in said
    assert "1 event day ahead (promotion: ±50% at 80%)" in said
    assert "short history (13 months" in said and "volatile series" in said


def test_a_calm_long_steady_node_has_no_causes_and_the_total_without_backtest_says_so():
    result = _forecast(node_noise=0.05, widen=False, history_days=800)
    calm = describe_uncertainty(result, "EMEA")
    assert [r for r in calm.reasons if not r.startswith("1 event day")] == []
    assert "no backtest" in describe_uncertainty(result, "total").text
    with pytest.raises(KeyError, match="not a node"):
        describe_uncertainty(result, "Atlantis")
