"""What a page shows when a callback cannot answer: the project's own message as it is, or — for anything
unexpected — a short text with an error id, the traceback going to the log only (``core.errors``).

The module name starts with an underscore so Dash's page scanner skips it.
"""
from __future__ import annotations

from dataclasses import dataclass

import dash_bootstrap_components as dbc

from components.messages import error_alert, unexpected_alert, unexpected_text
from core.errors import designed, report_unexpected

__all__ = ["Failure", "explained", "failure"]


@dataclass(frozen=True)
class Failure:
    """Why a callback could not answer: ``message`` for people, ``error_id`` when it was unexpected (logged)."""

    message: str
    what: str
    error_id: str | None = None

    @property
    def short(self) -> str:
        """For a chart or a status line: the message, or the error id alone."""
        if self.error_id is None:
            return self.message
        return f"Unexpected error (error id {self.error_id}); the details are in the server log."

    def alert(self, title: str) -> dbc.Alert:
        """``error_alert(title, message)``, or the unexpected-error alert with the id."""
        if self.error_id is None:
            return error_alert(title, self.message)
        return unexpected_alert(self.what, self.error_id)


def failure(exc: BaseException, what: str) -> Failure:
    """``exc`` as users see it; an unexpected one is logged with its traceback under a new error id. ``what`` says
    what failed, e.g. "computing the Overview"."""
    if designed(exc):
        text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)  # KeyError's str() adds quotes
        return Failure(str(text), what)
    error_id = report_unexpected(exc, what)
    return Failure(unexpected_text(what, error_id), what, error_id)


def explained(exc: BaseException, what: str) -> str:
    """``failure(exc, what).message``: for a line of text."""
    return failure(exc, what).message
