"""Overview: the business at a glance over complete days, with drill-down by region, category and channel."""
from __future__ import annotations

import datetime as dt
import logging

import dash
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, no_update

from analytics.kpis import (DIMENSIONS, KPI_DEFINITIONS, check_range, load_kpi_model, load_range_kpis,
                            overview_snapshot, region_category_matrix, today_so_far, toggle_filter, trend_tail)
from components import ids
from components.kpi import kpi_grid
from components.layout import SHOW_FOR_VIEW_MODE
from components.messages import error_alert
from components.overview import (
    DIMENSION_LABELS, PRESET_WINDOWS, complete_note, drill_options, filter_bar, overview_layout, period_label,
    today_panel,
)
from components.overview_figures import breakdown_figure, matrix_3d_figure, trend_figure, trend_patch
from components.primitives import empty_figure
from core.cache import cached_call
from core.runtime import complete_through, dataset_version, store_engine
from pages._errors import failure
from core.auth import Permission, audit
from pages._jobs import Job, hide_unless, no_data, ready_params, ready_result, register_job
from pages._url_state import Param, int_choice, read_query, register_url_state, text
from pages._views import figure_in_3d

dash.register_page(__name__, path="/", name="Overview", order=0, title="Overview · Neon Foresight")

log = logging.getLogger(__name__)

_NO_DATA = no_data()
_OUTPUTS = [
    Output(ids.OVERVIEW_KPIS, "children"),
    Output(ids.OVERVIEW_TREND, "figure"),
    *[Output(ids.overview_breakdown(dim), "figure") for dim in DIMENSIONS],
    Output(ids.OVERVIEW_FILTER_BAR, "children"),
    Output(ids.OVERVIEW_MESSAGE, "children"),
    Output(ids.OVERVIEW_TREND_META, "data"),
    Output(ids.OVERVIEW_LIVE_NOTE, "children"),
    Output(ids.OVERVIEW_TODAY, "children"),
    Output(ids.OVERVIEW_COMPLETE_NOTE, "children"),
    Output(ids.OVERVIEW_RANGE, "min_date_allowed"),
    Output(ids.OVERVIEW_RANGE, "max_date_allowed"),
    *[Output(ids.overview_drill(dim), "options") for dim in DIMENSIONS],
]


def _iso_date(raw: str) -> str:
    """A query value that must be a calendar date (YYYY-MM-DD)."""
    return dt.date.fromisoformat(raw).isoformat()


URL_PARAMS = (
    Param("window", ids.OVERVIEW_WINDOW, "value", default=30, parse=int_choice(*PRESET_WINDOWS)),
    Param("start", ids.OVERVIEW_RANGE, "start_date", default=None, parse=_iso_date),
    Param("end", ids.OVERVIEW_RANGE, "end_date", default=None, parse=_iso_date),
    # Members are checked against the data when the page renders: an unknown one gets a message and a chip.
    Param("filters", ids.OVERVIEW_FILTERS, "data", default={dim: None for dim in DIMENSIONS}, parse=text(60),
          keys=DIMENSIONS),
)
register_url_state("overview", "/", URL_PARAMS)


def layout(**query):
    """The Overview in the state its URL describes (window or date range, filters); bad values fall back."""
    state = read_query(URL_PARAMS, query)
    return hide_unless(Permission.RETRAIN, [KPI_JOB.ids.run],
                       overview_layout(window=state["window"], start=state["start"], end=state["end"],
                                       filters=state["filters"]))


def _blank(message, filters: dict | None = None, context: tuple | None = None, waiting: str = "") -> tuple:
    empty = empty_figure(waiting)
    shown = {dim: (filters or {}).get(dim) for dim in DIMENSIONS}
    context = context or (None, None, no_update, no_update, *[no_update for _ in DIMENSIONS])
    return (None, empty, *[empty for _ in DIMENSIONS], filter_bar(shown), message, None, None, *context)


def _kpi_params() -> dict:
    """The KPI model's parameters: the last complete day (part of the cache key)."""
    mark = complete_through()
    if mark.through is None:
        raise ValueError(_NO_DATA)
    return {"through": mark.iso}


KPI_JOB = Job(ids=ids.OVERVIEW_JOB, compute=load_kpi_model, describe=lambda params: "KPIs", to_params=_kpi_params,
              no_data=_NO_DATA, run_label="Recompute KPIs", waiting="Computing the KPIs…", audit_action=audit.RECOMPUTE)
register_job(KPI_JOB)


def _kpi_model(period: dict | None, ready: dict | None):
    """The KPI model on screen (``ready``, from the job helper) for the period (a preset window or a checked
    custom range), its window and label.

    Returns ``(model, window, label, version, watermark)``; raises LookupError while there is no model and
    ValueError for a range that cannot be used.
    """
    model = ready_result(KPI_JOB, ready)
    version, params = ready_params(ready)
    mark = complete_through()
    period = period or {}
    if "window" in period or not (period.get("start") or period.get("end")):
        window = period.get("window") or 30
        if window not in PRESET_WINDOWS:
            raise ValueError(f"window must be one of {list(PRESET_WINDOWS)} days, got {window!r}")
        return model, window, period_label(window), version, mark
    first, last = check_range(period.get("start"), period.get("end"), model.first_day.date(),
                              dt.date.fromisoformat(params["through"]))
    ranged = cached_call(load_range_kpis, version, store_engine(), start=first.isoformat(), end=last.isoformat())
    return ranged, ranged.windows[0], period_label(ranged.windows[0], first, last), version, mark


def _context(model, mark) -> tuple:
    """The outputs that describe the data rather than the view: today so far, the note, bounds, members."""
    return (today_panel(today_so_far(store_engine(), mark.through), mark.through),
            complete_note(mark.through, mark.source, mark.reason),
            model.first_day.date().isoformat(), mark.through.isoformat(),
            *[drill_options(model.members[dim]) for dim in DIMENSIONS])


def _default_context(ready: dict | None) -> tuple | None:
    """``_context`` of the default view, so a bad range or filter still leaves the controls usable."""
    try:
        model, _, _, _, mark = _kpi_model(None, ready)
        return _context(model, mark)
    except Exception:  # noqa: BLE001 — only a convenience: the message already on screen says what went wrong
        return None


def _failed(exc: Exception, filters, ready) -> tuple:
    """The outputs when the Overview cannot be drawn: the KPIs are being computed (the charts say so), the store is
    empty, an input cannot be used (its message), or something unexpected (an error id; the traceback is logged)."""
    failed = failure(exc, "computing the Overview")
    if failed.error_id is None and isinstance(exc, LookupError):
        if dataset_version() is None:
            return _blank(error_alert("No data", _NO_DATA))
        return _blank(None, filters, waiting=failed.message)
    if failed.error_id is None:
        log.warning("overview could not be computed: %s", exc)
        return _blank(failed.alert("Cannot compute the Overview"), filters, _default_context(ready))
    return _blank(failed.alert("Cannot compute the Overview"), filters, waiting=failed.short)


@callback(*_OUTPUTS, Input(ids.OVERVIEW_PERIOD, "data"), Input(ids.OVERVIEW_FILTERS, "data"),
          Input(ids.OVERVIEW_READY, "data"))
def update_overview(period, filters, ready):
    """Render KPIs, trend, breakdowns and today so far for the chosen period and drill-down filters."""
    try:
        model, window, label, version, mark = _kpi_model(period, ready)
        view = overview_snapshot(model, window, filters)
        context = _context(model, mark)
    except Exception as exc:  # noqa: BLE001 — every failure gets a message; unexpected ones an error id
        return _failed(exc, filters, ready)
    scope = " · ".join(v for v in view.filters.values() if v != "All") or "all business"
    return (
        kpi_grid(ids.OVERVIEW_KPI_PREFIX, view.kpis, KPI_DEFINITIONS, f"vs previous {window} days"),
        trend_figure(view.trend, f"Daily revenue — {scope}"),
        *[breakdown_figure(view.breakdowns[dim], dim, f"Revenue by {DIMENSION_LABELS[dim].lower()}, {label}")
          for dim in DIMENSIONS],
        filter_bar(view.filters),
        None,
        {"end": view.as_of.date().isoformat(), "length": len(view.trend), "version": version},
        None,
        *context,
    )


@callback(Output(ids.OVERVIEW_WINDOW, "value"), Output(ids.OVERVIEW_RANGE, "start_date"),
          Output(ids.OVERVIEW_RANGE, "end_date"), Output(ids.OVERVIEW_PERIOD, "data"),
          Input(ids.OVERVIEW_WINDOW, "value"), Input(ids.OVERVIEW_RANGE, "start_date"),
          Input(ids.OVERVIEW_RANGE, "end_date"), prevent_initial_call=True)
def choose_period(window, start, end):
    """A preset clears the custom range; a custom range (both dates) clears the preset; clearing it restores 30 days."""
    triggered = {item["prop_id"].split(".")[0] for item in ctx.triggered}
    if ids.OVERVIEW_RANGE in triggered and (start or end):
        return None, start, end, {"start": start, "end": end}
    window = window or 30
    return window, None, None, {"window": window}


@callback(Output(ids.OVERVIEW_TREND, "figure", allow_duplicate=True),
          Output(ids.OVERVIEW_TREND_META, "data", allow_duplicate=True),
          Output(ids.OVERVIEW_LIVE_NOTE, "children", allow_duplicate=True),
          Output(ids.OVERVIEW_TODAY, "children", allow_duplicate=True),
          Input(ids.DATASET_VERSION, "data"), State(ids.OVERVIEW_FILTERS, "data"),
          State(ids.OVERVIEW_TREND_META, "data"), State(ids.OVERVIEW_PERIOD, "data"), prevent_initial_call=True)
def patch_trend_with_new_data(known, filters, meta, period):
    """When new data is committed, patch the trend's complete days in place and refresh today so far."""
    if not meta or not known or known.get("version") in (None, meta["version"]):
        return no_update, no_update, no_update, no_update
    mark = complete_through()
    today = today_panel(today_so_far(store_engine(), mark.through), mark.through)
    if (period or {}).get("start"):  # a custom range ends where the user put it: only today so far moves
        return no_update, no_update, no_update, today
    tail = trend_tail(store_engine(), dt.date.fromisoformat(meta["end"]), meta["length"], filters, mark.through)
    note = (f"Live: the trend includes dataset v{known['version']}; the KPI cards show v{meta['version']} "
            "until the KPIs for the new data are computed.")
    return trend_patch(tail), {**meta, "end": tail.end, "length": tail.length}, note, today


@callback(Output(ids.OVERVIEW_MATRIX_3D, "figure"), Input(ids.VIEW_MODE, "data"), Input(ids.OVERVIEW_PERIOD, "data"),
          Input(ids.OVERVIEW_FILTERS, "data"), Input(ids.OVERVIEW_READY, "data"))
def update_matrix_3d(view_mode, period, filters, ready):
    """The region × category scene, built only while the 3D view is on (WebGL is costly)."""
    return figure_in_3d(view_mode, lambda: _matrix_3d(period, filters, ready))


def _matrix_3d(period, filters, ready):
    model, window, label, _, _ = _kpi_model(period, ready)
    matrix = region_category_matrix(model, window, filters)
    return matrix_3d_figure(matrix, filters or {}, f"Region × category, {label}")  # short for phones; z is revenue


@callback(
    Output(ids.OVERVIEW_FILTERS, "data"),
    *[Output(ids.overview_drill(dim), "value") for dim in DIMENSIONS],
    *[Input(ids.overview_breakdown(dim), "clickData") for dim in DIMENSIONS],
    Input(ids.OVERVIEW_MATRIX_3D, "clickData"),
    Input(ids.overview_filter_chip(ALL), "n_clicks"),
    *[Input(ids.overview_drill(dim), "value") for dim in DIMENSIONS],
    Input(ids.OVERVIEW_FILTERS, "data"),
    prevent_initial_call=True,
)
def apply_drilldown(*args):
    """A bar click, a dropdown or a chip sets the filters; the dropdowns always show the filters in force."""
    filters = args[-1] or {}
    updated = _drilled(filters, ctx.triggered_id, ctx.triggered[0]["value"], args[-1 - len(DIMENSIONS):-1])
    if updated is None:
        return no_update, *[no_update for _ in DIMENSIONS]
    return (no_update if updated == filters else updated), *[updated.get(dim) for dim in DIMENSIONS]


def _drilled(filters: dict, trigger, value, drills) -> dict | None:
    """The filters after one drill-down gesture (None: nothing to change)."""
    if trigger == ids.OVERVIEW_FILTERS:  # set elsewhere (the URL on Back): only the dropdowns follow
        return {dim: filters.get(dim) for dim in DIMENSIONS}
    if isinstance(trigger, dict):  # a filter chip; new chips arrive with n_clicks=0
        return toggle_filter(filters, trigger["dimension"], None) if value else None
    drill = next((dim for dim in DIMENSIONS if ids.overview_drill(dim) == trigger), None)
    if drill is not None:
        chosen = drills[DIMENSIONS.index(drill)]
        return {**{dim: filters.get(dim) for dim in DIMENSIONS}, drill: chosen or None}
    if not value or not value.get("points"):
        return None
    point = value["points"][0]
    if trigger == ids.OVERVIEW_MATRIX_3D:
        region, category = point["customdata"][:2]
        return toggle_filter(toggle_filter(filters, "region", region), "category", category)
    dimension = next(dim for dim in DIMENSIONS if ids.overview_breakdown(dim) == trigger)
    return toggle_filter(filters, dimension, point["y"])


clientside_callback(
    SHOW_FOR_VIEW_MODE,
    Output(ids.OVERVIEW_BREAKDOWN_2D, "style"),
    Output(ids.OVERVIEW_BREAKDOWN_3D, "style"),
    Input(ids.VIEW_MODE, "data"),
)
