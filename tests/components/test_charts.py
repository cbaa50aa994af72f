"""Chart chrome: the one Graph config offers no cloud sharing; chart() renders the Graph with its CSV export."""
from __future__ import annotations

from pathlib import Path

import pytest
from dash import dcc, html

from components import ids
from components.charts import CLOUD_BUTTONS, FIGURE_CSV_JS, GRAPH_CONFIG, chart, graph_config, offers_cloud_sharing
from tests.layout_walk import walk as _walk


def test_the_graph_config_removes_every_cloud_entry_and_the_logo():
    assert not offers_cloud_sharing(GRAPH_CONFIG)
    assert GRAPH_CONFIG["displaylogo"] is False and GRAPH_CONFIG["showSendToCloud"] is False
    assert set(CLOUD_BUTTONS) <= set(GRAPH_CONFIG["modeBarButtonsToRemove"])


@pytest.mark.parametrize("config", [
    None, {}, {"displaylogo": False}, {"showSendToCloud": True, "modeBarButtonsToRemove": ["lasso2d"]},
    {**GRAPH_CONFIG, "showEditInChartStudio": True, "modeBarButtonsToRemove": ["sendChartToCloud"]},
    {**GRAPH_CONFIG, "showLink": True}, {**GRAPH_CONFIG, "modeBarButtons": [["toImage", "sendChartToCloud"]]},
])
def test_plotly_defaults_and_cloud_flags_count_as_sharing(config):
    assert offers_cloud_sharing(config), "plotly.js 4.1 shows 'Share chart...' unless told not to"


def test_static_or_bar_less_graphs_offer_nothing_and_overrides_keep_the_cloud_off():
    assert not offers_cloud_sharing(graph_config(displayModeBar=False, staticPlot=True))
    assert graph_config(scrollZoom=True)["scrollZoom"] is True
    with pytest.raises(ValueError, match="would offer cloud sharing"):
        graph_config(showSendToCloud=True)


def test_chart_renders_graph_csv_button_and_download_keyed_by_the_graph():
    figure = {"data": [{"type": "bar", "x": [1], "y": ["a"]}], "layout": {}}
    root = chart("demo-graph", 320, "demo.csv", figure=figure, loading=False)
    parts = list(_walk(root))
    graph = next(c for c in parts if isinstance(c, dcc.Graph))
    assert graph.id == "demo-graph" and graph.config == GRAPH_CONFIG and graph.figure is figure
    assert graph.style == {"height": "320px"}
    button = next(c for c in parts if isinstance(c, html.Button))
    assert button.id == ids.chart_csv("demo-graph") and button.value == "demo.csv" and button.type == "button"
    assert "CSV" in button.to_plotly_json()["props"]["aria-label"]
    assert any(isinstance(c, dcc.Download) and c.id == ids.chart_csv_download("demo-graph") for c in parts)
    assert not any(isinstance(c, dcc.Loading) for c in parts)
    assert any(isinstance(c, dcc.Loading) for c in _walk(chart("other", 200)))
    assert next(c for c in _walk(chart("other", 200)) if isinstance(c, html.Button)).value == "other.csv"


def test_chart_csv_cells_come_from_the_one_shared_safe_writer():
    assert "window.nfCsv.cell" in FIGURE_CSV_JS and "function cell(" not in FIGURE_CSV_JS
    shared = (Path(__file__).resolve().parents[2] / "assets" / "csv-safe.js").read_text()
    assert "window.nfCsv = {neutralise: neutralise, cell: cell}" in shared and "grid.csvSafeCell" in shared
