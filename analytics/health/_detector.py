"""A streaming anomaly detector for system metrics: robust multi-horizon statistics, anomaly likelihood, one alarm
per event. Each score uses only the values before it (and the value itself).

:func:`stream_scores` scores a whole series (vectorised, for benchmarks and back-fills); :class:`StreamingDetector`
scores one value at a time with the same numbers (to float rounding), cheaply enough to run on every metric every
10 s. The steps are described in ``_detector_stats.py``. The defaults in :data:`DETECTOR_DEFAULTS` were tuned once,
on the validation half of the NAB corpus only (``benchmarks/nab.py`` holds the split and reports both halves).

Values that are NaN or infinite are skipped: they score 0 ("no opinion") and do not enter the detector's memory,
so a metric that could not be read for a while does not disturb the statistics.
"""
from __future__ import annotations

import bisect
import math
from collections import deque

import numpy as np

from analytics.health._detector_stats import (
    beyond_seen, likelihood_scores, raw_scores, robust_spread, suppress_after_alarm, tail_score)

DETECTOR_DEFAULTS = {
    "window": 4000, "shift_window": 3, "min_history": 100, "spread_floor": 0.02, "z_cap": 10.0,
    "spatial_margin": 0.05, "average_window": 20, "likelihood_window": 2000, "likelihood_std_floor": 0.05,
    "alarm": 0.5, "suppress": 150, "suppressed_factor": 0.25,
}
_INTEGERS = ("window", "shift_window", "min_history", "average_window", "likelihood_window", "suppress")
_POSITIVE = ("z_cap", "likelihood_std_floor")
_FRACTIONS = ("spread_floor", "spatial_margin", "alarm", "suppressed_factor")


def validate_params(params: dict) -> dict:
    """The detector's hyperparameters with defaults filled in; ValueError naming the first bad one."""
    unknown = sorted(set(params) - set(DETECTOR_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown detector parameter(s) {unknown}; valid options: {', '.join(DETECTOR_DEFAULTS)}")
    full = {**DETECTOR_DEFAULTS, **params}
    for name in _INTEGERS:
        value = full[name]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}={value!r} must be an integer >= 1 (default {DETECTOR_DEFAULTS[name]})")
    for name in _POSITIVE:
        if not (isinstance(full[name], (int, float)) and math.isfinite(full[name]) and full[name] > 0):
            raise ValueError(f"{name}={full[name]!r} must be a finite number > 0 (default {DETECTOR_DEFAULTS[name]})")
    for name in _FRACTIONS:
        if not (isinstance(full[name], (int, float)) and 0 <= full[name] <= 1):
            raise ValueError(f"{name}={full[name]!r} must be a number in [0, 1] (default {DETECTOR_DEFAULTS[name]})")
    if full["min_history"] > full["window"]:
        raise ValueError(f"min_history={full['min_history']} must not exceed window={full['window']}: the "
                         "statistics would never have enough history")
    return full


def _finite(values, timestamps) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"values must be one series (1-d), got shape {x.shape}")
    if timestamps is not None and len(timestamps) != len(x):
        raise ValueError(f"timestamps has {len(timestamps)} entries for {len(x)} values; pass one per value")
    return np.isfinite(x)


def stream_scores(values, timestamps=None, **params) -> np.ndarray:
    """Anomaly scores in [0, 1] of a series, each from the values up to and including it.

    Parameters
    ----------
    values : 1-d array of floats, in time order; NaN and infinite values score 0 and are skipped
    timestamps : optional sequence, one per value; only checked for length (the detector counts in samples)
    **params : hyperparameters, see :data:`DETECTOR_DEFAULTS` and :class:`StreamingDetector`

    Returns
    -------
    numpy.ndarray
        One score per value; the same as :meth:`StreamingDetector.update` on each value in turn.
    """
    p = validate_params(params)
    finite = _finite(values, timestamps)
    x = np.asarray(values, dtype=float)[finite]
    raw = raw_scores(x, p["window"], p["shift_window"], p["min_history"], p["spread_floor"], p["z_cap"])
    score = likelihood_scores(raw, p["average_window"], p["likelihood_window"], p["min_history"],
                              p["likelihood_std_floor"])
    score = np.where(beyond_seen(x, p["min_history"], p["spatial_margin"]), 1.0, score)
    out = np.zeros(len(finite))
    out[finite] = suppress_after_alarm(score, p["alarm"], p["suppress"], p["suppressed_factor"])
    return out


class _SortedWindow:
    """The last ``size`` values, also kept sorted, for medians and quartiles in O(size) memmove per update."""

    def __init__(self, size: int):
        self.recent: deque[float] = deque()
        self.ordered: list[float] = []
        self.size = size

    def push(self, value: float) -> None:
        self.recent.append(value)
        bisect.insort(self.ordered, value)
        if len(self.recent) > self.size:
            del self.ordered[bisect.bisect_left(self.ordered, self.recent.popleft())]

    def quantile(self, q: float) -> float:
        position = q * (len(self.ordered) - 1)
        low = int(position)
        high = min(low + 1, len(self.ordered) - 1)
        return self.ordered[low] + (self.ordered[high] - self.ordered[low]) * (position - low)

    def location(self, min_history: int, spread_floor: float) -> tuple[float, float]:
        """(median, robust spread), NaN while fewer than ``min_history`` values."""
        if len(self.ordered) < min_history:
            return math.nan, math.nan
        median = self.quantile(0.5)
        spread = robust_spread(self.quantile(0.25), self.quantile(0.75), self.ordered[0], self.ordered[-1],
                               median, spread_floor)
        return median, float(spread)


class StreamingDetector:
    """The streaming detector, one value at a time: ``score = detector.update(value, timestamp)``.

    ``__init__`` only stores the hyperparameters; the first :meth:`update` validates them and creates the state
    (attributes ending in ``_``). Memory is about ``2 * window + likelihood_window`` floats; an update costs a few
    tens of microseconds.

    Parameters
    ----------
    window : past values the robust level and change statistics use (median, quartiles, range)
    shift_window : how many recent values are averaged to detect a level shift against the window before them
    min_history : values needed before anything is scored (scores are 0 until then)
    spread_floor : the robust spread is at least this share of the window's range
    z_cap : robust z-score that maps to a raw score of 1
    spatial_margin : a value beyond the seen minimum / maximum by this share of the seen range scores 1
    average_window : raw scores averaged for the likelihood step
    likelihood_window : past averages forming the distribution the recent average is judged against
    likelihood_std_floor : smallest standard deviation of that distribution
    alarm : score that counts as an alarm and starts the suppression
    suppress : values after an alarm whose scores are multiplied by ``suppressed_factor``
    suppressed_factor : factor in [0, 1] for scores during suppression
    """

    def __init__(self, window: int = 4000, shift_window: int = 3, min_history: int = 100, spread_floor: float = 0.02,
                 z_cap: float = 10.0, spatial_margin: float = 0.05, average_window: int = 20,
                 likelihood_window: int = 2000, likelihood_std_floor: float = 0.05, alarm: float = 0.5,
                 suppress: int = 150, suppressed_factor: float = 0.25):
        self.window = window
        self.shift_window = shift_window
        self.min_history = min_history
        self.spread_floor = spread_floor
        self.z_cap = z_cap
        self.spatial_margin = spatial_margin
        self.average_window = average_window
        self.likelihood_window = likelihood_window
        self.likelihood_std_floor = likelihood_std_floor
        self.alarm = alarm
        self.suppress = suppress
        self.suppressed_factor = suppressed_factor

    def get_params(self) -> dict:
        """The hyperparameters, as passed to ``__init__``."""
        return {name: getattr(self, name) for name in DETECTOR_DEFAULTS}

    def _start(self) -> None:
        self.params_ = validate_params(self.get_params())
        self.values_ = _SortedWindow(self.window)
        self.changes_ = _SortedWindow(self.window)
        self.locations_: deque[tuple[float, float, float, float]] = deque(maxlen=self.shift_window)
        self.recent_: deque[float] = deque(maxlen=self.shift_window)
        self.raw_: deque[float] = deque(maxlen=self.average_window)
        self.averages_ = np.zeros(self.likelihood_window)
        self.n_seen_ = 0
        self.quiet_until_ = -1
        self.last_value_ = self.high_ = self.low_ = math.nan
        self.last_timestamp_ = None

    def update(self, value: float, timestamp=None) -> float:
        """The anomaly score in [0, 1] of the next value, which then joins the detector's memory.

        A NaN or infinite ``value`` scores 0 and is skipped. ``timestamp`` (optional, any comparable type) must
        not go backwards; it is kept as ``last_timestamp_`` and does not change the score.
        """
        if not hasattr(self, "params_"):
            self._start()
        if timestamp is not None:
            if self.last_timestamp_ is not None and timestamp < self.last_timestamp_:
                raise ValueError(f"timestamp {timestamp} is before the previous one {self.last_timestamp_}; "
                                 "feed values in time order")
            self.last_timestamp_ = timestamp
        value = float(value)
        if not math.isfinite(value):
            return 0.0
        raw, change = self._raw(value)
        score = self._likelihood(raw)
        if self.n_seen_ >= self.min_history:
            margin = self.spatial_margin * (self.high_ - self.low_)
            if value > self.high_ + margin or value < self.low_ - margin:
                score = 1.0
        score = self._suppressed(score)
        self._remember(value, change)
        return score

    def _raw(self, value: float) -> tuple[float, float]:
        """The raw score of ``value`` and its change from the previous value."""
        change = value - self.last_value_ if self.n_seen_ else 0.0
        self.recent_.append(value)
        z = []
        if self.locations_:
            median, spread, change_median, change_spread = self.locations_[-1]
            z += [abs(value - median) / spread, abs(change - change_median) / change_spread]
        if len(self.locations_) == self.shift_window and len(self.recent_) == self.shift_window:
            median, spread = self.locations_[0][:2]
            z.append(abs(sum(self.recent_) / self.shift_window - median) / spread)
        z = [item for item in z if not math.isnan(item)]
        return (min(max(z) / self.z_cap, 1.0) if z else 0.0), change

    def _likelihood(self, raw: float) -> float:
        self.raw_.append(raw)
        average = sum(self.raw_) / len(self.raw_)
        filled = min(self.n_seen_, self.likelihood_window)
        score = 0.0
        if filled >= self.min_history:
            past = self.averages_[:filled]
            std = max(float(past.std()), self.likelihood_std_floor)
            score = float(tail_score((average - float(past.mean())) / std))
        self.averages_[self.n_seen_ % self.likelihood_window] = average
        return score

    def _suppressed(self, score: float) -> float:
        if self.n_seen_ <= self.quiet_until_:
            return score * self.suppressed_factor
        if score >= self.alarm:
            self.quiet_until_ = self.n_seen_ + self.suppress
        return score

    def _remember(self, value: float, change: float) -> None:
        self.values_.push(value)
        self.changes_.push(change)
        self.locations_.append(self.values_.location(self.min_history, self.spread_floor)
                               + self.changes_.location(self.min_history, self.spread_floor))
        self.high_ = value if self.n_seen_ == 0 else max(self.high_, value)
        self.low_ = value if self.n_seen_ == 0 else min(self.low_, value)
        self.last_value_ = value
        self.n_seen_ += 1
