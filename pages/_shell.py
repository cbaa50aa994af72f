"""Callbacks of the app shell that every page shares (the header's data-freshness badge).

The module name starts with an underscore so the page scanner skips it; app.py imports it.
"""
from __future__ import annotations

import datetime as dt

from dash import Input, Output, callback

from analytics.freshness import describe_freshness
from components import ids
from components.layout import freshness_badge
from core.runtime import dataset_version, store_engine


@callback(Output(ids.FRESHNESS, "children"), Input(ids.URL, "pathname"), Input(f"{ids.FRESHNESS}-tick", "n_intervals"))
def update_freshness(_pathname, _ticks):
    """Show how recent the data is and which dataset version the pages use."""
    info = describe_freshness(store_engine(), dataset_version(), now=dt.datetime.now(dt.timezone.utc))
    return freshness_badge(info.status, info.text, info.detail)
