"""Chart chrome shared by every page: one Graph config (no cloud buttons) and ``chart``, a Graph with CSV export.

``chart(graph_id, height, csv_name)`` renders the ``dcc.Graph`` plus a small keyboard-reachable "CSV"
button and a ``dcc.Download``. One pattern-matching clientside callback (below) turns whatever the
graph currently shows into a tidy CSV in the browser, so the export always matches the chart, live
patches included, without a server round trip.
"""
from __future__ import annotations

from dash import MATCH, Input, Output, State, clientside_callback, dcc, html

from components import ids
from components.loading import matrix_spinner
from components.primitives import empty_figure

__all__ = ["CLOUD_BUTTONS", "GRAPH_CONFIG", "FIGURE_CSV_JS", "chart", "graph_config", "offers_cloud_sharing"]

# Modebar entries that send a chart off the machine. plotly.js 4.1 (bundled with plotly 7.1) shows
# "Share chart..." (sendChartToCloud) unless showSendToCloud is false; the older names are removed too.
CLOUD_BUTTONS = ("sendChartToCloud", "sendDataToCloud", "editInChartStudio")
_CLOUD_FLAGS = ("showSendToCloud", "showEditInChartStudio", "showLink", "sendData")
GRAPH_CONFIG = {
    "displaylogo": False,
    **{flag: False for flag in _CLOUD_FLAGS},
    "modeBarButtonsToRemove": [*CLOUD_BUTTONS, "select2d", "lasso2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def graph_config(**overrides) -> dict:
    """``GRAPH_CONFIG`` with ``overrides`` (e.g. ``displayModeBar=False``); the cloud flags stay off."""
    unsafe = [flag for flag in _CLOUD_FLAGS if overrides.get(flag)]
    if unsafe:
        raise ValueError(f"{unsafe} would offer cloud sharing; this app is self-hosted and offline")
    return {**GRAPH_CONFIG, **overrides}


def offers_cloud_sharing(config: dict | None) -> bool:
    """Whether a Graph ``config`` would show any cloud or sharing entry (plotly.js 4.1 defaults included)."""
    config = config or {}
    if config.get("showLink"):
        return True  # an "Edit chart" link under the plot, modebar or not
    if config.get("staticPlot") or config.get("displayModeBar") is False:
        return False
    removed = set(config.get("modeBarButtonsToRemove") or [])
    custom = str(config.get("modeBarButtons") or "")
    return (bool(config.get("showSendToCloud", True)) and "sendChartToCloud" not in removed
            or bool(config.get("showEditInChartStudio")) and "editInChartStudio" not in removed
            or any(name in custom for name in CLOUD_BUTTONS))


# The figure's traces (gd.data) as a tidy CSV: one row per point, columns series, x, y and, where any
# trace has them, z, text and customdata (arrays spread over customdata_1..n). A 2D z (heatmap,
# surface) becomes long rows, one per cell. Typed arrays ({dtype, bdata, shape}) are decoded. Cells are
# written by assets/csv-safe.js (the rule of data/csv_safe.py): text a spreadsheet would run as a formula
# gets a leading apostrophe, and cells with a comma, quote or line break are quoted.
FIGURE_CSV_JS = """
function figureCsv(traces) {
    const TYPED = {f8: Float64Array, f4: Float32Array, i4: Int32Array, u4: Uint32Array, i2: Int16Array,
                   u2: Uint16Array, i1: Int8Array, u1: Uint8Array, u1c: Uint8ClampedArray,
                   i8: BigInt64Array, u8: BigUint64Array};
    const isArr = v => Array.isArray(v) || ArrayBuffer.isView(v);
    function decode(v) {
        if (v && typeof v === "object" && typeof v.bdata === "string" && TYPED[v.dtype]) {
            const bytes = Uint8Array.from(atob(v.bdata), c => c.charCodeAt(0));
            const flat = Array.from(new TYPED[v.dtype](bytes.buffer));
            const shape = String(v.shape || "").split(",").map(Number);
            if (shape.length !== 2) { return flat; }
            return Array.from({length: shape[0]}, (_, i) => flat.slice(i * shape[1], (i + 1) * shape[1]));
        }
        if (ArrayBuffer.isView(v)) { return Array.from(v); }
        return Array.isArray(v) ? v.map(r => (ArrayBuffer.isView(r) ? Array.from(r) : r)) : null;
    }
    const is2d = a => Array.isArray(a) && a.length > 0 && a.some(isArr);
    const at = (a, i) => (a ? a[i] : undefined);
    const rows = [];
    traces.forEach((trace, t) => {
        const series = trace.name || ("trace " + t);
        const x = decode(trace.x !== undefined ? trace.x : trace.labels);
        const y = decode(trace.y !== undefined ? trace.y : trace.values);
        const z = decode(trace.z);
        const text = typeof trace.text === "string" ? null : decode(trace.text);
        const custom = decode(trace.customdata);
        if (is2d(z)) {
            z.forEach((zrow, i) => Array.from(zrow).forEach((value, j) => rows.push({
                series, x: is2d(x) ? x[i][j] : (x ? x[j] : j), y: is2d(y) ? y[i][j] : (y ? y[i] : i), z: value,
                text: is2d(text) ? text[i][j] : undefined, custom: is2d(custom) ? at(custom[i], j) : undefined,
            })));
            return;
        }
        const n = Math.max(...[x, y, z].map(a => (a ? a.length : 0)));
        for (let i = 0; i < n; i++) {
            rows.push({series, x: x ? x[i] : i, y: at(y, i), z: at(z, i), text: at(text, i), custom: at(custom, i)});
        }
    });
    const hasZ = rows.some(r => r.z !== undefined);
    const hasText = rows.some(r => r.text !== undefined && r.text !== null && r.text !== "");
    const width = Math.max(0, ...rows.map(r => (isArr(r.custom) ? r.custom.length : r.custom === undefined ? 0 : 1)));
    const customCols = width > 1 || rows.some(r => isArr(r.custom))
        ? Array.from({length: width}, (_, k) => "customdata_" + (k + 1)) : (width ? ["customdata"] : []);
    const header = ["series", "x", "y"].concat(hasZ ? ["z"] : [], hasText ? ["text"] : [], customCols);
    const cell = window.nfCsv.cell;  // assets/csv-safe.js: formula-like text neutralised, CR/LF quoted
    const lines = [header.join(",")];
    rows.forEach(r => {
        const custom = customCols.length > 1 || isArr(r.custom)
            ? customCols.map((_, k) => at(r.custom, k)) : (customCols.length ? [r.custom] : []);
        const values = [r.series, r.x, r.y].concat(hasZ ? [r.z] : [], hasText ? [r.text] : [], custom);
        lines.push(values.map(cell).join(","));
    });
    return lines.join("\\n") + "\\n";
}
"""

_DOWNLOAD_JS = """
function (nClicks, fileName, buttonId) {
    const host = nClicks ? document.getElementById(buttonId.graph) : null;
    const gd = host && (host.classList.contains("js-plotly-plot") ? host : host.querySelector(".js-plotly-plot"));
    if (!gd || !gd.data) { return window.dash_clientside.no_update; }
    return {content: (FIGURE_CSV)(gd.data), filename: fileName, type: "text/csv", base64: false};
}
""".replace("FIGURE_CSV", FIGURE_CSV_JS.strip())


def chart(graph_id: str, height: int, csv_name: str | None = None, *, figure: dict | None = None,
          loading: bool = True, scene: bool = False, **graph_kwargs) -> html.Div:
    """A themed Graph (``GRAPH_CONFIG``) with a "CSV" button that downloads the numbers it shows.

    ``scene`` marks a 3D chart: on a phone it gets a squarer box (``.nf-graph-3d``), because a 3D scene
    keeps its vertical field of view and a tall, narrow box crops it at the sides. Its figure must then
    leave ``layout.height`` unset so the box decides.
    """
    if scene:
        graph_kwargs["className"] = f"nf-graph-3d {graph_kwargs.get('className', '')}".strip()
    graph = dcc.Graph(id=graph_id, figure=figure or empty_figure(), config=GRAPH_CONFIG,
                      style={"height": f"{height}px"}, **graph_kwargs)
    body = dcc.Loading(graph, custom_spinner=matrix_spinner(), delay_show=250) if loading else graph
    button = html.Button(
        [html.I(className="bi bi-download", **{"aria-hidden": "true"}), " CSV"],
        id=ids.chart_csv(graph_id), n_clicks=0, type="button", value=csv_name or f"{graph_id}.csv",
        className="nf-chart-csv", title="Download the numbers behind this chart as CSV",
        **{"aria-label": "Download the numbers behind this chart as CSV"},
    )
    actions = html.Div([button, dcc.Download(id=ids.chart_csv_download(graph_id))], className="nf-chart-actions")
    return html.Div([body, actions], className="nf-chart")


clientside_callback(
    _DOWNLOAD_JS,
    Output(ids.chart_csv_download(MATCH), "data"),
    Input(ids.chart_csv(MATCH), "n_clicks"),
    State(ids.chart_csv(MATCH), "value"),
    State(ids.chart_csv(MATCH), "id"),
    prevent_initial_call=True,
)
