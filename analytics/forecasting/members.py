"""The members an ensemble is made of: the default local models, the global GBM, and forecasts made elsewhere."""
from __future__ import annotations

import numpy as np

from analytics.forecasting._checks import check_season_length
from analytics.forecasting.base import Forecaster, normal_bounds
from analytics.forecasting.gbm import GBMForecaster
from analytics.forecasting.models import ETS, MSTLForecaster, SeasonalNaive, Theta

__all__ = ["PrecomputedForecaster", "default_members", "global_members"]


def default_members(season_length=1) -> list[Forecaster]:
    """Seasonal naive, Theta, MSTL + ETS and (for seasons up to 12, where it is fast) seasonal ETS."""
    seasons = check_season_length(season_length)
    members = [SeasonalNaive(season_length), Theta(season_length), MSTLForecaster(season_length)]
    if max(seasons) <= 12:
        members.append(ETS(season_length))
    return members


def global_members(season_length=1) -> list[GBMForecaster]:
    """The GBM that ``forecast(..., global_models=...)`` trains once over all series.

    Tuned on M4 Hourly (h = 48, seasons [24, 168]): lags 1..m and every multiple of the first
    season m up to the longest season, plus twice the longest; scaled by the last season's level
    (log ratio), learning the change from one season ago, with the absolute-error loss. One fit
    per backtest window (``holdout=0``: the ensemble recalibrates its intervals anyway).
    """
    seasons = check_season_length(season_length)
    first, longest = (seasons[0] if seasons[0] > 1 else 3), max(seasons)
    lags = sorted({*range(1, first + 1), *range(2 * first, longest + 1, first), longest, 2 * longest})
    return [GBMForecaster(list(seasons), lags=lags, max_iter=200, learning_rate=0.075, random_state=0,
                          scaling="last_season", seasonal_difference=True, loss="absolute_error", holdout=0.0)]


class PrecomputedForecaster(Forecaster):
    """Forecasts made elsewhere, looked up by the length of the training series.

    Lets the ensemble weigh a model trained once on many series (a global GBM) like any other
    member: ``fit(y)`` picks the forecast made from ``y.size`` points, so each backtest cutoff
    gets the forecast made from the data before it.

    Parameters
    ----------
    forecasts : dict[int, tuple[array, array]]
        Training length -> ``(mean, sd)`` of the following steps (normal intervals from ``sd``).
    name : str
        The member's name in the ensemble's weights and backtests.
    """

    def __init__(self, forecasts=None, name="Precomputed"):
        self.forecasts = forecasts
        self.name = name

    def _fit(self, y, X):
        known = self.forecasts or {}
        if y.size not in known:
            raise ValueError(f"{self.name}: no forecast was made from {y.size} points (have {sorted(known)}); "
                             "precompute one per training length the ensemble uses.")
        mean, sd = known[y.size]
        self.mean_, self.sd_ = np.asarray(mean, dtype=float), np.asarray(sd, dtype=float)

    def _predict(self, h, levels, X_future):
        if h > self.mean_.size:
            raise ValueError(f"{self.name}: {self.mean_.size} steps were precomputed but h={h} were asked for.")
        mean = self.mean_[:h]
        return mean, normal_bounds(mean, self.sd_[:h], levels)
