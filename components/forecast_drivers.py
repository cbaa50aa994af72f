"""The Forecast page's drivers panel: what drives the forecast overall and on one day, and its uncertainty in words.

Frames follow ``analytics.forecasting.ForecastExplanation``: importance ``group, mean_abs, share``; a day's drivers
``driver, group, contribution, share`` (share of the day's forecast).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from components import ids
from components.charts import chart
from components.forecast_figures import unit_style
from components.ids import JobIds
from components.jobs import job_panel
from components.primitives import card, empty_figure, rounded, titled_figure
from components.theme import PALETTE

__all__ = ["NO_DRIVERS_MESSAGE", "NO_COMPONENTS_MESSAGE", "components_figure", "day_drivers_figure", "day_options",
           "drivers_body", "drivers_panel", "importance_figure", "member_options", "uncertainty_note"]

NO_DRIVERS_MESSAGE = "No drivers to show for this day"
NO_COMPONENTS_MESSAGE = "No statistical member to take apart for this series"
_DATE = "%a %d %b %Y"


def importance_figure(importance: pd.DataFrame, unit: str, top: int = 10) -> dict:
    """The ``top`` drivers by mean absolute effect a day over the history, largest on top, labelled with their share
    of the mean level."""
    prefix, suffix, _ = unit_style(unit)
    if importance.empty:
        return empty_figure("No drivers: the forecast has not been explained")
    shown = importance.sort_values("mean_abs", ascending=False, kind="stable").head(int(top))
    bar = {"type": "bar", "orientation": "h", "x": rounded(shown["mean_abs"], 2), "y": shown["group"].tolist(),
           "text": [f"{s:.1%}" for s in shown["share"]], "textposition": "outside", "cliponaxis": False,
           "textfont": {"color": PALETTE["text"]},
           "marker": {"color": PALETTE["cyan"], "opacity": 0.85, "line": {"color": PALETTE["cyan"], "width": 1}},
           "hovertemplate": (f"<b>%{{y}}</b><br>{prefix}%{{x:,.1f}}{suffix} a day on average"
                             "<br>%{text} of the mean level<extra></extra>")}
    return titled_figure([bar], "What moves the forecast (mean effect a day)", margin={"l": 170, "r": 56, "t": 40},
                         height=max(220, 70 + 30 * len(shown)),
                         yaxis={"autorange": "reversed", "type": "category", "fixedrange": True},
                         xaxis={"tickprefix": prefix, "tickformat": "~s", "rangemode": "tozero", "fixedrange": True})


def day_drivers_figure(drivers: pd.DataFrame, day, value: float, unit: str, top: int = 8) -> dict:
    """One forecast day's ``top`` drivers as signed shares of its forecast ``value`` (up lime, down red)."""
    prefix, suffix, _ = unit_style(unit)
    shown = drivers.dropna(subset=["share"]).head(int(top))
    if shown.empty:
        return empty_figure(NO_DRIVERS_MESSAGE)
    share = shown["share"].to_numpy(dtype=float)
    colors = [PALETTE["lime"] if s >= 0 else PALETTE["danger"] for s in share]
    bar = {"type": "bar", "orientation": "h", "x": rounded(pd.Series(100 * share), 2),
           "y": shown["driver"].astype(str).tolist(), "customdata": rounded(shown["contribution"], 2),
           "text": [f"{s:+.0%}".replace("-", "−") for s in share], "textposition": "outside", "cliponaxis": False,
           "textfont": {"color": PALETTE["text"]}, "marker": {"color": colors, "opacity": 0.85},
           "hovertemplate": (f"<b>%{{y}}</b><br>%{{text}} of the day's forecast<br>{prefix}%{{customdata:+,.1f}}"
                             f"{suffix}<extra></extra>")}
    title = f"{pd.Timestamp(day):{_DATE}}: {prefix}{value:,.0f}{suffix} from the boosted model, by driver"
    limit = max(5.0, float(np.abs(100 * share).max()) * 1.25)
    return titled_figure([bar], title, margin={"l": 190, "r": 56, "t": 40}, height=max(220, 70 + 30 * len(shown)),
                         yaxis={"autorange": "reversed", "type": "category", "fixedrange": True},
                         xaxis={"ticksuffix": "%", "range": [-limit, limit], "zeroline": True, "fixedrange": True,
                                "title": {"text": "share of the day's forecast"}})


def day_options(days: Sequence) -> list[dict]:
    """Dropdown options for the forecast days: ``Sat 14 Mar 2026`` labels, ISO date values."""
    return [{"label": f"{pd.Timestamp(d):{_DATE}}", "value": f"{pd.Timestamp(d):%Y-%m-%d}"} for d in days]


def member_options(components: pd.DataFrame) -> list[dict]:
    """Dropdown options for the statistical members whose forecast is taken apart, in the explanation's order."""
    return [{"label": str(member), "value": str(member)} for member in pd.unique(components["member"])]


def components_figure(components: pd.DataFrame, member: str | None, unit: str) -> dict:
    """One statistical member's forecast ahead as its components (``member, ds, component, value``: level, trend,
    seasons, calendar events), one line each, with their sum, the member's forecast, dashed."""
    prefix, suffix, _ = unit_style(unit)
    mine = components[components["member"] == member] if member is not None else components.iloc[0:0]
    if mine.empty:
        return empty_figure(NO_COMPONENTS_MESSAGE)
    wide = mine.pivot_table(index="ds", columns="component", values="value", aggfunc="sum", sort=False)
    x = [f"{pd.Timestamp(d):%Y-%m-%d}" for d in wide.index]
    colors = [PALETTE["cyan"], PALETTE["lime"], PALETTE["amber"], "#8c7bff", "#3dffc5", "#ff8a3d"]
    traces = [{"type": "scatter", "x": x, "y": rounded(wide[name], 2), "name": str(name), "mode": "lines",
               "line": {"color": colors[i % len(colors)], "width": 1.8},
               "hovertemplate": f"{name}: {prefix}%{{y:,.1f}}{suffix}<extra></extra>"}
              for i, name in enumerate(wide.columns)]
    traces.append({"type": "scatter", "x": x, "y": rounded(wide.sum(axis=1), 2), "name": "Forecast (the sum)",
                   "mode": "lines", "line": {"color": PALETTE["magenta"], "width": 2.4, "dash": "dash"},
                   "hovertemplate": f"Forecast: {prefix}%{{y:,.1f}}{suffix}<extra></extra>"})
    return titled_figure(traces, f"{member}: its forecast taken apart", pinned=True, height=300, hovermode="x unified",
                         margin={"l": 64, "r": 16, "t": 64}, xaxis={"type": "date", "hoverformat": _DATE},
                         yaxis={"tickprefix": prefix, "tickformat": "~s", "zeroline": True})


def uncertainty_note(text: str | None) -> html.P | None:
    """The forecast's uncertainty in a sentence, under the chart (nothing without one)."""
    if not text:
        return None
    return html.P([html.I(className="bi bi-arrows-expand me-1", **{"aria-hidden": "true"}), text],
                  className="nf-kpi-sub nf-forecast-uncertainty mb-0")


def drivers_body(job: JobIds = ids.FORECAST_EXPLAIN_JOB) -> html.Div:
    """The drivers card's content once asked for: its job panel, the global importance chart, a day picker and that
    day's drivers, and the statistical members taken apart."""
    picker = html.Div([
        html.Label("Forecast day", htmlFor=ids.FORECAST_DAY, className="nf-kpi-label d-block mb-1"),
        dcc.Dropdown(id=ids.FORECAST_DAY, options=[], value=None, clearable=False, style={"minWidth": "12rem"},
                     placeholder="Pick a day, or click the forecast"),
    ])
    return html.Div([
        job_panel(job, "Explain again"),
        dbc.Row([
            dbc.Col(chart(ids.FORECAST_IMPORTANCE, 340, "forecast-drivers.csv", responsive=True), lg=6),
            dbc.Col([picker, html.P(id=ids.FORECAST_DAY_TEXT, className="nf-kpi-sub mt-2", **{"aria-live": "polite"}),
                     chart(ids.FORECAST_DAY_DRIVERS, 300, "forecast-day-drivers.csv", responsive=True)], lg=6),
        ], className="g-3 mt-1"),
        html.Div([
            html.Label("Statistical member", htmlFor=ids.FORECAST_MEMBER, className="nf-kpi-label d-block mb-1"),
            dcc.Dropdown(id=ids.FORECAST_MEMBER, options=[], value=None, clearable=False, style={"maxWidth": "22rem"},
                         placeholder="Pick a member of the ensemble"),
            html.P("The ensemble's statistical members forecast the level, trend and seasons of the series, then "
                   "the calendar's events on top: each part ahead, adding up to the member's forecast.",
                   className="nf-kpi-sub mt-2 mb-1"),
            chart(ids.FORECAST_COMPONENTS, 300, "forecast-components.csv", responsive=True),
        ], className="mt-3"),
    ])


def drivers_panel() -> html.Section:
    """The drivers card. Its content (:func:`drivers_body`) is drawn by the page when the viewer presses **Explain**,
    or at once when the explanation of the series on screen is already in the results cache: a SHAP explanation
    refits the boosted member, so it is computed only for those who ask."""
    prompt = html.Div([
        dbc.Button([html.I(className="bi bi-lightbulb me-1", **{"aria-hidden": "true"}), "Explain this forecast"],
                   id=ids.FORECAST_EXPLAIN_SHOW, n_clicks=0, className="nf-btn nf-btn-magenta"),
        html.Span("Computes the drivers of the series on screen (about a minute on a large store); they stay "
                  "cached for this dataset version.", className="nf-kpi-sub"),
    ], className="d-flex align-items-center gap-2 flex-wrap")
    return card("Why this forecast", html.Div([
        html.P("Drivers of the gradient-boosted model of the ensemble: SHAP values of its inputs grouped into "
               "readable drivers, and the calendar's promotions, holidays and events by name. Click a forecast day "
               "on the chart, or pick one, to see its drivers as shares of that day's forecast.",
               className="nf-kpi-sub mb-2"),
        html.Div(prompt, id=ids.FORECAST_DRIVERS_BODY),
        dcc.Store(id=ids.FORECAST_DRIVERS_SHOWN, data=False),
    ]), id=ids.FORECAST_DRIVERS)
