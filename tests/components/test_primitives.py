"""The shared pieces: cards, stat tiles, segmented controls, figure basics and the id helpers."""
from __future__ import annotations

import math

import dash_bootstrap_components as dbc
import pytest
from dash import html

from components import ids
from components.charts import chart
from components.primitives import (ACCENTS, LEGEND_ABOVE, RANGE_BUTTONS, card, empty_figure, figure, figure_title,
                                   range_selector, rgba, rounded, segmented, stat_tiles, titled_figure, top_rows)
from components.theme import PALETTE
from tests.components.helpers import assert_empty_with_message, assert_valid_neon

# ---------- card ----------


def test_a_card_is_a_section_with_an_h2_title_over_its_body():
    body = html.Div("body")
    section = card("Sources", body, html.P("more"), className="mb-3", id="x-card")
    assert isinstance(section, html.Section) and section.className == "nf-card mb-3" and section.id == "x-card"
    title, *rest = section.children
    assert isinstance(title, html.H2) and title.children == "Sources" and title.className == "nf-card-title"
    assert rest[0] is body and rest[1].children == "more"


def test_a_card_without_a_title_holds_only_its_body_and_passes_attributes_through():
    section = card(None, html.Div("chart"), **{"aria-label": "Trend"})
    assert section.className == "nf-card" and len(section.children) == 1
    assert section.to_plotly_json()["props"]["aria-label"] == "Trend"


# ---------- stat tiles ----------


def test_stat_tiles_take_turns_with_the_accents_and_show_the_exact_value_on_hover():
    grid = stat_tiles([("A", "1", "one"), ("B", "2.0k", "two", "2,000"), *[(str(i), "x", "y") for i in range(4)]],
                      "nf-demo")
    assert grid.className == "nf-kpi-grid nf-demo"
    assert [tile.className for tile in grid.children] == [f"nf-kpi-card accent-{a}" for a in ACCENTS + ACCENTS[:1]]
    label, value, detail = grid.children[1].children
    assert (label.children, value.children, detail.children) == ("B", "2.0k", "two")
    assert (label.className, value.className, detail.className) == ("nf-kpi-label", "nf-kpi-value", "nf-kpi-sub")
    assert value.title == "2,000" and "title" not in grid.children[0].children[1].to_plotly_json()["props"]
    assert stat_tiles([]).className == "nf-kpi-grid"


# ---------- segmented control ----------


def test_segmented_radio_items_are_toggle_buttons():
    control = segmented("demo-metric", [{"label": "Customers", "value": "customers"}], "customers")
    assert isinstance(control, dbc.RadioItems) and control.id == "demo-metric" and control.value == "customers"
    assert control.className == "btn-group nf-segmented" and control.inline is True
    assert (control.inputClassName, control.labelClassName, control.labelCheckedClassName) == (
        "btn-check", "btn btn-outline-info nf-toggle-btn", "active")
    assert segmented("v", [], "2d", className="nf-view-toggle").className == "btn-group nf-view-toggle"


# ---------- figures ----------


def test_figures_are_plain_dicts_on_the_neon_template():
    fig = figure([{"type": "bar", "x": [1], "y": [2]}], height=200)
    assert_valid_neon(fig)
    assert fig["layout"]["height"] == 200 and set(fig) == {"data", "layout"}


def test_a_titled_figure_has_the_muted_title_at_the_left_or_pinned_to_the_top():
    muted = {"size": 14, "color": PALETTE["muted"]}
    assert titled_figure([], "Revenue")["layout"]["title"] == {"text": "Revenue", "font": muted, "x": 0.01}
    pinned = titled_figure([], "Revenue", pinned=True, height=300)["layout"]
    assert pinned["title"] == {"text": "Revenue", "font": muted, "x": 0.01, "yref": "container", "y": 1,
                               "yanchor": "top", "pad": {"t": 8}}
    assert pinned["height"] == 300
    assert figure_title("t", y=0.9)["y"] == 0.9


def test_the_empty_figure_hides_its_axes_and_centres_its_message():
    assert_valid_neon(empty_figure("Nothing yet"))
    assert_empty_with_message(empty_figure("Nothing yet"), "Nothing yet")
    note = empty_figure("Nothing yet")["layout"]["annotations"][0]
    assert (note["x"], note["y"], note["xref"], note["showarrow"]) == (0.5, 0.5, "paper", False)
    blank = empty_figure()["layout"]
    assert blank["annotations"] == [] and blank["xaxis"] == blank["yaxis"] == {"visible": False}


def test_top_rows_stack_title_legend_and_range_buttons_without_overlap():
    rows = top_rows("Trend", 400)
    assert rows["height"] == 400 and rows["margin"] == {"t": 30 + 2 * 22 + 30 + 4}
    assert rows["title"]["y"] == pytest.approx(1 - 6 / 400) and rows["legend"]["y"] == pytest.approx(1 - 30 / 400)
    assert rows["title"]["yref"] == rows["legend"]["yref"] == "container"


def test_range_selector_picks_buttons_by_label_above_the_plot():
    selector = range_selector(("1M", "ALL"))
    assert selector["buttons"] == [RANGE_BUTTONS["1M"], {"step": "all", "label": "ALL"}]
    assert (selector["y"], selector["yanchor"], selector["bordercolor"]) == (1.0, "bottom", PALETTE["cyan"])
    with pytest.raises(KeyError):
        range_selector(("2W",))
    assert LEGEND_ABOVE["yanchor"] == "bottom" and LEGEND_ABOVE["orientation"] == "h"


def test_rounded_numbers_are_json_safe_and_colours_become_rgba():
    assert rounded([1.23456, math.nan, math.inf, 2], 2) == [1.23, None, None, 2.0]
    assert rounded([0.123456789]) == [0.1235]
    assert rgba("#00e5ff", 0.15) == "rgba(0, 229, 255, 0.15)"


def test_the_graph_slot_is_a_chart_with_its_csv_named_after_the_graph():
    slot = chart("demo-trend", 400, loading=False)
    button = next(c for c in slot.children[1].children if isinstance(c, html.Button))
    assert button.value == "demo-trend.csv" and slot.children[0].figure == empty_figure()


# ---------- ids ----------


def test_child_ids_derive_from_the_parent_id():
    assert ids.child_id(ids.OVERVIEW_TODAY, "revenue") == "overview-today-revenue"
    assert ids.child_id(ids.OVERVIEW_RANGE, "start") == "overview-range-start"
    assert ids.pattern_id("chart-csv", graph="g") == {"type": "chart-csv", "graph": "g"}


def test_pattern_ids_keep_their_families():
    assert ids.forecast_drill("EMEA") == {"type": ids.FORECAST_DRILL, "node": "EMEA"}
    assert ids.forecast_crumb("total") == {"type": "forecast-crumb", "node": "total"}
    assert ids.data_mapping_source("amount") == {"type": "data-mapping-source", "column": "amount"}
    assert ids.data_mapping_format("signup_date") == {"type": "data-mapping-format", "column": "signup_date"}
    assert ids.chart_csv_download("g") == {"type": "chart-csv-download", "graph": "g"}
    assert ids.overview_filter_chip("region") == {"type": "overview-filter-chip", "dimension": "region"}
    assert (ids.overview_breakdown("region"), ids.overview_drill("channel")) == (
        "overview-breakdown-region", "overview-drill-channel")


def test_job_ids_derive_from_the_page_prefix():
    job = ids.job_ids("demo", "demo-run")
    assert vars(job) == {"run": "demo-run", "cancel": "demo-cancel", "request": "demo-job-request",
                         "ready": "demo-ready", "done": "demo-job-done", "progress": "demo-progress",
                         "progress_text": "demo-progress-text", "status": "demo-job-status", "error": "demo-job-error"}


def test_every_id_constant_is_unique():
    constants = {name: value for name, value in vars(ids).items() if name.isupper() and isinstance(value, str)}
    jobs = [value for job in (ids.OVERVIEW_JOB, ids.FORECAST_JOB, ids.RETENTION_JOB) for value in vars(job).values()]
    aliases = {ids.OVERVIEW_PROGRESS, ids.OVERVIEW_JOB_STATUS, ids.OVERVIEW_READY, ids.FORECAST_READY,
               ids.FORECAST_PROGRESS, ids.FORECAST_JOB_STATUS, ids.RETENTION_PROGRESS, ids.RETENTION_JOB_STATUS,
               ids.RETENTION_READY, ids.OVERVIEW_RECOMPUTE, ids.FORECAST_RETRAIN, ids.RETENTION_REFIT}
    own = [value for value in constants.values() if value not in aliases]
    assert len(own) == len(set(own)) and not set(own) & set(jobs)
    assert len(jobs) == len(set(jobs))
