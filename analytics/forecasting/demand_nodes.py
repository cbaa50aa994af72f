"""One node of the demand hierarchy: its ensemble, backtest scores, residuals, effects and event days.

``NodeTask`` carries what one node needs (picklable, so nodes can be fitted in worker processes);
``fit_node`` returns a ``NodeFit``. With a calendar (``NodeTask.calendar``) the members are event-adjusted
and the ensemble weighs and calibrates event days apart (see :mod:`analytics.forecasting.demand`); without
one the node is fitted as before the calendar existed (promotion flags for the boosted member only).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.forecasting._checks import usable_seasons
from analytics.forecasting.api import forecast
from analytics.forecasting.demand_calendar import (EFFECT_COLUMNS, EVENT_COLUMNS, NodeCalendar, marked_days,
                                                   measured_effects)
from analytics.forecasting.ensemble import EnsembleForecaster
from analytics.forecasting.members import default_members
from analytics.forecasting.events import EventAdjusted
from analytics.forecasting.gbm import GBMForecaster
from analytics.forecasting.models import MSTLForecaster, SeasonalNaive, Theta

__all__ = ["BACKTEST_COLUMNS", "LEVELS", "MIN_ENSEMBLE_POINTS", "SEASONS", "NodeFit", "NodeTask", "calendar_members",
           "fit_node"]

LEVELS = (50, 80, 90, 95, 99)
SEASONS = (7, 365)
N_WINDOWS = 3
N_COMPARABLE, COMPARABLE_PERIOD = 1, 364
MIN_SCORES, MAX_WINDOWS = 28, 8
BACKTEST_COLUMNS = ["model", "weight", "event_weight", "mase", "smape", "mase_events", "event_days"]
MIN_ENSEMBLE_POINTS = 2 * SEASONS[0] + 10


@dataclass(frozen=True)
class NodeTask:
    """One node's history and inputs: ``X``/``X_future`` are its regressors (the calendar's, when given)."""

    node: str
    ds: pd.DatetimeIndex
    y: np.ndarray
    X: np.ndarray | None
    X_future: np.ndarray | None
    calendar: NodeCalendar | None = None


@dataclass(frozen=True)
class NodeFit:
    node: str
    forecast: pd.DataFrame  # ds, mean, lo-*, hi-*, model
    backtest: pd.DataFrame  # BACKTEST_COLUMNS
    residuals: pd.DataFrame  # ds, residual (backtest errors, for MinT)
    effects: pd.DataFrame  # EFFECT_COLUMNS
    events: pd.DataFrame  # EVENT_COLUMNS


def calendar_members(seasons, cal: NodeCalendar) -> list:
    """Every member event-adjusted (the boosted one with its calendar features), plus Theta without it.

    In this order (:mod:`analytics.forecasting.explain` refits the members it explains from it): seasonal naive,
    Theta, MSTL, the gradient-boosted model, Theta without the calendar."""
    k, s = cal.n_events, list(seasons)
    return [EventAdjusted(SeasonalNaive(s), k, name="SeasonalNaive"), EventAdjusted(Theta(s), k, name="Theta"),
            EventAdjusted(MSTLForecaster(s), k, name="MSTL"),
            EventAdjusted(GBMForecaster(s, random_state=0, holdout=0.0), k, cal.base_columns, name="GBM"),
            EventAdjusted(Theta(s), 0, name="Theta (no calendar)")]


def _ensemble(task: NodeTask, seasons, h: int) -> EnsembleForecaster:
    if task.calendar is None:
        members = [*default_members(list(seasons)), GBMForecaster(list(seasons), random_state=0)]
        return EnsembleForecaster(members, season_length=list(seasons), h=h, n_windows=N_WINDOWS)
    return EnsembleForecaster(calendar_members(seasons, task.calendar), season_length=list(seasons), h=h,
                              n_windows=N_WINDOWS, day_type_column=task.calendar.day_type_column,
                              comparable_period=COMPARABLE_PERIOD, n_comparable=N_COMPARABLE,
                              n_calibration_windows=calibration_windows(h))


def calibration_windows(h: int) -> int:
    """Rolling windows that calibrate the intervals: enough for about ``MIN_SCORES`` backtest days (a 3-day
    forecast would otherwise calibrate its 95% interval on 12 errors), at most ``MAX_WINDOWS``."""
    return int(min(max(N_WINDOWS, math.ceil(MIN_SCORES / h)), MAX_WINDOWS))


def _smape(actual: np.ndarray, pred: np.ndarray) -> float:
    denom = np.abs(actual) + np.abs(pred)
    smape = np.where(denom > 0, 200 * np.abs(actual - pred) / np.where(denom > 0, denom, 1), 0.0)
    return float(np.mean(smape)) if actual.size else np.nan


def _mase(bt: pd.DataFrame, name: str, rows: np.ndarray) -> float:
    if not rows.any():
        return np.nan
    part = bt[rows]
    return float(np.mean(np.abs(part["y"] - part[name]) / part["scale"]))


def _backtest_rows(est: EnsembleForecaster) -> pd.DataFrame:
    bt = est.backtest_
    event = bt["event"].to_numpy(dtype=bool)
    weights = {**est.weights_, "ensemble": float(sum(est.weights_.values()))}
    event_weights = {**est.event_weights_, "ensemble": float(sum(est.event_weights_.values()))}
    rows = [{"model": name, "weight": weights.get(name, np.nan), "event_weight": event_weights.get(name, np.nan),
             "mase": est.mase_[name], "smape": _smape(bt["y"].to_numpy(), bt[name].to_numpy()),
             "mase_events": _mase(bt, name, event), "event_days": int(event.sum())} for name in est.mase_]
    return pd.DataFrame(rows, columns=BACKTEST_COLUMNS)


def _fallback(task: NodeTask, h: int) -> NodeFit:
    """The batch API's documented fallback for a series too short or too flat for the ensemble."""
    frame = forecast(pd.DataFrame({"unique_id": task.node, "ds": task.ds, "y": task.y}), h, list(SEASONS),
                     level=LEVELS)
    return NodeFit(task.node, frame.drop(columns=["unique_id"]), pd.DataFrame(columns=BACKTEST_COLUMNS),
                   pd.DataFrame(columns=["ds", "residual"]), pd.DataFrame(columns=EFFECT_COLUMNS),
                   pd.DataFrame(columns=EVENT_COLUMNS))


def fit_node(task: NodeTask, h: int) -> NodeFit:
    """Fit one node's ensemble and collect its forecast, backtest scores, residuals, effects and event days."""
    if task.y.size < MIN_ENSEMBLE_POINTS or np.ptp(task.y) == 0:
        return _fallback(task, h)
    seasons = usable_seasons(SEASONS, task.y.size)
    est = _ensemble(task, seasons, h).fit(task.y, task.X)
    frame = est.predict(h, level=LEVELS, X_future=task.X_future)
    if task.calendar is not None:  # events never seen before, with the lift an analyst expects: on every member
        columns = [c for c in frame.columns if c == "mean" or c.startswith(("lo-", "hi-"))]
        frame[columns] = frame[columns].mul(np.exp(task.X_future[:h, task.calendar.n_events]), axis=0)
    frame.insert(0, "ds", pd.date_range(task.ds[-1], periods=h + 1, freq="D")[1:])
    frame["model"] = "ensemble" if not est.fallback_ else f"{max(est.weights_, key=est.weights_.get)} (best member)"
    bt = est.backtest_
    residuals = pd.DataFrame({"ds": task.ds[bt["cutoff"].to_numpy() + bt["step"].to_numpy() - 1],
                              "residual": (bt["y"] - bt["ensemble"]).to_numpy()})
    if task.calendar is None:
        return NodeFit(task.node, frame, _backtest_rows(est), residuals, pd.DataFrame(columns=EFFECT_COLUMNS),
                       pd.DataFrame(columns=EVENT_COLUMNS))
    effects, fit = measured_effects(task.y, task.calendar)
    return NodeFit(task.node, frame, _backtest_rows(est), residuals, effects,
                   marked_days(task.calendar, fit, task.ds[-1]))
