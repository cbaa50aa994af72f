"""The alert centre in the header: a bell with the unread count that opens a panel of recent alerts, each with
Acknowledge and Snooze (1 h, 1 day) for users who may act on alerts (pages/_alerts.py fills it)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids

__all__ = ["alert_centre", "bell_label", "alert_items", "SNOOZES"]

SNOOZES = {"snooze-1h": ("1 h", 1), "snooze-1d": ("1 day", 24)}  # button action -> (label, hours)
_STATE_LABELS = {"unread": "NEW", "acknowledged": "SEEN", "snoozed": "SNOOZED"}


def bell_label(unread: int) -> str:
    """The bell's accessible name: how many alerts are unread."""
    return "Alerts: none unread" if not unread else f"Alerts: {unread} unread"


def alert_centre() -> html.Div:
    """The bell (count hidden while there is nothing unread) and its panel, closed."""
    bell = html.Button([html.I(className="bi bi-bell", **{"aria-hidden": "true"}),
                        html.Span(id=ids.ALERTS_COUNT, className="nf-alerts-count", style={"display": "none"})],
                       id=ids.ALERTS_BELL, n_clicks=0, type="button", className="nf-alerts-bell",
                       title="Alerts", **{"aria-label": bell_label(0), "aria-haspopup": "true",
                                          "aria-controls": ids.ALERTS_PANEL})
    panel = dbc.Popover([
        dbc.PopoverHeader("Alerts"),
        dbc.PopoverBody([html.Div(id=ids.ALERTS_STATUS, role="status", className="nf-kpi-sub"),
                         html.Div(id=ids.ALERTS_LIST, className="nf-alerts-list")]),
    ], id=ids.ALERTS_PANEL, target=ids.ALERTS_BELL, trigger="legacy", placement="bottom-end",
        className="nf-alerts-panel")
    return html.Div([bell, panel, dcc.Store(id=ids.ALERTS_ACTED)], id=ids.ALERTS, className="nf-alerts")


def _buttons(alert: Mapping) -> list:
    if alert["state"] == "acknowledged":
        return []
    name = alert["title"]
    snoozes = [html.Button(f"Snooze {label}", id=ids.alerts_action(action, alert["id"]), n_clicks=0, type="button",
                           className="nf-btn nf-btn-sm", **{"aria-label": f"Snooze {label}: {name}"})
               for action, (label, _hours) in SNOOZES.items()]
    return [html.Button("Acknowledge", id=ids.alerts_action("ack", alert["id"]), n_clicks=0, type="button",
                        className="nf-btn nf-btn-sm nf-btn-magenta", **{"aria-label": f"Acknowledge: {name}"}),
            *snoozes]


def _item(alert: Mapping, can_act: bool) -> html.Li:
    state = alert["state"]
    when = (alert.get("fired_at") or "")[:16].replace("T", " ")
    snoozed = f" until {alert['snoozed_until'][:16].replace('T', ' ')}" if state == "snoozed" and \
        alert.get("snoozed_until") else ""
    return html.Li([
        html.Div([html.Span(_STATE_LABELS.get(state, state.upper()), className=f"nf-alert-state is-{state}"),
                  html.Span(f"{when} UTC · {alert.get('rule_name', '')}{snoozed}", className="nf-kpi-sub")],
                 className="nf-alert-head"),
        html.P(alert["title"], className="nf-alert-title"),
        html.Div(_buttons(alert) if can_act else [], className="nf-alert-actions"),
    ], className=f"nf-alert is-{state}")


def alert_items(alerts: Sequence[Mapping], can_act: bool, total: int) -> html.Div | html.P:
    """The recent alerts (``core.alerts.list_alerts`` rows), newest first, and how many there are in all."""
    if not alerts:
        return html.P("No alerts yet. Create a rule on the Insights page to be told when something breaks.",
                      className="nf-kpi-sub")
    more = [html.P(f"Showing the newest {len(alerts)} of {total}.", className="nf-kpi-sub")] if total > len(alerts) \
        else []
    return html.Div([html.Ul([_item(alert, can_act) for alert in alerts], className="nf-alert-list"), *more,
                     dcc.Link("Alert rules on the Insights page", href="/insights?tab=rules",
                              className="nf-insight-link")])
