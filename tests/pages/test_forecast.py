"""The Forecast page's callbacks as plain functions, on a forecast fitted once through the page's own job."""
from __future__ import annotations

import html
import io

import pandas as pd
import pytest
from dash import no_update

from analytics.forecasting import forecast_table, node_view
from components import ids
from data.vocabulary import CATEGORIES, REGIONS
from pages._jobs import resolve
from tests.pages.helpers import (JobRun, by_id, current, figure_text, run_page_job, text_of, trace_names,
                                 triggered_by)

pytestmark = pytest.mark.slow  # one forecast fit of the test company

HORIZON = 14  # the shortest the page offers: the quickest fit


@pytest.fixture(scope="module")
def forecast(pages, shared_company) -> JobRun:
    """The page's job run once on the company; the fitted forecast stays in its results cache."""
    with current(shared_company):
        return run_page_job(pages.forecast.FORECAST_JOB, "revenue", HORIZON)


def _view(pages, ready, node="total", levels=(80, 95)) -> dict:
    names = ("main", "children", "breadcrumb", "summary", "backtest", "effects", "message", "drill", "events")
    values = pages.forecast.update_forecast_view(ready, node, list(levels))
    assert len(values) == len(names) == len(pages.forecast._VIEW_OUTPUTS)
    return dict(zip(names, values))


def test_the_job_reports_each_node_and_then_answers_from_the_cache(pages, company, forecast):
    ready, progress, status, _ = forecast
    assert ready["params"]["h"] == HORIZON and ready["params"]["metric"] == "revenue"
    assert status.startswith(f"Revenue forecast, {HORIZON} days ahead for dataset v{ready['version']}: computed in")
    assert progress[-1] == (100, "done")
    assert any(" of " in label for _, label in progress[:-1]), "each step says how far along the job is"
    assert [percent for percent, _ in progress] == sorted(percent for percent, _ in progress)
    again = run_page_job(pages.forecast.FORECAST_JOB, "revenue", HORIZON)
    assert (again.progress, again.status) == ([], f"Revenue forecast, {HORIZON} days ahead for dataset "
                                                  f"v{ready['version']}: from the cache.")


def test_the_chart_draws_the_forecast_analytics_made_for_the_node(pages, company, forecast):
    view = _view(pages, forecast.ready, "total", (80,))
    expected = node_view(forecast.result, "total")
    drawn = next(trace for trace in view["main"]["data"] if trace["name"] == "Forecast")
    assert list(drawn["y"]) == pytest.approx(expected.forecast["mean"].tolist(), abs=0.006)  # cents
    assert "80% interval" in trace_names(view["main"]) and "95% interval" not in trace_names(view["main"])
    regions = view["children"]["data"][0]
    assert sorted(regions["y"]) == sorted(REGIONS)
    assert sum(regions["x"]) == pytest.approx(expected.forecast["mean"].sum(), rel=1e-6), "the regions add up"
    assert view["message"] is None
    assert text_of(view["summary"]).lower().startswith(f"next {HORIZON} days")
    assert "ensemble" in text_of(view["backtest"])


def test_the_chart_marks_the_events_analytics_found_for_the_node_and_the_panels_show_their_scores(pages, company,
                                                                                                 forecast):
    result = forecast.result
    view = _view(pages, forecast.ready, "total")
    events = result.events[result.events["unique_id"] == "total"]
    drawn = next(trace for trace in view["main"]["data"] if trace["name"] == "Actual")["x"]
    shown = events[events["ds"] >= pd.Timestamp(drawn[0])]
    assert len(shown), "the sample company has promotions and holidays in the last 180 days"
    hover = next(trace for trace in view["main"]["data"] if trace["name"] == "Events")
    assert sorted(hover["x"]) == sorted({f"{day:%Y-%m-%d}" for day in shown["ds"]}), "every event day hovers"
    for day in shown.itertuples():
        assert html.escape(day.name, quote=False) in hover["text"][hover["x"].index(f"{day.ds:%Y-%m-%d}")]
    upcoming = events[events["ds"] > result.as_of]
    labels = [a["text"] for a in view["main"]["layout"]["annotations"] if a.get("name") == "event-label"]
    means = upcoming.groupby("name")[["lift_lo", "lift_hi"]].mean()
    clear = set(means.index[(means["lift_lo"] > 0) | (means["lift_hi"] < 0)])
    assert {label.rsplit(" ", 1)[0] for label in labels} <= clear, "labels name the events the forecast moves for"
    assert len(labels) == min(len(clear), 4)
    listed = text_of(view["events"])
    assert all(name in listed for name in upcoming["name"]), "every upcoming event is listed under the chart"
    columns = [c["headerName"] for c in by_id(view["backtest"], ids.FORECAST_BACKTEST).columnDefs]
    assert "event days" in columns and "event day weight" in columns
    effects = text_of(view["effects"])
    assert "95% interval" in effects and " to " in effects


def test_a_region_drills_to_its_categories_and_an_unknown_node_shows_the_total(pages, company, forecast):
    emea = _view(pages, forecast.ready, "EMEA")
    assert sorted(emea["children"]["data"][0]["y"]) == sorted(CATEGORIES)
    assert "EMEA" in text_of(emea["breadcrumb"])
    assert by_id(emea["drill"], ids.forecast_drill("EMEA/Home")) is not None
    for hostile in ("Atlantis", "<script>alert(1)</script>", None):
        shown = _view(pages, forecast.ready, hostile)
        assert text_of(shown["breadcrumb"]) == text_of(_view(pages, forecast.ready)["breadcrumb"])


def test_while_training_every_chart_says_so_and_a_lost_forecast_says_how_to_get_it_back(pages, company, forecast):
    waiting = _view(pages, None)
    assert figure_text(waiting["main"]) == "Training the forecast…" and waiting["message"] is None
    gone = _view(pages, {**forecast.ready, "version": forecast.ready["version"] + 50})
    assert text_of(gone["message"]).startswith("No forecast: ")
    assert "no longer in the results cache; press Retrain" in text_of(gone["message"])


@pytest.mark.parametrize("metric, horizon", [("profit", 30), ("revenue", 7), ("<script>", "1e9"), (None, None)])
def test_a_metric_or_horizon_the_page_does_not_offer_is_refused_with_the_choices(pages, company, metric, horizon):
    request, ready, status = resolve(pages.forecast.FORECAST_JOB, [metric, horizon], 1, False, None, None)
    assert request is no_update and ready is no_update
    assert text_of(status).startswith("Cannot compute: choose a metric from ")
    assert "and a horizon from [14, 30, 60, 90] days" in text_of(status)


def test_the_3d_ribbons_are_built_only_in_3d(pages, company, forecast):
    assert pages.forecast.update_forecast_ribbons("2d", forecast.ready, "total", [80, 95]) is no_update
    ribbons = pages.forecast.update_forecast_ribbons("3d", forecast.ready, "total", [80, 95])
    assert set(REGIONS) <= set(trace_names(ribbons))
    assert figure_text(pages.forecast.update_forecast_ribbons("3d", None, "total", [80])) == "Training the forecast…"


@pytest.mark.parametrize("trigger, prop, value, click, expected", [
    (ids.FORECAST_CHILDREN, "clickData", None, {"points": [{"customdata": "EMEA"}]}, "EMEA"),
    (ids.FORECAST_CHILDREN, "clickData", None, {"points": []}, no_update),
    (ids.FORECAST_CHILDREN, "clickData", None, None, no_update),
    (ids.forecast_crumb("total"), "n_clicks", 1, None, "total"),
    (ids.forecast_drill("EMEA/Home"), "n_clicks", 1, None, "EMEA/Home"),
    (ids.forecast_drill("EMEA/Home"), "n_clicks", 0, None, no_update),  # a new button, not a press
])
def test_bars_crumbs_and_drill_buttons_choose_the_node(pages, trigger, prop, value, click, expected):
    with triggered_by(trigger, prop, value):
        assert pages.forecast.drill_forecast(click, [], []) == expected


def test_the_download_is_every_node_forecast(pages, company, forecast):
    sent = pages.forecast.download_forecast(1, forecast.ready)
    assert sent["filename"] == f"forecast-revenue-{HORIZON}d-v{forecast.ready['version']}.csv"
    table = pd.read_csv(io.StringIO(sent["content"]))
    expected = forecast_table(forecast.result)
    assert list(table.columns) == list(expected.columns) and len(table) == HORIZON * len(forecast.result.nodes)
    assert table["revenue"].tolist() == pytest.approx(expected["revenue"].tolist(), rel=1e-9)
    assert pages.forecast.download_forecast(1, None) is no_update


def test_the_layout_tolerates_any_query_string(pages, company):
    hostile = pages.forecast.layout(metric="<script>", h="1e9", levels="80,banana", node="x" * 500)
    assert by_id(hostile, ids.FORECAST_HORIZON).value == 30
    assert by_id(hostile, ids.FORECAST_NODE).data == "total"
    shared = pages.forecast.layout(metric="units", h="14", levels="95,50", node="EMEA/Home")
    assert by_id(shared, ids.FORECAST_METRIC).value == "units" and by_id(shared, ids.FORECAST_HORIZON).value == 14
    assert by_id(shared, ids.FORECAST_LEVELS).value == [50, 95]


def test_a_damaged_result_marker_gets_an_error_id_not_python_text(pages, company, forecast, caplog):
    import logging
    import re

    damaged = {**forecast.ready, "version": "abc"}  # what a hand-made request could send
    with caplog.at_level(logging.ERROR):
        shown = pages.forecast.update_forecast_view(damaged, "total", [80])
    message = text_of(shown[6])
    assert "invalid literal" not in message and message.startswith("Unexpected error: ")
    error_id = re.search(r"error id ([0-9a-f]{8})", message).group(1)
    assert error_id in figure_text(shown[0])
    assert any(error_id in record.getMessage() for record in caplog.records)
