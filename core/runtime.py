"""What callbacks need at run time, found through the running Dash app (never by importing it)."""
from __future__ import annotations

import dash
from sqlalchemy import Engine

from core.settings import Settings
from data.store import DatasetVersion, current_version, get_engine
from data.watermark import Watermark, complete_through as store_complete_through

__all__ = ["SETTINGS_KEY", "current_settings", "store_engine", "dataset_version", "complete_through",
           "holiday_countries"]

SETTINGS_KEY = "FORESIGHT_SETTINGS"


def current_settings() -> Settings:
    """The Settings the app was created with."""
    return dash.get_app().server.config[SETTINGS_KEY]


def store_engine() -> Engine:
    """The pooled engine for the configured store."""
    return get_engine(current_settings().database_url)


def dataset_version() -> DatasetVersion | None:
    """The store's newest dataset version (None when the store is empty or not migrated)."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    try:
        return current_version(store_engine())
    except (OperationalError, ProgrammingError):
        return None


def complete_through() -> Watermark:
    """The store's last complete day and its source (the setting, the stream's clock or the data).

    Pass ``Watermark.iso`` into cached computations (``through=``) so it is part of their cache key.
    """
    return store_complete_through(store_engine(), current_settings().complete_through)


def holiday_countries() -> str:
    """The countries whose public holidays forecasts know (``FORESIGHT_HOLIDAY_COUNTRIES``): pass it into
    cached forecasts (``countries=``) so it is part of their cache key."""
    return current_settings().holiday_countries


def job_engine() -> Engine:
    """The store engine for a background job.

    Background jobs may run in a forked process; ``dispose(close=False)`` gives the
    child its own connection pool without touching the parent's connections.
    """
    engine = store_engine()
    engine.dispose(close=False)
    return engine
