"""Forecast page figures as plain dicts on the neon template: history with bands, 3D ribbons, drill bars.

Frames follow the forecasting contract: ``ds`` dates, a ``mean`` column and ``lo-L``/``hi-L``
interval columns for each level ``L`` (in percent).
"""
from __future__ import annotations

import html as html_text
from collections.abc import Sequence

import numpy as np
import pandas as pd

from components.forecast_events import EVENT_LANE_PX, event_overlay
from components.format import format_delta
from components.primitives import empty_figure, figure, range_selector, rounded, titled_figure, top_rows
from components.theme import PALETTE, SERIES_COLORS

__all__ = ["UNITS", "NO_CHILDREN_MESSAGE", "unit_style", "forecast_figure", "ribbons_figure", "children_figure"]

UNITS = {"revenue": ("$", "", "Revenue per day"), "units": ("", " units", "Units per day")}
NO_CHILDREN_MESSAGE = "This is the lowest level: no series below it"
_NO_FORECAST_MESSAGE = "No forecast to show for this series"
_HOVER_DATE = "%a %d %b %Y"
_BAND_RGB = "255, 43, 214"  # magenta, the forecast's colour
# Band edges are outlined at this opacity: blended over the card surface that is >= 3:1 (WCAG 1.4.11),
# which the translucent fills alone are not.
BAND_EDGE_ALPHA = 0.85
_RIBBON_HALF_WIDTH = 0.3
FORECAST_HEIGHT = 440
_BOTTOM_MARGIN = 40  # the neon template's


def unit_style(unit: str) -> tuple[str, str, str]:
    """The (number prefix, hover suffix, axis title) of a metric's unit."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; use one of {', '.join(map(repr, UNITS))}")
    return UNITS[unit]


def _dates(series: pd.Series) -> list[str]:
    return pd.to_datetime(series).dt.strftime("%Y-%m-%d").tolist()


def _values(series: pd.Series) -> list[float | None]:
    """Demand to the cent (NaN as null): finer would only make the figure bigger."""
    return rounded(series, 2)


def _levels_present(frame: pd.DataFrame, levels: Sequence[int] | None) -> list[int]:
    """Requested levels that have both interval columns, widest first."""
    wanted = {int(level) for level in (levels or [])}
    return sorted((L for L in wanted if {f"lo-{L}", f"hi-{L}"} <= set(frame.columns)), reverse=True)


def _band_traces(forecast: pd.DataFrame, levels: list[int], unit: str) -> list[dict]:
    prefix, suffix, _ = unit_style(unit)
    x, traces = _dates(forecast["ds"]), []
    for rank, level in enumerate(levels):
        alpha = round(0.12 + 0.06 * rank, 2)  # widest first and faintest; overlaps add up inwards
        group = f"interval-{level}"
        edge = {"width": 1, "color": f"rgba({_BAND_RGB}, {BAND_EDGE_ALPHA})", "dash": "solid" if rank == 0 else "dot"}
        traces.append({"type": "scatter", "x": x, "y": _values(forecast[f"lo-{level}"]), "mode": "lines",
                       "line": edge, "hoverinfo": "skip", "showlegend": False, "legendgroup": group,
                       "name": f"{level}% interval (low)"})
        traces.append({
            "type": "scatter", "x": x, "y": _values(forecast[f"hi-{level}"]), "mode": "lines",
            "line": edge, "fill": "tonexty", "fillcolor": f"rgba({_BAND_RGB}, {alpha})",
            "name": f"{level}% interval", "legendgroup": group, "customdata": _values(forecast[f"lo-{level}"]),
            "hovertemplate": (f"{level}%: {prefix}%{{customdata:,.0f}} – {prefix}%{{y:,.0f}}{suffix}"
                              "<extra></extra>"),
        })
    return traces


def _forecast_start(forecast: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    """A dotted vertical line and a "forecast →" label where the forecast begins."""
    start = _dates(forecast["ds"].iloc[[0]])[0]
    line = {"type": "line", "xref": "x", "yref": "paper", "x0": start, "x1": start, "y0": 0, "y1": 1,
            "line": {"color": PALETTE["muted"], "width": 1, "dash": "dot"}}
    label = {"text": "forecast →", "x": start, "xref": "x", "y": 1, "yref": "paper", "xanchor": "left",
             "yanchor": "top", "xshift": 4, "showarrow": False, "bgcolor": PALETTE["surface"],
             "font": {"color": PALETTE["magenta"], "size": 11}}
    return [line], [label]


def forecast_figure(history: pd.DataFrame, forecast: pd.DataFrame, levels: Sequence[int], title: str,
                    unit: str, history_days: int = 180, events: pd.DataFrame | None = None) -> dict:
    """Recent history, the dashed forecast mean, one translucent band per interval level and the calendar
    ``events`` (``ds, name, kind, lift, lift_lo, lift_hi``, see :mod:`components.forecast_events`)."""
    prefix, suffix, axis_title = unit_style(unit)
    if forecast.empty:
        return empty_figure(_NO_FORECAST_MESSAGE)
    forecast = forecast.sort_values("ds")
    recent = history.sort_values("ds")
    if len(recent):
        recent = recent[recent["ds"] > recent["ds"].max() - pd.Timedelta(days=history_days)]
    actual = {"type": "scatter", "x": _dates(recent["ds"]), "y": _values(recent["y"]), "name": "Actual",
              "mode": "lines", "line": {"color": PALETTE["cyan"], "width": 1.5},
              "hovertemplate": f"Actual: {prefix}%{{y:,.0f}}{suffix}<extra></extra>"}
    mean = {"type": "scatter", "x": _dates(forecast["ds"]), "y": _values(forecast["mean"]), "name": "Forecast",
            "mode": "lines", "line": {"color": PALETTE["magenta"], "width": 2.5, "dash": "dash"},
            "hovertemplate": f"Forecast: {prefix}%{{y:,.0f}}{suffix}<extra></extra>"}
    shapes, annotations = _forecast_start(forecast)
    drawn = pd.concat([recent.set_index("ds")["y"], forecast.set_index("ds")["mean"]])
    event_shapes, event_labels, event_traces = event_overlay(events, drawn, forecast["ds"].iloc[0])
    x_axis = {"type": "date", "hoverformat": _HOVER_DATE, "rangeselector": range_selector(("1M", "3M", "6M", "ALL"))}
    rows = top_rows(title, FORECAST_HEIGHT)
    rows["margin"]["l"] = 72  # room for the axis title beside $ tick labels
    y_axis = {"title": {"text": axis_title, "standoff": 10}, "tickprefix": prefix, "tickformat": "~s",
              "rangemode": "tozero", **_label_room(recent, forecast, levels, len(event_labels), rows["margin"]["t"])}
    return figure(
        [actual, *_band_traces(forecast, _levels_present(forecast, levels), unit), mean, *event_traces], **rows,
        hovermode="x unified", uirevision=title, shapes=event_shapes + shapes, annotations=annotations + event_labels,
        xaxis=x_axis, yaxis=y_axis,
    )


def _label_room(recent: pd.DataFrame, forecast: pd.DataFrame, levels, lanes: int, top_margin: int) -> dict:
    """A y range with ``lanes`` event-label rows (plus the "forecast →" row) free above the highest drawn value;
    none (autorange) without labels."""
    if not lanes:
        return {}
    present = _levels_present(forecast, levels)
    drawn = [recent["y"], forecast["mean"], *([forecast[f"hi-{present[0]}"]] if present else [])]
    values = pd.concat(drawn).to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if not values.size or values.max() <= 0:
        return {}
    plot_px = FORECAST_HEIGHT - top_margin - _BOTTOM_MARGIN
    free = min(EVENT_LANE_PX * (lanes + 1) + 6, plot_px // 2)
    return {"range": [min(0.0, float(values.min())), float(values.max()) * plot_px / (plot_px - free)]}


def _ribbon(x: list[str], position: int, z: list, color: str, opacity: float, **trace) -> dict:
    """A flat strip of width ``2 * _RIBBON_HALF_WIDTH`` on the member axis, following ``z`` over time."""
    return {"type": "surface", "x": x, "y": [position - _RIBBON_HALF_WIDTH, position + _RIBBON_HALF_WIDTH],
            "z": [z, z], "colorscale": [[0, color], [1, color]], "showscale": False, "opacity": opacity,
            "lighting": {"ambient": 0.7, "diffuse": 0.6, "specular": 0.4, "roughness": 0.4}, **trace}


def _member_ribbons(rows: pd.DataFrame, position: int, label: str, level: int | None, unit: str) -> list[dict]:
    prefix, suffix, _ = unit_style(unit)
    color = SERIES_COLORS[position % len(SERIES_COLORS)]
    x, group, name = _dates(rows["ds"]), str(rows["unique_id"].iloc[0]), html_text.escape(label)
    hover = f"%{{x|{_HOVER_DATE}}}<br>{prefix}%{{z:,.0f}}{suffix}<extra></extra>"
    traces = [_ribbon(x, position, _values(rows["mean"]), color, 0.95, name=label, legendgroup=group,
                      showlegend=True, hovertemplate=f"<b>{name}</b><br>{hover}")]
    if level is not None and _levels_present(rows, [level]):
        for side, word in (("lo", "low"), ("hi", "high")):
            traces.append(_ribbon(x, position, _values(rows[f"{side}-{level}"]), color, 0.2,
                                  name=f"{label} {level}% {word}", legendgroup=group, showlegend=False,
                                  hovertemplate=f"<b>{name}</b> · {level}% {word}<br>{hover}"))
    return traces


def ribbons_figure(forecast: pd.DataFrame, level: int | None, title: str, unit: str) -> dict:
    """Sibling forecasts as neon ribbons in 3D (time × member × demand), with translucent intervals."""
    _, _, axis_title = unit_style(unit)
    if forecast.empty:
        return empty_figure(_NO_FORECAST_MESSAGE)
    data, labels = [], []
    for position, member in enumerate(pd.unique(forecast["unique_id"])):
        rows = forecast[forecast["unique_id"] == member].sort_values("ds")
        labels.append(str(rows["label"].iloc[0]))
        data += _member_ribbons(rows, position, labels[-1], level, unit)
    ticks = {"tickfont": {"color": PALETTE["text"]}}
    scene = {
        "xaxis": {"title": {"text": "Date"}, "type": "date", "tickformat": "%d %b", **ticks},
        "yaxis": {"title": {"text": "Series"}, "tickvals": list(range(len(labels))), "ticktext": labels,
                  "range": [-1, len(labels) - 0.2], **ticks},  # room so the first label clears the corner
        "zaxis": {"title": {"text": axis_title}, "tickprefix": unit_style(unit)[0], "tickformat": "~s", **ticks},
        # pulled back and raised so the first date tick and the axis titles stay inside the scene, phone included
        "camera": {"eye": {"x": -1.8, "y": -2.04, "z": 1.08}, "center": {"x": 0, "y": 0, "z": -0.15}},
        "aspectmode": "manual", "aspectratio": {"x": 1.5, "y": 1.0, "z": 0.65},
    }
    return titled_figure(data, title, margin={"l": 0, "r": 0, "t": 40, "b": 0}, scene=scene,  # height: the box's
                   uirevision="forecast-ribbons", legend={"orientation": "h", "y": -0.02})


def children_figure(children: pd.DataFrame, title: str, unit: str) -> dict:
    """One horizontal bar per child series; ``customdata`` is its unique_id so a click can drill down."""
    prefix, suffix, _ = unit_style(unit)
    if children.empty:
        return empty_figure(NO_CHILDREN_MESSAGE)
    change = children["change_pct"].to_numpy(dtype=float)
    colors = [PALETTE["muted"] if not np.isfinite(c) else PALETTE["lime"] if c >= 0 else PALETTE["danger"]
              for c in change]
    bar = {
        "type": "bar", "orientation": "h", "x": _values(children["forecast_total"]),
        "y": children["label"].astype(str).tolist(), "customdata": children["unique_id"].astype(str).tolist(),
        "marker": {"color": colors, "opacity": 0.85, "line": {"color": colors, "width": 1}},
        "text": [format_delta(c / 100 if np.isfinite(c) else None) for c in change],
        "textposition": "outside", "cliponaxis": False, "textfont": {"color": PALETTE["text"]},
        "hovertemplate": (f"<b>%{{y}}</b><br>{prefix}%{{x:,.0f}}{suffix} forecast<br>%{{text}} vs the same "
                          "days before<br><i>click to drill down</i><extra></extra>"),
    }
    return titled_figure(
        [bar], title, clickmode="event", height=max(220, 70 + 34 * len(children)),
        margin={"l": 120, "r": 64, "t": 40, "b": 30}, yaxis={"autorange": "reversed", "fixedrange": True},
        xaxis={"tickprefix": prefix, "tickformat": "~s", "fixedrange": True, "rangemode": "tozero"},
    )
