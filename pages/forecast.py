"""Forecast: daily demand ahead for every level of region × category, with bands, backtests and drivers."""
from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, no_update

from analytics.forecasting import DEFAULT_HORIZON, DEFAULT_METRIC, LEVELS, METRICS, store_demand_forecast
from analytics.forecasting import describe_day, describe_uncertainty, forecast_table, node_path_label, node_view, \
    store_forecast_explanation
from components import ids
from components.forecast import FORECAST_EVENTS, FORECAST_TABS, backtest_table, breadcrumb, drill_buttons, \
    effects_panel, forecast_layout, forecast_summary, summary_cards
from components.forecast_drivers import components_figure, day_drivers_figure, day_options, drivers_body, \
    importance_figure, member_options, uncertainty_note
from components.forecast_events import events_list
from components.forecast_figures import children_figure, forecast_figure, ribbons_figure
from components.layout import SHOW_FOR_VIEW_MODE
from components.primitives import empty_figure
from core.cache import cached_value
from core.runtime import complete_through, dataset_version, holiday_countries
from data.csv_safe import safe_csv
from pages._errors import failure
from core.auth import Permission, audit, audit_request, protect_callback
from pages._jobs import Job, hide_unless, no_data, ready_params, ready_result, register_job
from pages._url_state import Param, choice, int_choice, int_list, read_query, register_url_state, text
from pages._views import figure_in_3d
from pages import _forecast_customers  # noqa: F401 — the customers tab's job and callbacks

dash.register_page(__name__, path="/forecast", name="Forecast", order=1, title="Forecast · Neon Foresight")

HORIZONS = (14, 30, 60, 90)
DEFAULT_LEVELS = (80, 95)
_VIEW_OUTPUTS = [Output(ids.FORECAST_MAIN, "figure"), Output(ids.FORECAST_CHILDREN, "figure"),
                 *[Output(component, "children") for component in (
                     ids.FORECAST_BREADCRUMB, ids.FORECAST_SUMMARY, ids.FORECAST_BACKTEST_PANEL, ids.FORECAST_EFFECTS,
                     ids.FORECAST_MESSAGE, ids.FORECAST_DRILL, FORECAST_EVENTS)]]
URL_PARAMS = (
    Param("metric", ids.FORECAST_METRIC, "value", DEFAULT_METRIC, choice(*METRICS)),
    Param("h", ids.FORECAST_HORIZON, "value", DEFAULT_HORIZON, int_choice(*HORIZONS)),
    Param("levels", ids.FORECAST_LEVELS, "value", list(DEFAULT_LEVELS), int_list(*LEVELS)),
    Param("node", ids.FORECAST_NODE, "data", "total", text()),
    Param("tab", ids.FORECAST_TAB, "active_tab", "demand", choice(*FORECAST_TABS)),
)


def layout(**query):
    """The Forecast layout, starting from the state in the URL (invalid values fall back to the defaults)."""
    state = read_query(URL_PARAMS, query)
    page = forecast_layout(list(METRICS.items()), HORIZONS, state["h"], LEVELS, state["levels"], FORECAST_JOB.ids,
                           metric=state["metric"], node=state["node"], tab=state["tab"])
    return hide_unless(Permission.EXPORT, [ids.FORECAST_DOWNLOAD_BTN],
                       hide_unless(Permission.RETRAIN, [FORECAST_JOB.ids.run], page))


def _forecast_params(metric, h) -> dict:
    if metric not in METRICS or h not in HORIZONS:
        raise ValueError(f"choose a metric from {sorted(METRICS)} and a horizon from {list(HORIZONS)} days")
    return {"metric": metric, "h": int(h), "through": complete_through().iso, "countries": holiday_countries()}


def _describe(params: dict) -> str:
    return f"{METRICS[params['metric']]} forecast, {params['h']} days ahead"


FORECAST_JOB = Job(
    ids=ids.FORECAST_JOB, compute=store_demand_forecast, describe=_describe, no_data=no_data("sales"),
    run_label="Retrain", waiting="Training the forecast…",
    inputs=(Input(ids.FORECAST_METRIC, "value"), Input(ids.FORECAST_HORIZON, "value")),
    to_params=_forecast_params,
    running=((Output(ids.FORECAST_HORIZON, "disabled"), True, False),
             (Output(ids.FORECAST_METRIC, "options"),
              [{"label": label, "value": value, "disabled": True} for value, label in METRICS.items()],
              [{"label": label, "value": value} for value, label in METRICS.items()])),
)
register_job(FORECAST_JOB)


def _explain_params(metric, h, node) -> dict:
    if not isinstance(node, str) or not node:
        raise ValueError("pick a series of the hierarchy to explain (the total, a region or a category)")
    return {"node": node, **_forecast_params(metric, h)}


def _describe_explanation(params: dict) -> str:
    return (f"Drivers of the {METRICS[params['metric']].lower()} forecast for {node_path_label(params['node'])}, "
            f"{params['h']} days ahead")


EXPLAIN_JOB = Job(
    ids=ids.FORECAST_EXPLAIN_JOB, compute=store_forecast_explanation, describe=_describe_explanation,
    no_data=no_data("sales"), run_label="Explain again", waiting="Explaining the forecast…",
    inputs=(Input(ids.FORECAST_METRIC, "value"), Input(ids.FORECAST_HORIZON, "value"),
            Input(ids.FORECAST_NODE, "data")),
    to_params=_explain_params,
)
register_job(EXPLAIN_JOB)
protect_callback([ids.FORECAST_DOWNLOAD], Permission.EXPORT)
register_url_state("forecast", "/forecast", URL_PARAMS)


def _node_view(ready, node):
    """The forecast on screen and the view of its ``node`` (the total when the node is unknown); LookupError
    with what the viewer should know when there is no forecast."""
    result = ready_result(FORECAST_JOB, ready)
    return result, node_view(result, node if node in result.nodes else "total")


def _events(result, node: str):
    """The node's calendar events (``DemandForecast.events`` rows of ``node``: ``ds, name, kind, lift, ...``)."""
    events = result.events
    return events[events["unique_id"] == node].drop(columns="unique_id")


@callback(*_VIEW_OUTPUTS, Input(ids.FORECAST_READY, "data"), Input(ids.FORECAST_NODE, "data"),
          Input(ids.FORECAST_LEVELS, "value"))
def update_forecast_view(ready, node, levels):
    """Draw the selected node: history and forecast with the chosen bands, drill-down, backtest, drivers."""
    try:
        result, view = _node_view(ready, node)
    except Exception as exc:  # noqa: BLE001 — while training, the chart says so; anything unexpected gets an error id
        failed = failure(exc, "drawing the forecast")
        empty = empty_figure(failed.short)
        return (empty, empty, no_update, None, None, None, failed.alert("No forecast") if ready else None, None, None)
    unit, events = result.metric, _events(result, view.node)
    title = f"{METRICS[unit]} — {view.label}, next {result.h} days"
    return (
        forecast_figure(view.history, view.forecast, sorted(levels or []), title, unit, events=events),
        children_figure(view.children, f"Next {result.h} days by {'region' if view.node == 'total' else 'category'}",
                        unit),
        breadcrumb(view.path),
        forecast_summary(summary_cards(view, result.h, unit, result.reconciliation)),
        backtest_table(view.backtest),
        effects_panel(view.effects, result.assumptions, unit),
        None,
        drill_buttons(list(zip(view.children["unique_id"], view.children["label"]))),
        events_list(events, view.forecast["ds"].iloc[0]),
    )


@callback(Output(ids.FORECAST_RIBBONS, "figure"), Input(ids.VIEW_MODE, "data"), Input(ids.FORECAST_READY, "data"),
          Input(ids.FORECAST_NODE, "data"), Input(ids.FORECAST_LEVELS, "value"))
def update_forecast_ribbons(view_mode, ready, node, levels):
    """The 3D ribbons of the node's children (or siblings), built only while the 3D view is on."""
    return figure_in_3d(view_mode, lambda: _ribbons(ready, node, levels))


def _ribbons(ready, node, levels):
    result, view = _node_view(ready, node)
    outer = max(levels) if levels else None
    scope = "regions" if view.node == "total" else "categories" if view.level == "region" else "sibling categories"
    return ribbons_figure(view.ribbons, outer, f"{METRICS[result.metric]} forecast of the {scope}", result.metric)


@callback(
    Output(ids.FORECAST_NODE, "data"),
    Input(ids.FORECAST_CHILDREN, "clickData"),
    Input(ids.forecast_crumb(ALL), "n_clicks"),
    Input(ids.forecast_drill(ALL), "n_clicks"),
    prevent_initial_call=True,
)
def drill_forecast(click, _crumbs, _drills):
    """A bar click or a drill button drills into that series; a breadcrumb returns to its level."""
    trigger = ctx.triggered_id
    if isinstance(trigger, dict):  # new crumbs and drill buttons arrive with n_clicks=0
        return trigger["node"] if ctx.triggered[0]["value"] else no_update
    if not click or not click.get("points"):
        return no_update
    return click["points"][0]["customdata"]


@callback(Output(ids.FORECAST_UNCERTAINTY, "children"), Input(ids.FORECAST_READY, "data"),
          Input(ids.FORECAST_NODE, "data"))
def update_forecast_uncertainty(ready, node):
    """The node's uncertainty in words under the chart: its intervals, backtest error and what widens them."""
    try:
        result = ready_result(FORECAST_JOB, ready)
    except LookupError:  # no forecast yet: the chart says so
        return None
    return uncertainty_note(describe_uncertainty(result, node if node in result.nodes else "total").text)


@callback(Output(ids.FORECAST_DRIVERS_BODY, "children"), Output(ids.FORECAST_DRIVERS_SHOWN, "data"),
          Input(ids.FORECAST_EXPLAIN_SHOW, "n_clicks"), Input(ids.FORECAST_READY, "data"),
          State(ids.FORECAST_NODE, "data"), State(ids.FORECAST_DRIVERS_SHOWN, "data"))
def show_forecast_drivers(clicks, ready, node, shown):
    """Draw the drivers (and so start their job) when the viewer presses Explain, or at once when the explanation
    of the series on screen is already cached (``python -m core.warm`` caches the total's); never twice."""
    if shown:
        return no_update, no_update
    asked = ctx.triggered_id == ids.FORECAST_EXPLAIN_SHOW and bool(clicks)
    if not asked and not _explanation_cached(ready, node):
        return no_update, no_update
    return hide_unless(Permission.RETRAIN, [EXPLAIN_JOB.ids.run], drivers_body(EXPLAIN_JOB.ids)), True


def _explanation_cached(ready, node) -> bool:
    """Whether the explanation the drivers job would ask for first is in the results cache."""
    try:
        _version, params = ready_params(ready)
    except LookupError:
        return False
    current = dataset_version()
    if current is None or not isinstance(node, str) or not node:
        return False
    return cached_value(store_forecast_explanation, current.version, node=node, **params) is not None


def _clicked_day(click) -> str | None:
    """The ISO date of a point clicked on the forecast chart."""
    points = (click or {}).get("points") or []
    if not points:
        return None
    return str(points[0].get("x", ""))[:10] or None


@callback(Output(ids.FORECAST_DAY, "options"), Output(ids.FORECAST_DAY, "value"),
          Input(EXPLAIN_JOB.ids.ready, "data"), Input(ids.FORECAST_MAIN, "clickData"), State(ids.FORECAST_DAY, "value"))
def choose_forecast_day(ready, click, current):
    """The explained days to pick from; a click on a forecast day of the chart picks it (the peak day at first)."""
    try:
        explanation = ready_result(EXPLAIN_JOB, ready)
    except LookupError:
        return [], None
    options = day_options(explanation.forecast_days)
    offered = {option["value"] for option in options}
    clicked = _clicked_day(click) if ctx.triggered_id == ids.FORECAST_MAIN else None
    if clicked in offered:
        return options, clicked
    return options, current if current in offered else f"{explanation.peak_day:%Y-%m-%d}"


@callback(Output(ids.FORECAST_IMPORTANCE, "figure"), Output(ids.FORECAST_DAY_DRIVERS, "figure"),
          Output(ids.FORECAST_DAY_TEXT, "children"), Input(EXPLAIN_JOB.ids.ready, "data"),
          Input(ids.FORECAST_DAY, "value"))
def update_forecast_drivers(ready, day):
    """The drivers of the forecast overall and on the chosen day, as charts and a sentence."""
    try:
        explanation = ready_result(EXPLAIN_JOB, ready)
    except Exception as exc:  # noqa: BLE001 — while explaining, the charts say so; anything else gets an error id
        empty = empty_figure(failure(exc, "explaining the forecast").short)
        return empty, empty, None
    importance = importance_figure(explanation.importance, explanation.metric)
    if day not in {f"{d:%Y-%m-%d}" for d in explanation.forecast_days}:
        return importance, empty_figure("Pick a forecast day, or click one on the chart"), None
    drivers = day_drivers_figure(explanation.day(day), day, explanation.value_on(day), explanation.metric)
    return importance, drivers, describe_day(explanation, day)


@callback(Output(ids.FORECAST_MEMBER, "options"), Output(ids.FORECAST_MEMBER, "value"),
          Output(ids.FORECAST_COMPONENTS, "figure"), Input(EXPLAIN_JOB.ids.ready, "data"),
          Input(ids.FORECAST_MEMBER, "value"))
def update_forecast_components(ready, member):
    """The statistical members to take apart, and the chosen one's forecast as level, trend, seasons and events."""
    try:
        explanation = ready_result(EXPLAIN_JOB, ready)
    except Exception as exc:  # noqa: BLE001 — while explaining, the chart says so; anything else gets an error id
        return [], None, empty_figure(failure(exc, "taking the forecast apart").short)
    options = member_options(explanation.components)
    offered = [option["value"] for option in options]
    chosen = member if member in offered else (offered[0] if offered else None)
    return options, chosen, components_figure(explanation.components, chosen, explanation.metric)


@callback(
    Output(ids.FORECAST_DOWNLOAD, "data"),
    Input(ids.FORECAST_DOWNLOAD_BTN, "n_clicks"),
    State(ids.FORECAST_READY, "data"),
    prevent_initial_call=True,
)
def download_forecast(_n_clicks, ready):
    """Every node's forecast with its intervals as one CSV."""
    try:
        result = ready_result(FORECAST_JOB, ready)
    except LookupError:
        return no_update
    name = f"forecast-{result.metric}-{result.h}d-v{ready['version']}.csv"
    audit_request(audit.EXPORT, target=name)
    return dcc.send_string(safe_csv(forecast_table(result)), name)  # formula-like node names neutralised


clientside_callback(
    SHOW_FOR_VIEW_MODE,
    Output(ids.FORECAST_MAIN_2D, "style"),
    Output(ids.FORECAST_MAIN_3D, "style"),
    Input(ids.VIEW_MODE, "data"),
)
