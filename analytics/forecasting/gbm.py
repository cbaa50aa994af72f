"""Gradient-boosted trees (scikit-learn) on lag, rolling, calendar and exogenous features.

One model can be trained on a single series (``fit``) or globally on many
(``fit_global`` on a long frame ``unique_id, ds, y[, regressors...]``). Each series
is standardised by its own mean and standard deviation, so series of different
sizes share one model. Forecasts are recursive: each step's prediction becomes the
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
    DS, ID, Y, check_exog, check_h, check_levels, check_season_length, usable_seasons, validate_long,
)
from analytics.forecasting.models import Forecaster, NotFittedError, _frame, normal_bounds

__all__ = ["GBMForecaster"]

_HOLDOUT = 0.2
_SMALL = 20_000  # rows below which one OpenMP thread beats several (thread start-up dominates)


def _lags(seasons, n, lags):
    wanted = set(lags) if lags is not None else {1, 2, 3, *seasons, *(2 * m for m in seasons if m > 1)}
    usable = sorted(l for l in wanted if 1 <= l <= max(1, n // 2))
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


class _Series:
    """Per-series state: standardised history, scale, calendar offset, regressors."""

    def __init__(self, y, start, X):
        self.mu, self.sd = float(np.mean(y)), float(np.std(y)) or max(abs(float(np.mean(y))), 1.0)
        self.z, self.start, self.X = (y - self.mu) / self.sd, int(start), X
        self.sigma = np.nan


class GBMForecaster(Forecaster):
    """HistGradientBoostingRegressor on lags, a rolling mean, season phases and regressors."""

    def __init__(self, season_length=1, lags=None, max_iter=150, learning_rate=0.08, random_state=None):
        self.season_length = season_length
        self.lags = lags
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.random_state = random_state

    def _regressor(self):
        return HistGradientBoostingRegressor(
            max_iter=self.max_iter, learning_rate=self.learning_rate, early_stopping=False,
            min_samples_leaf=10, random_state=self.random_state,
        )

    def fit(self, y, X=None) -> "GBMForecaster":
        """Learn from one series ``y`` and optional regressors ``X`` (array or DataFrame, one row per step)."""
        self.regressor_names_ = _names_of(X)
        return super().fit(y, X)

    def _fit(self, y, X):
        with threadpool_limits(limits=1, user_api="openmp"):
            self._fit_states({None: _Series(y, 0, X)}, min_len=y.size)

    def fit_global(self, df: pd.DataFrame) -> "GBMForecaster":
        """Train one model on every series of the long frame ``df`` (extra columns are regressors)."""
        panel = validate_long(df)
        self.regressor_names_ = [c for c in df.columns if c not in (ID, DS, Y)]
        origin = min(s.ds[0] for s in panel.values())
        states = {}
        for uid, s in panel.items():
            states[uid] = _Series(s.y, _steps_between(origin, s.ds[0], s.step),
                                  check_exog(s.X, s.y.size, f"regressors of series {uid!r}"))
        self.seasons_ = usable_seasons(check_season_length(self.season_length), max(s.y.size for s in panel.values()))
        self.season_length_ = self.seasons_[0]
        self.n_obs_ = sum(s.y.size for s in panel.values())
        rows = sum(s.y.size for s in panel.values())
        with threadpool_limits(limits=1 if rows < _SMALL else None, user_api="openmp"):
            self._fit_states(states, min_len=min(s.y.size for s in panel.values()))
        return self

    def _rows(self, state, t):
        return _features(state.z, t, self.lags_, self.window_, self.seasons_, state.start, state.X)

    def _fit_states(self, states, min_len):
        self.lags_ = _lags(self.seasons_, min_len, self.lags)
        self.window_ = _window(self.seasons_)
        first = max(self.lags_)
        fit_rows, fit_y, hold = [], [], []
        for key, st in states.items():
            t = np.arange(first, st.z.size)
            cut = t.size - int(_HOLDOUT * t.size) if t.size >= 20 else t.size
            fit_rows.append(self._rows(st, t)), fit_y.append(st.z[t]), hold.append((key, t, cut))
        Xall, yall = np.vstack(fit_rows), np.concatenate(fit_y)
        mask = np.concatenate([np.arange(t.size) < cut for _, t, cut in hold])
        if mask.all() or mask.sum() < 10:
            holdout_model = self._regressor().fit(Xall, yall)
        else:
            holdout_model = self._regressor().fit(Xall[mask], yall[mask])
        offset = 0
        for key, t, cut in hold:
            rows = slice(offset + (cut if cut < t.size else 0), offset + t.size)
            err = yall[rows] - holdout_model.predict(Xall[rows])
            states[key].sigma = max(float(np.sqrt(np.mean(err**2))), 0.01)
            offset += t.size
        self.regressor_ = self._regressor().fit(Xall, yall)
        self.series_ = states

    def _recursive(self, keys, h, X_future):
        states = [self.series_[k] for k in keys]
        hist = [np.concatenate([s.z, np.zeros(h)]) for s in states]
        exog = [None if s.X is None else np.vstack([s.X, check_exog(X_future[i], h, "X_future")])
                for i, s in enumerate(states)]
        for k in range(h):
            rows = np.vstack([
                _features(z, np.array([s.z.size + k]), self.lags_, self.window_, self.seasons_, s.start, x)
                for z, s, x in zip(hist, states, exog)
            ])
            with threadpool_limits(limits=1, user_api="openmp"):
                step = self.regressor_.predict(rows)
            for z, s, v in zip(hist, states, step):
                z[s.z.size + k] = v
        return [z[s.z.size:] for z, s in zip(hist, states)]

    def _predict(self, h, levels, X_future):
        key = next(iter(self.series_))
        if self.series_[key].X is not None and X_future is None:
            raise ValueError("GBMForecaster was fitted with regressors X; pass X_future with h rows to predict.")
        return self._scaled(key, self._recursive([key], h, [X_future])[0], levels)

    def _scaled(self, key, z, levels):
        st = self.series_[key]
        mean = st.mu + st.sd * z
        sd = st.sigma * st.sd * np.sqrt(np.arange(1, z.size + 1))
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
            frame = _frame(*self._scaled(key, z, levels), levels)
            frame.insert(0, "step", np.arange(1, h + 1))
            frame.insert(0, ID, key)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

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
                    rows.append({ID: key, "regressor": name, "effect": lift})
        return pd.DataFrame(rows, columns=[ID, "regressor", "effect"])
