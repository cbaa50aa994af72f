"""Base forecasters: one series in (a 1-d array), a frame of mean and intervals out.

They follow the contract of :mod:`analytics.forecasting.base` (scikit-learn's estimator rules,
``fit(y, X=None)``, ``predict(h, level, X_future)``).

Intervals come from the model where statsmodels provides them (ETS, Theta, the
ETS part of MSTL), otherwise from in-sample residuals assuming normal errors.
A series whose residuals are all zero (e.g. a constant series) gets a small
interval of +/- 1% of its mean level instead of a zero-width one.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.seasonal import MSTL, seasonal_decompose

from analytics.forecasting._checks import check_season_length
from analytics.forecasting.base import Forecaster, frame_parts, normal_bounds, residual_sigma

__all__ = ["SeasonalNaive", "Naive2", "ETS", "Theta", "MSTLForecaster", "m4_seasonality_test"]


class SeasonalNaive(Forecaster):
    """Repeat the last season; with ``season_length=1`` the plain naive (random walk).

    Intervals: normal, from in-sample seasonal differences, widening with the number
    of seasons ahead (``sigma * sqrt(ceil(step / m))``).
    """

    def __init__(self, season_length=1):
        self.season_length = season_length

    def _fit(self, y, X):
        m = self.season_length_ if y.size > self.season_length_ else 1
        self.season_length_ = m
        self.last_season_ = y[-m:].copy()
        self.sigma_ = residual_sigma(y[m:] - y[:-m], y)

    def _predict(self, h, levels, X_future):
        m = self.season_length_
        steps = np.arange(1, h + 1)
        mean = self.last_season_[(steps - 1) % m]
        return mean, normal_bounds(mean, self.sigma_ * np.sqrt(np.ceil(steps / m)), levels)


def _m4_acf(x: np.ndarray, k: int) -> float:
    dev = x - x.mean()
    return float(np.sum(dev[k:] * dev[:-k]) / np.sum(dev**2))


def m4_seasonality_test(y: np.ndarray, m: int) -> bool:
    """M4's 90% autocorrelation test for seasonality at lag ``m``, as in the organisers'
    R benchmarks (``SeasonalityTest``): ``|acf_m| > 1.645 * sqrt((1 + 2 * sum_{k<m} acf_k^2) / n)``.

    Like that code it needs three full seasons, and R's ``acf`` stops at lag
    ``floor(10 * log10(n))``, so a longer season tests as not seasonal.
    """
    if m <= 1 or y.size < 3 * m or np.all(y == y[0]) or m > int(np.floor(10 * np.log10(y.size))):
        return False
    s = sum(_m4_acf(y, k) ** 2 for k in range(1, m))
    return abs(_m4_acf(y, m)) > 1.645 * np.sqrt((1 + 2 * s) / y.size)


class Naive2(Forecaster):
    """M4's Naive2: naive forecast of the seasonally adjusted series.

    Seasonal indices come from a classical multiplicative decomposition, applied only
    when the M4 seasonality test passes (needs >= 3 seasons and a positive series).
    Intervals: normal random-walk intervals of the adjusted series, re-seasonalised.
    """

    def __init__(self, season_length=1):
        self.season_length = season_length

    def _fit(self, y, X):
        m = check_season_length(self.season_length)[0]
        seasonal = m4_seasonality_test(y, m) and np.all(y > 0)
        if seasonal:
            si = np.asarray(seasonal_decompose(y, model="multiplicative", period=m).seasonal)
            self.indices_, adjusted = si[-m:].copy(), y / si
        else:
            m, self.indices_, adjusted = 1, np.ones(1), y
        self.season_length_ = m
        self.last_ = float(adjusted[-1])
        self.sigma_ = residual_sigma(np.diff(adjusted), adjusted)

    def _predict(self, h, levels, X_future):
        steps = np.arange(1, h + 1)
        index = self.indices_[(steps - 1) % self.season_length_]
        mean = self.last_ * index
        return mean, normal_bounds(mean, self.sigma_ * np.sqrt(steps) * index, levels)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args, **kwargs)


def _ets_candidates(trend, damped_trend, seasonal, m):
    trends = [None, "add"] if trend == "auto" else [trend]
    seasonals = ([None, "add"] if seasonal == "auto" else [seasonal]) if m > 1 else [None]
    for t in trends:
        damps = ([True, False] if damped_trend == "auto" else [bool(damped_trend)]) if t else [False]
        for d in damps:
            for s in seasonals:
                yield t, d, s


def _fit_ets(y, trend, damped_trend, seasonal, m):
    best = None
    for t, d, s in _ets_candidates(trend, damped_trend, seasonal, m):
        model = ETSModel(pd.Series(y), error="add", trend=t, damped_trend=d,
                         seasonal=s, seasonal_periods=m if s else None)
        result = _quiet(model.fit, disp=False)
        if np.isfinite(result.aicc) and (best is None or result.aicc < best.aicc):
            best = result
    return best


def _ets_forecast(result, n, h, levels):
    mean, bounds = np.asarray(_quiet(result.forecast, h)), {}
    for lv in levels:
        frame = _quiet(result.get_prediction(start=n, end=n + h - 1).summary_frame, alpha=1 - lv / 100)
        mean = frame["mean"].to_numpy()
        bounds[lv] = (frame["pi_lower"].to_numpy(), frame["pi_upper"].to_numpy())
    return mean, bounds


class ETS(Forecaster):
    """Additive-error exponential smoothing (statsmodels ``ETSModel``), chosen by AICc.

    ``trend``, ``damped_trend`` and ``seasonal`` each take a fixed value or ``"auto"``
    (try both); the candidates are every allowed combination. Seasonality needs two
    full seasons. Intervals are statsmodels' analytical prediction intervals.
    """

    def __init__(self, season_length=1, trend="auto", damped_trend=True, seasonal="auto"):
        self.season_length = season_length
        self.trend = trend
        self.damped_trend = damped_trend
        self.seasonal = seasonal

    def _fit(self, y, X):
        if np.ptp(y) == 0 or y.size < 4:
            self.result_, self.fallback_ = None, SeasonalNaive().fit(y)
            return
        self.result_ = _fit_ets(y, self.trend, self.damped_trend, self.seasonal, self.season_length_)
        self.fallback_ = None
        self.config_ = {k: getattr(self.result_.model, k, None) for k in ("trend", "damped_trend", "seasonal")}

    def _predict(self, h, levels, X_future):
        if self.result_ is None:
            return frame_parts(self.fallback_.predict(h, levels), levels)
        return _ets_forecast(self.result_, self.n_obs_, h, levels)


class Theta(Forecaster):
    """The standard Theta method (statsmodels ``ThetaModel``) with its seasonality test
    and deseasonalisation; intervals are statsmodels'."""

    def __init__(self, season_length=1, method="auto"):
        self.season_length = season_length
        self.method = method

    def _fit(self, y, X):
        m = self.season_length_
        if np.ptp(y) == 0 or y.size < 4:
            self.result_, self.fallback_ = None, SeasonalNaive().fit(y)
            return
        method = self.method if (self.method != "multiplicative" or np.all(y > 0)) else "additive"
        model = ThetaModel(pd.Series(y), period=m, deseasonalize=m > 1, method=method)
        self.result_, self.fallback_ = _quiet(model.fit), None
        adjusted, _ = model._deseasonalize_data()  # statsmodels' own adjusted series
        self.sigma2_ = _ses_sigma2(np.asarray(adjusted), float(self.result_.params.iloc[1]))

    def _predict(self, h, levels, X_future):
        if self.result_ is None:
            return frame_parts(self.fallback_.predict(h, levels), levels)
        mean = np.asarray(_quiet(self.result_.forecast, h))
        # statsmodels' interval formula, with sigma^2 from the SES one-step errors: its own
        # sigma2 refits the model as an ARIMA by maximum likelihood, 20x slower than the fit.
        alpha = float(self.result_.params.iloc[1])
        sd = np.sqrt((1 + np.arange(h) * (1 + (alpha - 1) ** 2)) * self.sigma2_)
        return mean, normal_bounds(mean, sd, levels)


def _ses_sigma2(y: np.ndarray, alpha: float) -> float:
    level, errors = y[0], np.empty(y.size - 1)
    for t in range(1, y.size):
        errors[t - 1] = y[t] - level
        level += alpha * errors[t - 1]
    return residual_sigma(errors, y) ** 2


class MSTLForecaster(Forecaster):
    """MSTL decomposition over every usable season, non-seasonal ETS on the adjusted series,
    each seasonal component continued by repeating its last cycle.

    Seasons that do not fit twice into the series are dropped; with none left this is a
    non-seasonal ETS. Intervals are those of the ETS on the adjusted series.
    """

    def __init__(self, season_length=1, damped_trend=True):
        self.season_length = season_length
        self.damped_trend = damped_trend

    def _fit(self, y, X):
        # statsmodels' MSTL silently drops a period that is not shorter than half the series (exactly two
        # years of days for 365), so only the periods it keeps are decomposed and extended.
        periods = [m for m in self.seasons_ if m > 1 and 2 * m < y.size]
        if periods:
            decomposition = _quiet(MSTL(y, periods=periods).fit)
            seasonal = np.asarray(decomposition.seasonal).reshape(y.size, -1)
        else:
            seasonal = np.zeros((y.size, 0))
        self.periods_ = periods
        self.cycles_ = [seasonal[-m:, j].copy() for j, m in enumerate(periods)]
        adjusted = y - seasonal.sum(axis=1)
        self.adjusted_model_ = ETS(trend="auto", damped_trend=self.damped_trend, seasonal=None).fit(adjusted)

    def _predict(self, h, levels, X_future):
        mean, bounds = frame_parts(self.adjusted_model_.predict(h, levels), levels)
        steps = np.arange(h)
        season = sum((c[steps % len(c)] for c in self.cycles_), np.zeros(h))
        return mean + season, {lv: (lo + season, hi + season) for lv, (lo, hi) in bounds.items()}
