"""What the Health page's sections read from ``core.health``, turned into the plain data the builders take.

The module name starts with an underscore so Dash's page scanner skips it; pages/health.py calls it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
from sqlalchemy.engine import Engine

from analytics.health import DETECTOR_DEFAULTS, stream_scores
from components.health_figures import load_forecast_figure, metric_figure
from components.health_ops import actions_list, calendar, component_detail, runbook_catalogue
from core.cache import cached_call
from core.health import (METRICS, capacity_plan, component_predictions, list_actions, list_incidents,
                         maintenance_calendar, read_series)
from core.health import runbook_catalogue as read_runbooks

DETAIL_WINDOW = dt.timedelta(hours=6)
CALENDAR_DAYS = 7
HISTORY_DAYS = 30
CAPACITY_HISTORY = dt.timedelta(days=90)
ACTIONS_SHOWN = 20
SEED_SPAN = dt.timedelta(hours=6)  # the history the detector reads before the chart's first point
# Which component a maintenance task looks after (its drill-down lists the task's runs).
TASK_COMPONENTS = {"vacuum": "store", "backup": "store", "downsample": "store", "cache_prune": "cache",
                   "retrain": "model"}


def plain(item) -> dict:
    """A dataclass or a mapping from core.health as a plain dict (``to_dict`` when it has one)."""
    if hasattr(item, "to_dict"):
        return item.to_dict()
    if dataclasses.is_dataclass(item):
        return dataclasses.asdict(item)
    return dict(item)


def gauge_history(engine: Engine, gauges: Sequence[str], window: dt.timedelta) -> dict[str, tuple[list, list]]:
    """Each gauge's points over the last ``window`` (to its newest point) as ``(times, values)``."""
    since = dt.datetime.now(dt.timezone.utc) - window
    history = {}
    for name in gauges:
        component, metric = name.split(".", 1)
        frame = read_series(engine, component, metric, since)
        history[name] = (frame["at"].dt.strftime("%Y-%m-%d %H:%M:%S").tolist(), frame["value"].tolist())
    return history


def incidents(engine: Engine) -> tuple[list[dict], list[dict]]:
    """(open incidents, resolved ones), newest first, as plain dicts with their signals, causes and actions."""
    found = [plain(incident) for incident in list_incidents(engine, limit=50)]
    return ([item for item in found if item.get("state") == "open"],
            [item for item in found if item.get("state") != "open"])


def anomaly_scores(values: Sequence[float]) -> list[float | None]:
    """The monitor's streaming detector's score of every point, each from the points up to it (as the monitor
    scores, without damping after an alarm); None while it has seen fewer than ``min_history`` points."""
    scores = stream_scores(np.asarray(values, dtype=float), suppressed_factor=1.0).tolist()
    warmup = DETECTOR_DEFAULTS["min_history"]
    return [None] * min(warmup, len(scores)) + scores[warmup:]


def metric_charts(engine: Engine, component: str, now: dt.datetime) -> list[tuple[str, dict]]:
    """Every metric of ``component`` recorded in the last hours, with its anomaly scores (the detector reads the
    6 hours before the chart first, as the monitor's detector is seeded on its history)."""
    charts = []
    start = now - DETAIL_WINDOW
    for metric in METRICS.get(component, ()):
        frame = read_series(engine, component, metric, start - SEED_SPAN)
        if frame.empty:
            continue
        scores = anomaly_scores(frame["value"].tolist())
        shown = (frame["at"] >= start).to_numpy()
        if not shown.any():
            continue
        values = frame["value"][shown].tolist()
        times = frame["at"][shown].dt.strftime("%Y-%m-%d %H:%M:%S").tolist()
        scores = [score for score, keep in zip(scores, shown) if keep]
        charts.append((metric, metric_figure(f"{component}.{metric}", times, values, scores,
                                             threshold=DETECTOR_DEFAULTS["alarm"])))
    return charts


def maintenance_history(engine: Engine, component: str, now: dt.datetime) -> list[dict]:
    """The component's maintenance tasks of the last 30 days that ran (or failed, or were skipped), newest first."""
    tasks = [plain(task) for task in maintenance_calendar(engine, now - dt.timedelta(days=HISTORY_DAYS), now)]
    ran = [task for task in tasks if TASK_COMPONENTS.get(task.get("task")) == component
           and task.get("state") in ("done", "failed", "skipped", "running")]
    return sorted(ran, key=lambda task: str(task.get("finished_at") or task.get("due_at")), reverse=True)


def detail(engine: Engine, settings, component: str, now: dt.datetime):
    """The drill-down of ``component``: metrics with scores, predictions, maintenance history."""
    predictions = [plain(item) for item in component_predictions(engine, component, now, settings)]
    return component_detail(component, metric_charts(engine, component, now), predictions,
                            maintenance_history(engine, component, now))


def operations(engine: Engine, now: dt.datetime, remediate: bool, settings_admin: bool) -> tuple:
    """The maintenance calendar (next 7 days) and the runbook catalogue (buttons for ``settings_admin``), and the
    recent actions (Approve and Reject for ``remediate``)."""
    tasks = [plain(task) for task in maintenance_calendar(engine, now, now + dt.timedelta(days=CALENDAR_DAYS))]
    books = [plain(book) for book in read_runbooks(engine)]
    actions = [plain(action) for action in list_actions(engine, limit=ACTIONS_SHOWN)]
    return (calendar(tasks, settings_admin), runbook_catalogue(books, settings_admin),
            actions_list(actions, remediate))


def _forecast_band(records) -> dict[str, list]:
    """A capacity plan's hourly forecast records (``at, mean, lo-80, hi-80``: the band), when the plan carries them."""
    records = records if isinstance(records, list) else []
    return {"at": [str(r.get("at")) for r in records], "mean": [r.get("mean") for r in records],
            "lower": [r.get("lo-80") for r in records], "upper": [r.get("hi-80") for r in records]}


def _plan_tiles(label: str, item: Mapping) -> list[tuple]:
    """Two tiles of one plan: the workers recommended for 90 days, and the day the current setting runs out."""
    current = item.get("current_workers")
    horizons = item.get("horizons") or []
    if item.get("status") != "planned" or not horizons:
        return [(label, "—", f"now {current}; {item.get('sentence') or 'not enough history yet'}")]
    longest = max(horizons, key=lambda h: h["days"])
    runs_out = item.get("runs_out_on")
    return [(label, str(longest["recommended_workers"]), f"recommended for {longest['days']} days (now {current})"),
            (f"{label}: enough until", str(runs_out)[:10] if runs_out else f"> {longest['days']} days",
             f"when {current} can no longer keep up" if runs_out else f"{current} keep up for the whole forecast")]


def _hourly_plan(engine: Engine, settings, *, hour: dt.datetime, store: str) -> dict:
    """The capacity plan as of ``hour`` (``store`` only keys the cache: one plan per store)."""
    return capacity_plan(engine, settings, hour)


def capacity(engine: Engine, settings, now: dt.datetime) -> tuple[list, list, str]:
    """(tiles, (id suffix, figure) pairs, a sentence per plan) of the web and background-worker capacity plans.

    The plan fits a forecast to hourly load (about a second on 90 days), so it is made once an hour and kept in the
    results cache, keyed by the hour where the pages key by the dataset version."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    plans = cached_call(_hourly_plan, int(hour.replace(tzinfo=dt.timezone.utc).timestamp()) // 3600, engine,
                        settings, hour=hour, store=settings.database_url)
    tiles, figures, notes = [], [], []
    for key, label, (component, metric), title in (
            ("web", "Web workers", ("web", "request_rate"), "Requests per second, 30/90 days ahead"),
            ("worker", "Background workers", ("worker", "queue_length"), "Jobs waiting, 30/90 days ahead")):
        item = plain(plans.get(key) or {})
        tiles += _plan_tiles(label, item)
        frame = read_series(engine, component, metric, now - CAPACITY_HISTORY)
        history = (frame["at"].dt.strftime("%Y-%m-%d %H:%M").tolist(), frame["value"].tolist())
        capacity_line = item.get("current_capacity")
        figures.append((key, load_forecast_figure(title, history, _forecast_band(item.get("forecast")),
                                                  capacity=capacity_line, peaks=item.get("horizons") or [])))
        if item.get("status") == "planned" and item.get("sentence"):  # otherwise its tile says why not
            notes.append(f"{label}: {item['sentence']}")
    return tiles, figures, " ".join(notes)
