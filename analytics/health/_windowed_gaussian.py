"""NAB's Windowed Gaussian detector, streaming: each score judges a value against the values before it.

The detector keeps the last ``window`` values (6,400 in NAB); while the window fills, its mean and standard
deviation are refreshed after every value, afterwards once every ``step`` values (100), when the window slides
forward by that many. A value's anomaly score is ``1 - Q(|x - mean| / std)``, one minus the normal tail
probability beyond it: 0.5 at the mean, approaching 1 far in either tail. The first value scores 0, and a
zero standard deviation is replaced by 1e-6, as in NAB.
"""
from __future__ import annotations

import numpy as np
from scipy.special import erfc

WINDOW = 6400
STEP = 100
MIN_STD = 1e-6


def _growing_stats(values: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of ``values[:i]`` for i = 1..count, shifted by the first value to keep the sums small."""
    shifted = values[:count] - values[0]
    sizes = np.arange(1, count + 1)
    mean = np.cumsum(shifted) / sizes
    var = np.maximum(np.cumsum(shifted ** 2) / sizes - mean ** 2, 0.0)
    return mean + values[0], np.sqrt(var)


def _sliding_stats(values: np.ndarray, window: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of each full window ``values[k*step : window + k*step]`` the detector slides to."""
    starts = np.arange(0, len(values) - window + 1, step)
    frames = [values[start:start + window] for start in starts]
    return np.array([f.mean() for f in frames]), np.array([f.std() for f in frames])


def windowed_gaussian_scores(values: np.ndarray, window: int = WINDOW, step: int = STEP) -> np.ndarray:
    """Anomaly scores in [0, 1) of a series, each from the values before it only.

    Parameters
    ----------
    values : 1-d array of floats, in time order
    window : how many past values the normal is fitted to (NAB: 6400)
    step : once the window is full, how many new values are gathered before it slides (NAB: 100)

    Returns
    -------
    numpy.ndarray
        One score per value; ``1 - Q(z)`` with ``z`` the distance from the window's mean in standard deviations.
    """
    x = np.asarray(values, dtype=float).ravel()
    if window < 1 or step < 1:
        raise ValueError(f"window={window} and step={step} must both be >= 1")
    if np.isnan(x).any():
        raise ValueError(f"values has {int(np.isnan(x).sum())} NaNs (first at row {int(np.argmax(np.isnan(x)))}); "
                         "fill or drop them before scoring")
    n = len(x)
    mean, std = np.zeros(n), np.ones(n)
    filling = min(n - 1, window)  # rows 1..filling see the growing window x[:i]
    if filling > 0:
        mean[1:filling + 1], std[1:filling + 1] = _growing_stats(x, filling)
    if n > window:
        block_mean, block_std = _sliding_stats(x[:n - 1], window, step)
        block = (np.arange(window, n) - window) // step  # row i >= window uses the window slid k = block times
        mean[window:], std[window:] = block_mean[block], block_std[block]
    std = np.where(std == 0.0, MIN_STD, std)
    scores = 1.0 - 0.5 * erfc(np.abs(x - mean) / std / np.sqrt(2.0))
    scores[:1] = 0.0
    return scores
