"""A weighted ensemble of base forecasters, weighted and calibrated on rolling-origin backtests.

How ``fit(y)`` works:

1. Rolling origins: ``n_windows`` cutoffs, ``h`` steps apart, the last one ``h`` steps before
   the end. With ``comparable_period`` (e.g. 364 days) ``n_comparable`` more windows start that
   many steps (and multiples) before the forecast itself, so the backtests hold the same part of
   the year as the forecast — last year's Black Friday when this year's is ahead. Windows that
   would leave fewer than ``max(2 * season, 5)`` training points are dropped; with none left the
   ensemble is just its first member (``fallback_`` says so).
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
5. Day types: with ``day_type_column`` (a column of ``X`` that is non-zero on event days) steps
   3-4 run twice, on the backtests' event days and on their other days, when there are at least
   ``MIN_EVENT_ROWS`` event days (else the event days share the ordinary weights). A future event
   day is combined with the event weights: members that model events win where they matter.
6. Conformal intervals (:mod:`analytics.forecasting.conformal`): each backtest error is divided
   by the combination's own predictive scale at that step (from the members' 80% intervals); the
   interval for level L is the mean +/- a conformal quantile of those scores times the future
   scale, per horizon step and with event days calibrated on event days. Each window is scored
   under the weights learnt on the other windows (held out), and ``n_calibration_windows`` older
   windows may add scores without taking part in the weights. If every backtest error is zero (a constant
   series) the members' own intervals are used instead of zero-width ones.

The members themselves live in :mod:`analytics.forecasting.members`. This module stays one piece (about 340
lines) because steps 1-6 share the backtest frame and each step reads the previous one's results.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import nnls
from sklearn.base import clone

from analytics.forecasting._checks import check_h
from analytics.forecasting.conformal import fit_calibration
from analytics.forecasting.base import Forecaster, frame_parts
from analytics.forecasting.members import default_members

__all__ = ["EnsembleForecaster", "mase_scale"]

METHODS = ("inverse_mase", "stacking")
CRITERIA = ("mase", "mase_smape")
TOLERANCE = 1.02
MIN_EVENT_ROWS = 5  # backtest event days needed before event days get weights of their own
_Z80 = 1.2815515655446004
_FIT_ERRORS = (ValueError, np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError)


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
    day_type_column : int, optional
        Column of ``X`` that marks event days (non-zero); they get weights and intervals of their own.
    comparable_period : int, optional
        Steps between comparable periods (364 for daily data: same weekday a year before).
    n_comparable : int
        Backtest windows placed ``k * comparable_period`` steps before the forecast, k = 1..n.
    n_calibration_windows : int, optional
        Rolling windows the conformal intervals are calibrated on (default ``n_windows``); the older ones
        beyond ``n_windows`` only calibrate, the weights still come from the ``n_windows`` latest.

    Attributes
    ----------
    weights_ : dict[str, float]
        Weight per member name on ordinary days; sums to 1.
    event_weights_ : dict[str, float]
        Weight per member name on event days (the ordinary weights without ``day_type_column``).
    backtest_ : DataFrame
        ``window, cutoff, step, y, event, scale`` (the window's MASE scale), one column per member and ``ensemble``.
    mase_ : dict[str, float]
        Backtest MASE per member and for ``ensemble``.
    """

    def __init__(self, members=None, season_length=1, h=None, n_windows=3, method="inverse_mase", conformal=True,
                 criterion="mase", day_type_column=None, comparable_period=None, n_comparable=0,
                 n_calibration_windows=None):
        self.members = members
        self.season_length = season_length
        self.h = h
        self.n_windows = n_windows
        self.method = method
        self.conformal = conformal
        self.criterion = criterion
        self.day_type_column = day_type_column
        self.comparable_period = comparable_period
        self.n_comparable = n_comparable
        self.n_calibration_windows = n_calibration_windows

    def _event_days(self, X, start: int, stop: int) -> np.ndarray:
        """Whether each step from ``start`` to ``stop`` (exclusive) of ``X`` is an event day."""
        if self.day_type_column is None or X is None:
            return np.zeros(stop - start, dtype=bool)
        return np.asarray(X, dtype=float)[start:stop, int(self.day_type_column)] != 0

    def _windows(self, n, h, min_train) -> list[int]:
        rolling = max(int(self.n_windows), int(self.n_calibration_windows or 0))
        recent = [n - k * h for k in range(rolling, 0, -1)]
        comparable = []
        if self.comparable_period and self.n_comparable:
            period = int(self.comparable_period)
            comparable = [n - k * period for k in range(int(self.n_comparable), 0, -1) if k * period >= h]
        return sorted({cut for cut in [*comparable, *recent] if cut >= min_train})

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
        windows = self._windows(y.size, h, min_train)
        self.backtest_horizon_ = h
        records, failed = self._backtest(y, X, templates, names, windows, h, m)
        usable = [n for n in names if n not in failed]
        if not windows or not usable:
            self.fallback_ = ("first member only: " + ("series too short for a backtest window" if not windows
                              else f"every member failed on the backtest ({sorted(failed)})"))
            usable = usable or names[:1]
            self.weights_ = {n: float(n == usable[0]) for n in names}
            self.event_weights_ = dict(self.weights_)
            self.mase_, self.backtest_, self.calibration_ = {}, pd.DataFrame(), None
        else:
            self._learn_weights(records, names, usable)
        # every member that survived the backtest is kept fitted, so backtest() can score it
        self.members_ = {n: clone(t).fit(y, X) for n, t in zip(names, templates) if n in usable}

    def _backtest(self, y, X, templates, names, windows, h, m):
        records, failed = [], set()
        for w, cut in enumerate(windows):
            block = {"window": w, "cutoff": cut, "step": np.arange(1, h + 1), "y": y[cut:cut + h],
                     "event": self._event_days(X, cut, cut + h), "scale": mase_scale(y[:cut], m)}
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

    def _weights_on(self, frame, usable) -> tuple[dict, float, str, float]:
        """Steps 3-4 on the backtest rows ``frame``: ``(weights, combination score, best member, its score)``."""
        actual = frame["y"].to_numpy()
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
        return weights, combo_score, best, score[best]

    def _type_weights(self, frame, names, usable) -> tuple[dict, dict, str | None]:
        """Steps 3-5 on the backtest rows ``frame``: ``(ordinary weights, event-day weights, fallback note)``."""
        event = frame["event"].to_numpy()
        ordinary = frame[~event] if (~event).any() else frame
        weights, combo_score, best, best_score = self._weights_on(ordinary, usable)
        fallback = None
        if combo_score > TOLERANCE * best_score:
            weights = {best: 1.0}
            if len(usable) > 1:
                fallback = f"best member only: every weighted combination was > 2% worse than {best}"
        weights = {n: float(weights.get(n, 0.0)) for n in names}
        event_weights = dict(weights)
        if event.sum() >= MIN_EVENT_ROWS:
            on_events, event_score, event_best, event_best_score = self._weights_on(frame[event], usable)
            if event_score > TOLERANCE * event_best_score:
                on_events = {event_best: 1.0}
            event_weights = {n: float(on_events.get(n, 0.0)) for n in names}
        return weights, event_weights, fallback

    @staticmethod
    def _combined(frame, usable, weights, event_weights) -> tuple[np.ndarray, np.ndarray]:
        """The combination's forecast and predictive scale on the rows of ``frame``, by day type."""
        event = frame["event"].to_numpy()
        combo, scale_sd = np.zeros(len(frame)), np.zeros(len(frame))
        for mask, w in ((~event, weights), (event, event_weights)):
            for n in (n for n in usable if w[n] > 0):
                combo[mask] += w[n] * frame.loc[mask, n].to_numpy()
                scale_sd[mask] += w[n] * frame.loc[mask, f"{n}__sd"].to_numpy()
        return combo, scale_sd

    def _scores(self, frame, usable, weights, event_weights) -> np.ndarray:
        combo, scale_sd = self._combined(frame, usable, weights, event_weights)
        return np.abs(frame["y"].to_numpy() - combo) / np.maximum(scale_sd, 1e-12)

    def _held_out_scores(self, frame, names, usable) -> np.ndarray:
        """Conformal scores of each window under the weights learnt on the other windows.

        Scoring the combination on the very windows its weights were chosen on makes the errors look smaller
        than the future's; holding each window out keeps the calibration honest (one window: in-sample).
        """
        windows = frame["window"].to_numpy()
        if np.unique(windows).size < 2:
            return self._scores(frame, usable, self.weights_, self.event_weights_)
        scores = np.zeros(len(frame))
        for w in np.unique(windows):
            held = windows == w
            weights, event_weights, _ = self._type_weights(frame[~held], names, usable)
            scores[held] = self._scores(frame[held], usable, weights, event_weights)
        return scores

    def _calibration_only(self, frame) -> np.ndarray:
        """Rows of rolling windows older than the ``n_windows`` latest: they calibrate, they do not weigh."""
        n = int(frame["cutoff"].max() + frame["step"].max())  # the training length
        comparable = ({n - k * int(self.comparable_period) for k in range(1, int(self.n_comparable) + 1)}
                      if self.comparable_period else set())
        rolling = sorted(c for c in frame["cutoff"].unique() if c not in comparable)
        older = set(rolling[:max(len(rolling) - int(self.n_windows), 0)])
        return frame["cutoff"].isin(older).to_numpy()

    def _learn_weights(self, records, names, usable):
        frame = pd.concat([pd.DataFrame({k: v for k, v in r.items()}) for r in records], ignore_index=True)
        older = self._calibration_only(frame)
        weighting = frame[~older].reset_index(drop=True)
        self.weights_, self.event_weights_, self.fallback_ = self._type_weights(weighting, names, usable)
        scores = np.zeros(len(frame))
        scores[~older] = self._held_out_scores(weighting, names, usable)
        if older.any():
            scores[older] = self._scores(frame[older], usable, self.weights_, self.event_weights_)
        self.calibration_ = fit_calibration(scores, frame["step"].to_numpy(), frame["event"].to_numpy())
        frame = weighting
        actual, scale = frame["y"].to_numpy(), frame["scale"].to_numpy()
        combo, _ = self._combined(frame, usable, self.weights_, self.event_weights_)
        frame["ensemble"] = combo
        self.mase_ = {**{n: _mase(actual, frame[n], scale) for n in usable}, "ensemble": _mase(actual, combo, scale)}
        self.backtest_ = frame[["window", "cutoff", "step", "y", "event", "scale", *usable, "ensemble"]]

    def _predict(self, h, levels, X_future):
        future_events = self._event_days(X_future, 0, h)
        types = [(~future_events, self.weights_), (future_events, self.event_weights_)]
        used = sorted({n for _, w in types for n, v in w.items() if v > 0})
        calibrated = self.conformal and self.mase_ and self.calibration_ is not None and self.calibration_.any_spread()
        mean, sd = np.zeros(h), np.zeros(h)
        if not calibrated:  # with a perfect backtest (e.g. a constant series) there is nothing to calibrate on
            parts = {n: frame_parts(self.members_[n].predict(h, levels, X_future), levels) for n in used}
            bounds = {lv: (np.zeros(h), np.zeros(h)) for lv in levels}
            for mask, w in types:
                for n in (n for n in used if w.get(n, 0) > 0):
                    mean[mask] += w[n] * parts[n][0][mask]
                    for lv in levels:
                        bounds[lv][0][mask] += w[n] * parts[n][1][lv][0][mask]
                        bounds[lv][1][mask] += w[n] * parts[n][1][lv][1][mask]
            return mean, bounds
        parts = {n: _mean_and_scale(self.members_[n], h, X_future) for n in used}
        for mask, w in types:
            for n in (n for n in used if w.get(n, 0) > 0):
                mean[mask] += w[n] * parts[n][0][mask]
                sd[mask] += w[n] * parts[n][1][mask]
        steps = np.arange(1, h + 1)
        bounds = {}
        for lv in levels:
            q = self.calibration_.multiplier(lv, steps, future_events)
            bounds[lv] = (mean - q * sd, mean + q * sd)
        return mean, bounds
