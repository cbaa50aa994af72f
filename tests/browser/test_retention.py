"""The Retention page in headless Chromium: models fitted in the background, KM by segment, export, drill-down."""
from __future__ import annotations

import csv
import os
import re

import pytest

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.action_builder import ActionBuilder

from components import ids
from components.retention import CUSTOMER_PROMPT
from data.vocabulary import PLANS, SEGMENTS
from tests.browser.helpers import assert_clean_console, choose, plot_data, scroll_to, traces


def _open(dash_duo, nf_app) -> None:
    dash_duo.start_server(nf_app)
    dash_duo.driver.get(dash_duo.server_url + "/retention")
    # "…for dataset v1: from the cache." or "…: computed in 40 s." (not "Computing the … for dataset v1…")
    dash_duo._wait_for(lambda d: re.search(r"Retention models for dataset v\d+: ",
                                           d.find_element("id", ids.RETENTION_JOB_STATUS).text),
                       timeout=240, msg="the retention models never arrived")


def _km_groups(dash_duo) -> set[str]:
    return {t["name"] for t in plot_data(dash_duo, ids.RETENTION_KM) if t.get("name")}


def test_retention_page_fits_in_the_background_and_draws_every_section(dash_duo, nf_app):
    _open(dash_duo, nf_app)
    dash_duo._wait_for(lambda _: _km_groups(dash_duo) >= set(SEGMENTS), timeout=30, msg="no KM curve per segment")
    assert plot_data(dash_duo, ids.RETENTION_COHORT_HEATMAP)[0]["type"] == "heatmap"
    flat = traces(dash_duo, ids.RETENTION_SEGMENTS_FLAT, "type")
    assert {t["type"] for t in flat} == {"scatter"}  # 2D mode: a 2D scatter, no 3D scene
    assert dash_duo.find_element(f"#{ids.RETENTION_SEGMENTS_3D}").value_of_css_property("display") == "none"
    assert any("AUC" in (t["name"] or "") for t in plot_data(dash_duo, ids.RETENTION_ROC))
    assert "segment: Enterprise" in str(plot_data(dash_duo, ids.RETENTION_FOREST))
    dash_duo.wait_for_element(f"#{ids.RETENTION_AT_RISK} .ag-row", timeout=20)
    assert dash_duo.find_element(f"#{ids.RETENTION_CUSTOMER_PANEL}").text == CUSTOMER_PROMPT  # nobody picked yet
    assert_clean_console(dash_duo)


def test_segment_selector_updates_the_km_curves(dash_duo, nf_app):
    _open(dash_duo, nf_app)
    dash_duo._wait_for(lambda _: _km_groups(dash_duo) >= set(SEGMENTS), timeout=30, msg="no KM curve per segment")
    dash_duo.select_dcc_dropdown(f"#{ids.RETENTION_KM_BY}", value="Plan")
    dash_duo._wait_for(lambda _: _km_groups(dash_duo) >= set(PLANS) and not _km_groups(dash_duo) & set(SEGMENTS),
                       timeout=30, msg="the KM curves did not switch to plans")
    assert_clean_console(dash_duo)


def test_at_risk_grid_exports_raw_numbers_and_a_row_opens_the_customer(dash_duo, nf_app):
    _open(dash_duo, nf_app)
    dash_duo.driver.set_window_size(1400, 1000)
    row = dash_duo.wait_for_element(f"#{ids.RETENTION_AT_RISK} .ag-center-cols-container .ag-row[row-index='0']",
                                    timeout=30)
    # At 1400 px every column, CLV and the top reason included, is in view without scrolling sideways.
    viewport = dash_duo.find_element(f"#{ids.RETENTION_AT_RISK} .ag-center-cols-viewport")
    box = viewport.rect
    for column in ("clv", "value_at_risk", "top_reason"):
        cell = row.find_element("css selector", f"[col-id='{column}']").rect
        assert cell["x"] + cell["width"] <= box["x"] + box["width"] + 1, column
    button = dash_duo.find_element(f"#{ids.RETENTION_EXPORT_BTN}")
    scroll_to(dash_duo, button)
    button.click()
    folder = dash_duo.download_path
    dash_duo._wait_for(lambda _: "at-risk-customers.csv" in os.listdir(folder), timeout=20, msg="no CSV downloaded")
    with open(os.path.join(folder, "at-risk-customers.csv"), newline="") as handle:
        exported = list(csv.DictReader(handle))
    first_id = row.find_element("css selector", "[col-id='customer_id']").text
    assert exported and exported[0]["customer_id"] == first_id  # the grid's order
    assert 0 < float(exported[0]["churn_probability"]) < 1  # a fraction, not "35.5%"
    assert all("%" not in r["churn_probability"] and "$" not in r["clv"] and "—" not in r["clv"] for r in exported)
    assert float(exported[0]["value_at_risk"]) == pytest.approx(
        float(exported[0]["churn_probability"]) * float(exported[0]["clv"]), rel=1e-3)
    # rows are identified by customer id (selection and updates rely on unique row ids)
    ids_shown = [r.get_attribute("row-id") for r in dash_duo.find_elements(
        f"#{ids.RETENTION_AT_RISK} .ag-center-cols-container .ag-row")]
    assert ids_shown[0] == first_id and len(set(ids_shown)) == len(ids_shown)
    scroll_to(dash_duo, row)
    ActionChains(dash_duo.driver).move_to_element(row).click().perform()
    dash_duo.wait_for_contains_text(f"#{ids.RETENTION_CUSTOMER_PANEL}", first_id, timeout=20)
    dash_duo.wait_for_element(f"#{ids.RETENTION_CUSTOMER_HISTORY} .js-plotly-plot", timeout=20)
    assert "raises risk" in dash_duo.find_element(f"#{ids.RETENTION_CUSTOMER_PANEL}").text
    assert " = " not in dash_duo.find_element(f"#{ids.RETENTION_CUSTOMER_PANEL} .nf-reasons").text
    assert_clean_console(dash_duo)


def _cohort_z(dash_duo, graph_id: str, trace_type: str) -> list[list]:
    """The z matrix of the cohort graph's first trace, waiting until that trace is of ``trace_type``."""
    found = []
    dash_duo._wait_for(lambda _: found.append(traces(dash_duo, graph_id, "type", "z")[0])
                       or found[-1]["type"] == trace_type, timeout=30, msg=f"{graph_id} never drew a {trace_type}")
    return found[-1]["z"]


def test_3d_view_draws_the_cohort_table_as_a_surface_that_follows_the_metric(dash_duo, nf_app):
    _open(dash_duo, nf_app)
    customers = _cohort_z(dash_duo, ids.RETENTION_COHORT_HEATMAP, "heatmap")
    assert len(customers) > 1 and len(customers[0]) > 1
    choose(dash_duo, ids.VIEW_TOGGLE, "3D")
    dash_duo.wait_for_style_to_equal(f"#{ids.RETENTION_COHORT_2D}", "display", "none")
    dash_duo.wait_for_element(f"#{ids.RETENTION_COHORT_SURFACE} .gl-container canvas", timeout=20)
    assert _cohort_z(dash_duo, ids.RETENTION_COHORT_SURFACE, "surface") == customers
    choose(dash_duo, ids.RETENTION_COHORT_METRIC, "Revenue")
    dash_duo._wait_for(lambda _: _cohort_z(dash_duo, ids.RETENTION_COHORT_SURFACE, "surface") != customers,
                       timeout=30, msg="the surface did not switch to revenue")
    revenue = _cohort_z(dash_duo, ids.RETENTION_COHORT_SURFACE, "surface")
    assert [len(row) for row in revenue] == [len(row) for row in customers]
    # Back in 2D the heatmap catches up with the metric chosen in 3D and shows the very same numbers.
    choose(dash_duo, ids.VIEW_TOGGLE, "2D")
    dash_duo.wait_for_style_to_equal(f"#{ids.RETENTION_COHORT_3D}", "display", "none")
    dash_duo._wait_for(lambda _: _cohort_z(dash_duo, ids.RETENTION_COHORT_HEATMAP, "heatmap") == revenue,
                       timeout=30, msg="the heatmap does not show the revenue the surface showed")
    assert_clean_console(dash_duo)


# Where each scatter3d point of a graph lands on screen (the projection Plotly's gl3d hover labels use), and the
# point farthest from any other on screen inside the middle of the scene, so that a click there can only pick it.
_ISOLATED_POINT_JS = """
const el = document.getElementById(arguments[0]);
const gd = el.classList.contains('js-plotly-plot') ? el : el.querySelector('.js-plotly-plot');
const scene = gd._fullLayout.scene._scene;
const camera = scene.glplot.cameraParams, scale = scene.dataScale, axes = scene.fullSceneLayout;
const box = scene.container.getBoundingClientRect();
const times = (m, v) => [0, 1, 2, 3].map(i => v.reduce((sum, vj, j) => sum + m[4 * j + i] * vj, 0));
const points = [];
gd._fullData.forEach((trace) => {
  if (trace.type !== 'scatter3d' || trace.visible !== true) { return; }
  for (let i = 0; i < trace.x.length; i++) {
    const at = [axes.xaxis.d2l(trace.x[i]) * scale[0], axes.yaxis.d2l(trace.y[i]) * scale[1],
                axes.zaxis.d2l(trace.z[i]) * scale[2], 1];
    const p = times(camera.projection, times(camera.view, times(camera.model, at)));
    points.push({x: box.left + (0.5 + 0.5 * p[0] / p[3]) * box.width,
                 y: box.top + (0.5 - 0.5 * p[1] / p[3]) * box.height, id: trace.customdata[i]});
  }
});
let best = null;
for (const a of points) {
  if (Math.abs(a.x - box.left - box.width / 2) > box.width * 0.3
      || Math.abs(a.y - box.top - box.height / 2) > box.height * 0.3) { continue; }
  let gap = Infinity;
  for (const b of points) { if (b !== a) { gap = Math.min(gap, Math.hypot(a.x - b.x, a.y - b.y)); } }
  const hit = document.elementFromPoint(a.x, a.y);
  if (hit && scene.container.contains(hit) && (!best || gap > best.gap)) { best = {...a, gap}; }
}
return best;
"""


def test_clicking_a_point_of_the_segments_scatter_opens_that_customer(dash_duo, nf_app):
    _open(dash_duo, nf_app)
    choose(dash_duo, ids.VIEW_TOGGLE, "3D")
    dash_duo.wait_for_style_to_equal(f"#{ids.RETENTION_SEGMENTS_2D}", "display", "none")
    dash_duo.wait_for_element(f"#{ids.RETENTION_SEGMENTS} .gl-container canvas", timeout=30)
    graph = dash_duo.find_element(f"#{ids.RETENTION_SEGMENTS}")
    scroll_to(dash_duo, graph)
    target = dash_duo.driver.execute_script(_ISOLATED_POINT_JS, ids.RETENTION_SEGMENTS)
    assert target is not None and target["gap"] > 10, target
    # gl3d reports a click when a frame renders with the button down over a point, so hold it until the panel opens.
    press = ActionBuilder(dash_duo.driver)
    press.pointer_action.move_to_location(round(target["x"]), round(target["y"])).pointer_down()
    press.perform()
    try:
        dash_duo.wait_for_text_to_equal(f"#{ids.RETENTION_CUSTOMER_PANEL} .nf-customer-title",
                                        f"Customer {target['id']}", timeout=20)
    finally:
        release = ActionBuilder(dash_duo.driver)
        release.pointer_action.pointer_up()
        release.perform()
    dash_duo.wait_for_element(f"#{ids.RETENTION_CUSTOMER_HISTORY} .js-plotly-plot", timeout=20)
    assert_clean_console(dash_duo)


def test_a_customer_opens_from_the_keyboard_and_the_view_lives_in_the_url(dash_duo, nf_app):
    from selenium.webdriver.common.keys import Keys

    _open(dash_duo, nf_app)
    row = dash_duo.wait_for_element(f"#{ids.RETENTION_AT_RISK} .ag-center-cols-container .ag-row[row-index='1']",
                                    timeout=30)
    chosen = row.get_attribute("row-id")  # the customer id
    assert chosen and chosen.isdigit()
    visited = []
    for _ in range(160):  # Tab through the page to the grid's customer column, as a keyboard user does
        ActionChains(dash_duo.driver).send_keys(Keys.TAB).perform()
        active = dash_duo.driver.switch_to.active_element
        visited.append((active.tag_name, active.get_attribute("id"), active.get_attribute("col-id")))
        if visited[-1][2] == "customer_id":
            break
    assert visited[-1][2] == "customer_id", visited
    # The grid's own keyboard navigation: down to the second row, Space selects it.
    ActionChains(dash_duo.driver).send_keys(Keys.ARROW_DOWN, Keys.ARROW_DOWN, Keys.SPACE).perform()
    dash_duo.wait_for_contains_text(f"#{ids.RETENTION_CUSTOMER_PANEL}", f"Customer {chosen}", timeout=20)
    control = dash_duo.find_element(f"#{ids.RETENTION_COHORT_METRIC}")
    scroll_to(dash_duo, control)
    choose(dash_duo, ids.RETENTION_COHORT_METRIC, "Revenue")
    dash_duo._wait_for(lambda d: f"customer={chosen}" in d.current_url and "cohorts=revenue" in d.current_url,
                       timeout=10, msg="the chosen customer and cohort metric did not reach the URL")
    shared = dash_duo.driver.current_url
    dash_duo.driver.back()  # Back undoes the last change of view, on the same page
    dash_duo._wait_for(lambda d: "cohorts=revenue" not in d.current_url, timeout=10, msg="Back did not go back")
    dash_duo.wait_for_element(f"#{ids.RETENTION_COHORT_METRIC} input[value='customers']:checked", timeout=10)
    dash_duo.driver.get(shared)  # a shared link opens the same customer and metric
    dash_duo.wait_for_contains_text(f"#{ids.RETENTION_CUSTOMER_PANEL}", f"Customer {chosen}", timeout=240)
    dash_duo.wait_for_element(f"#{ids.RETENTION_COHORT_METRIC} input[value='revenue']:checked", timeout=10)
    assert_clean_console(dash_duo)
