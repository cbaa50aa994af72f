"""User-facing messages: what is wrong and what to do, never a traceback."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

__all__ = ["error_alert"]


def error_alert(title: str, detail: str) -> dbc.Alert:
    """A dismissable warning with a bold title and a specific explanation."""
    return dbc.Alert([html.Strong(f"{title}: "), detail], color="warning", dismissable=True,
                     className="nf-alert")
