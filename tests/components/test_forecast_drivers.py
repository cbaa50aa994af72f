"""The Forecast page's drivers panel: builders called on small hand-made frames, asserted on structure."""
from __future__ import annotations

import pandas as pd
import pytest
from dash import dcc

from components import ids
from components.forecast import forecast_layout
from components.forecast_drivers import (NO_COMPONENTS_MESSAGE, NO_DRIVERS_MESSAGE, components_figure,
                                         day_drivers_figure, day_options, drivers_body, drivers_panel,
                                         importance_figure,
                                         member_options, uncertainty_note)
from components.theme import PALETTE
from tests.components.helpers import assert_empty_with_message, assert_valid_neon, by_id

IMPORTANCE = pd.DataFrame({"group": ["Weekday", "Recent demand", "Sitewide promotion"],
                           "mean_abs": [3.0, 14.0, 1.5], "share": [0.03, 0.16, 0.015]})
DAY = pd.DataFrame({"driver": ["Spring Sale 2026", "Weekday", "Time of year", "Unknown"],
                    "group": ["Sitewide promotion", "Weekday", "Time of year", "Recent demand"],
                    "contribution": [36.3, 8.0, -6.4, 0.0], "share": [0.265, 0.058, -0.046, float("nan")]})


def test_importance_bars_are_largest_on_top_with_their_share_of_the_level():
    fig = importance_figure(IMPORTANCE, "units")
    assert_valid_neon(fig)
    bar = fig["data"][0]
    assert bar["y"] == ["Recent demand", "Weekday", "Sitewide promotion"]
    assert bar["x"] == [14.0, 3.0, 1.5] and bar["text"] == ["16.0%", "3.0%", "1.5%"]
    assert "units a day on average" in bar["hovertemplate"]
    assert importance_figure(IMPORTANCE, "units", top=2)["data"][0]["y"] == ["Recent demand", "Weekday"]


def test_a_days_drivers_are_signed_shares_coloured_by_direction():
    fig = day_drivers_figure(DAY, "2026-03-14", 137.2, "revenue")
    assert_valid_neon(fig)
    bar = fig["data"][0]
    assert bar["y"] == ["Spring Sale 2026", "Weekday", "Time of year"]  # the driver without a share is left out
    assert bar["x"] == [26.5, 5.8, -4.6] and bar["text"] == ["+26%", "+6%", "−5%"]
    assert bar["marker"]["color"] == [PALETTE["lime"], PALETTE["lime"], PALETTE["danger"]]
    assert fig["layout"]["title"]["text"].startswith("Sat 14 Mar 2026: $137 from the boosted model")
    low, high = fig["layout"]["xaxis"]["range"]
    assert low == -high and high >= 26.5


def test_empty_inputs_say_so_and_an_unknown_unit_is_refused():
    assert_empty_with_message(day_drivers_figure(DAY.iloc[3:], "2026-03-14", 1.0, "units"), NO_DRIVERS_MESSAGE)
    assert_empty_with_message(importance_figure(IMPORTANCE.iloc[:0], "units"), "not been explained")
    with pytest.raises(ValueError, match="unknown unit"):
        importance_figure(IMPORTANCE, "euros")


def test_day_options_and_the_uncertainty_note():
    assert day_options(pd.to_datetime(["2026-03-14", "2026-03-15"])) == [
        {"label": "Sat 14 Mar 2026", "value": "2026-03-14"}, {"label": "Sun 15 Mar 2026", "value": "2026-03-15"}]
    assert uncertainty_note(None) is None and uncertainty_note("") is None
    assert uncertainty_note("the 80% interval spans ±12%").children[-1] == "the 80% interval spans ±12%"


def test_the_panel_holds_its_job_charts_and_day_picker_and_the_page_places_it_under_the_chart():
    panel = by_id(drivers_panel())
    assert {ids.FORECAST_DRIVERS, ids.FORECAST_DRIVERS_BODY, ids.FORECAST_EXPLAIN_SHOW,
            ids.FORECAST_DRIVERS_SHOWN} <= set(panel)
    assert ids.FORECAST_IMPORTANCE not in panel  # drawn by the page when asked for, with the job
    found = by_id(drivers_body())
    job = ids.FORECAST_EXPLAIN_JOB
    assert {ids.FORECAST_IMPORTANCE, ids.FORECAST_DAY, ids.FORECAST_DAY_DRIVERS,
            ids.FORECAST_DAY_TEXT, job.run, job.ready, job.request, job.progress} <= set(found)
    assert isinstance(found[ids.FORECAST_DAY], dcc.Dropdown) and isinstance(found[ids.FORECAST_MEMBER], dcc.Dropdown)
    assert ids.FORECAST_COMPONENTS in found
    page = by_id(forecast_layout([("revenue", "Revenue")], (30,), 30, (80, 95), (80,)))
    assert {ids.FORECAST_UNCERTAINTY, ids.FORECAST_DRIVERS} <= set(page)
    main = by_id(page[ids.FORECAST_MAIN_2D])
    assert ids.FORECAST_UNCERTAINTY in main  # under the forecast chart


COMPONENTS = pd.DataFrame({
    "member": ["MSTL"] * 6 + ["Theta"] * 2,
    "ds": list(pd.date_range("2026-11-01", periods=2)) * 3 + list(pd.date_range("2026-11-01", periods=2)),
    "component": ["Level", "Level", "Trend", "Trend", "Weekday", "Weekday", "Level", "Level"],
    "value": [100.0, 100.0, 1.0, 2.0, -5.0, 7.5, 90.0, 90.0]})


def test_a_members_components_are_drawn_with_their_sum_the_members_forecast():
    assert member_options(COMPONENTS) == [{"label": "MSTL", "value": "MSTL"}, {"label": "Theta", "value": "Theta"}]
    fig = components_figure(COMPONENTS, "MSTL", "revenue")
    assert_valid_neon(fig)
    assert [t["name"] for t in fig["data"]] == ["Level", "Trend", "Weekday", "Forecast (the sum)"]
    assert fig["data"][-1]["y"] == [96.0, 109.5] and fig["data"][0]["x"] == ["2026-11-01", "2026-11-02"]
    assert "MSTL: its forecast taken apart" in fig["layout"]["title"]["text"]
    assert_empty_with_message(components_figure(COMPONENTS, "ETS", "revenue"), NO_COMPONENTS_MESSAGE)
    assert_empty_with_message(components_figure(COMPONENTS, None, "units"), NO_COMPONENTS_MESSAGE)
