"""Health: the app's own system — the service map, the key gauges (live over the push channel), incidents with their
causes and actions, a component's drill-down, capacity planning, the maintenance calendar and the runbooks.

Everyone who may view the app reads it; only admins see the buttons that act (approve, move, run, switch a
runbook's mode), and those callbacks ask for the permission again on the server (pages/_health_actions.py).
The page reads health metrics only: opening it starts no forecast fit of the business data.
"""
from __future__ import annotations

import datetime as dt
import functools

import dash
from dash import Input, Output, State, callback, clientside_callback, no_update
from sqlalchemy.exc import OperationalError, ProgrammingError

from components import ids
from components.health import as_of, gauge_tiles, health_layout, incident_timeline, open_incidents, status_chips
from components.health_figures import service_map_figure
from components.health_ops import capacity_section
from components.messages import error_alert
from core.auth import Permission
from core.health import COMPONENTS, DEPENDENCIES
from core.health import GAUGES, health_snapshot
from core.runtime import current_settings, store_engine
from pages import _health_actions  # noqa: F401  (the admin buttons' callbacks)
from pages import _health_views
from pages._jobs import allowed
from pages._url_state import Param, choice, read_query, register_url_state

dash.register_page(__name__, path="/health", name="Health", order=6, title="Health · Neon Foresight",
                   view_3d=False)

POLL_MS = 15_000  # the fallback poll while the push channel is blocked (the monitor records every 10 s)
SPARK_WINDOW = dt.timedelta(hours=1)
NO_TABLES = ("the store has no health tables yet; run `python -m data upgrade` (`make run` does it), then reload "
             "this page")

URL_PARAMS = (Param("component", ids.HEALTH_COMPONENT, "value", default="host", parse=choice(*COMPONENTS)),)
register_url_state("health", "/health", URL_PARAMS)


def _now() -> dt.datetime:
    """UTC now as core.health keeps times (naive, whole seconds)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def _snapshot() -> dict | None:
    """The live values now, or None while the store has no health tables (not migrated)."""
    try:
        return health_snapshot(store_engine())
    except (OperationalError, ProgrammingError):
        return None


def _without_tables(*empty):
    """A callback that answers ``empty`` instead of failing while the store has no health tables (the page says
    why once, from its layout)."""
    def wrap(read):
        @functools.wraps(read)
        def tolerant(*args):
            try:
                return read(*args)
            except (OperationalError, ProgrammingError):
                return empty if len(empty) > 1 else empty[0]
        return tolerant
    return wrap


def layout(**query):
    """The Health page drilled into the component its URL names (``?component=store``; anything else: host)."""
    state = read_query(URL_PARAMS, query)
    snapshot = _snapshot()
    page = health_layout(snapshot, state["component"], COMPONENTS, DEPENDENCIES, POLL_MS)
    if snapshot is None:
        shown = {getattr(child, "id", None): child for child in page.children}
        shown[ids.HEALTH_MESSAGE].children = error_alert("No health data", NO_TABLES)
    return page


# The push channel's client (assets/push.js) writes each `health` event into the page's store while the page is on
# screen, and turns the page's fallback poll on and off with the channel's.
clientside_callback(
    """
    function (_mounted, known) {
        if (!window.nfPush) { return false; }
        return window.nfPush.listenHealth({root: ROOT_ID, store: STORE_ID, poll: POLL_ID}, known);
    }
    """.replace("ROOT_ID", repr(ids.HEALTH)).replace("STORE_ID", repr(ids.HEALTH_LIVE))
    .replace("POLL_ID", repr(ids.HEALTH_POLL)),
    Output(ids.HEALTH_POLL, "disabled"),
    Input(ids.HEALTH, "id"),
    State(ids.HEALTH_LIVE, "data"),
)


# The incidents and the operations lists are read again when the number of open incidents changes (an incident
# opens or resolves, and runbooks request actions for it), not on every snapshot: a list drawn again every 10 s
# would close the folds a reader opened and wipe a new time being typed.
clientside_callback(
    """
    function (snapshot, known) {
        const count = (snapshot && snapshot.open_incidents) || 0;
        return count === known ? window.dash_clientside.no_update : count;
    }
    """,
    Output(ids.HEALTH_OPEN_COUNT, "data"),
    Input(ids.HEALTH_LIVE, "data"),
    State(ids.HEALTH_OPEN_COUNT, "data"),
    prevent_initial_call=True,
)


@callback(Output(ids.HEALTH_LIVE, "data", allow_duplicate=True), Input(ids.HEALTH_POLL, "n_intervals"),
          State(ids.HEALTH_LIVE, "data"), prevent_initial_call=True)
def poll_health(_ticks, known):
    """Fallback while the push channel is blocked: the live values, when they changed."""
    snapshot = _snapshot()
    return no_update if snapshot == known else snapshot


@callback(Output(ids.HEALTH_MAP, "figure"), Output(ids.child_id(ids.HEALTH_STATUSES, "wrap"), "children"),
          Output(ids.HEALTH_AS_OF, "children"), Input(ids.HEALTH_LIVE, "data"), Input(ids.HEALTH_COMPONENT, "value"))
def update_service_map(snapshot, component):
    """The map's and the chips' statuses, and when they were measured; the drilled component is ringed."""
    statuses = (snapshot or {}).get("statuses") or {name: "not_configured" for name in COMPONENTS}
    return service_map_figure(statuses, DEPENDENCIES, component), status_chips(statuses), as_of(snapshot)


@callback(Output(ids.HEALTH_GAUGES, "children"), Input(ids.HEALTH_LIVE, "data"))
@_without_tables(None)
def update_gauges(snapshot):
    """Each key gauge's latest value and its last hour."""
    history = _health_views.gauge_history(store_engine(), GAUGES, SPARK_WINDOW)
    return gauge_tiles((snapshot or {}).get("gauges") or {}, history)


@callback(Output(ids.HEALTH_COMPONENT, "value"), Input(ids.HEALTH_MAP, "clickData"), prevent_initial_call=True)
def drill_from_map(click):
    """A click on a component of the map drills into it."""
    try:
        name = click["points"][0]["customdata"]
    except (TypeError, KeyError, IndexError):
        return no_update
    return name if name in COMPONENTS else no_update


@callback(Output(ids.HEALTH_INCIDENTS, "children"), Output(ids.HEALTH_TIMELINE, "children"),
          Input(ids.HEALTH_OPEN_COUNT, "data"), Input(ids.HEALTH_REFRESH, "data"))
@_without_tables(None, None)
def update_incidents(_open_count, _refresh):
    """Open incidents, and the timeline of resolved ones, each with its alerts, causes and actions."""
    opened, resolved = _health_views.incidents(store_engine())
    return open_incidents(opened), incident_timeline(resolved)


@callback(Output(ids.HEALTH_DETAIL, "children"), Input(ids.HEALTH_COMPONENT, "value"),
          Input(ids.HEALTH_REFRESH, "data"))
@_without_tables(None)
def update_detail(component, _refresh):
    """The drilled component's metrics with anomaly scores, its predictions and its maintenance history."""
    if component not in COMPONENTS:
        component = "host"
    return _health_views.detail(store_engine(), current_settings(), component, _now())


@callback(Output(ids.HEALTH_CALENDAR, "children"), Output(ids.HEALTH_RUNBOOKS, "children"),
          Output(ids.HEALTH_ACTIONS, "children"), Input(ids.HEALTH_REFRESH, "data"),
          Input(ids.HEALTH_OPEN_COUNT, "data"))
@_without_tables(None, None, None)
def update_operations(_refresh, _open_count):
    """The maintenance calendar, the runbook catalogue and the actions; buttons only for those who may act."""
    return _health_views.operations(store_engine(), _now(),
                                    remediate=allowed(Permission.REMEDIATE),
                                    settings_admin=allowed(Permission.MANAGE_SETTINGS))


@callback(Output(ids.HEALTH_CAPACITY, "children"), Input(ids.HEALTH, "id"))
@_without_tables(None)
def update_capacity(_mounted):
    """Recommended workers, when the current setting runs out, and the 30/90-day load forecasts (once per page
    load: the plan fits a forecast of the request and job load)."""
    tiles, figures, note = _health_views.capacity(store_engine(), current_settings(), _now())
    return capacity_section(tiles, figures, note)

