"""Plotly figure builders for the Overview; every figure uses the neon template."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from components.format import format_value
from components.theme import PALETTE, SERIES_COLORS, register_template

__all__ = [
    "empty_figure",
    "sparkline_figure",
    "trend_figure",
    "breakdown_figure",
    "matrix_3d_figure",
]

_RANGE_BUTTONS = [
    {"count": 1, "label": "1M", "step": "month", "stepmode": "backward"},
    {"count": 3, "label": "3M", "step": "month", "stepmode": "backward"},
    {"count": 6, "label": "6M", "step": "month", "stepmode": "backward"},
    {"count": 1, "label": "YTD", "step": "year", "stepmode": "todate"},
    {"count": 1, "label": "1Y", "step": "year", "stepmode": "backward"},
    {"step": "all", "label": "ALL"},
]


def empty_figure(message: str = "") -> go.Figure:
    """A blank themed figure with an optional centred message."""
    fig = go.Figure(layout={"template": register_template()})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    if message:
        fig.add_annotation(text=message, showarrow=False, font={"color": PALETTE["muted"]})
    return fig


def sparkline_figure(values: Sequence[float], color: str) -> go.Figure:
    """A tiny axis-less line of a KPI's trailing periods (oldest first)."""
    y = np.asarray(values, dtype=float)
    fig = go.Figure(
        go.Scatter(
            y=y,
            mode="lines",
            line={"color": color, "width": 2, "shape": "spline", "smoothing": 0.6},
            fill="tozeroy",
            fillcolor="rgba(0, 229, 255, 0.06)",
            hoverinfo="skip",
        ),
        layout={"template": register_template()},
    )
    finite = y[np.isfinite(y)]
    if finite.size:
        pad = (finite.max() - finite.min()) * 0.15 or abs(finite.max()) * 0.05 or 1.0
        fig.update_yaxes(range=[finite.min() - pad, finite.max() + pad])
    fig.update_layout(margin={"l": 0, "r": 0, "t": 2, "b": 2}, showlegend=False, height=48)
    fig.update_xaxes(visible=False, fixedrange=True)
    fig.update_yaxes(visible=False, fixedrange=True)
    return fig


def trend_figure(trend: pd.DataFrame, title: str) -> go.Figure:
    """Daily revenue with its 7-day average and a range selector."""
    smooth = trend["revenue"].rolling(7, min_periods=1).mean()
    fig = go.Figure(layout={"template": register_template()})
    fig.add_bar(
        x=trend["date"], y=trend["revenue"], name="Daily revenue",
        marker={"color": "rgba(0, 229, 255, 0.35)", "line": {"width": 0}},
        hovertemplate="%{x|%a %d %b %Y}<br>$%{y:,.0f}<extra></extra>",
    )
    fig.add_scatter(
        x=trend["date"], y=smooth, name="7-day average", mode="lines",
        line={"color": PALETTE["magenta"], "width": 2},
        hovertemplate="%{x|%d %b %Y}<br>7-day avg $%{y:,.0f}<extra></extra>",
    )
    end = trend["date"].max()
    fig.update_layout(
        title={"text": title, "font": {"size": 14, "color": PALETTE["muted"]}, "x": 0.01,
               "y": 0.98, "yref": "container", "yanchor": "top"},
        bargap=0,
        hovermode="x unified",
        legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.0, "yanchor": "bottom"},
        uirevision="overview-trend",
        margin={"t": 84},
    )
    fig.update_xaxes(
        range=[end - pd.Timedelta(days=365), end],
        rangeselector={
            "buttons": _RANGE_BUTTONS,
            "bgcolor": PALETTE["surface_2"],
            "activecolor": PALETTE["border"],
            "bordercolor": PALETTE["cyan"],
            "borderwidth": 1,
            "font": {"color": PALETTE["text"]},
            "x": 0, "y": 1.0, "yanchor": "bottom",
        },
        rangeslider={"visible": True, "thickness": 0.08, "bgcolor": PALETTE["surface"]},
    )
    fig.update_yaxes(tickprefix="$", tickformat="~s", title=None)
    return fig


def breakdown_figure(frame: pd.DataFrame, dimension: str, title: str) -> go.Figure:
    """Horizontal revenue bars per member; the selected member glows magenta."""
    members = frame[dimension].tolist()
    colors = [
        PALETTE["magenta"] if selected else PALETTE["cyan"] for selected in frame["selected"]
    ]
    any_selected = bool(frame["selected"].any())
    change = np.where(frame["previous"] > 0, frame["revenue"] / frame["previous"].where(frame["previous"] > 0) - 1, np.nan)
    fig = go.Figure(
        go.Bar(
            x=frame["revenue"],
            y=members,
            orientation="h",
            marker={
                "color": colors,
                "opacity": [1.0 if (s or not any_selected) else 0.45 for s in frame["selected"]],
                "line": {"color": colors, "width": 1},
            },
            customdata=np.column_stack([members, frame["share"] * 100, change * 100]),
            text=[format_value(v, "currency") for v in frame["revenue"]],
            textposition="auto",
            textfont={"color": PALETTE["text"]},
            insidetextfont={"color": PALETTE["bg"]},
            hovertemplate=(
                "<b>%{customdata[0]}</b><br>$%{x:,.0f} · %{customdata[1]:.1f}% of total"
                "<br>%{customdata[2]:+.1f}% vs previous period<br><i>click to filter</i><extra></extra>"
            ),
        ),
        layout={"template": register_template()},
    )
    fig.update_layout(
        title={"text": title, "font": {"size": 14, "color": PALETTE["muted"]}, "x": 0.01},
        margin={"l": 110, "r": 16, "t": 40, "b": 30},
        clickmode="event",
        height=260,
    )
    fig.update_yaxes(autorange="reversed", fixedrange=True)
    fig.update_xaxes(tickprefix="$", tickformat="~s", fixedrange=True)
    return fig


def _cuboid(x: float, y: float, dx: float, dy: float, height: float) -> tuple[list, list, list]:
    xs = [x - dx, x + dx, x + dx, x - dx, x - dx, x + dx, x + dx, x - dx]
    ys = [y - dy, y - dy, y + dy, y + dy, y - dy, y - dy, y + dy, y + dy]
    zs = [0, 0, 0, 0, height, height, height, height]
    return xs, ys, zs


# Triangles of a cuboid's 6 faces over its 8 vertices.
_FACES_I = [0, 0, 4, 4, 0, 0, 1, 1, 2, 2, 3, 3]
_FACES_J = [1, 2, 5, 6, 1, 5, 2, 6, 3, 7, 0, 4]
_FACES_K = [2, 3, 6, 7, 5, 4, 6, 5, 7, 6, 4, 7]


def matrix_3d_figure(matrix: pd.DataFrame, selected: dict[str, str], title: str) -> go.Figure:
    """Region × category revenue as neon 3D bars; one colour per category, click to filter."""
    fig = go.Figure(layout={"template": register_template()})
    regions, categories = list(matrix.index), list(matrix.columns)
    for j, category in enumerate(categories):
        xs, ys, zs, i_idx, j_idx, k_idx, custom = [], [], [], [], [], [], []
        for i, region in enumerate(regions):
            value = float(matrix.iloc[i, j])
            bx, by, bz = _cuboid(i, j, 0.32, 0.32, value)
            base = len(xs)
            xs += bx
            ys += by
            zs += bz
            i_idx += [base + v for v in _FACES_I]
            j_idx += [base + v for v in _FACES_J]
            k_idx += [base + v for v in _FACES_K]
            custom += [[region, category, value]] * 8
        dimmed = (selected.get("category") not in (None, "All", category)) or False
        fig.add_mesh3d(
            x=xs, y=ys, z=zs, i=i_idx, j=j_idx, k=k_idx,
            name=category,
            color=SERIES_COLORS[j % len(SERIES_COLORS)],
            opacity=0.35 if dimmed else 0.9,
            flatshading=True,
            lighting={"ambient": 0.6, "diffuse": 0.8, "specular": 0.6, "roughness": 0.3},
            customdata=custom,
            hovertemplate="<b>%{customdata[0]} · %{customdata[1]}</b><br>$%{customdata[2]:,.0f}<br><i>click to filter</i><extra></extra>",
            showlegend=True,
        )
    axis_text = {"tickfont": {"color": PALETTE["text"]}}
    fig.update_layout(
        title={"text": title, "font": {"size": 14, "color": PALETTE["muted"]}, "x": 0.01},
        height=520,
        margin={"l": 0, "r": 0, "t": 40, "b": 0},
        uirevision="overview-matrix-3d",
        scene={
            "xaxis": {"title": {"text": "Region"}, "tickvals": list(range(len(regions))), "ticktext": regions, **axis_text},
            "yaxis": {"title": {"text": "Category"}, "tickvals": list(range(len(categories))), "ticktext": categories, **axis_text},
            "zaxis": {"title": {"text": "Revenue"}, "tickprefix": "$", "tickformat": "~s"},
            "camera": {"eye": {"x": 1.35, "y": -1.45, "z": 0.9}},
            "aspectmode": "manual",
            "aspectratio": {"x": 1.2, "y": 1.4, "z": 0.8},
        },
        legend={"orientation": "h", "y": -0.02},
    )
    return fig
