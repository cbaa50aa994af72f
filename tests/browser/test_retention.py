"""The Retention page in headless Chromium: models fitted in the background, KM by segment, export, drill-down."""
from __future__ import annotations

import os

from selenium.webdriver.common.action_chains import ActionChains

from components import ids
from data.vocabulary import PLANS, SEGMENTS
from tests.browser.test_overview import assert_clean_console, plot_data


def _open(dash_duo, nf_app) -> None:
    dash_duo.start_server(nf_app)
    dash_duo.driver.get(dash_duo.server_url + "/retention")
    dash_duo.wait_for_contains_text(f"#{ids.RETENTION_JOB_STATUS}", "Retention models for dataset", timeout=240)


def _km_groups(dash_duo) -> set[str]:
    return {t["name"] for t in plot_data(dash_duo, ids.RETENTION_KM) if t.get("name")}


def test_retention_page_fits_in_the_background_and_draws_every_section(dash_duo, nf_app):
    _open(dash_duo, nf_app)
    dash_duo._wait_for(lambda _: _km_groups(dash_duo) >= set(SEGMENTS), timeout=30, msg="no KM curve per segment")
    assert plot_data(dash_duo, ids.RETENTION_COHORT_HEATMAP)[0]["type"] == "heatmap"
    assert any(t["type"] == "scatter3d" for t in plot_data(dash_duo, ids.RETENTION_SEGMENTS))
    assert any("AUC" in (t["name"] or "") for t in plot_data(dash_duo, ids.RETENTION_ROC))
    assert "segment: Enterprise" in str(plot_data(dash_duo, ids.RETENTION_FOREST))
    dash_duo.wait_for_element(f"#{ids.RETENTION_AT_RISK} .ag-row", timeout=20)
    assert_clean_console(dash_duo)


def test_segment_selector_updates_the_km_curves(dash_duo, nf_app):
    _open(dash_duo, nf_app)
    dash_duo._wait_for(lambda _: _km_groups(dash_duo) >= set(SEGMENTS), timeout=30, msg="no KM curve per segment")
    dash_duo.select_dcc_dropdown(f"#{ids.RETENTION_KM_BY}", value="Plan")
    dash_duo._wait_for(lambda _: _km_groups(dash_duo) >= set(PLANS) and not _km_groups(dash_duo) & set(SEGMENTS),
                       timeout=30, msg="the KM curves did not switch to plans")
    assert_clean_console(dash_duo)


def test_at_risk_grid_exports_csv_and_a_row_opens_the_customer(dash_duo, nf_app):
    _open(dash_duo, nf_app)
    row = dash_duo.wait_for_element(f"#{ids.RETENTION_AT_RISK} .ag-center-cols-container .ag-row[row-index='0']",
                                    timeout=30)
    button = dash_duo.find_element(f"#{ids.RETENTION_EXPORT_BTN}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    folder = dash_duo.download_path
    dash_duo._wait_for(lambda _: "at-risk-customers.csv" in os.listdir(folder), timeout=20, msg="no CSV downloaded")
    with open(os.path.join(folder, "at-risk-customers.csv")) as handle:
        lines = handle.read().strip().splitlines()
    assert len(lines) > 1 and "customer" in lines[0].lower()
    first_id = row.find_element("css selector", "[col-id='customer_id']").text
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", row)
    ActionChains(dash_duo.driver).move_to_element(row).click().perform()
    dash_duo.wait_for_contains_text(f"#{ids.RETENTION_CUSTOMER_PANEL}", first_id, timeout=20)
    dash_duo.wait_for_element(f"#{ids.RETENTION_CUSTOMER_HISTORY} .js-plotly-plot", timeout=20)
    assert "raises risk" in dash_duo.find_element(f"#{ids.RETENTION_CUSTOMER_PANEL}").text
    assert_clean_console(dash_duo)
