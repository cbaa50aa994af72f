"""A weighted ensemble of base forecasters, weighted and calibrated on rolling-origin backtests.

How ``fit(y)`` works:

1. Rolling origins: ``n_windows`` cutoffs, ``h`` steps apart, the last one ``h`` steps before
   the end. Windows that would leave fewer than ``max(2 * season, 5)`` training points are
   dropped; with none left the ensemble is just its first member (``fallback_`` says so).
2. Every member is refitted at every cutoff and forecasts ``h`` steps; its MASE is the mean
   absolute error scaled by the in-sample seasonal-naive MAE of that window's training part.
3. Weights: ``"inverse_mase"`` (w_i proportional to 1 / score_i over the k best members,
   with the k >= 2 of lowest backtest score, since one weak member can spoil the full set) or
   ``"stacking"`` (non-negative least squares of the actuals on the members' backtest
   forecasts, normalised to sum to 1). The score is the backtest MASE (``criterion="mase"``)
   or, with ``criterion="mase_smape"``, the mean of MASE and sMAPE each divided by the best
   member's value: M4 ranks by both (OWA), and MASE alone lets a forecast that is poor in
   relative terms on a smooth, low-level series win.
4. Guarantee: if that combination's backtest score exceeds the best member's by more than
   2%, the weights collapse onto that best member (``fallback_`` says so), so on backtest the
   ensemble is never worse than its best member by more than 2% of the score (MASE by default).
5. Conformal intervals: each backtest error is divided by the combination's own predictive
   scale at that step (from the members' 80% intervals); the interval for level L is the
   mean +/- the finite-sample L-quantile of those scores times the future scale. The scores are
   pooled over horizon steps because a few windows give only a few errors per step; dividing by
   the step's scale keeps the widening with the horizon. If every backtest error is zero (a
   constant series) the members' own intervals are used instead of zero-width ones.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.optimize import nnls
from sklearn.base import clone

from analytics.forecasting._checks import check_h, check_season_length
from analytics.forecasting.gbm import GBMForecaster
from analytics.forecasting.base import Forecaster, frame_parts, normal_bounds
from analytics.forecasting.models import ETS, MSTLForecaster, SeasonalNaive, Theta

__all__ = ["EnsembleForecaster", "PrecomputedForecaster", "default_members", "global_members", "mase_scale"]

METHODS = ("inverse_mase", "stacking")
CRITERIA = ("mase", "mase_smape")
TOLERANCE = 1.02
_Z80 = 1.2815515655446004
_FIT_ERRORS = (ValueError, np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError)


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


def mase_scale(y: np.ndarray, m: int, floor: bool = True) -> float:
    """In-sample MAE of the seasonal naive (naive if the series is shorter than a season).

    With ``floor`` a zero MAE (constant series) becomes 1% of the mean level, so weights stay
    finite; without it the zero is returned and the caller decides (MASE is undefined then).
    """
    m = m if y.size > m else 1
    if y.size <= m:
        return 1.0
    mae = float(np.mean(np.abs(y[m:] - y[:-m])))
    return mae if mae > 0 or not floor else max(float(np.mean(np.abs(y))) * 0.01, 1e-8)


def _names(members):
    names, seen = [], {}
    for est in members:
        base = getattr(est, "name", None) or type(est).__name__
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return names


def _mean_and_scale(est, h, X_future=None):
    frame = est.predict(h, level=(80,), X_future=X_future)
    return frame["mean"].to_numpy(), (frame["hi-80"] - frame["lo-80"]).to_numpy() / (2 * _Z80)


def _mase(actual, pred, scale) -> float:
    return float(np.mean(np.abs(actual - np.asarray(pred)) / scale))


def _smape(actual, pred) -> float:
    pred = np.asarray(pred, dtype=float)
    denom = np.abs(actual) + np.abs(pred)
    return float(np.mean(np.divide(200 * np.abs(actual - pred), denom, out=np.zeros_like(denom), where=denom > 0)))


def _inverse(names, score) -> dict:
    raw = np.array([1 / max(score[n], 1e-12) for n in names])
    return dict(zip(names, raw / raw.sum()))


def _conformal_quantile(scores: np.ndarray, level: float) -> float:
    n = scores.size
    rank = math.ceil((n + 1) * level / 100)
    return float(np.sort(scores)[min(rank, n) - 1])


class EnsembleForecaster(Forecaster):
    """Backtest-weighted combination of ``members`` with conformal intervals.

    Parameters
    ----------
    members : list of forecasters, optional
        Defaults to ``default_members(season_length)``.
    season_length : int or list of int
        Seasons for the default members and for the MASE scale.
    h : int, optional
        Backtest horizon; defaults to the first season (6 if non-seasonal).
    n_windows : int
        Rolling-origin backtest windows.
    method : {"inverse_mase", "stacking"}
    conformal : bool
        Calibrate intervals on backtest errors (else: weighted member intervals).
    criterion : {"mase", "mase_smape"}
        Backtest score the weights and the 2% guarantee use (see the module docstring).

    Attributes
    ----------
    weights_ : dict[str, float]
        Weight per member name; sums to 1.
    backtest_ : DataFrame
        ``window, cutoff, step, y``, one column per member and ``ensemble``.
    mase_ : dict[str, float]
        Backtest MASE per member and for ``ensemble``.
    """

    def __init__(self, members=None, season_length=1, h=None, n_windows=3, method="inverse_mase", conformal=True,
                 criterion="mase"):
        self.members = members
        self.season_length = season_length
        self.h = h
        self.n_windows = n_windows
        self.method = method
        self.conformal = conformal
        self.criterion = criterion

    def _fit(self, y, X):
        if self.method not in METHODS:
            raise ValueError(f"method={self.method!r} is not an option; use one of {METHODS}.")
        if self.criterion not in CRITERIA:
            raise ValueError(f"criterion={self.criterion!r} is not an option; use one of {CRITERIA}.")
        templates = list(self.members) if self.members is not None else default_members(self.season_length)
        names = _names(templates)
        m = self.season_length_
        h = check_h(self.h) if self.h is not None else (m if m > 1 else 6)
        min_train = max(2 * m, 5)
        windows = [y.size - k * h for k in range(int(self.n_windows), 0, -1) if y.size - k * h >= min_train]
        self.backtest_horizon_ = h
        records, failed = self._backtest(y, X, templates, names, windows, h, m)
        usable = [n for n in names if n not in failed]
        if not windows or not usable:
            self.fallback_ = ("first member only: " + ("series too short for a backtest window" if not windows
                              else f"every member failed on the backtest ({sorted(failed)})"))
            usable = usable or names[:1]
            self.weights_ = {n: float(n == usable[0]) for n in names}
            self.mase_, self.backtest_, self.scores_ = {}, pd.DataFrame(), np.zeros(0)
        else:
            self._learn_weights(records, names, usable, m)
        # every member that survived the backtest is kept fitted, so backtest() can score it
        self.members_ = {n: clone(t).fit(y, X) for n, t in zip(names, templates) if n in usable}

    def _backtest(self, y, X, templates, names, windows, h, m):
        records, failed = [], set()
        for w, cut in enumerate(windows):
            block = {"window": w, "cutoff": cut, "step": np.arange(1, h + 1), "y": y[cut:cut + h],
                     "scale": mase_scale(y[:cut], m)}
            for name, template in zip(names, templates):
                if name in failed:
                    continue
                try:
                    est = clone(template).fit(y[:cut], None if X is None else X[:cut])
                    future = None if X is None else X[cut:cut + h]
                    block[name], block[f"{name}__sd"] = _mean_and_scale(est, h, future)
                except _FIT_ERRORS:
                    failed.add(name)
            records.append(block)
        return records, failed

    def _scorer(self, frame, usable):
        """The backtest score of a forecast (lower is better) under ``criterion``."""
        actual, scale = frame["y"].to_numpy(), frame["scale"].to_numpy()
        if self.criterion == "mase":
            return lambda pred: _mase(actual, pred, scale)
        best_mase = max(min(_mase(actual, frame[n], scale) for n in usable), 1e-12)
        best_smape = max(min(_smape(actual, frame[n]) for n in usable), 1e-12)
        return lambda pred: 0.5 * (_mase(actual, pred, scale) / best_mase + _smape(actual, pred) / best_smape)

    def _learn_weights(self, records, names, usable, m):
        frame = pd.concat([pd.DataFrame({k: v for k, v in r.items()}) for r in records], ignore_index=True)
        actual, scale = frame["y"].to_numpy(), frame["scale"].to_numpy()
        score_of = self._scorer(frame, usable)
        score = {n: score_of(frame[n]) for n in usable}
        order = sorted(usable, key=score.get)
        best = order[0]
        if self.method == "stacking":
            coef, _ = nnls(frame[usable].to_numpy(), actual)
            candidates = [dict(zip(usable, coef / coef.sum()))] if coef.sum() > 0 else []
        else:  # the k best members, for every k >= 2: weak members can spoil the full set
            candidates = [_inverse(order[:k], score) for k in range(2, len(order) + 1)]
        scored = [(score_of(sum(w[n] * frame[n] for n in w)), w) for w in candidates]
        combo_score, weights = min(scored, key=lambda pair: pair[0], default=(np.inf, {}))
        self.fallback_ = None
        if combo_score > TOLERANCE * score[best]:
            weights = {best: 1.0}
            if len(usable) > 1:
                self.fallback_ = f"best member only: every weighted combination was > 2% worse than {best}"
        combo = sum(w * frame[n] for n, w in weights.items())
        self.weights_ = {n: float(weights.get(n, 0.0)) for n in names}
        scale_sd = sum(self.weights_[n] * frame[f"{n}__sd"] for n in usable if self.weights_[n] > 0)
        self.scores_ = (np.abs(actual - combo) / np.maximum(scale_sd, 1e-12)).to_numpy()
        frame["ensemble"] = combo
        self.mase_ = {**{n: _mase(actual, frame[n], scale) for n in usable}, "ensemble": _mase(actual, combo, scale)}
        self.backtest_ = frame[["window", "cutoff", "step", "y", *usable, "ensemble"]]

    def _predict(self, h, levels, X_future):
        active = {n: w for n, w in self.weights_.items() if w > 0}
        # with a perfect backtest (e.g. a constant series) there is nothing to calibrate on
        if not (self.conformal and self.mase_) or not np.any(self.scores_):
            parts = {n: frame_parts(self.members_[n].predict(h, levels, X_future), levels) for n in active}
            mean = sum(active[n] * parts[n][0] for n in active)
            bounds = {lv: tuple(sum(active[n] * parts[n][1][lv][i] for n in active) for i in (0, 1)) for lv in levels}
            return mean, bounds
        parts = {n: _mean_and_scale(self.members_[n], h, X_future) for n in active}
        mean = sum(active[n] * parts[n][0] for n in active)
        sd = sum(active[n] * parts[n][1] for n in active)
        return mean, {lv: (mean - _conformal_quantile(self.scores_, lv) * sd,
                           mean + _conformal_quantile(self.scores_, lv) * sd) for lv in levels}
