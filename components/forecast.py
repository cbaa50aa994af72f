"""Layout pieces of the Forecast page: controls, breadcrumb, summary tiles, backtest grid, drivers.

The figures are in :mod:`components.forecast_figures`.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from components import ids
from components.charts import chart
from components.forecast_drivers import drivers_panel
from components.forecast_events import crosses_zero, lift_text
from components.forecast_figures import unit_style
from components.format import format_delta, format_value
from components.glossary import term
from components.grid import data_grid
from components.ids import JobIds
from components.jobs import job_panel
from components.loading import matrix_spinner
from components.primitives import card, segmented, stat_tiles

__all__ = ["FORECAST_EVENTS", "FORECAST_TABS", "NO_REGRESSORS_MESSAGE", "NOT_DISTINGUISHABLE", "breadcrumb",
           "drill_buttons",
           "backtest_table", "effects_panel",
           "forecast_summary", "summary_cards", "forecast_layout"]

FORECAST_TABS = {"demand": "Demand by region and category", "customers": "Revenue from customers · what if"}
NO_REGRESSORS_MESSAGE = "No regressors were used for this series"
FORECAST_EVENTS = ids.child_id(ids.FORECAST_MAIN, "events")  # the forecast period's events as text, under the chart
NOT_DISTINGUISHABLE = "Not distinguishable from no effect (the 95% interval includes zero)"


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


def drill_buttons(children: Sequence[tuple[str, str]]) -> html.Nav | html.P:
    """One button per child series (``(node, label)``): Tab to it and Enter drills in, like clicking its bar."""
    if not children:
        return html.P("This is the lowest level: no series below it.", className="nf-kpi-sub")
    items = [html.Li(html.Button([label, html.I(className="bi bi-chevron-right", **{"aria-hidden": "true"})],
                                 id=ids.forecast_drill(node), n_clicks=0, type="button", className="nf-drill-btn",
                                 title=f"Drill down into {label}"))
             for node, label in children]
    return html.Nav(html.Ul(items, className="nf-drill-list"), **{"aria-label": "Drill down into"})


def _number(value, pattern: str, suffix: str = "") -> str | None:
    value = float(value)
    return None if not math.isfinite(value) else format(value, pattern) + suffix


def _finite(value) -> bool:
    return value is not None and not pd.isna(value) and math.isfinite(float(value))


def _weight(value) -> str | None:
    return _number(100 * float(value), ".1f", "%") if _finite(value) else None


def _event_days(mase_events, days) -> str:
    """MASE on the backtests' event days and how many there were; "—" when the backtests held none."""
    days = int(days) if _finite(days) else 0
    if days <= 0 or not _finite(mase_events):
        return "—"
    return f"{float(mase_events):.3f} ({days})"


_EVENT_DAYS_MEANING = ("Event days: MASE on the backtest days that fell on a promotion, holiday or other calendar "
                       "event, and in brackets how many such days the backtests held (— when none). The event-day "
                       "weight is each model's share of the ensemble on event days.")


def backtest_table(frame: pd.DataFrame, *, n_windows: int = 3) -> html.Div:
    """Backtest scores and ensemble weights (ordinary and event-day) per model, ensemble first, with a caption."""
    order = frame["model"].astype(str).str.lower().ne("ensemble").to_numpy().argsort(kind="stable")
    ordered = frame.iloc[order]
    table = pd.DataFrame({"model": ordered["model"].astype(str),
                          "ensemble_weight": [_weight(w) for w in ordered["weight"]]})
    events = {"event_weight", "mase_events", "event_days"} <= set(ordered.columns)
    if events:
        table["event_day_weight"] = [_weight(w) for w in ordered["event_weight"]]
    table["MASE"] = [_number(v, ".3f") for v in ordered["mase"]]
    if events:
        table["event_days"] = [_event_days(m, d) for m, d in zip(ordered["mase_events"], ordered["event_days"])]
    table["sMAPE"] = [_number(v, ".2f", "%") for v in ordered["smape"]]
    if "note" in ordered.columns:
        table["note"] = ordered["note"].to_numpy()
    caption = ["Rolling-origin ", term("backtest"),
               f" over the last {n_windows} windows and the same days a year earlier (when the history has them); ",
               term("MASE"),
               " < 1 beats ", term("seasonal naive"), "; ", term("sMAPE"), " in percent; ",
               term("ensemble weight"), " is each model's share of the ensemble"]
    if events:
        caption += ["; ", term("event days", text=_EVENT_DAYS_MEANING),
                    " scores the calendar's event days alone (how many in brackets)"]
    grid = data_grid(ids.FORECAST_BACKTEST, table, file_name="forecast-backtest.csv",
                     height=min(360, 110 + 42 * len(table)))
    return html.Div([html.P([*caption, "."], className="nf-kpi-sub"), grid])


def _signed(value: float) -> str:
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 1 else 2
    return f"{value:+,.{digits}f}"


def _effect_row(row, unit: str) -> html.Li:
    """Label; the relative lift with its 95% interval (grey when it holds zero); the amount a day."""
    prefix = unit_style(unit)[0]
    effect = float(row.effect) if _finite(row.effect) else math.nan
    amount = None
    if math.isfinite(effect):
        amount = _signed(effect)
        amount = f"{amount[0]}{prefix}{amount[1:]} {unit} {row.per}"
    lo, hi = getattr(row, "relative_lo", None), getattr(row, "relative_hi", None)
    lift = lift_text(row.relative, lo, hi) if _finite(row.relative) else None
    unclear = crosses_zero(lo, hi)  # listed under NOT_DISTINGUISHABLE by effects_panel
    tone = ("is-flat" if unclear or not math.isfinite(effect) or effect == 0 else "is-up" if effect > 0
            else "is-down")
    parts = [html.Span(str(row.regressor), className="nf-kpi-label"),
             html.Span(lift or amount or "not estimable", className=f"nf-kpi-delta {tone}")]
    if lift and amount:
        parts.append(html.Span(amount, className="nf-effect-amount"))
    return html.Li(parts, className="nf-effect")


def _effect_order(effects: pd.DataFrame) -> pd.DataFrame:
    """Largest effect first, up or down (unknown last)."""
    size = pd.to_numeric(effects["relative"], errors="coerce").abs().fillna(-1.0)
    return effects.loc[size.sort_values(ascending=False, kind="stable").index]


def effects_panel(effects: pd.DataFrame, assumptions: Sequence[str], unit: str) -> html.Div:
    """Each driver's relative lift with its 95% interval and its amount a day, largest first; the drivers whose
    interval holds zero folded under one note; then how the future was set."""
    unit_style(unit)
    if effects.empty:
        body = html.P(NO_REGRESSORS_MESSAGE, className="nf-kpi-sub nf-effects-empty")
    else:
        ordered = _effect_order(effects.reset_index(drop=True))
        unclear = [crosses_zero(getattr(r, "relative_lo", None), getattr(r, "relative_hi", None))
                   for r in ordered.itertuples(index=False)]
        clear_rows = [_effect_row(r, unit) for r, u in zip(ordered.itertuples(index=False), unclear) if not u]
        unclear_rows = [_effect_row(r, unit) for r, u in zip(ordered.itertuples(index=False), unclear) if u]
        body = [html.P("Lift on the days each driver is on, with its 95% interval; largest first.",
                       className="nf-kpi-sub mb-2"), html.Ul(clear_rows, className="nf-effects")]
        if unclear_rows:
            body.append(html.Details([html.Summary(f"{len(unclear_rows)} more: {NOT_DISTINGUISHABLE[0].lower()}"
                                                   f"{NOT_DISTINGUISHABLE[1:]}", className="nf-kpi-sub"),
                                      html.Ul(unclear_rows, className="nf-effects")],
                                     open=not clear_rows, className="nf-effects-unclear mt-2"))
        body = html.Div(body)
    children = [body]
    if assumptions:
        children += [html.H3("Assumptions for the forecast period", className="nf-kpi-label mt-3"),
                     html.Ul([html.Li(text) for text in assumptions], className="nf-assumptions")]
    return html.Div(children)


def forecast_summary(cards: Sequence[tuple[str, str, str]]) -> html.Div:
    """Stat tiles (label, value, detail) in the KPI cards' style, e.g. from :func:`summary_cards`."""
    return stat_tiles(cards, "nf-forecast-summary")


def _amount(value: float, unit: str) -> str:
    return format_value(value, "currency" if unit == "revenue" else "count")


def summary_cards(view, h: int, unit: str, reconciliation: str) -> list[tuple]:
    """The tiles above the chart for a node view (``analytics.forecasting.NodeView``)."""
    change = view.forecast_total / view.previous_total - 1 if view.previous_total > 0 else None
    scores = dict(zip(view.backtest["model"], view.backtest["mase"]))
    ensemble, naive = scores.get("ensemble"), scores.get("SeasonalNaive")
    quality = (f"MASE {ensemble:.2f} vs {naive:.2f} for seasonal naive" if ensemble is not None and naive is not None
               else "no backtest for this series")
    day, value = view.peak
    return [
        (f"Next {h} days", _amount(view.forecast_total, unit), f"{format_delta(change)} vs previous {h} days"),
        ("Peak day", _amount(value, unit), f"{day:%a %d %b %Y}"),
        (term("Model", "ensemble"), view.model, quality),
        (term("Reconciliation", "mint"), "Coherent", reconciliation),
    ]


def _labelled(label, control, control_id: str, group: bool) -> html.Div:
    """A caption above a control; radio and check groups are named through aria-labelledby."""
    label_id = ids.child_id(control_id, "label")
    if group:
        return html.Div([html.Span(label, id=label_id, className="nf-kpi-label d-block mb-1"),
                         html.Div(control, role="group", **{"aria-labelledby": label_id})])
    return html.Div([html.Label(label, htmlFor=control_id, id=label_id, className="nf-kpi-label d-block mb-1"),
                     control])


def _controls(metrics, horizons, default_horizon, levels, default_levels, job: JobIds,
              metric_value: str | None) -> html.Section:
    metric = segmented(ids.FORECAST_METRIC, [{"label": label, "value": value} for value, label in metrics],
                       metric_value or metrics[0][0])
    horizon = dcc.Dropdown(id=ids.FORECAST_HORIZON, options=[{"label": f"{h} days", "value": h} for h in horizons],
                           value=default_horizon, clearable=False, searchable=False, style={"minWidth": "9rem"})
    shown = dbc.Checklist(id=ids.FORECAST_LEVELS, options=[{"label": f"{L}%", "value": L} for L in levels],
                          value=list(default_levels), inline=True, className="nf-forecast-levels")
    actions = job_panel(job, "Retrain",
                        dbc.Button("Download CSV", id=ids.FORECAST_DOWNLOAD_BTN, className="nf-btn", n_clicks=0),
                        dcc.Download(id=ids.FORECAST_DOWNLOAD))
    row = dbc.Row([
        dbc.Col(_labelled("Metric", metric, ids.FORECAST_METRIC, group=True), xs=12, md="auto"),
        dbc.Col(_labelled("Horizon", horizon, ids.FORECAST_HORIZON, group=False), xs=12, md="auto"),
        dbc.Col(_labelled(term("Intervals", "prediction_interval"), shown, ids.FORECAST_LEVELS, group=True), xs=12,
                md="auto"),
        dbc.Col(actions, xs=12, xl=True, className="d-flex align-items-end justify-content-xl-end"),
    ], className="g-3 align-items-end")
    return html.Section(row, className="nf-card nf-forecast-controls")


def forecast_layout(metrics: Sequence[tuple[str, str]], horizons: Sequence[int], default_horizon: int,
                    levels: Sequence[int], default_levels: Sequence[int], job: JobIds = ids.FORECAST_JOB, *,
                    metric: str | None = None, node: str = "total",
                    tab: str = "demand") -> html.Div:
    """The Forecast page: two tabs. **Demand**: controls, breadcrumb, summary, main chart (2D or 3D) with its
    uncertainty, drill-down, backtest, drivers, and why the forecast is what it is (the drivers card, drawn when asked
    for: ``components.forecast_drivers.drivers_panel``).
    **Customers**: the customer-driven revenue forecast and the what-ifs, drawn by the page when first opened
    (:func:`components.forecast_customers.customers_panel`), so its fit starts only for those who look.

    ``default_horizon``, ``default_levels``, ``metric``, ``node`` and ``tab`` are the initial state (from the URL).
    """
    if tab not in FORECAST_TABS:
        raise ValueError(f"unknown tab {tab!r}; use one of {list(FORECAST_TABS)}")
    if not metrics:
        raise ValueError("no metrics to forecast; pass at least one (value, label) pair")
    if default_horizon not in horizons:
        raise ValueError(f"default_horizon {default_horizon} is not one of the horizons {list(horizons)}")
    main = card(None, html.Div([chart(ids.FORECAST_MAIN, 440), html.Div(id=ids.FORECAST_UNCERTAINTY, className="mt-2"),
                                html.Div(id=FORECAST_EVENTS, className="mt-2")], id=ids.FORECAST_MAIN_2D),
                html.Div(chart(ids.FORECAST_RIBBONS, 520, scene=True), id=ids.FORECAST_MAIN_3D,
                         style={"display": "none"}))
    drill = card("Drill down", html.Div([
        html.P("Click a bar, or pick a series below, to drill down.", className="nf-kpi-sub mb-1"),
        chart(ids.FORECAST_CHILDREN, 400),
        html.Div(id=ids.FORECAST_DRILL, className="nf-drill"),
    ]))
    demand = [
        _controls(metrics, horizons, default_horizon, levels, default_levels, job, metric),
        html.Div(id=ids.FORECAST_MESSAGE, role="alert"),
        html.Div(breadcrumb([("total", "Total")]), id=ids.FORECAST_BREADCRUMB),
        dcc.Loading(html.Div(id=ids.FORECAST_SUMMARY), custom_spinner=matrix_spinner(), delay_show=250),
        dbc.Row([dbc.Col(main, lg=8), dbc.Col(drill, lg=4)], className="g-3"),
        dbc.Row([
            dbc.Col(card("Backtest", html.Div(id=ids.FORECAST_BACKTEST_PANEL)), lg=7),
            dbc.Col(card("Drivers and assumptions", html.Div(id=ids.FORECAST_EFFECTS)), lg=5),
        ], className="g-3"),
        drivers_panel(),
    ]
    return html.Div([
        html.H1("Forecast", className="nf-page-title"),
        html.P("Daily demand ahead for any level of the region × category hierarchy, with prediction intervals, "
               "an ensemble checked on past data, and the drivers behind it; beside it, a revenue forecast built "
               "from the customers, and what-ifs.", className="nf-page-subtitle"),
        dbc.Tabs([dbc.Tab(label=label, tab_id=key) for key, label in FORECAST_TABS.items()], id=ids.FORECAST_TAB,
                 active_tab=tab, className="nf-tabs mb-3"),
        dcc.Store(id=ids.FORECAST_NODE, data=node),
        html.Div(id=ids.FORECAST_CUSTOMERS_BODY),
        html.Div(demand, id=ids.FORECAST_DEMAND_BODY, style=None if tab == "demand" else {"display": "none"}),
    ], className="nf-page nf-fade-in nf-forecast")
