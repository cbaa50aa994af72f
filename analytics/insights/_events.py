"""The candidate events of one fitted series: spikes and drops (runs of outlying days) and level shifts.

A **spike** (**drop**) is a run of consecutive days each at least ``DAY_Z`` local standard deviations above
(below) the baseline with its level shifts, at most ``MAX_RUN_DAYS`` long; its score is the run's combined
evidence ``|sum of z| / sqrt(days)`` (Stouffer's z: a one-day event's own z, two days of z = 4 score 5.7).
A longer run is a short-lived **level shift**. A **level shift** is a change point of the baseline
(:mod:`analytics.insights._baseline`); it lasts until a later step of the series takes back at least half of
it, else to the last day, and its score is the step's t statistic.

Sizes are in the metric's units: actual minus expected summed over the event's days, where expected is the
baseline without the event (a level shift's expected leaves its own step out); ``relative`` is that sum
over the expected sum.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.insights._baseline import SeriesFit, Step
from analytics.insights._series import Scope

__all__ = ["DAY_Z", "MAX_RUN_DAYS", "Candidate", "series_events"]

DAY_Z = 3.0
MAX_RUN_DAYS = 7


@dataclass(frozen=True)
class Candidate:
    """One event in one series: day positions ``first``..``last`` (inclusive)."""

    metric: str
    scope: Scope
    kind: str
    first: int
    last: int
    size: float
    relative: float
    expected: float
    score: float

    @property
    def sign(self) -> int:
        return 1 if self.size >= 0 else -1


def _runs(z: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) of every maximal run of same-signed days with |z| >= DAY_Z."""
    flag = np.where(z >= DAY_Z, 1, np.where(z <= -DAY_Z, -1, 0))
    runs, start = [], None
    for i, value in enumerate(np.append(flag, 0)):
        if start is not None and value != flag[start]:
            runs.append((start, i - 1))
            start = None
        if start is None and value != 0 and i < flag.size:
            start = i
    return runs


def _candidate(metric, scope, kind, first, last, actual, expected, score) -> Candidate:
    days = slice(first, last + 1)
    expected_sum = float(expected[days].sum())
    size = float(actual[days].sum()) - expected_sum
    relative = size / expected_sum if expected_sum > 0 else float("inf") if size > 0 else 0.0
    return Candidate(metric, scope, kind, first, last, size, relative, expected_sum, float(score))


def _shift_end(step: Step, steps: tuple[Step, ...], n: int) -> int:
    later = [s for s in steps if s.position > step.position]
    for other in sorted(later, key=lambda s: s.position):
        if np.sign(other.effect) != np.sign(step.effect) and abs(other.effect) >= 0.5 * abs(step.effect):
            return other.position - 1
    return n - 1


def series_events(metric: str, scope: Scope, fit: SeriesFit, min_score: float) -> list[Candidate]:
    """Every spike, drop and level shift of the series scoring at least ``min_score``."""
    n = fit.actual.size
    events = []
    with_steps = fit.expected(fit.steps)
    for first, last in _runs(fit.z):
        score = abs(float(fit.z[first:last + 1].sum())) / np.sqrt(last - first + 1)
        if score < min_score:
            continue
        kind = "level_shift" if last - first + 1 > MAX_RUN_DAYS else ("spike" if fit.z[first] > 0 else "drop")
        events.append(_candidate(metric, scope, kind, first, last, fit.actual, with_steps, score))
    for step in fit.steps:
        if abs(step.t) < min_score:
            continue
        without = fit.expected(tuple(s for s in fit.steps if s is not step))
        end = _shift_end(step, fit.steps, n)
        events.append(_candidate(metric, scope, "level_shift", step.position, end, fit.actual, without, abs(step.t)))
    return events
