"""The Health page's figures on the neon template: the service map, the gauges' sparklines, a metric with its
anomaly scores, and the load forecast with its intervals. Pure functions of plain data."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from components.primitives import empty_figure, figure, figure_title, rgba, rounded
from components.theme import PALETTE

__all__ = ["MAP_POSITIONS", "STATUS_COLORS", "service_map_figure", "sparkline_figure", "metric_figure",
           "load_forecast_figure", "SCORE_THRESHOLD"]

# Where each component sits on the map: the processes on top, what they depend on below, the host at the bottom.
MAP_POSITIONS: dict[str, tuple[float, float]] = {
    "web": (1.0, 2.0), "worker": (2.5, 2.0), "stream": (4.0, 2.0),
    "store": (0.5, 1.0), "cache": (1.75, 1.0), "redis": (3.0, 1.0), "model": (4.25, 1.0),
    "host": (2.375, 0.0),
}
STATUS_COLORS = {"ok": PALETTE["lime"], "degraded": PALETTE["amber"], "down": PALETTE["danger"],
                 "not_configured": PALETTE["muted"]}
STATUS_SYMBOLS = {"ok": "circle", "degraded": "diamond", "down": "x", "not_configured": "circle-open"}
SCORE_THRESHOLD = 0.99  # a score at or above this is marked as an anomaly on the metric charts
_NODE_SIZE = 34


def _edge(source: str, target: str, color: str) -> dict:
    """An arrow from a component to one it depends on, stopping short of both markers."""
    (x0, y0), (x1, y1) = MAP_POSITIONS[source], MAP_POSITIONS[target]
    return {"x": x1, "y": y1, "ax": x0, "ay": y0, "xref": "x", "yref": "y", "axref": "x", "ayref": "y",
            "showarrow": True, "arrowhead": 2, "arrowsize": 1, "arrowwidth": 1.4, "arrowcolor": color,
            "standoff": _NODE_SIZE / 2 + 4, "startstandoff": _NODE_SIZE / 2 + 4, "text": ""}


def service_map_figure(statuses: Mapping[str, str], dependencies: Mapping[str, Sequence[str]],
                       selected: str | None = None) -> dict:
    """The components as nodes coloured by status, with an arrow to each component they depend on (red when the
    one depended on is down); ``selected`` is ringed. A click's ``customdata`` is the component's name."""
    names = [name for name in MAP_POSITIONS if name in statuses]
    status_of = [statuses[name] for name in names]
    nodes = {
        "type": "scatter", "mode": "markers+text", "name": "components",
        "x": [MAP_POSITIONS[name][0] for name in names], "y": [MAP_POSITIONS[name][1] for name in names],
        "text": [f"{name}<br>{status.replace('_', ' ')}" for name, status in zip(names, status_of)],
        "textposition": "bottom center", "textfont": {"color": PALETTE["text"], "size": 11},
        "customdata": names, "hovertemplate": "%{customdata}: %{text}<extra>click for details</extra>",
        "marker": {"size": _NODE_SIZE, "color": [rgba(STATUS_COLORS[s], 0.25) for s in status_of],
                   "symbol": [STATUS_SYMBOLS[s] for s in status_of],
                   "line": {"width": [4 if name == selected else 2 for name in names],
                            "color": [PALETTE["cyan"] if name == selected else STATUS_COLORS[s]
                                      for name, s in zip(names, status_of)]}},
    }
    arrows = [_edge(name, target, PALETTE["danger"] if statuses.get(target) == "down" else PALETTE["border"])
              for name in names for target in dependencies.get(name, ()) if target in statuses]
    axis = {"visible": False, "fixedrange": True}
    return figure([nodes], annotations=arrows, showlegend=False, height=300, dragmode=False,
                  margin={"l": 10, "r": 10, "t": 10, "b": 10},
                  xaxis={**axis, "range": [-0.1, 4.85]}, yaxis={**axis, "range": [-0.55, 2.35]})


def sparkline_figure(times: Sequence, values: Sequence[float | None], color: str = PALETTE["cyan"]) -> dict:
    """A gauge's recent history: a bare line with its area, no axes (hover says the time and value)."""
    if not len(values):
        return empty_figure()
    line = {"type": "scatter", "mode": "lines", "x": list(times), "y": rounded(values), "fill": "tozeroy",
            "line": {"color": color, "width": 1.5}, "fillcolor": rgba(color, 0.12), "hovertemplate": "%{x}<br>%{y}"
            "<extra></extra>"}
    axis = {"visible": False, "fixedrange": True}
    return figure([line], height=56, showlegend=False, margin={"l": 0, "r": 0, "t": 2, "b": 2}, xaxis=axis,
                  yaxis={**axis, "rangemode": "tozero"})


def metric_figure(title: str, times: Sequence, values: Sequence[float], scores: Sequence[float] | None = None,
                  threshold: float = SCORE_THRESHOLD) -> dict:
    """One metric over time with the detector's anomaly score (0–1) overlaid on a right-hand axis; points scored
    at or above ``threshold`` are marked in magenta."""
    if not len(values):
        return empty_figure(f"{title}: no points recorded yet")
    data = [{"type": "scatter", "mode": "lines", "name": title, "x": list(times), "y": rounded(values),
             "line": {"color": PALETTE["cyan"], "width": 1.8}, "hovertemplate": "%{x}<br>%{y}<extra></extra>"}]
    layout = {}
    if scores is not None and len(scores):
        # faint (an overlaying axis draws above the metric): the scores are context; the marks show the crossings
        data.insert(1, {"type": "scatter", "mode": "lines", "name": "anomaly score", "x": list(times),
                        "y": rounded(scores, 3), "yaxis": "y2", "line": {"color": PALETTE["amber"], "width": 0.8},
                        "opacity": 0.45, "hovertemplate": "%{x}<br>score %{y:.3f}<extra></extra>"})
        flagged = [i for i, score in enumerate(scores) if score is not None and score >= threshold]
        if flagged:
            data.append({"type": "scatter", "mode": "markers", "name": "anomaly", "x": [times[i] for i in flagged],
                         "y": rounded([values[i] for i in flagged]),
                         "marker": {"color": PALETTE["magenta"], "size": 8, "symbol": "diamond"},
                         "hovertemplate": "%{x}<br>anomaly at %{y}<extra></extra>"})
        layout["yaxis2"] = {"overlaying": "y", "side": "right", "range": [0, 1.02], "showgrid": False,
                            "tickmode": "array", "tickvals": [0, 0.5, 1], "title": {"text": "score"},
                            "fixedrange": True}
    return figure(data, title=figure_title(title), height=220, showlegend=False,
                  margin={"l": 48, "r": 44, "t": 30, "b": 30}, yaxis={"fixedrange": True, "zeroline": False},
                  **layout)


def _peak_traces(peaks: Sequence[Mapping]) -> list[dict]:
    """Each horizon's forecast peak (``days``, ``peak_at``, ``peak_mean``, ``peak_hi80``, ``peak_hi95``) with its 80%
    upper bound as an error bar (as the band) and both bounds on hover."""
    colors = [PALETTE["lime"], PALETTE["amber"]]
    return [{"type": "scatter", "mode": "markers", "name": f"{peak['days']}-day peak",
             "x": [peak["peak_at"]], "y": rounded([peak["peak_mean"]]),
             "marker": {"color": colors[i % 2], "size": 10, "symbol": "diamond"},
             "error_y": {"type": "data", "symmetric": False, "array": rounded([peak["peak_hi80"] - peak["peak_mean"]]),
                         "arrayminus": [0], "color": colors[i % 2], "thickness": 1.5, "width": 6},
             "hovertemplate": f"{peak['days']}-day peak %{{y}}<br>95% up to {peak['peak_hi95']:,.3g}<br>"
                              f"80% up to {peak['peak_hi80']:,.3g}<extra></extra>"}
            for i, peak in enumerate(peaks)]


def load_forecast_figure(title: str, history: tuple[Sequence, Sequence], forecast: Mapping[str, Sequence],
                         capacity: float | None = None, peaks: Sequence[Mapping] = ()) -> dict:
    """Load history and its forecast (``forecast``: ``at``, ``mean``, ``lower``, ``upper``) with the interval as a
    band, each horizon's peak with its upper bounds (``peaks``), and ``capacity`` (what the current workers
    handle) as a dashed line."""
    times, values = history
    if not len(values) and not len(forecast.get("mean", ())) and not peaks:
        return empty_figure(f"{title}: not enough load history to forecast yet")
    at = list(forecast.get("at", ()))
    band_color = PALETTE["magenta"]
    data = [
        {"type": "scatter", "mode": "lines", "name": "recorded", "x": list(times), "y": rounded(values),
         "line": {"color": PALETTE["cyan"], "width": 1.6}},
        {"type": "scatter", "mode": "lines", "name": "upper", "x": at, "y": rounded(forecast.get("upper", ())),
         "line": {"width": 0}, "showlegend": False, "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines", "name": "80% interval", "x": at, "y": rounded(forecast.get("lower", ())),
         "line": {"width": 0}, "fill": "tonexty", "fillcolor": rgba(band_color, 0.18)},
        {"type": "scatter", "mode": "lines", "name": "forecast", "x": at, "y": rounded(forecast.get("mean", ())),
         "line": {"color": band_color, "width": 2, "dash": "dot"}},
    ] + _peak_traces(peaks)
    shapes, notes = [], []
    if capacity is not None:
        shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": capacity,
                       "y1": capacity, "line": {"color": PALETTE["amber"], "width": 1.2, "dash": "dash"}})
        notes.append({"xref": "paper", "x": 0, "xanchor": "left", "yref": "y", "y": capacity, "yanchor": "bottom",
                      "text": "what the current workers handle", "showarrow": False,
                      "font": {"color": PALETTE["amber"], "size": 10}})
    return figure(data, title=figure_title(title), height=260, shapes=shapes, annotations=notes,
                  legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.0, "yanchor": "bottom"},
                  margin={"l": 48, "r": 16, "t": 44, "b": 30})
