"""Callbacks of the app shell that every page shares: live dataset version and freshness badge.

The module name starts with an underscore so the page scanner skips it; app.py imports it.
"""
from __future__ import annotations

import datetime as dt
import time

from dash import Input, Output, State, callback, no_update

from analytics.freshness import describe_freshness
from components import ids
from components.layout import freshness_badge
from core.runtime import complete_through, dataset_version, store_engine

@callback(Output(ids.DATASET_VERSION, "data"), Input(ids.VERSION_POLL, "n_intervals"),
          State(ids.DATASET_VERSION, "data"))
def poll_dataset_version(_ticks, known):
    """Publish the store's dataset version app-wide whenever it changes (one indexed lookup)."""
    version = dataset_version()
    number = version.version if version else None
    if known and known.get("version") == number:
        return no_update
    return {"version": number, "changed_at": int(time.time() * 1000), "first": known is None}


@callback(Output(ids.FRESHNESS, "children"), Input(ids.DATASET_VERSION, "data"), Input(ids.URL, "pathname"))
def update_freshness(known, _pathname):
    """Show how recent the data is, which dataset version the pages use, and whether new data
    arrived while the page was open (LIVE)."""
    version = dataset_version()
    through = complete_through().through if version is not None else None
    info = describe_freshness(store_engine(), version, now=dt.datetime.now(dt.timezone.utc), complete_through=through)
    live = bool(known) and not known.get("first")
    return freshness_badge(info.status, info.text, info.detail, live=live)
