"""Backtest windows of the customer, demand and combined forecasts on the same cutoffs, and their scores.

Every window is scored the way the demand forecast is (:mod:`analytics.forecasting.metrics`): MASE with the
in-sample weekly seasonal-naive scale of the history up to the cutoff (m = 7), and the share of days inside the
80% and 95% intervals. The customer and combined forecasts' intervals and the combination's weights at a window
are learnt on the *other* windows (leave one window out), so coverage is measured out of sample; the demand
forecast's intervals are its own (calibrated on its own earlier backtests).

Combination: ``combined = w * demand + (1 - w) * customers`` with ``w = (1 / MASE_demand) / (1 / MASE_demand
+ 1 / MASE_customers)``, the MASEs averaged over the windows: inverse-MASE weights, the rule the demand
ensemble weights its members by.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.forecasting.customers._intervals import LEVELS, daily_bounds, daily_scores
from analytics.forecasting.metrics import interval_coverage, mase

__all__ = ["Window", "BACKTEST_COLUMNS", "score_windows", "demand_weight", "combine"]

SEASON = 7
BACKTEST_COLUMNS = ["model", "windows", "mase", "coverage-80", "coverage-95", "total_error", "weight"]
MODELS = ("demand", "customers", "combined")


@dataclass(frozen=True)
class Window:
    """One backtest cutoff: history, actuals and each model's daily forecast over the next ``h`` days."""

    cutoff: pd.Timestamp
    insample: np.ndarray
    actual: dict  # part -> (h,) actual revenue: existing, new, total
    customers: dict  # part -> (h,) customer forecast: existing, new, total
    demand: dict | None  # column -> (h,): mean, lo-80, hi-80, lo-95, hi-95


def _mase(window: Window, mean: np.ndarray) -> float:
    return mase(window.actual["total"], mean, window.insample, SEASON)


def demand_weight(windows: list[Window]) -> float:
    """The demand forecast's inverse-MASE weight over ``windows`` (the customer forecast gets the rest)."""
    demand = np.mean([_mase(w, w.demand["mean"]) for w in windows])
    customers = np.mean([_mase(w, w.customers["total"]) for w in windows])
    inverse = np.array([1.0 / max(demand, 1e-12), 1.0 / max(customers, 1e-12)])
    return float(inverse[0] / inverse.sum())


def combine(window: Window, weight: float) -> np.ndarray:
    """The combined daily forecast of one window."""
    return weight * window.demand["mean"] + (1 - weight) * window.customers["total"]


def _row(window: Window, model: str, mean: np.ndarray, bounds: dict) -> dict:
    actual = window.actual["total"]
    row = {"cutoff": window.cutoff, "model": model, "mase": _mase(window, mean),
           "total_error": float(mean.sum() / max(actual.sum(), 1e-9) - 1.0)}
    for level in LEVELS:
        lo, hi = bounds[level]
        row[f"coverage-{level}"] = interval_coverage(actual, lo, hi)
    return row


def _held_out_rows(windows: list[Window], k: int) -> list[dict]:
    """Window ``k`` scored with intervals (and combination weights) learnt on the other windows."""
    window, others = windows[k], windows[:k] + windows[k + 1:]
    customer = window.customers["total"]
    scores, steps = daily_scores([o.actual["total"] for o in others], [o.customers["total"] for o in others])
    rows = [_row(window, "customers", customer, daily_bounds(customer, scores, steps))]
    if window.demand is None:
        return rows
    demand = window.demand["mean"]
    rows.append(_row(window, "demand", demand, {lv: (window.demand[f"lo-{lv}"], window.demand[f"hi-{lv}"])
                                                for lv in LEVELS}))
    weight = demand_weight(others)
    combined = combine(window, weight)
    scores, steps = daily_scores([o.actual["total"] for o in others], [combine(o, weight) for o in others])
    rows.append({**_row(window, "combined", combined, daily_bounds(combined, scores, steps)), "weight": weight})
    return rows


def score_windows(windows: list[Window]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-window rows and the summary (``BACKTEST_COLUMNS``: means over windows, the weight in the forecast)."""
    rows = pd.DataFrame([row for k in range(len(windows)) for row in _held_out_rows(windows, k)])
    summary = rows.groupby("model", sort=False).agg(
        windows=("cutoff", "size"), mase=("mase", "mean"), **{f"coverage-{lv}": (f"coverage-{lv}", "mean")
                                                             for lv in LEVELS},
        total_error=("total_error", lambda e: float(np.mean(np.abs(e))))).reset_index()
    has_demand = windows[0].demand is not None
    weight = demand_weight(windows) if has_demand else np.nan
    summary["weight"] = summary["model"].map({"demand": weight, "customers": 1 - weight if has_demand else 1.0,
                                              "combined": 1.0})
    order = {m: i for i, m in enumerate(MODELS)}
    summary = summary.sort_values("model", key=lambda s: s.map(order)).reset_index(drop=True)
    return rows.drop(columns=[c for c in ("weight",) if c in rows.columns]), summary[BACKTEST_COLUMNS]
