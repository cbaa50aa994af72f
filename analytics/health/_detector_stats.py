"""The numerical steps of the streaming detector, for a whole series at once (numpy and pandas rolling windows).

Row ``t`` only ever sees rows before it, or the last few up to and including itself; the one-value-at-a-time
class in ``_detector.py`` computes the same numbers from its buffers. Three steps:

1. ``raw_scores``: robust distances of the newest value from the recent past at several horizons -- its level
   against the window's median, its change from the previous value against the window's typical change, and
   the mean of the last few values against the window before them (a level shift) -- each in robust spreads
   (interquartile range / 1.349, floored at a share of the window's range), the largest of them divided by
   ``z_cap`` and clipped to [0, 1].
2. ``likelihood_scores``: the anomaly-likelihood idea (Ahmad et al. 2017): the recent average of raw scores is
   compared with the distribution of that average over a longer past; the Gaussian tail probability ``q`` beyond
   it becomes ``-log10(q) / 10`` in [0, 1] (1 when ``q <= 1e-10``), so a raw score that is high only where raw
   scores are often high does not alarm.
3. ``suppress_after_alarm``: after a score reaches ``alarm`` the next ``suppress`` scores are multiplied by
   ``suppressed_factor``: one alarm per event, since NAB rewards only the first detection in a window and
   charges every false positive (and an operator wants one page, not fifty).

A value beyond everything seen so far by more than ``spatial_margin`` of the seen range scores 1 outright.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import log_ndtr

IQR_TO_SIGMA = 1.349  # the interquartile range of a normal distribution in standard deviations
RELATIVE_EPSILON = 1e-9  # keeps a spread positive on a flat window, relative to the level
LIKELIHOOD_DECADES = 10.0  # -log10 of the tail probability that maps to a score of 1


def shifted(values: np.ndarray, rows: int) -> np.ndarray:
    """``values`` moved ``rows`` later, NaN in front: row t gets what row t - rows had."""
    out = np.full(len(values), np.nan)
    if rows < len(values):
        out[rows:] = values[:len(values) - rows]
    return out


def robust_spread(q1, q3, low, high, centre, spread_floor: float):
    """IQR / 1.349, at least ``spread_floor`` of the range, plus a relative epsilon so it is never 0."""
    return np.maximum((q3 - q1) / IQR_TO_SIGMA, spread_floor * (high - low)) + RELATIVE_EPSILON * (1 + np.abs(centre))


def rolling_location(values: np.ndarray, window: int, min_history: int, spread_floor: float):
    """Median and robust spread of each trailing window ``values[t - window + 1 : t + 1]`` (NaN when too short)."""
    rolling = pd.Series(values).rolling(window, min_periods=min_history)
    median = rolling.median().to_numpy()
    spread = robust_spread(rolling.quantile(0.25).to_numpy(), rolling.quantile(0.75).to_numpy(),
                           rolling.min().to_numpy(), rolling.max().to_numpy(), median, spread_floor)
    return median, spread


def raw_scores(x: np.ndarray, window: int, shift_window: int, min_history: int, spread_floor: float,
               z_cap: float) -> np.ndarray:
    """Largest robust z-score of level, change and level shift, over ``z_cap``, in [0, 1]; 0 while warming up."""
    median, spread = rolling_location(x, window, min_history, spread_floor)
    level = np.abs(x - shifted(median, 1)) / shifted(spread, 1)
    change = np.r_[0.0, np.diff(x)]
    change_median, change_spread = rolling_location(change, window, min_history, spread_floor)
    jump = np.abs(change - shifted(change_median, 1)) / shifted(change_spread, 1)
    recent = pd.Series(x).rolling(shift_window).mean().to_numpy()
    level_shift = np.abs(recent - shifted(median, shift_window)) / shifted(spread, shift_window)
    z = np.fmax(np.fmax(level, jump), level_shift)
    return np.clip(np.nan_to_num(z, nan=0.0) / z_cap, 0.0, 1.0)


def tail_score(z):
    """``-log10(Q(z)) / 10`` clipped to [0, 1], with Q the upper normal tail (computed in logs, no underflow)."""
    return np.clip(-log_ndtr(-np.asarray(z, dtype=float)) / np.log(10.0) / LIKELIHOOD_DECADES, 0.0, 1.0)


def likelihood_scores(raw: np.ndarray, average_window: int, likelihood_window: int, min_history: int,
                      likelihood_std_floor: float) -> np.ndarray:
    """Tail score of the recent raw-score average against its own trailing distribution."""
    average = pd.Series(raw).rolling(average_window, min_periods=1).mean().to_numpy()
    rolling = pd.Series(average).rolling(likelihood_window, min_periods=min_history)
    mean = shifted(rolling.mean().to_numpy(), 1)
    std = np.maximum(shifted(rolling.std(ddof=0).to_numpy(), 1), likelihood_std_floor)
    return np.nan_to_num(tail_score((average - mean) / std), nan=0.0)


def beyond_seen(x: np.ndarray, min_history: int, spatial_margin: float) -> np.ndarray:
    """Rows (with ``min_history`` rows before them) beyond the running min/max by ``spatial_margin`` of the range."""
    high = shifted(np.maximum.accumulate(x), 1)
    low = shifted(np.minimum.accumulate(x), 1)
    margin = spatial_margin * (high - low)
    with np.errstate(invalid="ignore"):
        outside = (x > high + margin) | (x < low - margin)
    return outside & (np.arange(len(x)) >= min_history)


def suppress_after_alarm(scores: np.ndarray, alarm: float, suppress: int, suppressed_factor: float) -> np.ndarray:
    """Scores with the ``suppress`` rows after each alarm (a score >= ``alarm``) multiplied by the factor."""
    out = scores.copy()
    quiet_until = -1
    for row, score in enumerate(scores.tolist()):
        if row <= quiet_until:
            out[row] = score * suppressed_factor
        elif score >= alarm:
            quiet_until = row + suppress
    return out
