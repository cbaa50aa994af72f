"""The Forecast page's customers tab: the customer-driven revenue forecast (a background job cached per dataset
version), its comparison with the demand forecast, and the what-if sliders (answered from the cached fit, nothing
refitted).

The tab's content is drawn when it is first opened, so the fit starts only for viewers who look at it. The module
name starts with an underscore so Dash's page scanner skips it; ``pages/forecast.py`` imports it.
"""
from __future__ import annotations

import pandas as pd
from dash import Input, Output, State, callback, ctx, html, no_update

from analytics.forecasting.customers import gap_by_part, recent_split, store_customer_forecast
from components import ids
from components.forecast_customers import (EVERYONE, SLIDERS, comparison_figure, customer_backtest_table,
                                           customer_tiles, customers_panel, gap_sentence, group_options,
                                           whatif_figure, whatif_sentence, whatif_tiles)
from components.primitives import empty_figure
from core.auth import Permission
from core.runtime import complete_through, holiday_countries
from pages._errors import failure
from pages._jobs import Job, hide_unless, no_data, ready_result, register_job

__all__ = ["CUSTOMERS_JOB", "HORIZON", "render_customers_tab", "update_customer_forecast", "update_what_if",
           "scenario"]

HORIZON = 90  # the customer forecast's and the what-if's horizon, in days


def _params() -> dict:
    return {"h": HORIZON, "through": complete_through().iso, "countries": holiday_countries()}


def _describe(params: dict) -> str:
    return f"Customer-driven revenue forecast, {params['h']} days ahead"


CUSTOMERS_JOB = Job(
    ids=ids.FORECAST_CUSTOMERS_JOB, compute=store_customer_forecast, describe=_describe,
    no_data=no_data("customers or orders"), run_label="Refit", waiting="Fitting the customer forecast…",
    to_params=_params,
)
register_job(CUSTOMERS_JOB)


@callback(Output(ids.FORECAST_CUSTOMERS_BODY, "children"), Output(ids.FORECAST_DEMAND_BODY, "style"),
          Input(ids.FORECAST_TAB, "active_tab"), State(ids.FORECAST_CUSTOMERS_BODY, "children"))
def render_customers_tab(tab, drawn):
    """Show the chosen tab: the demand view, or the customers view (drawn once, then kept while hidden)."""
    if tab != "customers":
        return (no_update if drawn else None), None
    if drawn:
        return no_update, {"display": "none"}
    return hide_unless(Permission.RETRAIN, [CUSTOMERS_JOB.ids.run], customers_panel(CUSTOMERS_JOB.ids)), \
        {"display": "none"}


def _history(model) -> pd.DataFrame:
    """The daily revenue the customer model was fitted on (to its cutoff)."""
    history = model.model_.history
    days = pd.date_range(end=model.as_of_, periods=history.size, freq="D")
    return pd.DataFrame({"ds": days, "y": history})


@callback(Output(ids.FORECAST_CUSTOMERS_SUMMARY, "children"), Output(ids.FORECAST_CUSTOMERS_CHART, "figure"),
          Output(ids.FORECAST_CUSTOMERS_GAP, "children"), Output(ids.FORECAST_CUSTOMERS_BACKTEST_PANEL, "children"),
          Output(ids.FORECAST_WHATIF_GROUP, "options"), Input(CUSTOMERS_JOB.ids.ready, "data"))
def update_customer_forecast(ready):
    """Both forecasts with their intervals and the combination, the totals, the gap by existing and new
    customers, the backtest table and the what-if groups."""
    try:
        model = ready_result(CUSTOMERS_JOB, ready)
    except Exception as exc:  # noqa: BLE001 — while fitting the chart says so; anything unexpected gets an error id
        return None, empty_figure(failure(exc, "drawing the customer forecast").short), None, None, no_update
    customers = model.forecast_[model.forecast_["part"] == "total"].drop(columns="part")
    figure = comparison_figure(_history(model), {"demand": model.demand_, "customers": customers,
                                                 "combined": model.combined_})
    gap = gap_sentence(gap_by_part(model), recent_split(model), model.h)
    return (customer_tiles(model.totals_, model.demand_, model.combined_, model.h, model.backtest_), figure, gap,
            customer_backtest_table(model.backtest_, model.n_windows), group_options(model.what_if_groups()))


def scenario(group, churn_pct, new_pct, aov_pct) -> tuple[dict, float, float]:
    """The what-if's arguments from the controls (percent of the forecast's assumption; 100 = as is), or a
    ValueError saying which control is out of range."""
    values = {}
    for (slider_id, label, _meaning, low, high, _step), raw in zip(SLIDERS, (churn_pct, new_pct, aov_pct)):
        if raw is None:
            raw = 100
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not low <= raw <= high:
            raise ValueError(f"{label} must be a number from {low}% to {high}%; got {raw!r}")
        values[slider_id] = float(raw) / 100
    if not isinstance(group, str) or not group:
        raise ValueError("pick whose churn changes: every active customer, or one region, segment, plan or channel")
    churn = {group: values[ids.FORECAST_WHATIF_CHURN]}
    return churn, values[ids.FORECAST_WHATIF_NEW], values[ids.FORECAST_WHATIF_AOV]


def _group_label(group: str) -> str:
    if group == EVERYONE:
        return "every active customer"
    column, _, value = group.partition("=")
    return f"{column} {value}"


@callback(Output(ids.FORECAST_WHATIF_RESULT, "children"), Output(ids.FORECAST_WHATIF_CHART, "figure"),
          Input(CUSTOMERS_JOB.ids.ready, "data"), Input(ids.FORECAST_WHATIF_GROUP, "value"),
          Input(ids.FORECAST_WHATIF_CHURN, "value"), Input(ids.FORECAST_WHATIF_NEW, "value"),
          Input(ids.FORECAST_WHATIF_AOV, "value"))
def update_what_if(ready, group, churn_pct, new_pct, aov_pct):
    """The scenario's change in the next 90 days of revenue, from the cached fit: tiles, a sentence, a chart."""
    try:
        model = ready_result(CUSTOMERS_JOB, ready)
    except Exception as exc:  # noqa: BLE001 — no fit yet: the chart says why
        return None, empty_figure(failure(exc, "answering the what-if").short)
    try:
        churn, volume, aov = scenario(group, churn_pct, new_pct, aov_pct)
        result = model.what_if(churn, volume, aov)
    except Exception as exc:  # noqa: BLE001 — a bad control value says which; anything else gets an error id
        failed = failure(exc, "answering the what-if")
        return failed.alert("Cannot answer this what-if"), empty_figure(failed.short)
    sentence = whatif_sentence(result.summary, churn, volume, aov, _group_label(group), model.h)
    return [whatif_tiles(result.summary), html.P(sentence, className="nf-kpi-sub mt-2 mb-0")], \
        whatif_figure(result.daily)


@callback(Output(ids.FORECAST_WHATIF_GROUP, "value"), Output(ids.FORECAST_WHATIF_CHURN, "value"),
          Output(ids.FORECAST_WHATIF_NEW, "value"), Output(ids.FORECAST_WHATIF_AOV, "value"),
          Input(ids.FORECAST_WHATIF_RESET, "n_clicks"), prevent_initial_call=True)
def reset_what_if(n_clicks):
    """Reset puts every control back to the forecast's assumptions."""
    if not n_clicks or ctx.triggered_id != ids.FORECAST_WHATIF_RESET:
        return no_update, no_update, no_update, no_update
    return EVERYONE, 100, 100, 100
