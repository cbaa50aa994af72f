"""Conformal interval widths from backtest errors, by horizon step and by day type.

The ensemble's backtests give, for every window and step, the absolute error of the combination
divided by its own predictive scale (the members' weighted 80%-interval standard deviation) — a
*score*. The interval for level L at a future step is the mean +/- q_L times that step's scale, where
q_L is a finite-sample conformal quantile of the scores that resemble the step:

- **Step.** Each future step takes the larger of two quantiles of the ordinary days' scores: the one of
  all steps pooled, and the one of the ``min_step_scores`` scores from the nearest backtest steps (the
  step itself, then its neighbours on both sides). The members' scale often grows with the horizon at
  another pace than the errors do (on M4 Hourly it is too narrow for the first hours: pooled, the first
  12 steps covered 66% at 80% on validation), and a few windows give only a few errors per step, so a
  step's own quantile alone would be noisy and too narrow as often as too wide. Taking the larger keeps
  the pooled quantile's stability and widens only the steps whose nearby errors say so.
- **Day type.** Event days (a promotion, a holiday or a commercial day) get their own scores when the
  backtests hold at least ``MIN_EVENT_SCORES`` of them; their multiplier is never below the one of
  ordinary days at that step (an event day is not more predictable than an ordinary one). With fewer
  event scores the event days take the larger of the ordinary multiplier and the highest event score seen.
- **Small samples.** The quantile is the ceil((n + 1) L)-th smallest of n scores, the finite-sample
  conformal rank (with fewer than 1 / (1 - L) - 1 scores that rank is beyond n and the largest is used).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Calibration", "MIN_EVENT_SCORES", "MIN_STEP_SCORES", "conformal_quantile", "fit_calibration"]

MIN_EVENT_SCORES = 10
MIN_STEP_SCORES = 40  # scores behind a step's own quantile; chosen on the M4 validation split (docs/benchmarks.md)


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The finite-sample conformal quantile: the ceil((n + 1) L)-th smallest score (the largest if beyond n)."""
    scores = np.asarray(scores, dtype=float)
    n = scores.size
    if n == 0:
        raise ValueError("no scores to calibrate on; a backtest window is needed for conformal intervals.")
    rank = math.ceil((n + 1) * level / 100)
    return float(np.sort(scores)[min(rank, n) - 1])


def _nearest(score_steps: np.ndarray, step: int, count: int) -> np.ndarray:
    """Mask of the scores from the steps nearest ``step``: the smallest radius holding at least ``count``."""
    distance = np.abs(score_steps - step)
    if distance.size <= count:
        return np.ones(distance.size, dtype=bool)
    return distance <= np.partition(distance, count - 1)[count - 1]


@dataclass(frozen=True)
class Calibration:
    """Backtest scores with their horizon steps and day types (True = event day).

    ``min_step_scores`` is how many scores from the nearest steps make a step's own quantile.
    """

    scores: np.ndarray
    steps: np.ndarray
    events: np.ndarray
    min_step_scores: int = MIN_STEP_SCORES

    def any_spread(self) -> bool:
        """Whether any backtest error was non-zero (a constant series has nothing to calibrate on)."""
        return bool(np.any(self.scores))

    def _ordinary(self, level: float, steps: np.ndarray) -> np.ndarray:
        """Per future step: max(pooled quantile, quantile of the nearest steps' scores), ordinary days."""
        use = ~self.events if (~self.events).any() else np.ones(self.scores.size, dtype=bool)
        scores, score_steps = self.scores[use], self.steps[use]
        pooled = conformal_quantile(scores, level)
        own = {int(s): conformal_quantile(scores[_nearest(score_steps, int(s), self.min_step_scores)], level)
               for s in np.unique(steps)}
        return np.array([max(pooled, own[int(s)]) for s in steps], dtype=float)

    def multiplier(self, level: float, steps: np.ndarray, events: np.ndarray | None = None) -> np.ndarray:
        """q_L for each future step (1-based ``steps``), event days (``events``) taking their own."""
        steps = np.atleast_1d(np.asarray(steps, dtype=int))
        out = self._ordinary(level, steps)
        if events is None or not np.any(events):
            return out
        event_scores = self.scores[self.events]
        if event_scores.size >= MIN_EVENT_SCORES:
            on_events = conformal_quantile(event_scores, level)
        else:
            on_events = float(event_scores.max()) if event_scores.size else 0.0
        flagged = np.asarray(events, dtype=bool)
        out[flagged] = np.maximum(out[flagged], on_events)
        return out


def fit_calibration(scores: np.ndarray, steps: np.ndarray, events: np.ndarray | None = None,
                    min_step_scores: int = MIN_STEP_SCORES) -> Calibration:
    """A :class:`Calibration` from backtest scores (``|error| / scale``) at 1-based ``steps``.

    ``min_step_scores`` (>= 1): scores from the nearest steps behind each step's own quantile.
    """
    scores = np.asarray(scores, dtype=float)
    steps = np.asarray(steps, dtype=int)
    events = np.zeros(scores.size, dtype=bool) if events is None else np.asarray(events, dtype=bool)
    if not scores.size == steps.size == events.size:
        raise ValueError(f"scores ({scores.size}), steps ({steps.size}) and events ({events.size}) must have "
                         "one entry per backtest point; pass them from the same backtest frame.")
    if int(min_step_scores) < 1:
        raise ValueError(f"min_step_scores must be >= 1, got {min_step_scores!r}; e.g. {MIN_STEP_SCORES}.")
    return Calibration(scores, steps, events, int(min_step_scores))
