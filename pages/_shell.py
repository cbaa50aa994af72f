"""Callbacks of the app shell that every page shares: the dataset version (fallback polling; the push channel,
assets/push.js, fills it while it works), the freshness badge, the signed-in user (and the alert centre, in
pages/_alerts.py).

The module name starts with an underscore so the page scanner skips it; app.py imports it.
"""
from __future__ import annotations

import datetime as dt
import time

from dash import Input, Output, State, callback, no_update

from analytics.freshness import describe_freshness
from components import ids
from components.layout import freshness_badge, user_menu
from core.auth import Permission, current_principal
from core.runtime import complete_through, dataset_version, store_engine
from pages import _alerts  # noqa: F401  (the alert centre's callbacks, in the header of every page)
from pages import _chat  # noqa: F401  (the chat panel's callbacks, docked on every page)
from pages._errors import failure

@callback(Output(ids.DATASET_VERSION, "data"), Input(ids.VERSION_POLL, "n_intervals"),
          Input(ids.VERSION_POLL_NOW, "data"), State(ids.DATASET_VERSION, "data"), prevent_initial_call=True)
def poll_dataset_version(_ticks, _asked, known):
    """Fallback while the push channel is blocked: publish the store's dataset version app-wide when it changed."""
    version = dataset_version()
    number = version.version if version else None
    if known and known.get("version") == number:
        return no_update
    return {"version": number, "changed_at": int(time.time() * 1000), "first": known is None}


@callback(Output(ids.FRESHNESS, "children"), Input(ids.DATASET_VERSION, "data"), Input(ids.URL, "pathname"))
def update_freshness(known, _pathname):
    """Show how recent the data is, which dataset version the pages use, and whether new data
    arrived while the page was open (LIVE). A store that cannot be read says so, with the error id of the
    logged details when the failure was unexpected."""
    try:
        version = dataset_version()
        through = complete_through().through if version is not None else None
        info = describe_freshness(store_engine(), version, now=dt.datetime.now(dt.timezone.utc),
                                  complete_through=through)
    except Exception as exc:  # noqa: BLE001 - the header says the data cannot be read instead of a 500
        failed = failure(exc, "reading how recent the data is")
        label = f"DATA ERROR · ID {failed.error_id}" if failed.error_id else "DATA ERROR"
        return freshness_badge("stale", label, failed.message)
    live = bool(known) and not known.get("first")
    return freshness_badge(info.status, info.text, info.detail, live=live)


@callback(Output(ids.HEADER_USER, "children"), Input(ids.HEADER_USER, "id"))
def show_user(_loaded):
    """Name, role and Logout for the signed-in user (once per page load); "Embedded view" inside an embed link."""
    principal = current_principal()
    if principal is None:
        return []
    return user_menu(principal.username, principal.role, embedded=principal.kind == "embed",
                     admin=principal.can(Permission.MANAGE_USERS))
