"""Conformal interval widths from backtest errors, by horizon step and by day type.

The ensemble's backtests give, for every window and step, the absolute error of the combination
divided by its own predictive scale (the members' weighted 80%-interval standard deviation) — a
*score*. The interval for level L at a future step is the mean +/- q_L times that step's scale, where
q_L is a finite-sample conformal quantile of the scores that resemble the step:

- **Day type.** Event days (a promotion, a holiday or a commercial day) get their own scores when the
  backtests hold at least ``MIN_EVENT_SCORES`` of them; their multiplier is never below the one of
  ordinary days (an event day is not more predictable than an ordinary one). With fewer event scores the
  event days take the larger of the ordinary multiplier and the highest event score seen.
- **Step.** Scores are pooled over steps (a few windows give a few errors per step), the division by each
  step's own scale keeps the widening with the horizon.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Calibration", "MIN_EVENT_SCORES", "conformal_quantile", "fit_calibration"]

MIN_EVENT_SCORES = 10


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The finite-sample conformal quantile: the ceil((n + 1) L)-th smallest score (the largest if beyond n)."""
    scores = np.asarray(scores, dtype=float)
    n = scores.size
    if n == 0:
        raise ValueError("no scores to calibrate on; a backtest window is needed for conformal intervals.")
    rank = math.ceil((n + 1) * level / 100)
    return float(np.sort(scores)[min(rank, n) - 1])


@dataclass(frozen=True)
class Calibration:
    """Backtest scores with their horizon steps and day types (True = event day)."""

    scores: np.ndarray
    steps: np.ndarray
    events: np.ndarray

    def any_spread(self) -> bool:
        """Whether any backtest error was non-zero (a constant series has nothing to calibrate on)."""
        return bool(np.any(self.scores))

    def multiplier(self, level: float, steps: np.ndarray, events: np.ndarray | None = None) -> np.ndarray:
        """q_L for each future step (1-based ``steps``), event days (``events``) taking their own."""
        steps = np.asarray(steps)
        ordinary_scores = self.scores[~self.events] if (~self.events).any() else self.scores
        ordinary = conformal_quantile(ordinary_scores, level)
        out = np.full(steps.size, ordinary)
        if events is None or not np.any(events):
            return out
        event_scores = self.scores[self.events]
        if event_scores.size >= MIN_EVENT_SCORES:
            on_events = max(conformal_quantile(event_scores, level), ordinary)
        else:
            on_events = max(ordinary, float(event_scores.max()) if event_scores.size else ordinary)
        out[np.asarray(events, dtype=bool)] = on_events
        return out


def fit_calibration(scores: np.ndarray, steps: np.ndarray, events: np.ndarray | None = None) -> Calibration:
    """A :class:`Calibration` from backtest scores (``|error| / scale``) at 1-based ``steps``."""
    scores = np.asarray(scores, dtype=float)
    events = np.zeros(scores.size, dtype=bool) if events is None else np.asarray(events, dtype=bool)
    return Calibration(scores, np.asarray(steps, dtype=int), events)
