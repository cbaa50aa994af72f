"""The Forecast page's customers tab: the customer-driven revenue forecast next to the demand forecast, the gap
between them by existing and new customers, their backtests, and the what-if sliders.

Frames follow ``analytics.forecasting.customers``: forecasts ``ds, mean, lo-80, hi-80, lo-95, hi-95``; totals and
the what-if summary ``part, ...``; the gap ``part, customers, demand, gap``; the backtest ``model, windows, mase,
coverage-80, coverage-95, total_error, weight``.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import dcc, html

from components import ids
from components.charts import chart
from components.format import format_value
from components.glossary import term
from components.grid import data_grid
from components.ids import JobIds
from components.jobs import job_panel
from components.primitives import card, empty_figure, figure, rgba, rounded, stat_tiles, top_rows
from components.theme import PALETTE

__all__ = ["EVERYONE", "SLIDERS", "customers_panel", "comparison_figure", "customer_tiles", "gap_sentence",
           "customer_backtest_table", "group_options", "whatif_figure", "whatif_tiles", "whatif_sentence"]

EVERYONE = "all"
# (id, label, what 100 % means, min, max, step): the what-if sliders, in percent of the forecast's assumption
SLIDERS = (
    (ids.FORECAST_WHATIF_CHURN, "Churn", "of the modelled cancellation hazard", 0, 300, 10),
    (ids.FORECAST_WHATIF_NEW, "New customers", "of the expected signups", 0, 200, 10),
    (ids.FORECAST_WHATIF_AOV, "Average order value", "of today's spend per purchase", 50, 150, 5),
)
_LINES = {"demand": ("Demand forecast", PALETTE["magenta"], "dash"),
          "customers": ("Customer forecast", PALETTE["lime"], "dot"),
          "combined": ("Combined", PALETTE["amber"], "solid")}
_DATE = "%a %d %b %Y"
_MODEL_NAMES = {"demand": "Demand (top-down)", "customers": "Customers (bottom-up)", "combined": "Combined"}


def _money(value: float) -> str:
    return format_value(float(value), "currency")


def _signed_money(value: float) -> str:
    text = _money(abs(value))
    return text if abs(value) < 0.5 else ("+" if value > 0 else "−") + text


def _dates(values) -> list[str]:
    return pd.to_datetime(pd.Series(values)).dt.strftime("%Y-%m-%d").tolist()


def _band(frame: pd.DataFrame, name: str, color: str, level: int) -> list[dict]:
    x = _dates(frame["ds"])
    edge = {"width": 1, "color": rgba(color, 0.85), "dash": "dot"}
    group = f"{name}-{level}"
    return [
        {"type": "scatter", "x": x, "y": rounded(frame[f"lo-{level}"], 2), "mode": "lines", "line": edge,
         "hoverinfo": "skip", "showlegend": False, "legendgroup": group, "name": f"{name} {level}% (low)"},
        {"type": "scatter", "x": x, "y": rounded(frame[f"hi-{level}"], 2), "mode": "lines", "line": edge,
         "fill": "tonexty", "fillcolor": rgba(color, 0.14), "legendgroup": group, "name": f"{name} {level}%",
         "showlegend": False,  # the shading takes its line's colour; a phone's legend keeps to two rows
         "customdata": rounded(frame[f"lo-{level}"], 2),
         "hovertemplate": f"{name} {level}%: $%{{customdata:,.0f}} – $%{{y:,.0f}}<extra></extra>"},
    ]


def comparison_figure(history: pd.DataFrame, forecasts: dict[str, pd.DataFrame], level: int = 80,
                      history_days: int = 120) -> dict:
    """Recent daily revenue (``ds, y``), then each forecast of ``forecasts`` (``demand``, ``customers``,
    ``combined``) as a line, the demand and customer forecasts with their ``level`` % interval."""
    shown = {name: frame for name, frame in forecasts.items() if frame is not None and not frame.empty}
    if not shown:
        return empty_figure("No customer forecast to show")
    recent = history.sort_values("ds")
    recent = recent[recent["ds"] > recent["ds"].max() - pd.Timedelta(days=history_days)]
    traces = [{"type": "scatter", "x": _dates(recent["ds"]), "y": rounded(recent["y"], 2), "name": "Actual",
               "mode": "lines", "line": {"color": PALETTE["cyan"], "width": 1.5},
               "hovertemplate": "Actual: $%{y:,.0f}<extra></extra>"}]
    for name in ("demand", "customers"):
        if name in shown and {f"lo-{level}", f"hi-{level}"} <= set(shown[name].columns):
            traces += _band(shown[name], _LINES[name][0], _LINES[name][1], level)
    for name, frame in shown.items():
        label, color, dash = _LINES[name]
        traces.append({"type": "scatter", "x": _dates(frame["ds"]), "y": rounded(frame["mean"], 2), "name": label,
                       "mode": "lines", "line": {"color": color, "width": 2.2, "dash": dash},
                       "hovertemplate": f"{label}: $%{{y:,.0f}}<extra></extra>"})
    rows = top_rows(f"Revenue per day (shaded: {level}% intervals)", 420)
    rows["margin"]["l"] = 72
    return figure(traces, **rows, hovermode="x unified", uirevision="customers",
                  xaxis={"type": "date", "hoverformat": _DATE},
                  yaxis={"title": {"text": "Revenue per day", "standoff": 10}, "tickprefix": "$", "tickformat": "~s",
                         "rangemode": "tozero"})


def _interval(row, level: int) -> str:
    return f"{level}%: {_money(row[f'lo-{level}'])} – {_money(row[f'hi-{level}'])}"


def _scored(backtest: pd.DataFrame | None, model: str) -> str:
    """A forecast's backtest in a few words: the error of its horizon total and its MASE."""
    if backtest is None or model not in set(backtest["model"]):
        return "not backtested"
    row = backtest.set_index("model").loc[model]
    error, mase = float(row["total_error"]), float(row["mase"])
    if not (math.isfinite(error) and math.isfinite(mase)):
        return "not backtested"
    return f"backtest: total off by {100 * error:+.1f}%, MASE {mase:.2f}".replace("-", "−")


def customer_tiles(totals: pd.DataFrame, demand: pd.DataFrame | None, combined: pd.DataFrame | None, h: int,
                   backtest: pd.DataFrame | None = None) -> html.Div:
    """The horizon's revenue by each forecast: the customer forecast and its parts with their 80% intervals of the
    horizon total; the demand and the combined forecasts (whose intervals are daily) with their backtest error."""
    by_part = totals.set_index("part")
    tiles = []
    if demand is not None and not demand.empty:
        tiles.append((f"Demand forecast, {h} days", _money(demand["mean"].sum()), _scored(backtest, "demand")))
    total = by_part.loc["total"]
    tiles.append((f"Customer forecast, {h} days", _money(total["mean"]), _interval(total, 80),
                  f"{_interval(total, 95)} · {_scored(backtest, 'customers')}"))
    tiles.append(("From existing customers", _money(by_part.loc["existing", "mean"]),
                  _interval(by_part.loc["existing"], 80)))
    tiles.append(("From new customers", _money(by_part.loc["new", "mean"]), _interval(by_part.loc["new"], 80)))
    if combined is not None and not combined.empty:
        tiles.append((f"Combined, {h} days", _money(combined["mean"].sum()), _scored(backtest, "combined")))
    return stat_tiles(tiles)


def gap_sentence(gap: pd.DataFrame, split: dict[str, float], h: int) -> str:
    """The gap between the customer and the demand forecast in words, split into existing and new customers."""
    if gap.empty:
        return "No demand forecast to compare with."
    rows = gap.set_index("part")
    total = float(rows.loc["total", "gap"])
    direction = "above" if total > 0 else "below"
    parts = "; ".join(
        f"{label} {_signed_money(rows.loc[part, 'gap'])} ({_money(rows.loc[part, 'customers'])} against "
        f"{_money(rows.loc[part, 'demand'])}, {split[part]:.0%} of the demand forecast)"
        for part, label in (("existing", "existing customers"), ("new", "new customers")))
    if abs(total) < 0.5:
        return f"Over the next {h} days both forecasts agree. By customers: {parts}."
    return (f"Over the next {h} days the customer forecast is {_money(abs(total))} {direction} the demand forecast. "
            f"The demand forecast is split the way the last {h} days' revenue split between customers who had "
            f"already signed up and those who signed up during them: {parts}.")


def _percent(value) -> str | None:
    value = float(value)
    return None if not math.isfinite(value) else f"{100 * value:.1f}%"


def customer_backtest_table(backtest: pd.DataFrame, n_windows: int) -> html.Div:
    """The demand, customer and combined forecasts' backtest scores on the same cutoffs, with a caption."""
    table = pd.DataFrame({
        "model": [_MODEL_NAMES.get(m, str(m)) for m in backtest["model"]],
        "MASE": [None if not math.isfinite(float(v)) else f"{float(v):.3f}" for v in backtest["mase"]],
        "coverage_80": [_percent(v) for v in backtest["coverage-80"]],
        "coverage_95": [_percent(v) for v in backtest["coverage-95"]],
        "total_error": [None if not math.isfinite(float(v)) else f"{100 * float(v):+.1f}%".replace("-", "−")
                        for v in backtest["total_error"]],
        "weight": [_percent(v) if m != "combined" else None for m, v in zip(backtest["model"], backtest["weight"])],
    })
    caption = ["The three forecasts made at the same ", term("backtest"), f" cutoffs ({n_windows} windows, 90 days "
               "apart) and scored on the days that followed: ", term("MASE"), " (below 1 beats the weekly seasonal "
               "naive), the share of days inside the 80% and 95% intervals, the error of the 90-day total, and "
               "each forecast's weight in the combination."]
    grid = data_grid(ids.FORECAST_CUSTOMERS_BACKTEST, table, file_name="customer-forecast-backtest.csv",
                     height=min(300, 110 + 42 * len(table)))
    return html.Div([html.P(caption, className="nf-kpi-sub"), grid])


def group_options(groups: Sequence[tuple[str, int]]) -> list[dict]:
    """Dropdown options for whose churn changes: everyone, then each ``column=value`` with its active customers."""
    options = [{"label": "Every active customer", "value": EVERYONE}]
    for key, count in groups:
        column, _, value = key.partition("=")
        options.append({"label": f"{column.capitalize()}: {value} ({count:,} active)", "value": key})
    return options


def whatif_tiles(summary: pd.DataFrame) -> html.Div:
    """The scenario's change of revenue in total and per part, each with its 80% and 95% interval."""
    rows = summary.set_index("part")
    tiles = []
    for part, label in (("total", "Change in revenue"), ("existing", "From existing customers"),
                        ("new", "From new customers")):
        row = rows.loc[part]
        pct = row["change_pct"]
        detail = (f"{'' if not math.isfinite(float(pct)) else f'{100 * float(pct):+.1f}% · '.replace('-', '−')}"
                  f"80%: {_signed_money(row['lo-80'])} to {_signed_money(row['hi-80'])}")
        tiles.append((label, _signed_money(row["change"]), detail,
                      f"95%: {_signed_money(row['lo-95'])} to {_signed_money(row['hi-95'])}"))
    return stat_tiles(tiles)


def whatif_sentence(summary: pd.DataFrame, churn: dict, volume: float, aov: float, group_label: str,
                    h: int) -> str:
    """The scenario and its effect on the next ``h`` days of revenue in one sentence."""
    changes = []
    for key, multiplier in churn.items():
        if multiplier != 1:
            changes.append(f"churn of {group_label} at {multiplier:.0%} of the model's")
    if volume != 1:
        changes.append(f"new customers at {volume:.0%} of the expected")
    if aov != 1:
        changes.append(f"average order value at {aov:.0%} of today's")
    total = summary.set_index("part").loc["total"]
    if not changes:
        return (f"As forecast: {_money(total['baseline'])} over the next {h} days. Move a slider to see what a "
                "change would do.")
    return (f"With {', '.join(changes)}, the next {h} days bring {_money(total['scenario'])} instead of "
            f"{_money(total['baseline'])}: {_signed_money(total['change'])} "
            f"(80% interval {_signed_money(total['lo-80'])} to {_signed_money(total['hi-80'])}).")


def whatif_figure(daily: pd.DataFrame) -> dict:
    """Cumulative revenue over the horizon as forecast and in the scenario (``part, ds, baseline, scenario``)."""
    total = daily[daily["part"] == "total"].sort_values("ds")
    if total.empty:
        return empty_figure("No scenario to show")
    x = _dates(total["ds"])
    base, scenario = np.cumsum(total["baseline"].to_numpy()), np.cumsum(total["scenario"].to_numpy())
    traces = [
        {"type": "scatter", "x": x, "y": rounded(pd.Series(base), 2), "name": "As forecast", "mode": "lines",
         "line": {"color": PALETTE["lime"], "width": 2, "dash": "dot"},
         "hovertemplate": "As forecast: $%{y:,.0f}<extra></extra>"},
        {"type": "scatter", "x": x, "y": rounded(pd.Series(scenario), 2), "name": "Scenario", "mode": "lines",
         "line": {"color": PALETTE["amber"], "width": 2.5}, "fill": "tonexty",
         "fillcolor": rgba(PALETTE["amber"], 0.12),
         "hovertemplate": "Scenario: $%{y:,.0f}<extra></extra>"},
    ]
    rows = top_rows("Cumulative revenue from customers over the horizon", 320)
    rows["margin"]["l"] = 72
    return figure(traces, **rows, hovermode="x unified", uirevision="whatif",
                  xaxis={"type": "date", "hoverformat": _DATE},
                  yaxis={"tickprefix": "$", "tickformat": "~s", "rangemode": "tozero"})


def _slider(slider_id: str, label: str, meaning: str, low: int, high: int, step: int) -> html.Div:
    marks = {low: f"{low}%", 100: "as is", high: f"{high}%"}
    return html.Div([
        html.Label([label, html.Span(f" · % {meaning}", className="nf-kpi-sub")], htmlFor=slider_id,
                   className="nf-kpi-label d-block mb-1"),
        dcc.Slider(id=slider_id, min=low, max=high, step=step, value=100, marks=marks, updatemode="mouseup",
                   allow_direct_input=True, tooltip={"placement": "bottom", "always_visible": False}),
    ], className="nf-whatif-control")


def customers_panel(job: JobIds = ids.FORECAST_CUSTOMERS_JOB) -> html.Div:
    """The customers tab: the comparison card (job panel, tiles, chart, gap, backtest) and the what-if card."""
    comparison = card("Revenue from customers, next 90 days", html.Div([
        html.P(["A second revenue forecast built from the customers: the active base's expected purchases (",
                term("BG/NBD"), ") and spend (Gamma-Gamma), their survival to each day, and the new customers the "
                "signup trend and marketing bring. It is set beside the page's top-down demand forecast, and the two "
                "are combined by their backtest errors."], className="nf-kpi-sub mb-2"),
        job_panel(job, "Refit"),
        html.Div(id=ids.FORECAST_CUSTOMERS_SUMMARY, className="mt-2"),
        chart(ids.FORECAST_CUSTOMERS_CHART, 420, "customer-forecast.csv", responsive=True),
        html.P(id=ids.FORECAST_CUSTOMERS_GAP, className="nf-kpi-sub mt-2", **{"aria-live": "polite"}),
        html.Div(id=ids.FORECAST_CUSTOMERS_BACKTEST_PANEL, className="mt-2"),
    ]), id=ids.FORECAST_CUSTOMERS)
    group = html.Div([
        html.Label("Whose churn", htmlFor=ids.FORECAST_WHATIF_GROUP, className="nf-kpi-label d-block mb-1"),
        dcc.Dropdown(id=ids.FORECAST_WHATIF_GROUP, options=group_options([]), value=EVERYONE, clearable=False),
    ], className="nf-whatif-control")
    controls = dbc.Row([dbc.Col(group, md=6, xl=3)] + [dbc.Col(_slider(*spec), md=6, xl=3) for spec in SLIDERS],
                       className="g-3")
    whatif = card("What if", html.Div([
        html.P("Change churn in a group, the volume of new customers or the average order value: the effect on the "
               "next 90 days of revenue, from the fitted customer model (nothing is refitted), with intervals from "
               "its backtest errors.", className="nf-kpi-sub mb-2"),
        controls,
        dbc.Button("Reset", id=ids.FORECAST_WHATIF_RESET, className="nf-btn mt-2", n_clicks=0),
        html.Div(id=ids.FORECAST_WHATIF_RESULT, className="mt-3", **{"aria-live": "polite"}),
        chart(ids.FORECAST_WHATIF_CHART, 320, "what-if.csv", responsive=True),
    ]), id=ids.FORECAST_WHATIF)
    return html.Div([comparison, whatif], className="d-flex flex-column gap-3")
