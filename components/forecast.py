"""Figures and layout pieces of the Forecast page; figures are plain dicts on the neon template.

Frames follow the forecasting contract: ``ds`` dates, a ``mean`` column and ``lo-L``/``hi-L``
interval columns for each level ``L`` (in percent).
"""
from __future__ import annotations

import html as html_text
import math
from collections.abc import Sequence

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import dcc, html

from components import ids
from components.figures import empty_figure
from components.format import format_delta
from components.grid import data_grid
from components.kpi import ACCENTS
from components.loading import matrix_spinner
from components.theme import PALETTE, SERIES_COLORS, template_json

__all__ = [
    "UNITS",
    "NO_CHILDREN_MESSAGE",
    "NO_REGRESSORS_MESSAGE",
    "forecast_figure",
    "ribbons_figure",
    "children_figure",
    "breadcrumb",
    "backtest_table",
    "effects_panel",
    "forecast_summary",
    "forecast_layout",
]

# unit -> (hover/tick prefix, hover suffix, axis title)
UNITS = {"revenue": ("$", "", "Revenue per day"), "units": ("", " units", "Units per day")}
NO_CHILDREN_MESSAGE = "This is the lowest level: no series below it"
NO_REGRESSORS_MESSAGE = "No regressors were used for this series"
_NO_FORECAST_MESSAGE = "No forecast to show for this series"
_HOVER_DATE = "%a %d %b %Y"
_BAND_RGB = "255, 43, 214"  # magenta, the forecast's colour
_RANGE_BUTTONS = [
    {"count": 1, "label": "1M", "step": "month", "stepmode": "backward"},
    {"count": 3, "label": "3M", "step": "month", "stepmode": "backward"},
    {"count": 6, "label": "6M", "step": "month", "stepmode": "backward"},
    {"step": "all", "label": "ALL"},
]
_GRAPH_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
_RIBBON_HALF_WIDTH = 0.3


def _unit(unit: str) -> tuple[str, str, str]:
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; use one of {', '.join(map(repr, UNITS))}")
    return UNITS[unit]


def _figure(data: list[dict], title: str, **layout) -> dict:
    heading = {"text": title, "font": {"size": 14, "color": PALETTE["muted"]}, "x": 0.01}
    return {"data": data, "layout": {"template": template_json(), "title": heading, **layout}}


def _dates(series: pd.Series) -> list[str]:
    return pd.to_datetime(series).dt.strftime("%Y-%m-%d").tolist()


def _values(series: pd.Series) -> list[float | None]:
    """Rounded JSON-safe numbers (NaN as null) to keep the figure small."""
    return [None if not np.isfinite(v) else round(float(v), 2) for v in series.to_numpy(dtype=float)]


def _levels_present(frame: pd.DataFrame, levels: Sequence[int] | None) -> list[int]:
    """Requested levels that have both interval columns, widest first."""
    wanted = {int(level) for level in (levels or [])}
    return sorted((L for L in wanted if {f"lo-{L}", f"hi-{L}"} <= set(frame.columns)), reverse=True)


def _band_traces(forecast: pd.DataFrame, levels: list[int], unit: str) -> list[dict]:
    prefix, suffix, _ = _unit(unit)
    x, traces = _dates(forecast["ds"]), []
    for rank, level in enumerate(levels):
        alpha = round(0.1 + 0.06 * rank, 2)  # widest first and faintest; overlaps add up inwards
        group = f"interval-{level}"
        traces.append({"type": "scatter", "x": x, "y": _values(forecast[f"lo-{level}"]), "mode": "lines",
                       "line": {"width": 0}, "hoverinfo": "skip", "showlegend": False, "legendgroup": group,
                       "name": f"{level}% interval (low)"})
        traces.append({
            "type": "scatter", "x": x, "y": _values(forecast[f"hi-{level}"]), "mode": "lines",
            "line": {"width": 0}, "fill": "tonexty", "fillcolor": f"rgba({_BAND_RGB}, {alpha})",
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
                    unit: str, history_days: int = 180) -> dict:
    """Recent history, the dashed forecast mean and one translucent band per interval level."""
    prefix, suffix, axis_title = _unit(unit)
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
    x_axis = {"type": "date", "hoverformat": _HOVER_DATE, "rangeselector": {
        "buttons": _RANGE_BUTTONS, "bgcolor": PALETTE["surface_2"], "activecolor": PALETTE["border"],
        "bordercolor": PALETTE["cyan"], "borderwidth": 1, "font": {"color": PALETTE["text"]},
        "x": 0, "y": 1.0, "yanchor": "bottom"}}
    return _figure(
        [actual, *_band_traces(forecast, _levels_present(forecast, levels), unit), mean], title,
        hovermode="x unified", uirevision=title, shapes=shapes, annotations=annotations,
        legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.0, "yanchor": "bottom"},
        margin={"t": 84, "l": 72}, xaxis=x_axis,
        yaxis={"title": {"text": axis_title, "standoff": 10}, "tickprefix": prefix, "tickformat": "~s",
               "rangemode": "tozero"},
    )


def _ribbon(x: list[str], position: int, z: list, color: str, opacity: float, **trace) -> dict:
    """A flat strip of width ``2 * _RIBBON_HALF_WIDTH`` on the member axis, following ``z`` over time."""
    return {"type": "surface", "x": x, "y": [position - _RIBBON_HALF_WIDTH, position + _RIBBON_HALF_WIDTH],
            "z": [z, z], "colorscale": [[0, color], [1, color]], "showscale": False, "opacity": opacity,
            "lighting": {"ambient": 0.7, "diffuse": 0.6, "specular": 0.4, "roughness": 0.4}, **trace}


def _member_ribbons(rows: pd.DataFrame, position: int, label: str, level: int | None, unit: str) -> list[dict]:
    prefix, suffix, _ = _unit(unit)
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
    _, _, axis_title = _unit(unit)
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
        "zaxis": {"title": {"text": axis_title}, "tickprefix": _unit(unit)[0], "tickformat": "~s", **ticks},
        "camera": {"eye": {"x": -1.3, "y": -1.45, "z": 0.7}, "center": {"x": 0, "y": 0, "z": -0.2}},
        "aspectmode": "manual", "aspectratio": {"x": 1.6, "y": 1.1, "z": 0.7},
    }
    return _figure(data, title, height=520, margin={"l": 0, "r": 0, "t": 40, "b": 0}, scene=scene,
                   uirevision="forecast-ribbons", legend={"orientation": "h", "y": -0.02})


def children_figure(children: pd.DataFrame, title: str, unit: str) -> dict:
    """One horizontal bar per child series; ``customdata`` is its unique_id so a click can drill down."""
    prefix, suffix, _ = _unit(unit)
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
    return _figure(
        [bar], title, clickmode="event", height=max(220, 70 + 34 * len(children)),
        margin={"l": 120, "r": 64, "t": 40, "b": 30}, yaxis={"autorange": "reversed", "fixedrange": True},
        xaxis={"tickprefix": prefix, "tickformat": "~s", "fixedrange": True, "rangemode": "tozero"},
    )


def breadcrumb(path: Sequence[tuple[str, str]]) -> html.Nav:
    """Where the user is in the hierarchy; every level above the current one is a button back to it."""
    if not path:
        raise ValueError("breadcrumb path is empty; pass at least [('total', 'Total')]")
    items = [
        html.Li(html.Button(label, id=ids.forecast_crumb(node), n_clicks=0, type="button",
                            className="nf-crumb-btn", title=f"Back to {label}"), className="nf-crumb")
        for node, label in path[:-1]
    ]
    items.append(html.Li(html.Span(path[-1][1], **{"aria-current": "page"}), className="nf-crumb is-current"))
    return html.Nav(html.Ol(items, className="nf-crumbs"), className="nf-breadcrumb",
                    **{"aria-label": "Hierarchy level"})


def _number(value, pattern: str, suffix: str = "") -> str | None:
    value = float(value)
    return None if not math.isfinite(value) else format(value, pattern) + suffix


def backtest_table(frame: pd.DataFrame, *, n_windows: int = 3) -> html.Div:
    """Backtest scores and ensemble weights per model (ensemble first) with a caption saying how to read them."""
    order = frame["model"].astype(str).str.lower().ne("ensemble").to_numpy().argsort(kind="stable")
    ordered = frame.iloc[order]
    table = pd.DataFrame({
        "model": ordered["model"].astype(str),
        "ensemble_weight": [_number(100 * float(w), ".1f", "%") for w in ordered["weight"]],
        "MASE": [_number(v, ".3f") for v in ordered["mase"]],
        "sMAPE": [_number(v, ".2f", "%") for v in ordered["smape"]],
    })
    if "note" in ordered.columns:
        table["note"] = ordered["note"].to_numpy()
    caption = (f"Rolling-origin backtest over the last {n_windows} windows; MASE < 1 beats seasonal naive; "
               "weights are what the ensemble uses.")
    grid = data_grid(ids.FORECAST_BACKTEST, table, file_name="forecast-backtest.csv",
                     height=min(360, 110 + 42 * len(table)))
    return html.Div([html.P(caption, className="nf-kpi-sub"), grid])


def _signed(value: float) -> str:
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 1 else 2
    return f"{value:+,.{digits}f}"


def _effect_row(row, unit: str) -> html.Li:
    prefix = _unit(unit)[0]
    effect = float(row.effect)
    amount = _signed(effect)
    amount = amount[0] + prefix + amount[1:]
    text = f"{amount} {unit} {row.per}"
    relative = float(row.relative) if row.relative is not None else math.nan
    if math.isfinite(relative):
        text += f" ({relative * 100:+.0f}%)" if abs(relative) >= 0.095 else f" ({relative * 100:+.1f}%)"
    tone = "is-flat" if effect == 0 or not math.isfinite(effect) else "is-up" if effect > 0 else "is-down"
    return html.Li([html.Span(str(row.regressor), className="nf-kpi-label"),
                    html.Span(text, className=f"nf-kpi-delta {tone}")], className="nf-effect")


def effects_panel(effects: pd.DataFrame, assumptions: Sequence[str], unit: str) -> html.Div:
    """What each regressor adds per day, then how the future regressor values were set."""
    _unit(unit)
    if effects.empty:
        body = html.P(NO_REGRESSORS_MESSAGE, className="nf-kpi-sub nf-effects-empty")
    else:
        body = html.Ul([_effect_row(row, unit) for row in effects.itertuples(index=False)],
                       className="nf-effects")
    children = [body]
    if assumptions:
        children += [html.H3("Assumptions for the forecast period", className="nf-kpi-label mt-3"),
                     html.Ul([html.Li(text) for text in assumptions], className="nf-assumptions")]
    return html.Div(children)


def forecast_summary(cards: Sequence[tuple[str, str, str]]) -> html.Div:
    """Stat tiles (label, value, detail) in the KPI cards' style."""
    return html.Div(
        [html.Div([html.Span(label, className="nf-kpi-label"), html.Div(value, className="nf-kpi-value"),
                   html.Span(detail, className="nf-kpi-sub")],
                  className=f"nf-kpi-card accent-{ACCENTS[i % len(ACCENTS)]}")
         for i, (label, value, detail) in enumerate(cards)],
        className="nf-kpi-grid nf-forecast-summary",
    )


def _labelled(label: str, control, control_id: str, group: bool) -> html.Div:
    """A caption above a control; radio and check groups are named through aria-labelledby."""
    label_id = f"{control_id}-label"
    if group:
        return html.Div([html.Span(label, id=label_id, className="nf-kpi-label d-block mb-1"),
                         html.Div(control, role="group", **{"aria-labelledby": label_id})])
    return html.Div([html.Label(label, htmlFor=control_id, id=label_id, className="nf-kpi-label d-block mb-1"),
                     control])


def _controls(metrics, horizons, default_horizon, levels, default_levels) -> html.Section:
    metric = dbc.RadioItems(
        id=ids.FORECAST_METRIC, options=[{"label": label, "value": value} for value, label in metrics],
        value=metrics[0][0], inline=True, className="btn-group nf-segmented", inputClassName="btn-check",
        labelClassName="btn btn-outline-info nf-toggle-btn", labelCheckedClassName="active")
    horizon = dcc.Dropdown(id=ids.FORECAST_HORIZON, options=[{"label": f"{h} days", "value": h} for h in horizons],
                           value=default_horizon, clearable=False, searchable=False, style={"minWidth": "9rem"})
    shown = dbc.Checklist(id=ids.FORECAST_LEVELS, options=[{"label": f"{L}%", "value": L} for L in levels],
                          value=list(default_levels), inline=True, className="nf-forecast-levels")
    actions = html.Div([
        dbc.Button("Retrain", id=ids.FORECAST_RETRAIN, className="nf-btn nf-btn-magenta", n_clicks=0),
        dbc.Progress(id=ids.FORECAST_PROGRESS, value=0, max=100, label="", className="nf-progress",
                     style={"width": "14rem"}),
        html.Span(id=ids.FORECAST_JOB_STATUS, className="nf-kpi-sub", role="status"),
        dbc.Button("Download CSV", id=ids.FORECAST_DOWNLOAD_BTN, className="nf-btn", n_clicks=0),
        dcc.Download(id=ids.FORECAST_DOWNLOAD),
    ], className="d-flex align-items-center gap-2 flex-wrap")
    row = dbc.Row([
        dbc.Col(_labelled("Metric", metric, ids.FORECAST_METRIC, group=True), xs=12, md="auto"),
        dbc.Col(_labelled("Horizon", horizon, ids.FORECAST_HORIZON, group=False), xs=12, md="auto"),
        dbc.Col(_labelled("Intervals", shown, ids.FORECAST_LEVELS, group=True), xs=12, md="auto"),
        dbc.Col(actions, xs=12, xl=True, className="d-flex align-items-end justify-content-xl-end"),
    ], className="g-3 align-items-end")
    return html.Section(row, className="nf-card nf-forecast-controls")


def _card(title: str, body, className: str = "") -> html.Section:
    return html.Section([html.H2(title, className="nf-card-title"), body], className=f"nf-card {className}".strip())


def _graph(graph_id: str, height: int) -> dcc.Loading:
    graph = dcc.Graph(id=graph_id, figure=empty_figure(), config=_GRAPH_CONFIG, style={"height": f"{height}px"})
    return dcc.Loading(graph, custom_spinner=matrix_spinner(), delay_show=250)


def forecast_layout(metrics: Sequence[tuple[str, str]], horizons: Sequence[int], default_horizon: int,
                    levels: Sequence[int], default_levels: Sequence[int]) -> html.Div:
    """The Forecast page: controls, breadcrumb, summary, main chart (2D or 3D), drill-down, backtest, drivers."""
    if not metrics:
        raise ValueError("no metrics to forecast; pass at least one (value, label) pair")
    if default_horizon not in horizons:
        raise ValueError(f"default_horizon {default_horizon} is not one of the horizons {list(horizons)}")
    main = html.Section([
        html.Div(_graph(ids.FORECAST_MAIN, 440), id=ids.FORECAST_MAIN_2D),
        html.Div(_graph(ids.FORECAST_RIBBONS, 520), id=ids.FORECAST_MAIN_3D, style={"display": "none"}),
    ], className="nf-card")
    drill = _card("Drill down", html.Div([html.P("Click a bar to drill down.", className="nf-kpi-sub mb-1"),
                                          _graph(ids.FORECAST_CHILDREN, 400)]))
    return html.Div([
        html.H1("Forecast", className="nf-page-title"),
        html.P("Daily demand ahead for any level of the region × category hierarchy, with prediction intervals, "
               "an ensemble checked on past data, and the drivers behind it.", className="nf-page-subtitle"),
        _controls(metrics, horizons, default_horizon, levels, default_levels),
        dcc.Store(id=ids.FORECAST_NODE, data="total"),
        dcc.Store(id=ids.FORECAST_READY, data=None),
        html.Div(id=ids.FORECAST_MESSAGE, role="alert"),
        html.Div(breadcrumb([("total", "Total")]), id=ids.FORECAST_BREADCRUMB),
        dcc.Loading(html.Div(id=ids.FORECAST_SUMMARY), custom_spinner=matrix_spinner(), delay_show=250),
        dbc.Row([dbc.Col(main, lg=8), dbc.Col(drill, lg=4)], className="g-3"),
        dbc.Row([
            dbc.Col(_card("Backtest", html.Div(id=ids.FORECAST_BACKTEST_PANEL)), lg=7),
            dbc.Col(_card("Drivers and assumptions", html.Div(id=ids.FORECAST_EFFECTS)), lg=5),
        ], className="g-3"),
    ], className="nf-page nf-fade-in nf-forecast")
