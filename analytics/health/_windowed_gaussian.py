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


def _tail_score(value: float, mean: float, std: float) -> float:
    return float(1.0 - 0.5 * erfc(abs(value - mean) / std / np.sqrt(2.0)))


class WindowedGaussian:
    """The Windowed Gaussian detector as a stream: ``fit`` on the history, then ``update`` one value at a time.

    ``update`` returns the score :func:`windowed_gaussian_scores` would give the value at the end of the history
    seen so far (to float rounding: the bulk scores use running sums, ``update`` numpy's mean and std).

    Parameters
    ----------
    window : how many past values the normal is fitted to (NAB: 6400)
    step : once the window is full, how many new values are gathered before it slides (NAB: 100)
    """

    def __init__(self, window: int = WINDOW, step: int = STEP):
        self.window = window
        self.step = step

    def fit(self, values: np.ndarray) -> WindowedGaussian:
        """Score the history (``scores_``) and keep the window it leaves (``window_values_``, ``mean_``, ``std_``)."""
        x = np.asarray(values, dtype=float).ravel()
        self.scores_ = windowed_gaussian_scores(x, self.window, self.step)
        slides = max(len(x) - self.window, 0) // self.step
        self.window_values_ = x[slides * self.step: slides * self.step + self.window].tolist()
        self.buffer_ = x[slides * self.step + self.window:].tolist()
        self._refresh()
        return self

    def _refresh(self) -> None:
        data = np.asarray(self.window_values_)
        self.mean_ = float(data.mean()) if len(data) else 0.0
        self.std_ = (float(data.std()) or MIN_STD) if len(data) else 1.0

    def update(self, value: float) -> float:
        """The anomaly score of the next value, which then joins the window."""
        if not hasattr(self, "window_values_"):
            raise RuntimeError("this WindowedGaussian is not fitted yet; call fit(history) first "
                               "(an empty history is fine)")
        value = float(value)
        if np.isnan(value):
            raise ValueError("value is NaN; fill or drop it before scoring")
        score = _tail_score(value, self.mean_, self.std_) if self.window_values_ else 0.0
        if len(self.window_values_) < self.window:
            self.window_values_.append(value)
            self._refresh()
        else:
            self.buffer_.append(value)
            if len(self.buffer_) == self.step:
                self.window_values_ = self.window_values_[self.step:] + self.buffer_
                self.buffer_ = []
                self._refresh()
        return score
