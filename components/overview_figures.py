"""Plotly figure builders for the Overview and its KPI cards: plain dicts on the neon template (:mod:`components.primitives`)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from dash import Patch

from components.format import format_value
from components.primitives import figure, range_selector, titled_figure, top_rows
from components.theme import PALETTE, SERIES_COLORS

__all__ = [
    "TREND_HEIGHT",
    "trend_patch",
    "sparkline_figure",
    "trend_figure",
    "breakdown_figure",
    "matrix_3d_figure",
]

TREND_HEIGHT = 400


def sparkline_figure(values: Sequence[float], color: str) -> dict:
    """A tiny axis-less line of a KPI's trailing periods (oldest first)."""
    y = np.asarray(values, dtype=float)
    finite = y[np.isfinite(y)]
    y_axis: dict = {"visible": False, "fixedrange": True}
    if finite.size:
        pad = (finite.max() - finite.min()) * 0.15 or abs(finite.max()) * 0.05 or 1.0
        y_axis["range"] = [float(finite.min() - pad), float(finite.max() + pad)]
    trace = {"type": "scatter", "y": y, "mode": "lines", "hoverinfo": "skip", "fill": "tozeroy",
             "fillcolor": "rgba(0, 229, 255, 0.06)",
             "line": {"color": color, "width": 2, "shape": "spline", "smoothing": 0.6}}
    return figure([trace], margin={"l": 0, "r": 0, "t": 2, "b": 2}, showlegend=False, height=48,
                   xaxis={"visible": False, "fixedrange": True}, yaxis=y_axis)


def trend_figure(trend: pd.DataFrame, title: str) -> dict:
    """Daily revenue as a glowing area with its 7-day average and a range selector.

    Values are plain lists (not typed arrays) so live updates can patch single points.
    """
    smooth = trend["revenue"].rolling(7, min_periods=1).mean().tolist()
    end = trend["date"].max()
    dates = [d.date().isoformat() for d in trend["date"]]
    daily = {"type": "scatter", "x": dates, "y": trend["revenue"].tolist(), "name": "Daily revenue",
             "mode": "lines", "line": {"color": "rgba(0, 229, 255, 0.55)", "width": 1},
             "fill": "tozeroy", "fillcolor": "rgba(0, 229, 255, 0.12)",
             "hovertemplate": "%{x|%a %d %b %Y}<br>$%{y:,.0f}<extra></extra>"}
    average = {"type": "scatter", "x": dates, "y": smooth, "name": "7-day average",
               "mode": "lines", "line": {"color": PALETTE["magenta"], "width": 2},
               "hovertemplate": "7-day avg $%{y:,.0f}<extra></extra>"}
    x_axis = {
        "type": "date",
        "range": [(end - pd.Timedelta(days=365)).date().isoformat(), end.date().isoformat()],
        "rangeselector": range_selector(("1M", "3M", "6M", "YTD", "1Y", "ALL")),
        "rangeslider": {"visible": True, "thickness": 0.08, "bgcolor": PALETTE["surface"]},
    }
    return figure(
        [daily, average],
        **top_rows(title, TREND_HEIGHT),
        hovermode="x unified",
        uirevision="overview-trend",
        xaxis=x_axis,
        yaxis={"tickprefix": "$", "tickformat": "~s", "rangemode": "tozero"},
    )


def trend_patch(tail) -> Patch:
    """Set the trend's last points in place and append new days (``tail``: analytics.kpis.TrendTail)."""
    patch = Patch()
    for offset, (day, revenue, average) in enumerate(zip(tail.dates, tail.revenue, tail.average)):
        index = tail.first_index + offset
        if index < tail.old_length:
            patch["data"][0]["y"][index] = revenue
            patch["data"][1]["y"][index] = average
        else:
            for trace, value in ((0, revenue), (1, average)):
                patch["data"][trace]["x"].append(day)
                patch["data"][trace]["y"].append(value)
    if tail.length > tail.old_length:
        patch["layout"]["xaxis"]["range"][1] = tail.end
    return patch


def breakdown_figure(frame: pd.DataFrame, dimension: str, title: str) -> dict:
    """Horizontal revenue bars per member; the selected member glows magenta."""
    members = frame[dimension].tolist()
    selected = frame["selected"].tolist()
    colors = [PALETTE["magenta"] if s else PALETTE["cyan"] for s in selected]
    any_selected = any(selected)
    previous = frame["previous"].where(frame["previous"] > 0)
    change = (frame["revenue"] / previous - 1).to_numpy() * 100
    bar = {
        "type": "bar", "orientation": "h", "x": frame["revenue"], "y": members,
        "marker": {"color": colors, "opacity": [1.0 if (s or not any_selected) else 0.45 for s in selected],
                   "line": {"color": colors, "width": 1}},
        "customdata": np.column_stack([members, frame["share"] * 100, change]),
        "text": [format_value(v, "currency") for v in frame["revenue"]],
        "textposition": "auto", "textfont": {"color": PALETTE["text"]},
        "insidetextfont": {"color": PALETTE["bg"]},
        "hovertemplate": ("<b>%{customdata[0]}</b><br>$%{x:,.0f} · %{customdata[1]:.1f}% of total"
                          "<br>%{customdata[2]:+.1f}% vs previous period<br><i>click to filter</i><extra></extra>"),
    }
    return titled_figure(
        [bar], title, margin={"l": 110, "r": 16, "t": 40, "b": 30}, clickmode="event",
        height=260, yaxis={"autorange": "reversed", "fixedrange": True},
        xaxis={"tickprefix": "$", "tickformat": "~s", "fixedrange": True},
    )


def _cuboid(x: float, y: float, half: float, height: float) -> tuple[list, list, list]:
    xs = [x - half, x + half, x + half, x - half] * 2
    ys = [y - half, y - half, y + half, y + half] * 2
    zs = [0.0] * 4 + [height] * 4
    return xs, ys, zs


# Triangles of a cuboid's 6 faces over its 8 vertices.
_FACES = ([0, 0, 4, 4, 0, 0, 1, 1, 2, 2, 3, 3], [1, 2, 5, 6, 1, 5, 2, 6, 3, 7, 0, 4],
          [2, 3, 6, 7, 5, 4, 6, 5, 7, 6, 4, 7])


def _category_mesh(matrix: pd.DataFrame, j: int, dimmed: bool) -> dict:
    xs, ys, zs, custom = [], [], [], []
    faces: list[list[int]] = [[], [], []]
    category = matrix.columns[j]
    for i, region in enumerate(matrix.index):
        value = float(matrix.iloc[i, j])
        bx, by, bz = _cuboid(i, j, 0.32, value)
        for axis, offsets in zip(faces, _FACES):
            axis += [len(xs) + v for v in offsets]
        xs, ys, zs = xs + bx, ys + by, zs + bz
        custom += [[region, category, value]] * 8
    return {
        "type": "mesh3d", "x": xs, "y": ys, "z": zs, "i": faces[0], "j": faces[1], "k": faces[2],
        "name": category, "color": SERIES_COLORS[j % len(SERIES_COLORS)],
        "opacity": 0.35 if dimmed else 0.9, "flatshading": True, "showlegend": True,
        "lighting": {"ambient": 0.6, "diffuse": 0.8, "specular": 0.6, "roughness": 0.3},
        "customdata": custom,
        "hovertemplate": ("<b>%{customdata[0]} · %{customdata[1]}</b><br>$%{customdata[2]:,.0f}"
                          "<br><i>click to filter</i><extra></extra>"),
    }


def matrix_3d_figure(matrix: pd.DataFrame, selected: dict[str, str], title: str) -> dict:
    """Region × category revenue as neon 3D bars; one colour per category, click to filter."""
    regions, categories = list(matrix.index), list(matrix.columns)
    chosen = selected.get("category")
    data = [_category_mesh(matrix, j, dimmed=chosen not in (None, "All", c)) for j, c in enumerate(categories)]
    ticks = {"tickfont": {"color": PALETTE["text"]}}
    scene = {
        "xaxis": {"title": {"text": "Region"}, "tickvals": list(range(len(regions))), "ticktext": regions, **ticks},
        "yaxis": {"title": {"text": "Category"}, "tickvals": list(range(len(categories))),
                  "ticktext": categories, **ticks},
        "zaxis": {"title": {"text": "Revenue"}, "tickprefix": "$", "tickformat": "~s"},
        # far enough that the front row (the last region) and the axis titles stay inside a phone-wide scene
        "camera": {"eye": {"x": 1.74, "y": -1.92, "z": 1.14}, "center": {"x": 0, "y": 0, "z": -0.15}},
        "aspectmode": "manual", "aspectratio": {"x": 1.0, "y": 1.2, "z": 0.65},
    }
    return titled_figure(data, title, margin={"l": 0, "r": 0, "t": 40, "b": 0},  # height: the box's
                   uirevision="overview-matrix-3d", scene=scene, legend={"orientation": "h", "y": -0.02})
