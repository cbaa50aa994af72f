"""Memory-leak detection for one process's RSS: a robust trend that must be significant and large.

The series is binned onto a regular grid (at most ``max_points`` bins, mean per bin). The trend is the
Theil–Sen slope (median of pairwise slopes: a garbage-collection sawtooth, whose rises and drops cancel over
whole cycles, has a slope near zero); its significance is the Mann–Kendall test for an increasing trend.
Neighbouring bins are correlated, which makes the p-value optimistic, so a leak also needs the size-relative
threshold: the trend must add at least ``min_growth`` of the median level over the window. When it leaks, the
start is the breakpoint of the best flat-then-linear (hinge) fit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm, theilslopes

from analytics.health._series import check_series, clock_text, duration_text, grid_step, native_step, on_grid

_HOUR = pd.Timedelta("1h")


@dataclass(frozen=True)
class LeakReport:
    """Whether a process's memory leaks.

    ``status`` is ``"leaking"``, ``"no_leak"`` or ``"not_enough_history"``; ``slope_per_hour`` is in the
    series' unit per hour (Theil–Sen), ``relative_growth`` the trend over the window divided by the median
    level, ``p_value`` Mann–Kendall's one-sided p-value, ``since`` the estimated start of the growth (UTC; only
    when leaking).
    """

    leaking: bool
    status: str
    slope_per_hour: float | None
    relative_growth: float | None
    p_value: float | None
    since: pd.Timestamp | None
    current: float | None
    sentence: str


def mann_kendall_increase(y: np.ndarray) -> float:
    """One-sided p-value of the Mann–Kendall test that ``y`` increases (tie-corrected variance)."""
    n = y.size
    diff = np.sign(y[None, :] - y[:, None])
    s = float(np.sum(np.triu(diff, 1)))
    _, counts = np.unique(y, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - np.sum(counts * (counts - 1) * (2 * counts + 5))) / 18.0
    if var <= 0:
        return 1.0
    z = (s - np.sign(s)) / np.sqrt(var)  # continuity correction
    return float(norm.sf(z))


def hinge_start(t: np.ndarray, y: np.ndarray) -> int:
    """Index of the breakpoint of the best flat-then-linear least-squares fit (0: linear throughout)."""
    best, best_sse = 0, np.inf
    for k in range(0, max(t.size - 3, 1)):
        X = np.column_stack([np.ones_like(t), np.maximum(t - t[k], 0.0)])
        coef, *_ = np.linalg.lstsq(X, y, rcond=None)
        sse = float(np.sum((y - X @ coef) ** 2))
        if k == 0 or sse < best_sse * (1 - 1e-9):  # a later start must fit better, not merely as well
            best, best_sse = k, sse
    return best


def amount_text(value: float, unit: str) -> str:
    """A quantity in ``unit``; bytes are shown in KB/MB/GB."""
    if unit != "bytes":
        return f"{value:.3g} {unit}".rstrip()
    size, prefix = abs(value), ""
    for prefix in ("", "K", "M", "G", "T"):
        if size < 1024 or prefix == "T":
            break
        size /= 1024
    return f"{'-' if value < 0 else ''}{size:.1f} {prefix}B"


def detect_leak(series: pd.DataFrame, *, name: str = "RSS", unit: str = "bytes", alpha: float = 0.01,
                min_growth: float = 0.1, min_hours: float = 1.0, min_points: int = 12,
                max_points: int = 200) -> LeakReport:
    """Decide whether a process's resident memory grows steadily (a leak) rather than cycling or wandering.

    Parameters
    ----------
    series : DataFrame
        ``at, value``: the process's RSS over time (UTC timestamps in order; irregular sampling is fine).
    name, unit : str
        How the sentence names the series and its unit (``"bytes"`` prints KB/MB/GB).
    alpha : float
        Mann–Kendall significance level for the increase.
    min_growth : float
        Smallest trend over the window, relative to the median level, that counts (0.1 = 10%).
    min_hours, min_points : float, int
        Shorter or sparser histories give ``status="not_enough_history"``.
    max_points : int
        Grid bins the trend is fitted on (bounds the cost: the tests are quadratic in it).

    Returns
    -------
    LeakReport
    """
    frame = check_series(series)
    current = float(frame["value"].iloc[-1])
    span = frame["at"].iloc[-1] - frame["at"].iloc[0]
    if len(frame) < min_points or span < pd.Timedelta(hours=min_hours):
        return LeakReport(False, "not_enough_history", None, None, None, None, current,
                          f"{name}: not enough history to judge a leak ({len(frame)} points over "
                          f"{duration_text(span / pd.Timedelta('1D'))}; need {min_points} over {min_hours:g} hours)")
    grid = on_grid(frame, grid_step(span, max_points, at_least=native_step(frame)))
    hours = ((grid.index - grid.index[0]) / _HOUR).to_numpy(dtype=float)
    y = grid.to_numpy(dtype=float)
    if y.size < 3:
        return LeakReport(False, "not_enough_history", None, None, None, None, current,
                          f"{name}: not enough history to judge a leak")
    slope = float(theilslopes(y, hours)[0])
    p = mann_kendall_increase(y)
    level = float(np.median(np.abs(y))) or 1.0
    growth = slope * float(hours[-1]) / level
    window = duration_text(float(hours[-1]) / 24)
    trend = f"{amount_text(slope, unit)} per hour ({growth:+.0%} over {window}, {_p_text(p)})"
    if not (p < alpha and growth >= min_growth):
        return LeakReport(False, "no_leak", slope, growth, p, None, current, f"{name} shows no leak: trend {trend}")
    start = hinge_start(hours, y)
    since = max(grid.index[start], frame["at"].iloc[0])
    if start > 0:  # the growth rate is the slope since the leak began, not averaged with the flat part before
        slope = float(theilslopes(y[start:], hours[start:])[0])
        growth = slope * float(hours[-1] - hours[start]) / level
        trend = f"{amount_text(slope, unit)} per hour ({growth:+.0%} since then, {_p_text(p)})"
    return LeakReport(True, "leaking", slope, growth, p, since, current,
                      f"{name} leaks: grows {trend} since {clock_text(since)}")


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}"
