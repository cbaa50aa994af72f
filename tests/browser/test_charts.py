"""Chart chrome on the real app: no cloud sharing anywhere, CSV export equal to the figure, compressed bundles."""
from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re

import dash
import pytest
from dash import dcc

from components import ids
from components.charts import FIGURE_CSV_JS, offers_cloud_sharing
from tests.browser.helpers import assert_clean_console, plot_data, signed_in_client
from tests.layout_walk import walk as _walk


def test_no_graph_on_any_page_offers_cloud_sharing(nf_app):
    graphs = {}
    with nf_app.server.test_request_context("/"):
        for page in dash.page_registry.values():
            layout = page["layout"]() if callable(page["layout"]) else page["layout"]
            graphs.update({(page["path"], g.id): g.config for g in _walk(layout) if isinstance(g, dcc.Graph)})
    assert {path for path, _ in graphs} >= {"/", "/forecast", "/retention"}
    offending = [key for key, config in graphs.items() if offers_cloud_sharing(config)]
    assert offending == [], "plotly.js 4.1 shows 'Share chart...' for a Graph without the app's config"


def test_largest_script_bundle_is_served_compressed(nf_app):
    client = signed_in_client(nf_app.server)
    page = client.get("/").get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+\.js[^"]*)"', page)
    sizes = {src: len(client.get(src, headers={"Accept-Encoding": "identity"}).get_data()) for src in scripts}
    largest = max(sizes, key=sizes.get)
    assert sizes[largest] > 1_000_000, sizes  # plotly.js
    response = client.get(largest, headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    body = response.get_data()
    assert len(body) < sizes[largest] / 3
    assert len(gzip.decompress(body)) == sizes[largest]


# A figure with every shape the converter handles: plain lists, a typed array ({dtype, bdata}), text,
# 2D customdata, and a heatmap whose z becomes long rows.
_KNOWN = [
    {"type": "bar", "name": "Revenue, by region", "x": [10.5, 20.25], "y": ["EMEA", "LATAM"],
     "text": ["$10", "$20"], "customdata": [["EMEA", 1.5], ["LATAM", -2]]},
    {"type": "scatter", "name": "typed", "x": ["2026-01-01", "2026-01-02", "2026-01-03"],
     "y": {"dtype": "f8", "bdata": "AAAAAAAA8D8AAAAAAAAAQAAAAAAAAAhA"}},
    {"type": "heatmap", "name": "cells", "x": ["m0", "m1"], "y": ["c1", "c2"], "z": [[1, 2], [3, None]]},
]
_EXPECTED = [
    ["series", "x", "y", "z", "text", "customdata_1", "customdata_2"],
    ["Revenue, by region", "10.5", "EMEA", "", "$10", "EMEA", "1.5"],
    ["Revenue, by region", "20.25", "LATAM", "", "$20", "LATAM", "-2"],
    ["typed", "2026-01-01", "1", "", "", "", ""],
    ["typed", "2026-01-02", "2", "", "", "", ""],
    ["typed", "2026-01-03", "3", "", "", "", ""],
    ["cells", "m0", "c1", "1", "", "", ""],
    ["cells", "m1", "c1", "2", "", "", ""],
    ["cells", "m0", "c2", "3", "", "", ""],
    ["cells", "m1", "c2", "", "", "", ""],
]


def test_csv_converter_turns_a_known_figure_into_tidy_rows(dash_duo, nf_app):
    dash_duo.start_server(nf_app)
    plot_data(dash_duo, ids.OVERVIEW_TREND)  # plotly.js is loaded
    text = dash_duo.driver.execute_script(f"return ({FIGURE_CSV_JS.strip()})(arguments[0]);", _KNOWN)
    assert list(csv.reader(io.StringIO(text))) == _EXPECTED
    drawn = dash_duo.driver.execute_script(  # one plot per trace: a bar and a heatmap cannot share axes
        "return Promise.all(arguments[0].map(t => { const div = document.createElement('div');"
        " document.body.appendChild(div); return Plotly.newPlot(div, [t]); }))"
        ".then(gds => (" + FIGURE_CSV_JS.strip() + ")(gds.flatMap(gd => gd.data)));",
        json.loads(json.dumps(_KNOWN)))
    assert list(csv.reader(io.StringIO(drawn))) == _EXPECTED, "the same once plotly.js has drawn (and decoded) it"


def test_csv_button_downloads_the_numbers_the_trend_shows(dash_duo, nf_app):
    dash_duo.start_server(nf_app)
    trend = plot_data(dash_duo, ids.OVERVIEW_TREND)
    dom_id = json.dumps(ids.chart_csv(ids.OVERVIEW_TREND), sort_keys=True, separators=(",", ":"))
    button = dash_duo.driver.execute_script("return document.getElementById(arguments[0]);", dom_id)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus();", button)
    assert dash_duo.driver.switch_to.active_element == button, "the CSV button is reachable from the keyboard"
    button.send_keys("\n")
    path = os.path.join(dash_duo.download_path, f"{ids.OVERVIEW_TREND}.csv")
    dash_duo._wait_for(lambda _: os.path.exists(path) and os.path.getsize(path) > 0, timeout=20,
                       msg="the chart's CSV was never downloaded")
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    for trace in trend:
        mine = [r for r in rows if r["series"] == trace["name"]]
        assert [r["x"] for r in mine] == trace["x"]
        assert [float(r["y"]) for r in mine] == pytest.approx(trace["y"], rel=1e-12)
    assert_clean_console(dash_duo)


def test_modebar_has_no_cloud_or_sharing_button(dash_duo, nf_app):
    dash_duo.start_server(nf_app)
    plot_data(dash_duo, ids.OVERVIEW_TREND)
    titles = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('.modebar-btn')).map(b => b.getAttribute('data-title'));")
    assert "Download plot as a PNG" in titles, titles  # the modebar is there, with local tools only
    assert not [t for t in titles if re.search(r"share|cloud|chart studio|edit in", t or "", re.I)], titles
    assert not dash_duo.driver.find_elements("css selector", "a[href*='plotly.com'], .modebar-btn--logo")
