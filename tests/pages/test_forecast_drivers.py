"""The Forecast page's drivers panel and uncertainty sentence, its callbacks called as plain functions on the test
company (the explanation computed once through the page's own job, in its results cache)."""
from __future__ import annotations

import pandas as pd
import pytest

from dash import no_update

from components import ids
from tests.pages.helpers import JobRun, by_id, current, figure_text, run_page_job, text_of, triggered_by

pytestmark = pytest.mark.slow  # one explanation (and one forecast) of the test company

HORIZON = 14


@pytest.fixture(scope="module")
def explained(pages, shared_company) -> JobRun:
    """The explanation job run once on the company's total."""
    with current(shared_company):
        return run_page_job(pages.forecast.EXPLAIN_JOB, "units", HORIZON, "total")


def test_the_explanation_runs_in_the_background_and_then_answers_from_the_cache(pages, company, explained):
    ready, progress, status, explanation = explained
    assert ready["params"]["node"] == "total" and ready["params"]["metric"] == "units"
    assert status.startswith(f"Drivers of the units sold forecast for All business, {HORIZON} days ahead for "
                             f"dataset v{ready['version']}: computed in")
    assert progress[-1] == (100, "done") and any("member" in label for _, label in progress[:-1])
    assert len(explanation.forecast_days) == HORIZON
    again = run_page_job(pages.forecast.EXPLAIN_JOB, "units", HORIZON, "total")
    assert again.progress == [] and again.status.endswith("from the cache.")


def test_the_peak_day_is_chosen_first_and_a_click_on_a_forecast_day_picks_it(pages, company, explained):
    ready, explanation = explained.ready, explained.result
    with triggered_by(pages.forecast.EXPLAIN_JOB.ids.ready, "data", ready):
        options, value = pages.forecast.choose_forecast_day(ready, None, None)
    assert [o["value"] for o in options] == [f"{d:%Y-%m-%d}" for d in explanation.forecast_days]
    assert value == f"{explanation.peak_day:%Y-%m-%d}"
    last = options[-1]["value"]
    click = {"points": [{"x": f"{last} 00:00", "y": 1.0}]}
    with triggered_by(ids.FORECAST_MAIN, "clickData", click):
        assert pages.forecast.choose_forecast_day(ready, click, value)[1] == last
    history_click = {"points": [{"x": f"{explanation.as_of:%Y-%m-%d}", "y": 1.0}]}
    with triggered_by(ids.FORECAST_MAIN, "clickData", history_click):
        assert pages.forecast.choose_forecast_day(ready, history_click, value)[1] == value  # not a forecast day


def test_the_drivers_charts_and_sentence_show_the_explanation_of_the_chosen_day(pages, company, explained):
    ready, explanation = explained.ready, explained.result
    day = f"{explanation.peak_day:%Y-%m-%d}"
    importance, drivers, sentence = pages.forecast.update_forecast_drivers(ready, day)
    assert importance["data"][0]["y"][0] == explanation.importance["group"].iloc[0]
    expected = explanation.day(day).dropna(subset=["share"]).head(8)
    assert drivers["data"][0]["y"] == expected["driver"].tolist()
    assert sentence.startswith(f"{pd.Timestamp(day):%a %d %b %Y}: ")
    _, unpicked, none = pages.forecast.update_forecast_drivers(ready, "1999-01-01")
    assert "Pick a forecast day" in figure_text(unpicked) and none is None
    waiting, _, _ = pages.forecast.update_forecast_drivers(None, None)
    assert "Explaining the forecast" in figure_text(waiting)


def test_the_uncertainty_sentence_under_the_chart(pages, company):
    with current(company):
        forecast = run_page_job(pages.forecast.FORECAST_JOB, "revenue", HORIZON)
    text = text_of(pages.forecast.update_forecast_uncertainty(forecast.ready, "total"))
    assert text.startswith(f"All business: on a typical day of the next {HORIZON} days, the 80% interval spans ±")
    assert "MASE" in text
    assert text_of(pages.forecast.update_forecast_uncertainty(forecast.ready, "Atlantis")) == text  # the total
    assert pages.forecast.update_forecast_uncertainty(None, "total") is None


def test_each_statistical_member_is_taken_apart_into_parts_that_add_up_to_its_forecast(pages, company, explained):
    ready, explanation = explained.ready, explained.result
    options, chosen, figure = pages.forecast.update_forecast_components(ready, None)
    members = list(pd.unique(explanation.components["member"]))
    assert [o["value"] for o in options] == members and chosen == members[0] and len(members) >= 2
    mine = explanation.components[explanation.components["member"] == chosen]
    total = mine.groupby("ds", sort=True)["value"].sum()
    drawn = {trace["name"]: trace for trace in figure["data"]}
    assert drawn["Forecast (the sum)"]["y"] == pytest.approx(total.round(2).tolist(), abs=0.02)
    assert {"Level", "Trend"} <= set(drawn)
    _, again, _ = pages.forecast.update_forecast_components(ready, members[-1])
    assert again == members[-1]
    none_options, none_chosen, waiting = pages.forecast.update_forecast_components(None, None)
    assert none_options == [] and none_chosen is None and "Explaining the forecast" in figure_text(waiting)


def test_the_drivers_are_drawn_when_asked_for_or_already_cached_and_never_twice(pages, company, explained):
    show = pages.forecast.show_forecast_drivers
    forecast_ready = {"version": explained.ready["version"],
                      "params": pages.forecast._forecast_params("units", HORIZON)}
    with triggered_by(ids.FORECAST_READY, "data", forecast_ready):
        body, shown = show(0, forecast_ready, "total", False)  # the total's explanation is cached: drawn at once
        assert shown is True and by_id(body, ids.FORECAST_IMPORTANCE) is not None
        assert show(0, forecast_ready, "EMEA", False) == (no_update, no_update)  # not cached, not asked: no fit
        assert show(0, None, "total", False) == (no_update, no_update)  # no forecast on screen yet
    with triggered_by(ids.FORECAST_EXPLAIN_SHOW, "n_clicks", 1):
        body, shown = show(1, forecast_ready, "EMEA", False)  # asked for: drawn (its job then starts)
    assert shown is True and by_id(body, ids.FORECAST_DAY) is not None
    assert show(2, forecast_ready, "EMEA", True) == (no_update, no_update)  # already drawn
