"""The Health page: the service map, the key gauges with their history, the incidents, and the page's skeleton.

Pure builders of plain data: a snapshot is ``core/health/_push.py``'s ``{"at", "gauges", "statuses",
"open_incidents"}``; an incident, an action, a task are mappings with the columns of their store tables (signals and
causes already parsed into lists). The drill-down, capacity, maintenance and runbook sections are in
``components/health_ops.py``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from dash import dcc, html

from components import ids
from components.charts import GRAPH_CONFIG
from components.health_figures import service_map_figure, sparkline_figure
from components.primitives import card

__all__ = ["GAUGE_LABELS", "STATUS_LABELS", "format_gauge", "format_when", "status_chips", "gauge_tiles",
           "incident_card", "open_incidents", "incident_timeline", "as_of", "health_layout"]

STATUS_LABELS = {"ok": "OK", "degraded": "Degraded", "down": "Down", "not_configured": "Not configured"}
# component.metric -> (label, unit): percent (0-100), share (0-1), ms, count
GAUGE_LABELS: dict[str, tuple[str, str]] = {
    "host.cpu_percent": ("CPU", "percent"), "host.memory_percent": ("Memory", "percent"),
    "host.disk_percent": ("Disk", "percent"), "web.request_p95_ms": ("Request p95", "ms"),
    "web.request_error_rate": ("Error rate", "share"), "worker.queue_length": ("Queue", "count"),
    "stream.lag": ("Stream lag", "count"),
}
_SMALL_CONFIG = {**GRAPH_CONFIG, "displayModeBar": False, "staticPlot": False}


def format_gauge(name: str, value: float | None) -> str:
    """A gauge's value for a person: ``42.1 %``, ``0.50 %`` (a share), ``180 ms``, ``1,204``; "—" when missing."""
    if value is None:
        return "—"
    unit = GAUGE_LABELS.get(name, ("", "count"))[1]
    if unit == "percent":
        return f"{value:.1f} %"
    if unit == "share":
        return f"{value * 100:.2f} %"
    if unit == "ms":
        return f"{value:,.0f} ms"
    return f"{value:,.0f}"


def format_when(moment) -> str:
    """A time as ``2026-12-07 11:30 UTC`` (a datetime, an ISO string or None: "—")."""
    if moment in (None, ""):
        return "—"
    if isinstance(moment, str):
        try:
            moment = dt.datetime.fromisoformat(moment)
        except ValueError:
            return moment
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def as_of(snapshot: Mapping | None) -> str:
    """When the values on screen were measured, and how many incidents are open."""
    if not snapshot or snapshot.get("at") is None:
        return "No measurements yet: the monitor records the first ones within its interval (10 s by default)."
    at = dt.datetime.fromtimestamp(snapshot["at"] / 1000, tz=dt.timezone.utc)
    count = snapshot.get("open_incidents") or 0
    incidents = "no open incidents" if not count else f"{count} open incident{'s' if count > 1 else ''}"
    return f"Measured at {at:%Y-%m-%d %H:%M:%S} UTC · {incidents}"


def status_chips(statuses: Mapping[str, str]) -> html.Ul:
    """Each component's status as a text chip (what the map shows, readable without it)."""
    return html.Ul([html.Li([html.Span(name, className="nf-health-chip-name"),
                             html.Span(STATUS_LABELS.get(status, status), className="nf-health-chip-status")],
                            className=f"nf-health-chip is-{status.replace('_', '-')}")
                    for name, status in statuses.items()],
                   id=ids.HEALTH_STATUSES, className="nf-health-chips", **{"aria-label": "Component status"})


def gauge_tiles(gauges: Mapping[str, float | None], history: Mapping[str, tuple[Sequence, Sequence]]) -> list:
    """One tile per key gauge: its label, its latest value and a sparkline of its recent history."""
    tiles = []
    for name, (label, _unit) in GAUGE_LABELS.items():
        times, values = history.get(name, ((), ()))
        graph = html.Div(dcc.Graph(id=ids.health_sparkline(name), figure=sparkline_figure(times, values),
                                   config=_SMALL_CONFIG, className="nf-health-spark"),
                         role="img", **{"aria-label": f"{label}, recent history"})
        tiles.append(html.Div([html.Span(label, className="nf-kpi-label"),
                               html.Div(format_gauge(name, gauges.get(name)), id=ids.health_gauge_value(name),
                                        className="nf-health-gauge-value"),
                               html.Span(name, className="nf-kpi-sub"), graph],
                              className="nf-health-gauge"))
    return tiles


def _when_text(label: str, moment) -> html.Span:
    return html.Span(f"{label} {format_when(moment)}", className="nf-kpi-sub")


def _signal_line(signal: Mapping) -> html.Li:
    what = f"{signal.get('component', '?')}.{signal.get('metric', '?')}"
    parts = [html.Code(what), f" {signal.get('kind', 'signal')}"]
    if signal.get("value") is not None:
        parts.append(f" · value {signal['value']:,.4g}")
    if signal.get("score") is not None:
        parts.append(f" · score {signal['score']:.3f}")
    parts.append(f" · {format_when(signal.get('at'))}")
    if signal.get("detail"):
        parts.append(html.Span(f" — {signal['detail']}", className="nf-kpi-sub"))
    return html.Li(parts)


def _cause_line(cause: Mapping) -> html.Li:
    evidence = cause.get("evidence") or []
    if isinstance(evidence, str):
        evidence = [evidence]
    score = cause.get("score")
    head = [html.Strong(cause.get("component", "?")),
            f" · likelihood {score:.0%}" if isinstance(score, (int, float)) else ""]
    return html.Li([html.Div(head), html.Ul([html.Li(item) for item in evidence], className="nf-health-evidence")])


def _action_line(action: Mapping) -> html.Li:
    decided = f" by {action['decided_by']}" if action.get("decided_by") else ""
    return html.Li([html.Code(action.get("runbook", "?")), f" on {action.get('target', '?')} · ",
                    html.Span(action.get("state", "?"), className=f"nf-health-state is-{action.get('state')}"),
                    f"{decided} · {format_when(action.get('finished_at') or action.get('requested_at'))}"])


def incident_card(incident: Mapping) -> html.Article:
    """An incident: its title, severity and times, the alerts (signals) that opened it, the likely causes ranked
    with their evidence, and the runbook actions taken."""
    severity, state = incident.get("severity", "warning"), incident.get("state", "open")
    signals, causes = incident.get("signals") or [], incident.get("causes") or []
    actions = incident.get("actions") or []
    times = [_when_text("opened", incident.get("opened_at"))]
    if incident.get("resolved_at"):
        times.append(_when_text(" · resolved", incident["resolved_at"]))
    sections = [
        html.Details([html.Summary(f"Alerts ({len(signals)})"), html.Ul([_signal_line(s) for s in signals])],
                     open=state == "open", className="nf-health-details"),
        html.Details([html.Summary("Likely causes, most likely first"),
                      html.Ol([_cause_line(c) for c in causes]) if causes else html.P("Not ranked yet.")],
                     open=state == "open", className="nf-health-details"),
        html.Details([html.Summary(f"Actions taken ({len(actions)})"),
                      html.Ul([_action_line(a) for a in actions]) if actions else html.P("None.")],
                     className="nf-health-details"),
    ]
    return html.Article([
        html.Div([html.Span(severity, className=f"nf-health-severity is-{severity}"),
                  html.H3(incident.get("title", "Incident"), className="nf-health-incident-title"),
                  html.Span(f"#{incident.get('id')} · {incident.get('component', '?')}", className="nf-kpi-sub")],
                 className="nf-health-incident-head"),
        html.Div(times), *sections,
    ], className=f"nf-health-incident is-{severity} is-{state}", **{"data-incident": str(incident.get("id"))})


def open_incidents(incidents: Sequence[Mapping]) -> list:
    """The open incidents, or a line saying there are none."""
    if not incidents:
        return [html.P("No open incidents: every watched signal is within its normal range.",
                       className="nf-health-calm")]
    return [incident_card(incident) for incident in incidents]


def incident_timeline(incidents: Sequence[Mapping]) -> html.Ol | html.P:
    """Past incidents, newest first, each a point on a vertical timeline with its card."""
    if not incidents:
        return html.P("No past incidents recorded.", className="nf-kpi-sub")
    return html.Ol([html.Li(incident_card(incident), className="nf-health-timeline-item") for incident in incidents],
                   className="nf-health-timeline")


def _section(title: str, *body, className: str = "") -> html.Section:
    return card(title, *body, className=f"nf-health-section {className}".strip())


def health_layout(snapshot: Mapping | None, component: str, components: Sequence[str],
                  dependencies: Mapping[str, Sequence[str]], poll_ms: int) -> html.Div:
    """The page's skeleton: the live store and its fallback poll, the map with the component select, the gauges,
    the incidents, the drill-down, capacity, maintenance and runbooks (filled by the page's callbacks)."""
    statuses = (snapshot or {}).get("statuses") or {name: "not_configured" for name in components}
    live = html.Div([
        _section("Service map", html.P(as_of(snapshot), id=ids.HEALTH_AS_OF, className="nf-kpi-sub", role="status",
                                       **{"aria-live": "polite"}),
                 html.Div(dcc.Graph(id=ids.HEALTH_MAP, figure=service_map_figure(statuses, dependencies, component),
                                    config=_SMALL_CONFIG, className="nf-health-map"),
                          **{"aria-label": "Service map: components, their status and dependencies (click one)"}),
                 html.Div(status_chips(statuses), id=ids.child_id(ids.HEALTH_STATUSES, "wrap")),
                 className="nf-health-map-card"),
        _section("Key gauges", html.Div(gauge_tiles((snapshot or {}).get("gauges") or {}, {}), id=ids.HEALTH_GAUGES,
                                        className="nf-health-gauges"), className="nf-health-gauges-card"),
    ], className="nf-health-top")
    select = html.Div([html.Label("Component", htmlFor=ids.HEALTH_COMPONENT, className="nf-kpi-label"),
                       dcc.Dropdown(id=ids.HEALTH_COMPONENT, options=list(components), value=component,
                                    clearable=False, className="nf-health-select")], className="nf-health-field")
    return html.Div([
        html.H1("Health", className="nf-page-title"),
        html.P("The app's own system: what runs, what is wrong, what comes next and what heals itself.",
               className="nf-page-subtitle"),
        dcc.Store(id=ids.HEALTH_LIVE, data=snapshot),
        dcc.Interval(id=ids.HEALTH_POLL, interval=poll_ms, disabled=True),
        dcc.Store(id=ids.HEALTH_REFRESH, data=0),
        dcc.Store(id=ids.HEALTH_OPEN_COUNT, data=(snapshot or {}).get("open_incidents") or 0),
        html.Div(id=ids.HEALTH_MESSAGE, role="status", className="nf-health-message"),
        live,
        _section("Open incidents", dcc.Loading(html.Div(id=ids.HEALTH_INCIDENTS, className="nf-health-incidents"),
                                               delay_show=400)),
        _section("Drill-down", select, dcc.Loading(html.Div(id=ids.HEALTH_DETAIL), delay_show=400)),
        html.Div([
            _section("Maintenance, next 7 days", html.Div(id=ids.HEALTH_CALENDAR)),
            _section("Runbooks", html.Div(id=ids.HEALTH_RUNBOOKS), html.H3("Actions", className="nf-health-h3"),
                     html.Div(id=ids.HEALTH_ACTIONS)),
        ], className="nf-health-ops"),
        _section("Capacity planning", dcc.Loading(html.Div(id=ids.HEALTH_CAPACITY), delay_show=400)),
        _section("Past incidents", html.Div(id=ids.HEALTH_TIMELINE)),
    ], id=ids.HEALTH, className="nf-page nf-fade-in nf-health")
