"""The Overview in headless Chromium: real numbers, drill-down, 2D/3D switch and the background job."""
from __future__ import annotations

import datetime as dt

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.wait import WebDriverWait
from sqlalchemy import text

from analytics.kpis import KPI_DEFINITIONS
from components import ids
from data.vocabulary import CATEGORIES, REGIONS
from data.watermark import complete_through
from tests.browser.helpers import (KPI_UNITS, assert_clean_console, choose, plot_data, run_job_to_completion,
                                   scroll_to, sql_kpis, wait_for_kpis)


def test_overview_shows_kpis_equal_to_sql(dash_duo, nf_app, store_engine):
    dash_duo.start_server(nf_app)
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 30))
    assert len(dash_duo.find_elements(".nf-kpi-card")) == 5
    for key in KPI_UNITS:
        spark = plot_data(dash_duo, f"overview-kpi-{key}-sparkline")[0]
        assert len(spark["y"]) == 12, key
    trend = plot_data(dash_duo, ids.OVERVIEW_TREND)
    assert [t["name"] for t in trend] == ["Daily revenue", "7-day average"]
    assert sum(trend[0]["y"][-30:]) == pytest.approx(sql_kpis(store_engine, 30)["revenue"], rel=1e-9)
    region = plot_data(dash_duo, ids.overview_breakdown("region"))[0]
    assert region["y"] == list(REGIONS)
    assert sum(region["x"]) == pytest.approx(sql_kpis(store_engine, 30)["revenue"], rel=1e-9)
    assert dash_duo.find_element(f"#{ids.FRESHNESS} .nf-freshness").text.startswith("DATA TO")
    assert_clean_console(dash_duo)


def test_each_kpi_explains_its_definition_on_focus(dash_duo, nf_app, store_engine):
    dash_duo.start_server(nf_app)
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 30))
    info = dash_duo.find_element("#overview-kpi-churn-rate-info")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus();", info)
    dash_duo.wait_for_contains_text(".popover", KPI_DEFINITIONS["churn_rate"].definition[:60], timeout=10)
    assert_clean_console(dash_duo)


def test_window_switch_recomputes_for_90_days(dash_duo, nf_app, store_engine):
    dash_duo.start_server(nf_app)
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 30))
    choose(dash_duo, ids.OVERVIEW_WINDOW, "90 days")
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 90))
    assert_clean_console(dash_duo)


def test_clicking_a_region_bar_drills_down_and_the_chip_clears_it(dash_duo, nf_app, store_engine):
    dash_duo.start_server(nf_app)
    everyone = sql_kpis(store_engine, 30)
    wait_for_kpis(dash_duo, everyone)
    # The region chart can be drawn after the cards; a click on a bar before Plotly has drawn the final figure (and
    # bound its click handler) is lost, so wait until it shows the window's revenue.
    dash_duo._wait_for(
        lambda _: (data := plot_data(dash_duo, ids.overview_breakdown("region")))
        and sum(data[0]["x"]) == pytest.approx(everyone["revenue"], rel=1e-9),
        timeout=20, msg="the region breakdown was not drawn for the window")
    for attempt in range(3):  # a late part of the page (the header's alerts) can shift the bar under the pointer
        bars = dash_duo.find_elements(f"#{ids.overview_breakdown('region')} .bars .point path")
        ActionChains(dash_duo.driver).move_to_element(bars[REGIONS.index("EMEA")]).click().perform()
        try:
            dash_duo.wait_for_contains_text(f"#{ids.OVERVIEW_FILTER_BAR}", "Region: EMEA", timeout=10)
            break
        except TimeoutException:
            if attempt == 2:
                raise
    emea = sql_kpis(store_engine, 30, region="EMEA")
    wait_for_kpis(dash_duo, emea)
    dash_duo._wait_for(
        lambda _: sum(plot_data(dash_duo, ids.overview_breakdown("category"))[0]["x"])
        == pytest.approx(emea["revenue"], rel=1e-9),
        timeout=20, msg="the category breakdown was not filtered to EMEA")
    assert plot_data(dash_duo, ids.overview_breakdown("category"))[0]["y"] == list(CATEGORIES)
    dash_duo.wait_for_text_to_equal(f"#{ids.overview_drill('region')}-value", "EMEA", timeout=10)
    chip = dash_duo.find_element(".nf-filter-chip")
    # WebDriver scrolls targets to the very top, under the sticky header; a person sees it mid-screen.
    scroll_to(dash_duo, chip)
    chip.click()
    dash_duo.wait_for_contains_text(f"#{ids.OVERVIEW_FILTER_BAR}", "click a bar or choose", timeout=10)
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 30))
    assert_clean_console(dash_duo)


def _active_view(dash_duo) -> str:
    return dash_duo.find_element(f"#{ids.VIEW_TOGGLE} label.active").text


def test_view_toggle_shows_3d_and_persists_across_pages(dash_duo, nf_app, store_engine):
    dash_duo.start_server(nf_app)
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 30))
    choose(dash_duo, ids.VIEW_TOGGLE, "3D")
    dash_duo.wait_for_style_to_equal(f"#{ids.OVERVIEW_BREAKDOWN_2D}", "display", "none")
    dash_duo.wait_for_element(f"#{ids.OVERVIEW_MATRIX_3D} .gl-container canvas", timeout=15)
    meshes = plot_data(dash_duo, ids.OVERVIEW_MATRIX_3D)
    assert [m["name"] for m in meshes] == list(CATEGORIES) and meshes[0]["type"] == "mesh3d"
    # Another page (a full page load), then back through the navigation.
    dash_duo.driver.get(dash_duo.server_url + "/no-such-page?from=test")
    dash_duo.wait_for_contains_text("#nf-main", "Signal lost", timeout=10)
    dash_duo._wait_for(lambda d: _active_view(dash_duo) == "3D", timeout=10, msg="3D not kept on the 404 page")
    dash_duo.find_element(f"#{ids.NAV} a[href='/']").click()
    dash_duo.wait_for_element(f"#{ids.OVERVIEW_MATRIX_3D} .gl-container canvas", timeout=15)
    assert _active_view(dash_duo) == "3D"
    assert dash_duo.find_element(f"#{ids.OVERVIEW_BREAKDOWN_2D}").value_of_css_property("display") == "none"
    choose(dash_duo, ids.VIEW_TOGGLE, "2D")
    dash_duo.wait_for_style_to_equal(f"#{ids.OVERVIEW_BREAKDOWN_3D}", "display", "none")
    assert_clean_console(dash_duo)


def test_recompute_kpis_runs_in_the_background_with_progress(dash_duo, nf_app, store_engine):
    dash_duo.start_server(nf_app)
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 30))
    run_job_to_completion(dash_duo, ids.OVERVIEW_JOB)
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 30))
    assert_clean_console(dash_duo)


def test_page_loads_only_from_its_own_origin(dash_duo, nf_app, store_engine):
    dash_duo.start_server(nf_app)
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 30))
    resources = dash_duo.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name);")
    assert resources and all(r.startswith(dash_duo.server_url) for r in resources), resources
    assert any("/vendor/bootstrap/bootstrap.min.css" in r for r in resources)
    assert_clean_console(dash_duo)


def test_unknown_page_is_a_styled_404_and_query_strings_are_tolerated(dash_duo, nf_app, store_engine):
    dash_duo.start_server(nf_app)
    dash_duo.driver.get(dash_duo.server_url + "/?utm_source=intranet&x=%3Cscript%3E")
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 30))
    dash_duo.driver.get(dash_duo.server_url + "/definitely/not/here")
    dash_duo.wait_for_contains_text("#nf-main", "Signal lost", timeout=10)
    assert dash_duo.find_element("#nf-main .nf-btn").get_attribute("href").endswith("/")
    assert_clean_console(dash_duo)


def _range_input(dash_duo, which: str):
    return dash_duo.find_element(f"#{ids.OVERVIEW_RANGE}-{which}")


def _type_date(dash_duo, which: str, day: str) -> None:
    box = _range_input(dash_duo, which)
    scroll_to(dash_duo, box)
    box.click()
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(day, Keys.ENTER)


def test_a_custom_date_range_equals_sql_and_a_preset_clears_it(dash_duo, nf_app, store_engine):
    dash_duo.start_server(nf_app)
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 30))
    last = complete_through(store_engine).through
    start, end = (last - dt.timedelta(days=80)).isoformat(), (last - dt.timedelta(days=36)).isoformat()
    _type_date(dash_duo, "start", start)
    _type_date(dash_duo, "end", end)
    wait_for_kpis(dash_duo, sql_kpis(store_engine, start=start, end=end))
    assert dash_duo.find_elements(f"#{ids.OVERVIEW_WINDOW} label.active") == []
    dash_duo.wait_for_contains_text(f"#{ids.OVERVIEW_KPIS}", "vs previous 45 days", timeout=10)
    region = plot_data(dash_duo, ids.overview_breakdown("region"))[0]
    assert sum(region["x"]) == pytest.approx(sql_kpis(store_engine, start=start, end=end)["revenue"], rel=1e-9)
    choose(dash_duo, ids.OVERVIEW_WINDOW, "7 days")
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 7))
    dash_duo._wait_for(lambda _: _range_input(dash_duo, "start").get_attribute("value") == "", timeout=10,
                       msg="choosing a preset did not clear the custom range")
    assert_clean_console(dash_duo)


def _focused_value(dash_duo) -> str | None:
    return dash_duo.driver.execute_script("return document.activeElement && document.activeElement.value;")


def _choose_with_keys(dash_duo, dimension: str, member: str) -> None:
    """Tab-reachable dropdown: focus it, Enter opens the list, arrows walk it, Space chooses."""
    dropdown = dash_duo.find_element(f"#{ids.overview_drill(dimension)}")
    scroll_to(dash_duo, dropdown)
    dash_duo.driver.execute_script("arguments[0].focus();", dropdown.find_element(
        By.XPATH, "preceding-sibling::input[contains(@class, 'dash-dropdown-focus-target')]"))
    ActionChains(dash_duo.driver).send_keys(Keys.ENTER).perform()
    dash_duo._wait_for(lambda _: dropdown.get_attribute("aria-expanded") == "true", timeout=10,
                       msg="Enter did not open the drill-down list")
    seen = []
    while _focused_value(dash_duo) != member and len(seen) < 20:
        seen.append(_focused_value(dash_duo))
        ActionChains(dash_duo.driver).send_keys(Keys.ARROW_DOWN).perform()
        dash_duo._wait_for(lambda _: _focused_value(dash_duo) != seen[-1], timeout=5,
                           msg=f"ArrowDown did not move past {seen[-1]!r}")
    ActionChains(dash_duo.driver).send_keys(Keys.SPACE).perform()


def test_drill_down_from_the_keyboard_uses_the_same_filters_as_bar_clicks(dash_duo, nf_app, store_engine):
    dash_duo.start_server(nf_app)
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 30))
    _choose_with_keys(dash_duo, "region", "EMEA")
    dash_duo.wait_for_contains_text(f"#{ids.OVERVIEW_FILTER_BAR}", "Region: EMEA", timeout=10)
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 30, region="EMEA"))
    # The chip (a real button) clears it from the keyboard too, and the dropdown follows.
    chip = dash_duo.find_element(".nf-filter-chip")
    dash_duo.driver.execute_script("arguments[0].focus();", chip)
    ActionChains(dash_duo.driver).send_keys(Keys.ENTER).perform()
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 30))
    dash_duo.wait_for_text_to_equal(f"#{ids.overview_drill('region')}-value", "All regions", timeout=10)
    assert_clean_console(dash_duo)


def _query(dash_duo) -> str:
    return dash_duo.driver.execute_script("return window.location.search;")


def test_window_range_and_filters_live_in_the_url_and_back_restores_them(dash_duo, nf_app, store_engine):
    dash_duo.start_server(nf_app)
    dash_duo.driver.get(dash_duo.server_url + "/?window=90&region=EMEA")
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 90, region="EMEA"))
    dash_duo.wait_for_text_to_equal(f"#{ids.overview_drill('region')}-value", "EMEA", timeout=10)
    choose(dash_duo, ids.OVERVIEW_WINDOW, "7 days")
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 7, region="EMEA"))
    dash_duo._wait_for(lambda _: _query(dash_duo) == "?window=7&region=EMEA", timeout=10,
                       msg=lambda _: f"the URL says {_query(dash_duo)!r}")
    dash_duo.driver.back()
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 90, region="EMEA"))
    last = complete_through(store_engine).through
    start, end = (last - dt.timedelta(days=13)).isoformat(), last.isoformat()
    dash_duo.driver.get(dash_duo.server_url + f"/?start={start}&end={end}&channel=Web")
    dash_duo.wait_for_contains_text(f"#{ids.OVERVIEW_FILTER_BAR}", "Channel: Web", timeout=10)
    dash_duo.wait_for_contains_text(f"#{ids.OVERVIEW_KPIS}", "vs previous 14 days", timeout=10)
    assert _range_input(dash_duo, "start").get_attribute("value") == start
    assert_clean_console(dash_duo)


@pytest.mark.parametrize("query, message", [
    ("?window=abc&start=%3Cscript%3E&region=Mars", "unknown region 'Mars'"),
    ("?start=2001-01-01&end=2001-02-01", "is outside the complete data"),
    ("?start=2026-09-10&end=2026-09-01", "before it starts"),
])
def test_bad_url_state_gets_a_specific_message_not_an_error(dash_duo, nf_app, store_engine, query, message):
    dash_duo.start_server(nf_app)
    dash_duo.driver.get(dash_duo.server_url + "/" + query)
    dash_duo.wait_for_contains_text(f"#{ids.OVERVIEW_MESSAGE}", message, timeout=15)
    choose(dash_duo, ids.OVERVIEW_WINDOW, "30 days")
    if "Mars" in query:  # the chip removes the unknown filter
        chip = dash_duo.find_element(".nf-filter-chip")
        scroll_to(dash_duo, chip)
        chip.click()
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 30))
    assert_clean_console(dash_duo)


def _thin_slice(sample_store, store_engine, day: dt.date, prices: list[float]) -> None:
    import pandas as pd

    from data.store import get_engine, write_frames

    with store_engine.connect() as conn:
        customer = conn.execute(text("SELECT min(customer_id) FROM customers")).scalar()
        order_id = conn.execute(text("SELECT max(order_id) + 1 FROM orders")).scalar()
        product, category = conn.execute(text("SELECT product_id, category FROM products LIMIT 1")).one()
    ids_ = list(range(order_id, order_id + len(prices)))
    write_frames(get_engine(sample_store[0]), {
        "orders": pd.DataFrame({"order_id": ids_, "customer_id": customer, "order_date": day, "channel": "Web",
                                "promo_id": None}),
        "order_lines": pd.DataFrame({"order_id": ids_, "line_number": 1, "product_id": product, "category": category,
                                     "quantity": 1, "unit_price": prices, "discount": 0.0, "order_date": day}),
    }, source="partial-test", description="a few lines on the day after the last complete day")


def test_a_partial_day_shows_as_today_so_far_and_moves_no_kpi(dash_duo, nf_app, store_engine, sample_store):
    """Adds three order lines on a new last day to the shared store (KPIs stay on the complete days)."""
    last = complete_through(store_engine).through
    before = sql_kpis(store_engine, 30)
    _thin_slice(sample_store, store_engine, last + dt.timedelta(days=1), [700.0, 55.25, 9.5])
    mark = complete_through(store_engine)
    assert (mark.through, mark.source) == (last, "data")
    dash_duo.start_server(nf_app)
    wait_for_kpis(dash_duo, before)
    dash_duo.wait_for_text_to_equal(f"#{ids.OVERVIEW_TODAY}-orders", "3", timeout=10)
    dash_duo.wait_for_text_to_equal(f"#{ids.OVERVIEW_TODAY}-lines", "3", timeout=10)

    def revenue_title(driver):  # read in one script: the panel may be drawn again between a find and a read
        return driver.execute_script(
            "const e = document.getElementById(arguments[0]); return e && e.getAttribute('title');",
            f"{ids.OVERVIEW_TODAY}-revenue")
    WebDriverWait(dash_duo.driver, 10).until(lambda d: revenue_title(d) == "$764.75")
    dash_duo.wait_for_contains_text(f"#{ids.OVERVIEW_TODAY}", "PARTIAL", timeout=10)
    assert "PARTIAL · NOT IN KPIS OR TREND" in dash_duo.driver.execute_script(
        "return document.getElementById(arguments[0]).innerText;", ids.OVERVIEW_TODAY).upper()
    assert f"{last:%d %b %Y}" in dash_duo.find_element(f"#{ids.OVERVIEW_COMPLETE_NOTE}").text
    trend = plot_data(dash_duo, ids.OVERVIEW_TREND)
    assert trend[0]["x"][-1][:10] == last.isoformat()
    assert_clean_console(dash_duo)


def test_committed_data_patches_the_trend_live(dash_duo, nf_app, store_engine, sample_store):
    """Runs last in this module: it adds one order to the shared store."""
    import pandas as pd

    from data.store import get_engine, write_frames

    dash_duo.start_server(nf_app)
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 30))
    before = plot_data(dash_duo, ids.OVERVIEW_TREND)
    day = complete_through(store_engine).through  # the trend's last (complete) day
    with store_engine.connect() as conn:
        customer, channel = conn.execute(text(
            "SELECT o.customer_id, o.channel FROM orders o WHERE o.order_date = :day ORDER BY o.order_id LIMIT 1"),
            {"day": day.isoformat()}).one()
        order_id = conn.execute(text("SELECT max(order_id) + 1 FROM orders")).scalar()
        product, category = conn.execute(text("SELECT product_id, category FROM products LIMIT 1")).one()
    write_frames(get_engine(sample_store[0]), {
        "orders": pd.DataFrame([{"order_id": order_id, "customer_id": customer, "order_date": day,
                                 "channel": channel, "promo_id": None}]),
        "order_lines": pd.DataFrame([{"order_id": order_id, "line_number": 1, "product_id": product,
                                      "category": category, "quantity": 1, "unit_price": 1234.5,
                                      "discount": 0.0, "order_date": day}]),
    }, source="live-test", description="one order for the live-update test")
    dash_duo._wait_for(
        lambda _: plot_data(dash_duo, ids.OVERVIEW_TREND)[0]["y"][-1] == pytest.approx(before[0]["y"][-1] + 1234.5),
        timeout=10, msg="the trend did not pick up the committed order")
    after = plot_data(dash_duo, ids.OVERVIEW_TREND)
    assert len(after[0]["y"]) == len(before[0]["y"])  # patched in place, not rebuilt longer
    assert after[0]["y"][:-7] == before[0]["y"][:-7]
    dash_duo.wait_for_contains_text(f"#{ids.FRESHNESS}", "LIVE", timeout=5)
    # The KPI cards follow by themselves: the job helper computes the new version's KPI model.
    with store_engine.connect() as conn:
        version = conn.execute(text("SELECT max(version) FROM dataset_versions")).scalar()
    dash_duo.wait_for_contains_text(f"#{ids.OVERVIEW_JOB_STATUS}", f"KPIs for dataset v{version}:", timeout=60)
    wait_for_kpis(dash_duo, sql_kpis(store_engine, 30))
    assert_clean_console(dash_duo)
