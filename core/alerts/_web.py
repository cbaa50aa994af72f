"""Wiring the watcher into the web app: one ``AlertWatcher`` per process, started by the first request it serves.

Starting on the first request (not at import) puts the thread in each gunicorn worker after the fork, and never in
a process that only imports the app (a test, the page scanner). ``FORESIGHT_ALERT_POLL_SECONDS=0`` leaves it off.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

from core.alerts._watcher import AlertWatcher
from data.store import get_engine

if TYPE_CHECKING:  # core.settings imports core.alerts.config: no import of it at run time
    from core.settings import Settings

__all__ = ["WATCHER_KEY", "init_alerts", "watcher_of"]

WATCHER_KEY = "foresight_alerts"


def init_alerts(server: Flask, settings: "Settings") -> AlertWatcher:
    """Install this process's alert watcher (``server.extensions["foresight_alerts"]``), started lazily."""
    watcher = AlertWatcher(get_engine(settings.database_url), settings.alerts,
                           complete_through=settings.complete_through)
    server.extensions[WATCHER_KEY] = watcher
    server.before_request(watcher.ensure_started)
    return watcher


def watcher_of(server: Flask) -> AlertWatcher:
    """The watcher ``init_alerts`` installed."""
    return server.extensions[WATCHER_KEY]
