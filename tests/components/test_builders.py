"""Layout and figure builders: called directly, asserted on structure."""
from __future__ import annotations

import pandas as pd
import plotly.io as pio
import pytest
from dash import html

from components import ids
from components.format import format_delta, format_value
from components.kpi import kpi_card
from components.layout import create_navbar, create_shell, freshness_badge
from components.overview import filter_bar
from components.overview_figures import breakdown_figure, matrix_3d_figure, sparkline_figure, trend_figure
from components.theme import PALETTE, TEMPLATE_NAME, register_template
from tests.layout_walk import walk as _walk


def _ids(component):
    return [getattr(c, "id", None) for c in _walk(component)]


PAGES = [
    {"name": "Forecast", "relative_path": "/forecast", "order": 1},
    {"name": "Overview", "relative_path": "/", "order": 0},
    {"name": "Not found", "relative_path": "/not-found-404", "hidden_from_nav": True},
]


def test_navbar_lists_visible_pages_in_order():
    nav = create_navbar(PAGES)
    links = [c for c in _walk(nav) if type(c).__name__ == "NavLink"]
    assert [link.children for link in links] == ["Overview", "Forecast"]
    assert [link.href for link in links] == ["/", "/forecast"]


def test_shell_has_header_stores_the_page_and_the_assistant_panel():
    shell = create_shell(PAGES, page_container="PAGE")
    found = _ids(shell)
    for wanted in (ids.URL, ids.VIEW_MODE, ids.VIEW_TOGGLE, ids.FRESHNESS, ids.NAV, "nf-main"):
        assert wanted in found, wanted
    store = next(c for c in _walk(shell) if getattr(c, "id", None) == ids.VIEW_MODE)
    assert store.storage_type == "local"
    main = next(c for c in _walk(shell) if isinstance(c, html.Main))
    assert main.children == "PAGE" and main in shell.children  # a cell of the shell's grid, under the header
    asides = [c for c in _walk(shell) if isinstance(c, html.Aside)]
    assert [a.id for a in asides] == [ids.CHAT] and asides[0].hidden  # the assistant's panel, shown when allowed


@pytest.mark.parametrize("status", ["fresh", "stale", "empty"])
def test_freshness_badge_carries_status(status):
    badge = freshness_badge(status, "DATA TO 31 OCT 2026 · V1", "detail")
    assert f"is-{status}" in badge.className and badge.title == "detail"


def test_kpi_card_ids_derive_from_prefix_and_colour_follows_goodness():
    card = kpi_card("x-churn", "Churn", "2.00%", 0.1, [1, 2, 3], "defn", higher_is_better=False)
    found = _ids(card)
    assert {"x-churn", "x-churn-value", "x-churn-delta", "x-churn-info", "x-churn-sparkline"} <= set(found)
    delta = next(c for c in _walk(card) if getattr(c, "id", None) == "x-churn-delta")
    assert "is-down" in delta.className  # churn going up is bad
    good = kpi_card("x-rev", "Revenue", "$1", 0.1, [1], "defn")
    assert "is-up" in next(c for c in _walk(good) if getattr(c, "id", None) == "x-rev-delta").className


@pytest.mark.parametrize(
    "value, unit, text",
    [(1_234_567, "currency", "$1.23M"), (999.5, "currency", "$999.50"), (12345, "count", "12,345"),
     (0.0231, "percent", "2.31%"), (float("nan"), "count", "—"), (None, "percent", "—")],
)
def test_format_value(value, unit, text):
    assert format_value(value, unit) == text


def test_format_rejects_unknown_unit_and_formats_deltas():
    with pytest.raises(ValueError, match="unknown unit 'kg'"):
        format_value(1, "kg")
    assert format_delta(0.123) == "▲ +12.3%" and format_delta(-0.05) == "▼ -5.0%" and format_delta(None) == "n/a"


def test_filter_bar_chips_for_active_filters_only():
    assert not any(getattr(c, "id", None) for c in _walk_list(filter_bar({"region": None})))
    chips = [c for c in _walk_list(filter_bar({"region": "EMEA", "category": None, "channel": "Web"}))
             if isinstance(getattr(c, "id", None), dict)]
    assert [c.id for c in chips] == [ids.overview_filter_chip("region"), ids.overview_filter_chip("channel")]


def _walk_list(items):
    for item in items:
        yield from _walk(item)


def test_template_is_registered_and_used_by_every_figure():
    assert register_template() == TEMPLATE_NAME and TEMPLATE_NAME in pio.templates
    trend = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=30), "revenue": range(30)})
    frame = pd.DataFrame({"region": ["EMEA", "APAC"], "revenue": [10.0, 30.0], "previous": [5.0, 0.0],
                          "share": [0.25, 0.75], "selected": [True, False]})
    matrix = pd.DataFrame([[1.0, 2.0]], index=["EMEA"], columns=["Home", "Beauty"])
    figures = [sparkline_figure([1, 2, 3], PALETTE["cyan"]), trend_figure(trend, "t"),
               breakdown_figure(frame, "region", "t"), matrix_3d_figure(matrix, {}, "t")]
    neon = pio.templates[TEMPLATE_NAME]
    for fig in figures:
        assert fig["layout"]["template"]["layout"]["paper_bgcolor"] == neon.layout.paper_bgcolor
        pio.from_json(pio.to_json(fig))  # a valid Plotly figure


def test_breakdown_highlights_the_selected_member():
    frame = pd.DataFrame({"region": ["EMEA", "APAC"], "revenue": [10.0, 30.0], "previous": [5.0, 0.0],
                          "share": [0.25, 0.75], "selected": [True, False]})
    bar = breakdown_figure(frame, "region", "t")["data"][0]
    assert list(bar["y"]) == ["EMEA", "APAC"]
    assert bar["marker"]["color"] == [PALETTE["magenta"], PALETTE["cyan"]]


def test_matrix_3d_has_one_bar_mesh_per_category_with_click_data():
    matrix = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], index=["EMEA", "APAC"], columns=["Home", "Beauty"])
    fig = matrix_3d_figure(matrix, {"category": "Home"}, "t")
    assert [m["name"] for m in fig["data"]] == ["Home", "Beauty"]
    home = fig["data"][0]
    assert len(home["x"]) == 2 * 8 and max(home["z"]) == 3.0
    assert home["customdata"][0][:2] == ["EMEA", "Home"]
    assert fig["data"][1]["opacity"] < fig["data"][0]["opacity"]  # non-selected categories are dimmed
