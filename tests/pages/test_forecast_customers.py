"""The Forecast page's customers tab, its callbacks called as plain functions on the test company: the tab is drawn
(and its fit asked for) only when opened, the customer forecast runs as a background job and then answers from the
cache, the comparison shows the analytics' numbers, and the what-if sliders answer from the cached fit."""
from __future__ import annotations

import pytest
from dash import no_update

from analytics.forecasting.customers import gap_by_part
from components import ids
from tests.pages.helpers import JobRun, by_id, current, figure_text, run_page_job, text_of, trace_names, triggered_by

pytestmark = pytest.mark.slow  # one customer forecast (four customer models and demand ensembles) of the company


@pytest.fixture(scope="module")
def fitted(pages, shared_company) -> JobRun:
    with current(shared_company):
        return run_page_job(pages.forecast_customers.CUSTOMERS_JOB)


def test_the_tab_is_drawn_when_first_opened_and_kept_while_hidden(pages):
    tab = pages.forecast_customers.render_customers_tab
    assert tab("demand", None) == (None, None)  # nothing drawn, no fit asked for
    panel, demand_style = tab("customers", None)
    assert demand_style == {"display": "none"}
    assert by_id(panel, ids.FORECAST_CUSTOMERS_CHART) is not None
    assert by_id(panel, ids.FORECAST_WHATIF_CHURN) is not None
    assert tab("demand", panel) == (no_update, None)  # back to demand: the drawn tab stays, hidden
    assert tab("customers", panel) == (no_update, {"display": "none"})


def test_the_customer_forecast_runs_in_the_background_and_then_answers_from_the_cache(pages, company, fitted):
    ready, progress, status, model = fitted
    assert ready["params"]["h"] == 90
    assert status.startswith(f"Customer-driven revenue forecast, 90 days ahead for dataset v{ready['version']}: "
                             "computed in")
    assert progress[-1] == (100, "done") and any("backtesting" in label for _, label in progress)
    again = run_page_job(pages.forecast_customers.CUSTOMERS_JOB)
    assert again.progress == [] and again.status.endswith("from the cache.")


def test_the_comparison_shows_both_forecasts_their_gap_and_the_backtest(pages, company, fitted):
    ready, model = fitted.ready, fitted.result
    tiles, figure, gap, backtest, groups = pages.forecast_customers.update_customer_forecast(ready)
    assert trace_names(figure)[0] == "Actual"
    assert {"Demand forecast", "Customer forecast", "Combined", "Demand forecast 80%", "Customer forecast 80%"} \
        <= set(trace_names(figure))
    drawn = {trace["name"]: trace for trace in figure["data"]}
    customers = model.forecast_[model.forecast_["part"] == "total"]
    assert drawn["Customer forecast"]["y"] == pytest.approx(customers["mean"].round(2).tolist())
    assert drawn["Demand forecast"]["y"] == pytest.approx(model.demand_["mean"].round(2).tolist())
    totals = model.totals_.set_index("part")
    shown = text_of(tiles)
    assert f"Customer forecast, 90 days ${totals.loc['total', 'mean'] / 1e3:,.2f}k" in shown
    gaps = gap_by_part(model).set_index("part")
    above = "above" if gaps.loc["total", "gap"] > 0 else "below"
    assert f"${abs(gaps.loc['total', 'gap']) / 1e3:,.2f}k {above} the demand forecast" in gap
    grid = by_id(backtest, ids.FORECAST_CUSTOMERS_BACKTEST)
    assert [row["model"].split()[0] for row in grid.rowData] == ["Demand", "Customers", "Combined"]
    assert grid.rowData[1]["MASE"] == f"{model.backtest_.set_index('model').loc['customers', 'mase']:.3f}"
    assert groups[0]["value"] == "all" and {g["value"] for g in groups[1:]} == {k for k, _ in model.what_if_groups()}


def test_while_fitting_the_chart_says_so(pages):
    tiles, figure, gap, backtest, groups = pages.forecast_customers.update_customer_forecast(None)
    assert "Fitting the customer forecast" in figure_text(figure)
    assert tiles is None and gap is None and backtest is None and groups is no_update


def test_the_sliders_answer_from_the_cached_fit(pages, company, fitted):
    ready, model = fitted.ready, fitted.result
    what_if = pages.forecast_customers.update_what_if
    result, figure = what_if(ready, "all", 100, 100, 100)
    assert "As forecast" in text_of(result) and trace_names(figure) == ["As forecast", "Scenario"]
    result, figure = what_if(ready, "all", 100, 100, 120)  # +20% order value: +20% revenue, exactly
    expected = model.what_if({"all": 1.0}, 1.0, 1.2)
    assert expected.summary.set_index("part").loc["total", "change_pct"] == pytest.approx(0.2)
    assert f"+${expected.change / 1e3:,.2f}k" in text_of(result)
    assert figure["data"][1]["y"][-1] == pytest.approx(
        expected.daily.loc[expected.daily["part"] == "total", "scenario"].sum(), rel=1e-6)
    region = next(key for key, _ in model.what_if_groups() if key.startswith("region="))
    result, _ = what_if(ready, region, 300, 100, 100)  # three times the churn in one region: less revenue
    worse = model.what_if({region: 3.0})
    assert worse.change < 0 and f"−${abs(worse.change) / 1e3:,.2f}k" in text_of(result)
    assert f"churn of region {region.partition('=')[2]} at 300%" in text_of(result)


@pytest.mark.parametrize("controls, message", [
    (("all", 900, 100, 100), "Churn must be a number from 0% to 300%; got 900"),
    (("all", 100, "lots", 100), "New customers must be a number from 0% to 200%; got 'lots'"),
    (("region=Atlantis", 150, 100, 100), "matches no active customer"),
    ((None, 100, 100, 100), "pick whose churn changes"),
])
def test_a_bad_control_value_says_what_is_wrong(pages, company, fitted, controls, message):
    result, figure = pages.forecast_customers.update_what_if(fitted.ready, *controls)
    assert message in text_of(result) and "Traceback" not in text_of(result)


def test_reset_puts_the_controls_back(pages):
    with triggered_by(ids.FORECAST_WHATIF_RESET, "n_clicks", 1):
        assert pages.forecast_customers.reset_what_if(1) == ("all", 100, 100, 100)
