"""Conformal intervals from the backtests' relative errors (:mod:`analytics.forecasting.conformal`).

- **Daily.** A backtest day's score is ``|actual - forecast| / forecast``; the interval of a future day at
  step s is ``mean * (1 -/+ q_L(s))`` with ``q_L`` the conformal quantile of the scores at the steps nearest s
  (``fit_calibration``'s rule: the larger of the pooled and the nearest steps' quantile), floored at 0.
- **Totals.** The interval of the sum over the first k days uses the same rule on the relative errors of
  the backtests' running sums, so the 90-day total gets the spread the 90-day totals showed (its daily
  errors partly cancel, which summing daily bounds would ignore). With few windows this is about the
  largest backtest error of the total.
"""
from __future__ import annotations

import numpy as np

from analytics.forecasting.conformal import fit_calibration

__all__ = ["LEVELS", "daily_bounds", "relative_multiplier", "running_scores", "daily_scores"]

LEVELS = (80, 95)
_TINY = 1e-9


def daily_scores(actuals: list[np.ndarray], forecasts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Relative errors of every backtest day and their 1-based steps."""
    scores = [np.abs(a - f) / np.maximum(f, _TINY) for a, f in zip(actuals, forecasts)]
    steps = [np.arange(1, s.size + 1) for s in scores]
    return np.concatenate(scores), np.concatenate(steps)


def running_scores(actuals: list[np.ndarray], forecasts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Relative errors of the backtests' running sums (the total of the first k days) and their k."""
    return daily_scores([np.cumsum(a) for a in actuals], [np.cumsum(f) for f in forecasts])


def relative_multiplier(scores: np.ndarray, steps: np.ndarray, level: float, at: np.ndarray) -> np.ndarray:
    """The conformal multiplier ``q_L`` at steps ``at`` (0 when there are no scores or no error at all)."""
    if scores.size == 0 or not np.any(scores):
        return np.zeros(np.size(at))
    return fit_calibration(scores, steps).multiplier(level, np.asarray(at))


def daily_bounds(mean: np.ndarray, scores: np.ndarray, steps: np.ndarray, levels=LEVELS) -> dict:
    """``{level: (lo, hi)}`` around a daily forecast ``mean`` (steps 1..h)."""
    at = np.arange(1, mean.size + 1)
    out = {}
    for level in levels:
        q = relative_multiplier(scores, steps, level, at)
        out[level] = (np.maximum(mean * (1 - q), 0.0), mean * (1 + q))
    return out
