"""The header's alert centre: the unread count on the bell and the recent alerts in its panel, read again when the
page loads, when a new dataset version arrives (the push channel's store: the alert watcher runs the rules for each
version) and when the panel opens; Acknowledge and Snooze need ``Permission.ALERTS`` (the request guard refuses
anyone else).

The module name starts with an underscore so the page scanner skips it; pages/_shell.py imports it.
"""
from __future__ import annotations

import datetime as dt
import time

from dash import ALL, Input, Output, callback, ctx, no_update

from components import ids
from components.alerts import SNOOZES, alert_items, bell_label
from core import alerts
from core.auth import Permission, audit, audit_request, current_principal, protect_callback
from core.runtime import store_engine
from pages._errors import failure
from pages._jobs import allowed

__all__ = ["RECENT", "refresh_alerts", "act_on_alert"]

RECENT = 10  # alerts listed in the panel
_HIDDEN, _SHOWN = {"display": "none"}, {}

protect_callback([ids.ALERTS_ACTED], Permission.ALERTS, audit=None)  # audited below, with the alert's id


def _count_text(unread: int) -> str:
    return "99+" if unread > 99 else str(unread)


@callback(Output(ids.ALERTS_COUNT, "children"), Output(ids.ALERTS_COUNT, "style"),
          Output(ids.ALERTS_BELL, "aria-label"), Output(ids.ALERTS_LIST, "children"),
          Input(ids.DATASET_VERSION, "data"), Input(ids.ALERTS_ACTED, "data"), Input(ids.ALERTS_BELL, "n_clicks"))
def refresh_alerts(_known, _acted, _opened):
    """The unread count on the bell and the newest alerts in the panel."""
    try:
        engine = store_engine()
        unread = alerts.unread_count(engine)
        total, recent = alerts.list_alerts(engine, limit=RECENT)
    except Exception as exc:  # noqa: BLE001 — a store without the alert tables says so in the panel
        return "!", _SHOWN, "Alerts cannot be read", failure(exc, "reading the alerts").alert("Alerts unavailable")
    return (_count_text(unread), _SHOWN if unread else _HIDDEN, bell_label(unread),
            alert_items(recent, allowed(Permission.ALERTS), total))


def _snooze_until(hours: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=hours)


@callback(Output(ids.ALERTS_ACTED, "data"), Output(ids.ALERTS_STATUS, "children"),
          Input(ids.alerts_action(ALL, ALL), "n_clicks"), prevent_initial_call=True)
def act_on_alert(_clicks):
    """Acknowledge an alert, or snooze it for an hour or a day (it leaves the unread count until then)."""
    trigger, principal = ctx.triggered_id, current_principal()
    if not isinstance(trigger, dict) or not ctx.triggered[0]["value"] or principal is None:
        return no_update, no_update  # new buttons arrive with n_clicks=0
    event_id, action = int(trigger["alert"]), trigger["action"]
    try:
        if action == "ack":
            alerts.acknowledge(store_engine(), event_id, principal.username)
            audit_request(audit.ALERT_ACK, target=f"alert:{event_id}")
            text = "Acknowledged."
        else:
            label, hours = SNOOZES[action]
            until = _snooze_until(hours)
            alerts.snooze(store_engine(), event_id, until, principal.username)
            audit_request(audit.ALERT_SNOOZE, target=f"alert:{event_id}", detail={"until": until.isoformat()})
            text = f"Snoozed for {label}."
    except Exception as exc:  # noqa: BLE001 — an alert gone meanwhile says so; anything else gets an error id
        return no_update, failure(exc, "acting on the alert").short
    return {"id": event_id, "action": action, "at": time.time()}, text
