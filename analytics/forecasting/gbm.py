"""Gradient-boosted trees (scikit-learn) on lag, rolling, calendar and exogenous features.

One model can be trained on a single series (``fit``) or globally on many
(``fit_global`` on a long frame ``unique_id, ds, y[, regressors...]``). Each series
is put on a common scale so that series of different sizes share one model:

- ``scaling="series"`` (default): its own mean and standard deviation;
- ``scaling="last_season"``: the log of the ratio to the mean of its last (longest) season
  when the series is positive, else its deviation from that mean in standard deviations.
  Trees cannot extrapolate, so anchoring every series at its latest level is what lets a
  global model follow series that drifted since their start.

With ``seasonal_difference=True`` the trees learn the change from one (first) season ago
rather than the level, so a strongly periodic series is forecast close to its last season
unless the lags say otherwise. Forecasts are recursive: each step's prediction becomes the
next step's lag.

Calendar features are the phase of each season (``time index mod m``); for global
training the time index counts steps from the earliest ``ds`` of the frame, so
series that share a calendar share phases.

Intervals are normal with the series' one-step error, measured on a hold-out of the
last 20% of its training rows, widening with ``sqrt(step)``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from analytics.forecasting._checks import (
    DS, ID, Y, NotFittedError, check_exog, check_h, check_levels, check_season_length, usable_seasons, validate_long,
)
from analytics.forecasting.base import Forecaster, forecast_frame, normal_bounds

__all__ = ["GBMForecaster", "global_max_lag"]

_HOLDOUT = 0.2
SCALINGS = ("series", "last_season")


def _lags(seasons, max_lag, lags):
    wanted = set(lags) if lags is not None else {1, 2, 3, *seasons, *(2 * m for m in seasons if m > 1)}
    usable = sorted(l for l in wanted if 1 <= l <= max(1, max_lag))
    return usable or [1]


def _window(seasons):
    return max(max(seasons), 3)


def _features(z, t, lags, window, seasons, start, X):
    """Feature rows for target positions ``t`` of the standardised series ``z``."""
    cols = [z[t - l] for l in lags]
    csum = np.concatenate([[0.0], np.cumsum(z)])
    w = np.minimum(window, t)
    cols.append((csum[t] - csum[t - w]) / np.maximum(w, 1))
    cols.extend((start + t) % m for m in seasons if m > 1)
    rows = np.column_stack(cols)
    return rows if X is None else np.column_stack([rows, X[t]])


def _names_of(X) -> list[str]:
    if X is None:
        return []
    if isinstance(X, pd.DataFrame):
        return [str(c) for c in X.columns]
    return [f"x{j}" for j in range(1 if np.ndim(X) == 1 else np.shape(X)[1])]


def _steps_between(origin, start, step) -> int:
    """Whole steps from ``origin`` to ``start`` (calendar offsets such as month ends included)."""
    if isinstance(step, pd.DateOffset):
        return len(pd.date_range(origin, start, freq=step)) - 1
    return int(round((start - origin) / step))


def global_max_lag(n: int) -> int:
    """Longest lag a global model keeps when its shortest series has ``n`` points.

    Each series must keep a quarter of its points as training rows. That is looser than the
    half of ``fit()``: the other series supply rows too, and a two-week lag is what lets hourly
    series with a weekly pattern (M4 Hourly) be forecast from 556-point backtest parts.
    """
    return max(1, (3 * n) // 4)


class _Series:
    """Per-series state: scaled history, scale, calendar offset, regressors.

    ``z = (f(y) - mu) / sd`` with ``f = log`` when ``log`` is set, else the identity.
    """

    def __init__(self, y, start, X, scaling="series", season=1):
        self.log = scaling == "last_season" and bool(np.all(y > 0))
        if self.log:
            self.mu, self.sd = float(np.log(np.mean(y[-season:]))), 1.0
        else:
            spread = float(np.std(y)) or max(abs(float(np.mean(y))), 1.0)
            self.mu, self.sd = float(np.mean(y[-season:] if scaling == "last_season" else y)), spread
        self.z, self.start, self.X = ((np.log(y) if self.log else y) - self.mu) / self.sd, int(start), X
        self.sigma = np.nan

    def unscale(self, z):
        x = self.mu + self.sd * z
        return np.exp(x) if self.log else x


class GBMForecaster(Forecaster):
    """HistGradientBoostingRegressor on lags, a rolling mean, season phases and regressors.

    Parameters
    ----------
    season_length : int or list of int
        Seasons for the default lags and the phase features.
    lags : list of int, optional
        Lags of the target; default ``1, 2, 3``, every season and twice every season.
        Lags longer than half the (shortest) series are dropped.
    max_iter, learning_rate : int, float
        Boosting rounds and shrinkage.
    random_state : int, optional
    scaling : {"series", "last_season"}
        How each series is scaled (see the module docstring).
    seasonal_difference : bool
        Learn the change from one season ago instead of the level.
    loss : str
        Loss of the trees, e.g. ``"squared_error"`` or ``"absolute_error"`` (the median,
        robust to the outliers of a pooled set of series).
    holdout : float
        Share of each series' last training rows held out to measure its one-step error for
        the intervals. 0 measures it in-sample instead (one fit instead of two, but intervals
        too narrow on their own: for members whose intervals are recalibrated anyway, such as
        the ensemble's conformal intervals).
    """

    def __init__(self, season_length=1, lags=None, max_iter=150, learning_rate=0.08, random_state=None,
                 scaling="series", seasonal_difference=False, loss="squared_error", holdout=_HOLDOUT):
        self.season_length = season_length
        self.lags = lags
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.random_state = random_state
        self.scaling = scaling
        self.seasonal_difference = seasonal_difference
        self.loss = loss
        self.holdout = holdout

    def _regressor(self):
        return HistGradientBoostingRegressor(
            max_iter=self.max_iter, learning_rate=self.learning_rate, early_stopping=False,
            min_samples_leaf=10, random_state=self.random_state, loss=self.loss,
        )

    def _new_series(self, y, start, X):
        if self.scaling not in SCALINGS:
            raise ValueError(f"scaling={self.scaling!r} is not an option; use one of {SCALINGS}.")
        return _Series(y, start, X, self.scaling, max(self.seasons_))

    def _difference_lag(self):
        """The lag the target is differenced at (0: the target is the level itself)."""
        return self.seasons_[0] if self.seasonal_difference and self.seasons_[0] > 1 else 0

    def fit(self, y, X=None) -> "GBMForecaster":
        """Learn from one series ``y`` and optional regressors ``X`` (array or DataFrame, one row per step)."""
        self.regressor_names_ = _names_of(X)
        return super().fit(y, X)

    def _fit(self, y, X):
        with threadpool_limits(limits=1, user_api="openmp"):
            self._fit_states({None: self._new_series(y, 0, X)}, max_lag=y.size // 2)

    def fit_global(self, df: pd.DataFrame) -> "GBMForecaster":
        """Train one model on every series of the long frame ``df`` (extra columns are regressors)."""
        panel = validate_long(df)
        self.regressor_names_ = [c for c in df.columns if c not in (ID, DS, Y)]
        self.seasons_ = usable_seasons(check_season_length(self.season_length), max(s.y.size for s in panel.values()))
        self.season_length_ = self.seasons_[0]
        origin = min(s.ds[0] for s in panel.values())
        states = {}
        for uid, s in panel.items():
            states[uid] = self._new_series(s.y, _steps_between(origin, s.ds[0], s.step),
                                           check_exog(s.X, s.y.size, f"regressors of series {uid!r}"))
        self.n_obs_ = sum(s.y.size for s in panel.values())
        max_lag = global_max_lag(min(s.y.size for s in panel.values()))
        # One OpenMP thread: the trees' threads spin-wait, and on a busy 2-core machine two were 3x
        # (214k rows, M4 Hourly) to 13x (30k rows) slower than one; callers parallelise across fits.
        with threadpool_limits(limits=1, user_api="openmp"):
            self._fit_states(states, max_lag=max_lag)
        return self

    def _rows(self, state, t):
        return _features(state.z, t, self.lags_, self.window_, self.seasons_, state.start, state.X)

    def _fit_states(self, states, max_lag):
        self.lags_ = _lags(self.seasons_, max_lag, self.lags)
        self.window_ = _window(self.seasons_)
        d = self._difference_lag()
        first = max(max(self.lags_), d)
        fit_rows, fit_y, hold = [], [], []
        for key, st in states.items():
            t = np.arange(first, st.z.size)
            cut = t.size - int(self.holdout * t.size) if t.size >= 20 else t.size
            target = st.z[t] - (st.z[t - d] if d else 0.0)
            fit_rows.append(self._rows(st, t)), fit_y.append(target), hold.append((key, t, cut))
        Xall, yall = np.vstack(fit_rows), np.concatenate(fit_y)
        mask = np.concatenate([np.arange(t.size) < cut for _, t, cut in hold])
        self.regressor_ = self._regressor().fit(Xall, yall)
        if mask.all() or mask.sum() < 10:
            holdout_model = self.regressor_
        else:
            holdout_model = self._regressor().fit(Xall[mask], yall[mask])
        offset = 0
        for key, t, cut in hold:
            rows = slice(offset + (cut if cut < t.size else 0), offset + t.size)
            err = yall[rows] - holdout_model.predict(Xall[rows])
            states[key].sigma = max(float(np.sqrt(np.mean(err**2))), 0.01)
            offset += t.size
        self.series_ = states

    def _recursive(self, keys, h, X_future):
        states = [self.series_[k] for k in keys]
        hist = [np.concatenate([s.z, np.zeros(h)]) for s in states]
        exog = [None if s.X is None else np.vstack([s.X, check_exog(X_future[i], h, "X_future")])
                for i, s in enumerate(states)]
        d = self._difference_lag()
        for k in range(h):
            rows = np.vstack([
                _features(z, np.array([s.z.size + k]), self.lags_, self.window_, self.seasons_, s.start, x)
                for z, s, x in zip(hist, states, exog)
            ])
            with threadpool_limits(limits=1, user_api="openmp"):
                step = self.regressor_.predict(rows)
            for z, s, v in zip(hist, states, step):
                z[s.z.size + k] = v + (z[s.z.size + k - d] if d else 0.0)
        return [z[s.z.size:] for z, s in zip(hist, states)]

    def _predict(self, h, levels, X_future):
        key = next(iter(self.series_))
        if self.series_[key].X is not None and X_future is None:
            raise ValueError("GBMForecaster was fitted with regressors X; pass X_future with h rows to predict.")
        return self._scaled(key, self._recursive([key], h, [X_future])[0], levels)

    def _scaled(self, key, z, levels):
        st = self.series_[key]
        mean = st.unscale(z)
        # on the log scale sd * z is a relative error: times the level in the series' units
        sd = st.sigma * st.sd * np.sqrt(np.arange(1, z.size + 1)) * (mean if st.log else 1.0)
        return mean, normal_bounds(mean, sd, levels)

    def predict_global(self, h: int, level=(80, 95), X_future: dict | None = None) -> pd.DataFrame:
        """Forecast every series seen by ``fit_global``: a long frame ``unique_id, step, mean, lo-*, hi-*``.

        ``X_future`` maps each unique_id to its ``h`` future regressor rows (needed if fitted with regressors).
        """
        if not hasattr(self, "series_"):
            raise NotFittedError("This GBMForecaster is not fitted yet; call fit_global(df) before predict_global(h).")
        h, levels = check_h(h), check_levels(level)
        keys = list(self.series_)
        futures = [None if X_future is None else X_future[k] for k in keys]
        frames = []
        for key, z in zip(keys, self._recursive(keys, h, futures)):
            frame = forecast_frame(*self._scaled(key, z, levels), levels)
            frame.insert(0, "step", np.arange(1, h + 1))
            frame.insert(0, ID, key)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def tree_inputs(self, h: int = 0, X_future=None) -> tuple[pd.DataFrame, np.ndarray]:
        """What the trees saw for one series fitted with ``fit``: every training row, then the ``h`` forecast steps
        (whose lags are the forecasts before them), one named column per feature, indexed by time position.

        Also returns what is added to each tree output on the standardised scale before unscaling: the value one
        season ago with ``seasonal_difference``, else 0. ``regressor_.predict(frame) + carried`` is ``z``, and
        ``mu + sd * z`` (``exp`` of it on the log scale) the series' value, ``mu``/``sd``/``log`` in ``series_[None]``.
        """
        if not hasattr(self, "series_") or None not in self.series_:
            raise NotFittedError("This GBMForecaster is not fitted yet; call fit(y, X) first (tree_inputs explains "
                                 "one series, so a fit_global model has none).")
        st, d = self.series_[None], self._difference_lag()
        path = self._recursive([None], h, [X_future])[0] if h else np.zeros(0)
        z = np.concatenate([st.z, path])
        X = None if st.X is None else np.vstack([st.X, check_exog(X_future, h, "X_future")]) if h else st.X
        t = np.arange(max(max(self.lags_), d), z.size)
        names = [f"lag {lag}" for lag in self.lags_] + [f"mean of last {self.window_}"]
        names += [f"phase of {m}" for m in self.seasons_ if m > 1] + list(self.regressor_names_)
        frame = pd.DataFrame(_features(z, t, self.lags_, self.window_, self.seasons_, st.start, X), index=t,
                             columns=names)
        return frame, (z[t - d] if d else np.zeros(t.size))

    def regressor_effects(self) -> pd.DataFrame:
        """Measured effect of each regressor on the one-step forecast, in the series' own units,
        averaged over its training rows: for a 0/1 flag (a promotion) the forecast with the flag
        on minus with it off; for any other regressor the change when it is raised by 1 (per unit).

        Returns ``unique_id, regressor, effect`` (``unique_id`` is None after ``fit``).
        """
        if not hasattr(self, "series_"):
            raise NotFittedError("This GBMForecaster is not fitted yet; call fit or fit_global first.")
        rows = []
        first = max(self.lags_)
        n_base = len(self.lags_) + 1 + sum(m > 1 for m in self.seasons_)
        for key, st in self.series_.items():
            if st.X is None or st.z.size <= first:
                continue
            base = self._rows(st, np.arange(first, st.z.size))
            with threadpool_limits(limits=1, user_api="openmp"):
                for j, name in enumerate(self.regressor_names_):
                    col = n_base + j
                    low, high = base.copy(), base.copy()
                    if np.isin(base[:, col], (0.0, 1.0)).all():
                        low[:, col], high[:, col] = 0.0, 1.0
                    else:
                        high[:, col] += 1
                    lift = float(np.mean(self.regressor_.predict(high) - self.regressor_.predict(low))) * st.sd
                    lift *= float(np.exp(st.mu)) if st.log else 1.0  # log scale: relative lift at the level
                    rows.append({ID: key, "regressor": name, "effect": lift})
        return pd.DataFrame(rows, columns=[ID, "regressor", "effect"])
