"""Unexpected errors: logged with their traceback under a short error id; users see the id, never Python's text.

The project's own ``ValueError`` and ``LookupError`` messages are written for users (what is wrong, where, what to
do: STYLE.md's rule), so they are shown as they are. The same types raised inside a library or by a built-in
(pandas, SQLAlchemy, ``date.fromisoformat``) carry Python's wording, and are treated as unexpected: ``designed``
tells them apart by where the exception was raised — a ``raise`` statement in this project's code.
"""
from __future__ import annotations

import linecache
import logging
import secrets
from pathlib import Path

__all__ = ["designed", "report_unexpected"]

log = logging.getLogger(__name__)

_ROOT = Path(__file__).resolve().parent.parent
_LIBRARIES = ("site-packages", "dist-packages", ".venv")


def designed(exc: BaseException) -> bool:
    """Whether ``exc`` is one of the project's messages for users: a ValueError or LookupError raised by a ``raise``
    statement (not a bare re-raise) in the project's own code."""
    if not isinstance(exc, (ValueError, LookupError)) or exc.__traceback__ is None:
        return False
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    path = Path(tb.tb_frame.f_code.co_filename)
    if not path.is_absolute() or not path.resolve().is_relative_to(_ROOT) or \
            any(part in _LIBRARIES for part in path.parts):
        return False
    line = linecache.getline(str(path), tb.tb_lineno).strip()
    return line.startswith("raise ") and line != "raise"


def report_unexpected(exc: BaseException, where: str) -> str:
    """Log ``exc`` with its traceback under a new error id and return the id (8 hex digits) to show the user."""
    error_id = secrets.token_hex(4)
    log.error("error id %s: unexpected error in %s", error_id, where, exc_info=exc)
    return error_id
