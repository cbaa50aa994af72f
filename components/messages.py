"""User-facing messages: what is wrong and what to do, never a traceback."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

__all__ = ["error_alert", "unexpected_alert", "unexpected_text"]


def error_alert(title: str, detail: str) -> dbc.Alert:
    """A dismissable warning with a bold title and a specific explanation."""
    return dbc.Alert([html.Strong(f"{title}: "), detail], color="warning", dismissable=True,
                     className="nf-alert")


def unexpected_text(what: str, error_id: str) -> str:
    """What a user reads when ``what`` (e.g. "computing the Overview") failed unexpectedly: try again, and the error
    id that finds the details in the server log."""
    return (f"Something unexpected went wrong while {what} (error id {error_id}). Try again or reload the page; if it "
            f"keeps happening, give your administrator the error id {error_id}: the details are in the server log.")


def unexpected_alert(what: str, error_id: str) -> dbc.Alert:
    """``error_alert`` for an unexpected failure, with its error id."""
    return error_alert("Unexpected error", unexpected_text(what, error_id))
