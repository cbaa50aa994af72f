"""The Forecast page in headless Chromium: real forecasts, drill-down, bands, 3D ribbons, download, retraining."""
from __future__ import annotations

import csv
import json
import os
import re

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from analytics.forecasting import DEFAULT_HORIZON
from analytics.forecasting import forecast_table
from components import ids
from components.forecast import FORECAST_EVENTS, FORECAST_TABS
from data.vocabulary import CATEGORIES, REGIONS
from tests.browser.helpers import FIT_TIMEOUT, assert_clean_console, choose, plot_data, scroll_to


@pytest.fixture(scope="module")
def forecast_result(default_forecast):
    return default_forecast


def _open(dash_duo, nf_app) -> None:
    dash_duo.start_server(nf_app)
    dash_duo.driver.get(dash_duo.server_url + "/forecast")
    dash_duo.wait_for_contains_text(f"#{ids.FORECAST_JOB_STATUS}", "from the cache", timeout=30)
    dash_duo.wait_for_element(f"#{ids.FORECAST_SUMMARY} .nf-kpi-card", timeout=20)


def _means(result, node: str) -> list[float]:
    return result.forecast[result.forecast["unique_id"] == node]["mean"].tolist()


def _forecast_trace(dash_duo) -> dict:
    return next(t for t in plot_data(dash_duo, ids.FORECAST_MAIN) if t["name"] == "Forecast")


def _wait_for_node(dash_duo, result, node: str) -> None:
    # the figure rounds to cents
    dash_duo._wait_for(lambda _: _forecast_trace(dash_duo)["y"] == pytest.approx(_means(result, node), abs=0.006),
                       timeout=20, msg=f"the chart never showed {node}'s forecast")


def _current_crumb(dash_duo) -> str:
    return dash_duo.find_element(f"#{ids.FORECAST_BREADCRUMB} [aria-current='page']").text


def _click_bar(dash_duo, label: str) -> None:
    bars = plot_data(dash_duo, ids.FORECAST_CHILDREN)[0]
    paths = dash_duo.find_elements(f"#{ids.FORECAST_CHILDREN} .bars .point path")
    target = paths[bars["y"].index(label)]
    scroll_to(dash_duo, target)
    ActionChains(dash_duo.driver).move_to_element(target).click().perform()


def test_forecast_page_shows_the_total_with_bands_backtest_and_drivers(dash_duo, nf_app, forecast_result):
    _open(dash_duo, nf_app)
    _wait_for_node(dash_duo, forecast_result, "total")
    names = [t["name"] for t in plot_data(dash_duo, ids.FORECAST_MAIN)]
    assert {"Actual", "Forecast", "80% interval", "95% interval"} <= set(names)
    assert "50% interval" not in names
    children = plot_data(dash_duo, ids.FORECAST_CHILDREN)[0]
    assert sorted(children["y"]) == sorted(REGIONS)
    assert sum(children["x"]) == pytest.approx(sum(_means(forecast_result, "total")), rel=1e-6), "regions add up"
    first_row = dash_duo.find_element(f"#{ids.FORECAST_BACKTEST} .ag-center-cols-container .ag-row[row-index='0']")
    assert first_row.text.startswith("ensemble")
    models = dash_duo.find_element(f"#{ids.FORECAST_BACKTEST}").text
    backtest = forecast_result.backtest
    assert all(m in models for m in backtest[backtest["unique_id"] == "total"]["model"])
    assert {"SeasonalNaive", "Theta"} <= set(backtest["model"])
    assert "event days" in models and "event day weight" in models
    # the whole panel, drivers folded under "not distinguishable from no effect" included (CSS upper-cases labels)
    drivers = dash_duo.find_element(f"#{ids.FORECAST_EFFECTS}").get_attribute("textContent").lower()
    assert "sitewide promotion" in drivers and "marketing spend" in drivers and "black friday 2026" in drivers
    assert "95% interval" in drivers and "% to " in drivers, "each lift comes with its interval"
    assert dash_duo.find_element(f"#{ids.FORECAST_SUMMARY}").text.lower().startswith("next 30 days")
    assert_clean_console(dash_duo)


_EVENT_MARKS_JS = """
const gd = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
if (!gd || !gd._fullLayout) { return null; }
const labels = [...gd.querySelectorAll('.annotation-text')].map(e => e.textContent);
const bands = (gd.layout.shapes || []).filter(s => s.type === 'rect').map(s => [s.x0, s.x1]);
const drawn = gd.querySelectorAll('.shapelayer path').length;
return {labels, bands, drawn};
"""

_DAY_OFFSET_JS = """
const gd = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
const xa = gd._fullLayout.xaxis, plot = gd.querySelector('.nsewdrag');
return [xa.c2p(xa.d2c(arguments[1])) - plot.getBoundingClientRect().width / 2, 0];
"""


def _upcoming(result, name: str):
    """The node total's first upcoming day of the event ``name`` (the forecast's own events frame)."""
    events = result.events
    rows = events[(events["unique_id"] == "total") & (events["ds"] > result.as_of) & (events["name"] == name)]
    assert len(rows), f"the sample company's horizon has no {name}: {sorted(events['name'].unique())}"
    return rows.sort_values("ds").iloc[0]


def test_upcoming_events_are_marked_with_their_lift_and_hovering_a_day_names_the_event(dash_duo, nf_app,
                                                                                         forecast_result):
    friday = _upcoming(forecast_result, "Black Friday")
    _open(dash_duo, nf_app)
    _wait_for_node(dash_duo, forecast_result, "total")
    marks = dash_duo.driver.execute_script(_EVENT_MARKS_JS, ids.FORECAST_MAIN)
    day = f"{friday['ds']:%Y-%m-%d}"
    events = forecast_result.events
    upcoming = events[(events["unique_id"] == "total") & (events["ds"] > forecast_result.as_of)]
    means = upcoming.groupby("name")[["lift_lo", "lift_hi"]].mean()
    clear = means.index[(means["lift_lo"] > 0) | (means["lift_hi"] < 0)]  # lifts the chart labels
    labelled = [label for label in marks["labels"] if label.rsplit(" ", 1)[0] in set(clear)]
    assert len(labelled) == min(len(clear), 4), (marks["labels"], list(clear))
    assert all(label.rsplit(" ", 1)[1].endswith("%") for label in labelled), "each label states the lift"
    if upcoming["name"].nunique() > len(labelled):
        assert any(label.endswith("listed below") for label in marks["labels"]), marks["labels"]
    assert any(x0 < day < x1 for x0, x1 in marks["bands"]), "Black Friday's day sits in a band"
    assert marks["drawn"] >= len(marks["bands"]) + 1, "every band (and the forecast-start line) is drawn"
    listed = dash_duo.find_element(f"#{FORECAST_EVENTS}").text
    assert all(name in listed for name in upcoming["name"]), "every upcoming event is listed under the chart"
    plot = dash_duo.find_element(f"#{ids.FORECAST_MAIN} .nsewdrag")
    scroll_to(dash_duo, plot)
    dx, dy = dash_duo.driver.execute_script(_DAY_OFFSET_JS, ids.FORECAST_MAIN, day)
    ActionChains(dash_duo.driver).move_to_element(plot).move_by_offset(round(dx), round(dy)).perform()
    dash_duo._wait_for(
        lambda _: "Black Friday" in (dash_duo.driver.execute_script(
            f"const h = document.querySelector('#{ids.FORECAST_MAIN} .hoverlayer'); return h && h.textContent;")
            or ""), timeout=10, msg="hovering Black Friday never named it")
    hover = dash_duo.driver.execute_script(f"return document.querySelector('#{ids.FORECAST_MAIN} .hoverlayer')"
                                           ".textContent;")
    assert f"{friday['ds']:%a %d %b %Y}" in hover and "lift" in hover
    assert_clean_console(dash_duo)


def test_clicking_bars_drills_from_total_to_region_to_category_and_crumbs_go_back(dash_duo, nf_app, forecast_result):
    _open(dash_duo, nf_app)
    _wait_for_node(dash_duo, forecast_result, "total")
    _click_bar(dash_duo, "EMEA")
    _wait_for_node(dash_duo, forecast_result, "EMEA")
    assert _current_crumb(dash_duo) == "EMEA"
    dash_duo._wait_for(lambda _: sorted(plot_data(dash_duo, ids.FORECAST_CHILDREN)[0]["y"]) == sorted(CATEGORIES),
                       timeout=20, msg="the drill chart never listed EMEA's categories")
    _click_bar(dash_duo, "Home")
    _wait_for_node(dash_duo, forecast_result, "EMEA/Home")
    assert _current_crumb(dash_duo) == "Home"
    dash_duo.wait_for_contains_text(f"#{ids.FORECAST_CHILDREN}", "lowest level", timeout=20)
    crumb = dash_duo.find_element(f"#{ids.FORECAST_BREADCRUMB} button[title='Back to All business']")
    scroll_to(dash_duo, crumb)
    crumb.click()
    _wait_for_node(dash_duo, forecast_result, "total")
    assert _current_crumb(dash_duo) == "All business"
    assert_clean_console(dash_duo)


def test_interval_levels_choose_the_bands_drawn(dash_duo, nf_app, forecast_result):
    _open(dash_duo, nf_app)
    _wait_for_node(dash_duo, forecast_result, "total")
    for label in ("95%", "50%"):
        choose(dash_duo, ids.FORECAST_LEVELS, label)
    dash_duo._wait_for(
        lambda _: {t["name"] for t in plot_data(dash_duo, ids.FORECAST_MAIN)} >= {"50% interval", "80% interval"}
        and "95% interval" not in {t["name"] for t in plot_data(dash_duo, ids.FORECAST_MAIN)},
        timeout=20, msg="the bands did not follow the chosen levels")
    assert_clean_console(dash_duo)


def test_3d_view_shows_sibling_ribbons_and_follows_the_drill_down(dash_duo, nf_app, forecast_result):
    _open(dash_duo, nf_app)
    _wait_for_node(dash_duo, forecast_result, "total")
    choose(dash_duo, ids.VIEW_TOGGLE, "3D")
    dash_duo.wait_for_style_to_equal(f"#{ids.FORECAST_MAIN_2D}", "display", "none")
    dash_duo.wait_for_element(f"#{ids.FORECAST_RIBBONS} .gl-container canvas", timeout=20)
    ribbons = [t for t in plot_data(dash_duo, ids.FORECAST_RIBBONS) if t["name"] in REGIONS]
    assert sorted(t["name"] for t in ribbons) == sorted(REGIONS) and ribbons[0]["type"] == "surface"
    _click_bar(dash_duo, "EMEA")
    dash_duo._wait_for(
        lambda _: {t["name"] for t in plot_data(dash_duo, ids.FORECAST_RIBBONS)} >= set(CATEGORIES),
        timeout=20, msg="the ribbons never switched to EMEA's categories")
    choose(dash_duo, ids.VIEW_TOGGLE, "2D")
    dash_duo.wait_for_style_to_equal(f"#{ids.FORECAST_MAIN_3D}", "display", "none")
    assert_clean_console(dash_duo)


def test_download_gives_every_node_forecast_as_csv(dash_duo, nf_app, forecast_result):
    _open(dash_duo, nf_app)
    dash_duo.find_element(f"#{ids.FORECAST_DOWNLOAD_BTN}").click()
    expected = forecast_table(forecast_result)
    folder = dash_duo.download_path
    dash_duo._wait_for(lambda _: any(n.endswith(".csv") for n in os.listdir(folder)), timeout=20,
                       msg="no CSV was downloaded")
    name = next(n for n in os.listdir(folder) if n.endswith(".csv"))
    assert name.startswith(f"forecast-revenue-{DEFAULT_HORIZON}d-v")
    with open(os.path.join(folder, name), newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(expected) == DEFAULT_HORIZON * len(forecast_result.nodes)
    assert list(rows[0]) == list(expected.columns)
    total = [float(r["revenue"]) for r in rows if r["node"] == "total"]
    assert total == pytest.approx(_means(forecast_result, "total"), rel=1e-9)
    assert_clean_console(dash_duo)


def test_a_new_horizon_is_fitted_in_the_background_with_progress(dash_duo, nf_app, forecast_result):
    _open(dash_duo, nf_app)
    horizon = dash_duo.find_element(f"#{ids.FORECAST_HORIZON}")
    scroll_to(dash_duo, horizon)
    # Dash also calls the background job once as the page arrives (it answers at once: nothing was asked).
    dash_duo._wait_for(lambda _: horizon.is_enabled(), timeout=20, msg="the horizon stayed disabled")
    dash_duo.select_dcc_dropdown(horizon, value="14 days")
    # The horizon is part of the page's URL (written by a clientside callback after the change).
    dash_duo._wait_for(lambda d: "h=14" in d.current_url, timeout=20, msg="the URL never carried h=14")
    # The label beside the bar names the node being fitted and how far along the job is.
    dash_duo.wait_for_contains_text(f"#{ids.FORECAST_JOB.progress_text}", " of ", timeout=60)
    assert not dash_duo.find_element(f"#{ids.FORECAST_RETRAIN}").is_enabled(), "no second job while one runs"
    assert dash_duo.find_element(f"#{ids.FORECAST_JOB.cancel}").is_displayed(), "a running job can be cancelled"
    dash_duo.wait_for_contains_text(f"#{ids.FORECAST_JOB_STATUS}", ": computed in", timeout=300)
    assert "14 days ahead for dataset v" in dash_duo.find_element(f"#{ids.FORECAST_JOB_STATUS}").text
    dash_duo._wait_for(lambda _: len(_forecast_trace(dash_duo)["y"]) == 14, timeout=20,
                       msg="the chart never showed the 14-day forecast")
    assert dash_duo.find_element(f"#{ids.FORECAST_RETRAIN}").is_enabled()
    assert dash_duo.find_element(f"#{ids.FORECAST_PROGRESS} .progress-bar").get_attribute("aria-valuenow") == "100"
    assert_clean_console(dash_duo)


def test_keyboard_drill_down_buttons_update_the_same_node_as_a_bar_click(dash_duo, nf_app, forecast_result):
    _open(dash_duo, nf_app)
    _wait_for_node(dash_duo, forecast_result, "total")
    dom_id = json.dumps(ids.forecast_drill("EMEA"), sort_keys=True, separators=(",", ":"))
    button = dash_duo.driver.execute_script("const b = document.getElementById(arguments[0]);"
                                            "b.scrollIntoView({block: 'center'}); b.focus(); return b;", dom_id)
    assert dash_duo.driver.switch_to.active_element == button
    button.send_keys(Keys.ENTER)
    _wait_for_node(dash_duo, forecast_result, "EMEA")
    assert _current_crumb(dash_duo) == "EMEA"
    labels = dash_duo.find_element(f"#{ids.FORECAST_DRILL}").text
    assert all(category in labels for category in CATEGORIES), "EMEA's categories are offered next"
    assert_clean_console(dash_duo)


def test_the_drivers_panel_explains_the_forecast_and_its_peak_day(dash_duo, nf_app, forecast_result):
    _open(dash_duo, nf_app)
    assert not dash_duo.find_elements(f"#{ids.FORECAST_IMPORTANCE}")  # nothing explained (nor fitted) unasked
    show = dash_duo.find_element(f"#{ids.FORECAST_EXPLAIN_SHOW}")
    scroll_to(dash_duo, show)
    show.click()
    dash_duo.wait_for_contains_text(f"#{ids.FORECAST_EXPLAIN_JOB.status}", "Drivers of the revenue forecast",
                                    timeout=FIT_TIMEOUT)
    dash_duo.wait_for_contains_text(f"#{ids.FORECAST_UNCERTAINTY}", "80% interval spans ±", timeout=20)
    dash_duo.wait_for_contains_text(f"#{ids.FORECAST_DAY_TEXT}", "(shares of the day's forecast)", timeout=20)
    importance = plot_data(dash_duo, ids.FORECAST_IMPORTANCE)[0]
    assert {"Recent demand", "Weekday"} <= set(importance["y"])
    sentence = dash_duo.find_element(f"#{ids.FORECAST_DAY_TEXT}").text
    assert re.match(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{2} \w{3} \d{4}: [+−]\d+% from ", sentence), sentence
    assert plot_data(dash_duo, ids.FORECAST_DAY_DRIVERS)[0]["y"], "the chosen day's drivers are drawn"
    dash_duo._wait_for(lambda _: [t["name"] for t in plot_data(dash_duo, ids.FORECAST_COMPONENTS)][-1:]
                       == ["Forecast (the sum)"], timeout=20, msg="no statistical member is taken apart")
    assert {"Level", "Trend"} <= {t["name"] for t in plot_data(dash_duo, ids.FORECAST_COMPONENTS)}
    if folder := os.environ.get("NF_SCREENSHOTS"):
        for width in (1440, 390):
            dash_duo.driver.set_window_size(width, 2400)
            scroll_to(dash_duo, dash_duo.find_element(f"#{ids.FORECAST_DRIVERS}"))
            dash_duo.driver.save_screenshot(os.path.join(folder, f"forecast-drivers-{width}.png"))
        dash_duo.driver.set_window_size(1400, 1000)
    assert_clean_console(dash_duo)


def _direct_input(dash_duo, slider_id: str, value: int) -> None:
    """Type ``value`` into a slider's own number box and leave it (as a keyboard user does)."""
    box = dash_duo.find_element(f"#{slider_id} input")
    scroll_to(dash_duo, box)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(str(value), Keys.TAB)


def test_the_customers_tab_compares_both_forecasts_and_answers_what_ifs(dash_duo, nf_app, forecast_result):
    _open(dash_duo, nf_app)
    assert not dash_duo.find_elements(f"#{ids.FORECAST_CUSTOMERS_CHART}")  # not drawn (nor fitted) until opened
    tab = dash_duo.find_element(f"#{ids.FORECAST_TAB}").find_element(
        By.XPATH, f".//a[normalize-space()='{FORECAST_TABS['customers']}']")
    tab.click()
    dash_duo._wait_for(lambda d: "tab=customers" in d.current_url, timeout=10, msg="the URL did not keep the tab")
    assert not dash_duo.find_element(f"#{ids.FORECAST_DEMAND_BODY}").is_displayed()
    dash_duo.wait_for_contains_text(f"#{ids.FORECAST_CUSTOMERS_JOB.status}",
                                    "Customer-driven revenue forecast, 90 days ahead", timeout=FIT_TIMEOUT)
    dash_duo.wait_for_contains_text(f"#{ids.FORECAST_CUSTOMERS_GAP}", "the demand forecast", timeout=FIT_TIMEOUT)
    names = [trace["name"] for trace in plot_data(dash_duo, ids.FORECAST_CUSTOMERS_CHART)]
    assert {"Actual", "Demand forecast", "Customer forecast", "Combined", "Customer forecast 80%"} <= set(names)
    assert "customer forecast, 90 days" in dash_duo.find_element(f"#{ids.FORECAST_CUSTOMERS_SUMMARY}").text.lower()
    dash_duo.wait_for_contains_text(f"#{ids.FORECAST_WHATIF_RESULT}", "As forecast", timeout=20)

    _direct_input(dash_duo, ids.FORECAST_WHATIF_AOV, 120)  # +20% order value: +20% revenue, exactly
    dash_duo.wait_for_contains_text(f"#{ids.FORECAST_WHATIF_RESULT}", "average order value at 120%", timeout=20)
    assert "+20.0%" in dash_duo.find_element(f"#{ids.FORECAST_WHATIF_RESULT}").text
    _direct_input(dash_duo, ids.FORECAST_WHATIF_AOV, 100)
    _direct_input(dash_duo, ids.FORECAST_WHATIF_CHURN, 300)  # three times the churn: less revenue
    dash_duo.wait_for_contains_text(f"#{ids.FORECAST_WHATIF_RESULT}", "churn of every active customer at 300%",
                                    timeout=20)
    change = dash_duo.find_element(f"#{ids.FORECAST_WHATIF_RESULT} .nf-kpi-value").text
    assert change.startswith("−$"), change
    scenario = plot_data(dash_duo, ids.FORECAST_WHATIF_CHART)
    assert scenario[1]["y"][-1] < scenario[0]["y"][-1]
    if folder := os.environ.get("NF_SCREENSHOTS"):
        for width in (1440, 390):
            dash_duo.driver.set_window_size(width, 1800)
            dash_duo._wait_for(lambda d: d.execute_script(  # the responsive charts have followed the window
                f"return document.querySelector('#{ids.FORECAST_CUSTOMERS_CHART} .main-svg').getBoundingClientRect()"
                ".right <= window.innerWidth"), timeout=10, msg="the chart did not follow the window")
            dash_duo.driver.save_screenshot(os.path.join(folder, f"forecast-customers-{width}.png"))
        dash_duo.driver.set_window_size(1400, 1000)
    dash_duo.find_element(f"#{ids.FORECAST_WHATIF_RESET}").click()
    dash_duo.wait_for_contains_text(f"#{ids.FORECAST_WHATIF_RESULT}", "As forecast", timeout=20)
    back = dash_duo.find_element(f"#{ids.FORECAST_TAB}").find_element(
        By.XPATH, f".//a[normalize-space()='{FORECAST_TABS['demand']}']")
    scroll_to(dash_duo, back)
    back.click()
    dash_duo._wait_for(lambda _: dash_duo.find_element(f"#{ids.FORECAST_DEMAND_BODY}").is_displayed(), timeout=10,
                       msg="the demand tab did not come back")
    assert_clean_console(dash_duo)
