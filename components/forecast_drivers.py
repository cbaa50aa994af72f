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

__all__ = ["NO_DRIVERS_MESSAGE", "day_drivers_figure", "day_options", "drivers_panel", "importance_figure",
           "uncertainty_note"]

NO_DRIVERS_MESSAGE = "No drivers to show for this day"
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


def uncertainty_note(text: str | None) -> html.P | None:
    """The forecast's uncertainty in a sentence, under the chart (nothing without one)."""
    if not text:
        return None
    return html.P([html.I(className="bi bi-arrows-expand me-1", **{"aria-hidden": "true"}), text],
                  className="nf-kpi-sub nf-forecast-uncertainty mb-0")


def drivers_panel(job: JobIds = ids.FORECAST_EXPLAIN_JOB) -> html.Section:
    """The drivers card: its job panel, the global importance chart, a day picker and that day's drivers."""
    picker = html.Div([
        html.Label("Forecast day", htmlFor=ids.FORECAST_DAY, className="nf-kpi-label d-block mb-1"),
        dcc.Dropdown(id=ids.FORECAST_DAY, options=[], value=None, clearable=False, style={"minWidth": "12rem"},
                     placeholder="Pick a day, or click the forecast"),
    ])
    return card("Why this forecast", html.Div([
        html.P("Drivers of the gradient-boosted model of the ensemble: SHAP values of its inputs grouped into "
               "readable drivers, and the calendar's promotions, holidays and events by name. Click a forecast day "
               "on the chart, or pick one, to see its drivers as shares of that day's forecast.",
               className="nf-kpi-sub mb-2"),
        job_panel(job, "Explain again"),
        dbc.Row([
            dbc.Col(chart(ids.FORECAST_IMPORTANCE, 340, "forecast-drivers.csv"), lg=6),
            dbc.Col([picker, html.P(id=ids.FORECAST_DAY_TEXT, className="nf-kpi-sub mt-2", **{"aria-live": "polite"}),
                     chart(ids.FORECAST_DAY_DRIVERS, 300, "forecast-day-drivers.csv")], lg=6),
        ], className="g-3 mt-1"),
    ]), id=ids.FORECAST_DRIVERS)
