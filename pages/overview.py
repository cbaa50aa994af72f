"""Overview: the business at a glance, with drill-down by region, category and channel."""
from __future__ import annotations

import datetime as dt
import logging
import time

import dash
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, no_update

from analytics.kpis import DIMENSIONS, KPI_DEFINITIONS, load_kpi_model, region_category_matrix
from analytics.live import trend_tail
from analytics.overview import overview_snapshot, toggle_filter
from components import ids
from components.figures import breakdown_figure, empty_figure, matrix_3d_figure, trend_figure, trend_patch
from components.kpi import kpi_grid
from components.layout import SHOW_FOR_VIEW_MODE
from components.messages import error_alert
from components.overview import DIMENSION_LABELS, filter_bar, overview_layout
from core.cache import cached_call
from core.runtime import dataset_version, job_engine, store_engine

dash.register_page(__name__, path="/", name="Overview", order=0, title="Overview · Neon Foresight")

log = logging.getLogger(__name__)

_NO_DATA = (
    "The store has no data yet. Generate the sample company with "
    "`python -m data sample --customers 20000 --seed 42` (or `make run`), then reload."
)
_OUTPUTS = [
    Output(ids.OVERVIEW_KPIS, "children"),
    Output(ids.OVERVIEW_TREND, "figure"),
    *[Output(ids.overview_breakdown(dim), "figure") for dim in DIMENSIONS],
    Output(ids.OVERVIEW_FILTER_BAR, "children"),
    Output(ids.OVERVIEW_MESSAGE, "children"),
    Output(ids.OVERVIEW_TREND_META, "data"),
    Output(ids.OVERVIEW_LIVE_NOTE, "children"),
]


def layout(**_query):
    """The Overview layout; any query string is accepted and ignored."""
    return overview_layout()


def _blank(message) -> tuple:
    empty = empty_figure()
    return (None, empty, *[empty for _ in DIMENSIONS], filter_bar({}), message, None, None)


def _kpi_model():
    """The cached KPI model of the current dataset version and that version's number.

    Raises LookupError when the store has no data.
    """
    version = dataset_version()
    if version is None:
        raise LookupError(_NO_DATA)
    return cached_call(load_kpi_model, version.version, store_engine()), version.version


@callback(*_OUTPUTS, Input(ids.OVERVIEW_WINDOW, "value"), Input(ids.OVERVIEW_FILTERS, "data"),
          Input(ids.OVERVIEW_REFRESH, "data"))
def update_overview(window, filters, _refresh):
    """Render KPIs, trend and breakdowns for the chosen window and drill-down filters."""
    try:
        model, version = _kpi_model()
        view = overview_snapshot(model, int(window), filters)
    except LookupError as exc:
        return _blank(error_alert("No data", str(exc)))
    except ValueError as exc:
        log.warning("overview could not be computed: %s", exc)
        return _blank(error_alert("Cannot compute the Overview", str(exc)))
    period = f"vs previous {view.window} days"
    scope = " · ".join(v for v in view.filters.values() if v != "All") or "all business"
    return (
        kpi_grid(ids.OVERVIEW_KPI_PREFIX, view.kpis, KPI_DEFINITIONS, period),
        trend_figure(view.trend, f"Daily revenue — {scope}"),
        *[breakdown_figure(view.breakdowns[dim], dim, f"Revenue by {DIMENSION_LABELS[dim].lower()}, "
                           f"last {view.window} days") for dim in DIMENSIONS],
        filter_bar(view.filters),
        None,
        {"end": view.as_of.date().isoformat(), "length": len(view.trend), "version": version},
        None,
    )


@callback(
    Output(ids.OVERVIEW_TREND, "figure", allow_duplicate=True),
    Output(ids.OVERVIEW_TREND_META, "data", allow_duplicate=True),
    Output(ids.OVERVIEW_LIVE_NOTE, "children", allow_duplicate=True),
    Input(ids.DATASET_VERSION, "data"),
    State(ids.OVERVIEW_FILTERS, "data"),
    State(ids.OVERVIEW_TREND_META, "data"),
    prevent_initial_call=True,
)
def patch_trend_with_new_data(known, filters, meta):
    """When new data is committed, patch the trend's last days in place (no rebuild)."""
    if not meta or not known or known.get("version") in (None, meta["version"]):
        return no_update, no_update, no_update
    tail = trend_tail(store_engine(), dt.date.fromisoformat(meta["end"]), meta["length"], filters)
    note = (f"Live: the trend includes dataset v{known['version']}; the KPI cards show v{meta['version']} "
            "until you press Recompute KPIs or change a filter.")
    return trend_patch(tail), {**meta, "end": tail.end, "length": tail.length}, note


@callback(Output(ids.OVERVIEW_MATRIX_3D, "figure"), Input(ids.VIEW_MODE, "data"), Input(ids.OVERVIEW_WINDOW, "value"),
          Input(ids.OVERVIEW_FILTERS, "data"), Input(ids.OVERVIEW_REFRESH, "data"))
def update_matrix_3d(view_mode, window, filters, _refresh):
    """The region × category scene, built only while the 3D view is on (WebGL is costly)."""
    if view_mode != "3d":
        return no_update
    try:
        matrix = region_category_matrix(_kpi_model()[0], int(window), filters)
    except (LookupError, ValueError) as exc:
        return empty_figure(str(exc))
    return matrix_3d_figure(matrix, filters or {}, f"Region × category revenue, last {int(window)} days")


@callback(
    Output(ids.OVERVIEW_FILTERS, "data"),
    *[Input(ids.overview_breakdown(dim), "clickData") for dim in DIMENSIONS],
    Input(ids.OVERVIEW_MATRIX_3D, "clickData"),
    Input(ids.overview_filter_chip(ALL), "n_clicks"),
    State(ids.OVERVIEW_FILTERS, "data"),
    prevent_initial_call=True,
)
def apply_drilldown(*args):
    """Clicking a bar filters the page to that member; clicking it again or its chip clears it."""
    filters = args[-1]
    trigger = ctx.triggered_id
    if isinstance(trigger, dict):  # a filter chip; new chips arrive with n_clicks=0
        if not ctx.triggered[0]["value"]:
            return no_update
        return toggle_filter(filters, trigger["dimension"], None)
    click = ctx.triggered[0]["value"]
    if not click or not click.get("points"):
        return no_update
    point = click["points"][0]
    if trigger == ids.OVERVIEW_MATRIX_3D:
        region, category = point["customdata"][:2]
        return toggle_filter(toggle_filter(filters, "region", region), "category", category)
    dimension = next(dim for dim in DIMENSIONS if ids.overview_breakdown(dim) == trigger)
    return toggle_filter(filters, dimension, point["y"])


@callback(
    Output(ids.OVERVIEW_REFRESH, "data"),
    Output(ids.OVERVIEW_JOB_STATUS, "children"),
    Input(ids.OVERVIEW_RECOMPUTE, "n_clicks"),
    State(ids.OVERVIEW_REFRESH, "data"),
    background=True,
    running=[(Output(ids.OVERVIEW_RECOMPUTE, "disabled"), True, False)],
    progress=[Output(ids.OVERVIEW_PROGRESS, "value"), Output(ids.OVERVIEW_PROGRESS, "label")],
    prevent_initial_call=True,
)
def recompute_kpis(set_progress, _n_clicks, refresh):
    """Rebuild the KPI model from the store in the background, reporting each step."""
    started = time.perf_counter()
    engine = job_engine()
    version = dataset_version()
    if version is None:
        return no_update, "Nothing to compute: the store is empty."

    def report(step: int, total: int, message: str) -> None:
        set_progress((round(100 * step / total), message))

    cached_call(load_kpi_model, version.version, engine, report, refresh=True)
    set_progress((100, "done"))
    return (refresh or 0) + 1, f"KPIs for dataset v{version.version} recomputed in {time.perf_counter() - started:.1f} s"


clientside_callback(
    SHOW_FOR_VIEW_MODE,
    Output(ids.OVERVIEW_BREAKDOWN_2D, "style"),
    Output(ids.OVERVIEW_BREAKDOWN_3D, "style"),
    Input(ids.VIEW_MODE, "data"),
)
