"""The customers tab's pieces as pure functions, on hand-made frames: the comparison figure, the tiles, the gap and
what-if sentences (numbers, signs, currency), the backtest table and the group options."""
from __future__ import annotations

import pandas as pd
import pytest

from components import ids
from components.forecast_customers import (comparison_figure, customer_backtest_table, customer_tiles,
                                           customers_panel, gap_sentence, group_options, whatif_figure,
                                           whatif_sentence, whatif_tiles)
from tests.components.helpers import assert_valid_neon
from tests.layout_walk import walk
from tests.pages.helpers import by_id, text_of

DAYS = pd.date_range("2026-11-01", periods=3, freq="D")


def _daily(mean) -> pd.DataFrame:
    mean = pd.Series(mean, dtype=float)
    return pd.DataFrame({"ds": DAYS, "mean": mean, "lo-80": mean * 0.9, "hi-80": mean * 1.1, "lo-95": mean * 0.8,
                         "hi-95": mean * 1.2})


def _totals(existing: float, new: float) -> pd.DataFrame:
    rows = [{"part": p, "mean": m, "lo-80": m * 0.9, "hi-80": m * 1.1, "lo-95": m * 0.8, "hi-95": m * 1.2}
            for p, m in (("existing", existing), ("new", new), ("total", existing + new))]
    return pd.DataFrame(rows)


def test_the_comparison_draws_history_both_bands_and_three_lines():
    history = pd.DataFrame({"ds": pd.date_range("2026-10-01", periods=31, freq="D"), "y": range(31)})
    fig = comparison_figure(history, {"demand": _daily([10, 20, 30]), "customers": _daily([11, 21, 31]),
                                      "combined": _daily([10.5, 20.5, 30.5])})
    assert_valid_neon(fig)
    names = [t["name"] for t in fig["data"]]
    assert names == ["Actual", "Demand forecast 80% (low)", "Demand forecast 80%", "Customer forecast 80% (low)",
                     "Customer forecast 80%", "Demand forecast", "Customer forecast", "Combined"]
    drawn = {t["name"]: t for t in fig["data"]}
    assert drawn["Customer forecast 80%"]["y"] == [12.1, 23.1, 34.1] and drawn["Combined"]["x"][0] == "2026-11-01"
    assert comparison_figure(history, {"demand": None})["layout"]["annotations"][0]["text"] == \
        "No customer forecast to show"


def test_the_tiles_show_each_forecasts_horizon_total_with_its_interval_or_backtest_error():
    backtest = pd.DataFrame({"model": ["demand", "customers", "combined"], "mase": [0.9, 0.8, 0.75],
                             "total_error": [0.074, -0.021, float("nan")]})
    tiles = text_of(customer_tiles(_totals(90_000, 10_000), _daily([1000, 2000, 3000]), _daily([1, 1, 1]), 90,
                                   backtest))
    assert "Demand forecast, 90 days $6.00k backtest: total off by +7.4%, MASE 0.90" in tiles
    assert "Customer forecast, 90 days $100.00k 80%: $90.00k – $110.00k" in tiles
    assert "From new customers $10.00k" in tiles and "Combined, 90 days $3.00 not backtested" in tiles
    assert "Combined" not in text_of(customer_tiles(_totals(90_000, 10_000), None, None, 90))


def test_the_gap_sentence_names_the_direction_and_each_part():
    gap = pd.DataFrame({"part": ["existing", "new", "total"], "customers": [90_000.0, 12_000.0, 102_000.0],
                        "demand": [95_000.0, 5_000.0, 100_000.0]})
    gap["gap"] = gap["customers"] - gap["demand"]
    text = gap_sentence(gap, {"existing": 0.95, "new": 0.05}, 90)
    assert text.startswith("Over the next 90 days the customer forecast is $2.00k above the demand forecast.")
    assert "existing customers −$5.00k ($90.00k against $95.00k, 95% of the demand forecast)" in text
    assert "new customers +$7.00k" in text
    gap.loc[2, "gap"] = -2_000.0
    assert "$2.00k below the demand forecast" in gap_sentence(gap, {"existing": 0.95, "new": 0.05}, 90)
    assert gap_sentence(gap.iloc[0:0], {}, 90) == "No demand forecast to compare with."


def test_the_backtest_table_formats_scores_and_leaves_the_combined_weight_empty():
    frame = pd.DataFrame({"model": ["demand", "customers", "combined"], "windows": 3, "mase": [0.9, 0.8, 0.75],
                          "coverage-80": [0.81, 0.79, 0.8], "coverage-95": [0.95, 0.9, 0.93],
                          "total_error": [0.05, -0.021, 0.01], "weight": [0.45, 0.55, 1.0]})
    grid = by_id(customer_backtest_table(frame, 3), ids.FORECAST_CUSTOMERS_BACKTEST)
    assert grid.rowData[1] == {"model": "Customers (bottom-up)", "MASE": "0.800", "coverage_80": "79.0%",
                               "coverage_95": "90.0%", "total_error": "−2.1%", "weight": "55.0%"}
    assert grid.rowData[2]["weight"] is None


def test_group_options_start_with_everyone_and_count_each_group():
    options = group_options([("region=APAC", 1234), ("plan=Pro", 56)])
    assert options == [{"label": "Every active customer", "value": "all"},
                       {"label": "Region: APAC (1,234 active)", "value": "region=APAC"},
                       {"label": "Plan: Pro (56 active)", "value": "plan=Pro"}]


def _summary(change: float) -> pd.DataFrame:
    rows = [{"part": "existing", "baseline": 90_000.0, "scenario": 90_000.0 + change, "change": change,
             "change_pct": change / 90_000, "lo-80": change * 1.2, "hi-80": change * 0.8, "lo-95": change * 1.5,
             "hi-95": change * 0.5},
            {"part": "new", "baseline": 10_000.0, "scenario": 10_000.0, "change": 0.0, "change_pct": 0.0,
             "lo-80": 0.0, "hi-80": 0.0, "lo-95": 0.0, "hi-95": 0.0}]
    rows.append({**rows[0], "part": "total", "baseline": 100_000.0, "scenario": 100_000.0 + change,
                 "change_pct": change / 100_000})
    return pd.DataFrame(rows)


def test_the_what_if_sentence_and_tiles_carry_signs_and_intervals():
    summary = _summary(-3_000.0)
    text = whatif_sentence(summary, {"region=APAC": 2.0}, 1.0, 1.0, "region APAC", 90)
    assert text == ("With churn of region APAC at 200% of the model's, the next 90 days bring $97.00k instead of "
                    "$100.00k: −$3.00k (80% interval −$3.60k to −$2.40k).")
    assert whatif_sentence(_summary(0.0), {"all": 1.0}, 1.0, 1.0, "every active customer", 90).startswith(
        "As forecast: $100.00k over the next 90 days.")
    tiles = text_of(whatif_tiles(summary))
    assert "Change in revenue −$3.00k −3.0% · 80%: −$3.60k to −$2.40k" in tiles


def test_the_what_if_chart_accumulates_the_scenario():
    daily = pd.DataFrame({"part": "total", "ds": DAYS, "baseline": [1.0, 2.0, 3.0], "scenario": [2.0, 2.0, 2.0]})
    fig = whatif_figure(daily)
    assert_valid_neon(fig)
    assert fig["data"][0]["y"] == [1.0, 3.0, 6.0] and fig["data"][1]["y"] == [2.0, 4.0, 6.0]


def test_every_slider_and_the_group_picker_have_a_label():
    panel = customers_panel()
    labelled = {c.htmlFor for c in walk(panel) if getattr(c, "htmlFor", None)}
    assert {ids.FORECAST_WHATIF_GROUP, ids.FORECAST_WHATIF_CHURN, ids.FORECAST_WHATIF_NEW,
            ids.FORECAST_WHATIF_AOV} <= labelled
    churn = by_id(panel, ids.FORECAST_WHATIF_CHURN)
    assert (churn.min, churn.max, churn.value) == (0, 300, 100)


@pytest.mark.parametrize("change", [1e-9, -1e-9])
def test_a_change_of_less_than_half_a_cent_is_not_signed(change):
    assert "$0.00" in text_of(whatif_tiles(_summary(change)))
