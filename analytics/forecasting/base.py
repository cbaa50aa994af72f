"""The forecaster contract and the interval plumbing every model shares.

Every model follows scikit-learn's estimator contract: ``__init__`` stores
hyperparameters, ``fit(y, X=None)`` learns attributes ending in ``_`` and returns
``self``, ``predict(h, level=(80, 95), X_future=None)`` returns a frame with
``mean, lo-80, hi-80, lo-95, hi-95`` (for the requested levels) and ``h`` rows;
``predict`` before ``fit`` raises scikit-learn's ``NotFittedError``.

``season_length`` is an int or a list. Single-season models use the first season
that fits at least twice into the series; with none they become non-seasonal
(the season used is stored in ``season_length_``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.base import BaseEstimator

from analytics.forecasting._checks import (
    NotFittedError,
    check_exog,
    check_h,
    check_levels,
    check_season_length,
    check_y,
    usable_seasons,
)

__all__ = ["Forecaster", "forecast_frame", "frame_parts", "interval_columns", "normal_bounds", "residual_sigma"]

_MIN_SCALE = 0.01  # relative interval scale for series with zero residuals


def interval_columns(levels) -> list[str]:
    """Column names of a forecast frame for ``levels``: mean, lo-80, hi-80, ..."""
    return ["mean"] + [f"{side}-{int(lv) if float(lv).is_integer() else lv}" for lv in levels for side in ("lo", "hi")]


def forecast_frame(mean: np.ndarray, bounds: dict, levels) -> pd.DataFrame:
    """The contract's frame from a mean and ``{level: (lo, hi)}``; bounds never cross the mean."""
    data = {"mean": mean}
    for lv, name in zip(levels, interval_columns(levels)[1::2]):
        lo, hi = bounds[lv]
        data[name] = np.minimum(lo, mean)
        data[name.replace("lo-", "hi-")] = np.maximum(hi, mean)
    return pd.DataFrame(data)


def frame_parts(frame: pd.DataFrame, levels):
    """The inverse of ``forecast_frame``: the mean and ``{level: (lo, hi)}`` of a forecast frame."""
    cols = interval_columns(levels)
    return frame["mean"].to_numpy(), {
        lv: (frame[cols[1 + 2 * i]].to_numpy(), frame[cols[2 + 2 * i]].to_numpy()) for i, lv in enumerate(levels)
    }


def normal_bounds(mean: np.ndarray, sd: np.ndarray, levels) -> dict:
    """Symmetric normal intervals ``mean +/- z * sd`` for each level."""
    return {lv: (mean - norm.ppf(0.5 + lv / 200) * sd, mean + norm.ppf(0.5 + lv / 200) * sd) for lv in levels}


def residual_sigma(resid: np.ndarray, y: np.ndarray) -> float:
    """RMS of residuals, floored at 1% of the mean level so intervals never collapse."""
    resid = resid[np.isfinite(resid)]
    sigma = float(np.sqrt(np.mean(resid**2))) if resid.size else 0.0
    floor = _MIN_SCALE * max(float(np.mean(np.abs(y))), 1e-8)
    return max(sigma, floor)


class Forecaster(BaseEstimator):
    """Shared fit/predict plumbing; subclasses implement ``_fit`` and ``_predict``."""

    def fit(self, y, X=None) -> "Forecaster":
        """Learn from the series ``y`` (1-d, complete) and optional regressors ``X``."""
        y = check_y(y, where=f"{type(self).__name__}.fit: y")
        seasons = check_season_length(getattr(self, "season_length", 1))
        self.seasons_ = usable_seasons(seasons, y.size)
        self.season_length_ = self.seasons_[0]
        self.n_obs_ = y.size
        self._fit(y, check_exog(X, y.size, f"{type(self).__name__}.fit: X"))
        return self

    def predict(self, h: int, level=(80, 95), X_future=None) -> pd.DataFrame:
        """Forecast ``h`` steps: a frame with ``mean`` and ``lo-L``/``hi-L`` per level."""
        if not hasattr(self, "n_obs_"):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet; call fit(y) before predict(h)."
            )
        h = check_h(h)
        levels = check_levels(level)
        mean, bounds = self._predict(h, levels, X_future)
        return forecast_frame(np.asarray(mean, dtype=float), bounds, levels)
