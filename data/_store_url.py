"""Database URLs for the store and SQL sources: the driver picked explicitly, bad URLs named.

Private to ``data`` (``data.store.engine_url`` is its face). SQLAlchemy 2.1 maps a plain
``postgresql://`` URL to psycopg 3, which is not installed; the documented plain form gets
psycopg2 (requirements.txt) here, so it never fails with ``No module named 'psycopg'``.
"""

from __future__ import annotations

import re

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["engine_url"]

# Backend -> the drivers installed for it; the first one is used when the URL names none.
_DRIVERS = {"postgresql": ("psycopg2",), "sqlite": ("pysqlite",)}
_ALIASES = {"postgres": "postgresql"}  # Heroku-style URLs
_EXAMPLES = "postgresql://user@host:5432/db or sqlite:///path/to/foresight.db"
_PASSWORD = re.compile(r"(//[^/:@]*:)[^@/]*@")


def _shown(text: str) -> str:
    """A URL for a message: the password replaced by ***, at most 120 characters."""
    return _PASSWORD.sub(r"\1***@", text)[:120]


def engine_url(url: str | URL) -> URL:
    """``url`` parsed, with the installed driver made explicit; ValueError names what is wrong.

    ``postgresql://`` and ``postgres://`` become ``postgresql+psycopg2://``; ``sqlite://`` forms
    stay as they are. An unknown database, a driver that is not installed, or text that is not
    a URL at all raise ValueError with the URL (password hidden) and the forms that work.
    """
    text = url.render_as_string(hide_password=False) if isinstance(url, URL) else str(url).strip()
    if not text:
        raise ValueError(f"no database URL given; set FORESIGHT_DATABASE_URL or --database-url, e.g. {_EXAMPLES}")
    try:
        parsed = make_url(text)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise ValueError(f"{_shown(text)!r} is not a database URL; write e.g. {_EXAMPLES}") from None
    backend, _, driver = parsed.drivername.partition("+")
    backend = _ALIASES.get(backend, backend)
    shown = _shown(text)
    if backend not in _DRIVERS:
        raise ValueError(f"database {backend!r} in {shown} is not supported; use {_EXAMPLES}")
    if driver and driver not in _DRIVERS[backend]:
        raise ValueError(f"driver {driver!r} in {shown} is not installed; write {backend}:// (the store uses "
                         f"{_DRIVERS[backend][0]})")
    if backend == "postgresql":
        return parsed.set(drivername=f"postgresql+{_DRIVERS['postgresql'][0]}")
    return parsed
