"""Event effects on a daily series: the design per node, one regression, and the event-adjusted members.

**Design** (``event_design``): from the calendar (:mod:`analytics.forecasting.calendar`), one column per event
type that occurs in the history (a 0/1 flag per day, public holidays pooled; for promotions the day's discount, so a planned 40% sale
is forecast from what 15% and 25% sales did), the lift analysts expect for events that never happened before
(one-offs with ``expected_lift``), and which days are event days at all.

**Regression** (``fit_event_effects``): least squares of the log of demand (of demand itself when many days
are zero) on the event columns plus what moves demand anyway — weekday, yearly season (Fourier terms, from
two years on), a piecewise-linear trend (a knot a year: a more
flexible trend would take over part of the yearly season) and optional extra controls (marketing spend).
The event coefficients are shrunk towards no effect as a prior of ``PRIOR_SD`` on the log scale implies
(ridge with penalty noise variance / prior variance, the noise measured by a first unshrunk pass): on a
quiet series an event seen twice keeps almost all of its lift, on a noisy one it does not take all of that
day's noise. Their 95% intervals come from the sandwich covariance of the ridge
fit, inflated for the residuals' lag-1 autocorrelation (neighbouring days' errors are not independent).

**Event-adjusted members** (``EventAdjusted``): any forecaster is fitted on the series with the event effects
divided out (subtracted, for the additive case) and its forecast multiplied back by the effects of the
events ahead; its intervals widen on those days by the effects' own standard error (an effect seen twice is
not known exactly), so the ensemble's conformal scores on event days are measured against an honest scale. A statistical member that takes no regressors (Theta, MSTL, seasonal naive) thereby knows every
promotion and holiday; the gradient-boosted member also gets the calendar features (days to and from the
nearest major event, the discount) as regressors.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.base import clone

from analytics.forecasting.base import Forecaster, frame_parts

__all__ = ["EventAdjusted", "EventDesign", "EventFit", "RIDGE", "event_design", "fit_event_effects"]

RIDGE = 1.0
PRIOR_SD = 0.5  # an event's effect is a priori within about +/- 65% (log scale); the data overrule it quickly
TREND_KNOT_DAYS = 365
FOURIER_TERMS = 4
YEAR = 365.25
MAJOR_WINDOW = 21  # days to / since the nearest major event, clipped
_MIN_POSITIVE_SHARE = 0.95
_Z95 = 1.959963984540054
SITEWIDE, CATEGORY, HOLIDAYS = "promo:sitewide", "promo:category", "event:Public holidays"


@dataclass(frozen=True)
class EventDesign:
    """One node's event columns over ``days`` (history then horizon).

    ``X``: one column per learnable event type (``columns``, ``labels``, ``kinds``); ``offset``: the log lift
    analysts expect on days of events never seen before (0 elsewhere); ``event_day``: any event that day;
    ``to_major``/``since_major``: days to the next and since the last major event (commercial day, public
    holiday or sitewide promotion), clipped at ``MAJOR_WINDOW``.
    """

    days: pd.DatetimeIndex
    columns: tuple[str, ...]
    labels: tuple[str, ...]
    kinds: tuple[str, ...]
    X: np.ndarray
    offset: np.ndarray
    event_day: np.ndarray
    to_major: np.ndarray
    since_major: np.ndarray
    rows: pd.DataFrame  # the node's calendar rows (``ds, name, label, kind, discount, column``)


def _in_scope(calendar: pd.DataFrame, region: str | None, category: str | None) -> pd.DataFrame:
    keep = calendar["region"].isna() | (calendar["region"] == region) if region else np.ones(len(calendar), bool)
    if category:
        keep &= calendar["category"].isna() | (calendar["category"] == category)
    return calendar[keep]


def _column_of(row_kind: str, name: str, category) -> str:
    """Promotions share a column per scope; public holidays share one (a dozen one-day effects, each seen two
    or three times, would mostly fit noise); every other event type has its own."""
    if row_kind == "promotion":
        return CATEGORY if isinstance(category, str) else SITEWIDE
    return HOLIDAYS if row_kind == "holiday" else f"event:{name}"


def _distance(marks: np.ndarray, forward: bool) -> np.ndarray:
    """Days to the next (``forward``) or since the last marked day, clipped at ``MAJOR_WINDOW``."""
    out, gap = np.full(marks.size, MAJOR_WINDOW, dtype=float), MAJOR_WINDOW
    order = range(marks.size - 1, -1, -1) if forward else range(marks.size)
    for i in order:
        gap = 0 if marks[i] else min(gap + 1, MAJOR_WINDOW)
        out[i] = gap
    return out


def event_design(calendar: pd.DataFrame, days: pd.DatetimeIndex, as_of: pd.Timestamp, region: str | None = None,
                 category: str | None = None) -> EventDesign:
    """The event columns of the node scoped to ``region``/``category`` (None: every region/category).

    Event types with at least one day up to ``as_of`` get a column; the others (coming for the first time)
    add their ``expected_lift`` to ``offset`` when an analyst gave one.
    """
    rows = _in_scope(calendar[(calendar["ds"] >= days[0]) & (calendar["ds"] <= days[-1])], region, category).copy()
    rows["column"] = [_column_of(k, n, c) for k, n, c in zip(rows["kind"], rows["name"], rows["category"])]
    position = days.get_indexer(rows["ds"])
    seen = set(rows.loc[rows["ds"] <= as_of, "column"])
    columns = sorted(seen, key=lambda c: (not c.startswith("promo:"), c))
    X = np.zeros((days.size, len(columns)))
    for j, column in enumerate(columns):
        mine = (rows["column"] == column).to_numpy()
        value = np.where(rows["kind"].to_numpy()[mine] == "promotion", rows["discount"].to_numpy()[mine], 1.0)
        np.maximum.at(X[:, j], position[mine], value)
    unseen = ~rows["column"].isin(seen).to_numpy() & rows["expected_lift"].notna().to_numpy()
    offset = np.zeros(days.size)
    np.add.at(offset, position[unseen], np.log1p(rows["expected_lift"].to_numpy()[unseen]))
    event_day = np.zeros(days.size, dtype=bool)
    event_day[position] = True
    major = np.zeros(days.size, dtype=bool)
    major[position[rows["kind"].isin(["commercial", "holiday"]).to_numpy() | (rows["column"] == SITEWIDE).to_numpy()]] = True
    labels = tuple(_label(c) for c in columns)
    kinds = tuple(rows.loc[rows["column"] == c, "kind"].iloc[0] for c in columns)
    return EventDesign(days, tuple(columns), labels, kinds, X, offset, event_day, _distance(major, True),
                       _distance(major, False), rows[["ds", "name", "label", "kind", "discount", "column",
                                                      "expected_lift"]].reset_index(drop=True))


def _label(column: str) -> str:
    return {SITEWIDE: "Sitewide promotion", CATEGORY: "Category promotion"}.get(column, column.split(":", 1)[-1])


def _fourier(t: np.ndarray) -> np.ndarray:
    """Yearly Fourier terms at positions ``t`` (days), ``2 * FOURIER_TERMS`` columns."""
    angle = 2 * np.pi * np.asarray(t, dtype=float) / YEAR
    return np.column_stack([f(k * angle) for k in range(1, FOURIER_TERMS + 1) for f in (np.sin, np.cos)])


def _controls(n: int, extra: np.ndarray | None = None) -> np.ndarray:
    """Intercept, weekday (position mod 7), yearly Fourier terms (two years on), a piecewise-linear trend."""
    t = np.arange(n, dtype=float)
    columns = [np.ones(n)] + [(t % 7 == k).astype(float) for k in range(1, 7)]
    if n >= 2 * 365:
        columns += list(_fourier(t).T)
    columns += [np.maximum(t - knot, 0.0) / TREND_KNOT_DAYS
                for knot in range(0, max(n - TREND_KNOT_DAYS // 2, 1), TREND_KNOT_DAYS)]
    if extra is not None:
        columns += list(np.asarray(extra, dtype=float).reshape(n, -1).T)
    return np.column_stack(columns)


@dataclass(frozen=True)
class EventFit:
    """Event coefficients on the log scale (``multiplicative``) or in the series' units, with standard errors.

    ``extra_coef``/``extra_se``: the same for the extra controls (marketing spend), which are measured but not
    removed by the adjustment.
    """

    coef: np.ndarray
    se: np.ndarray
    multiplicative: bool
    level: float
    extra_coef: np.ndarray
    extra_se: np.ndarray
    cov: np.ndarray | None = None  # of the event coefficients
    yearly: np.ndarray = field(default_factory=lambda: np.zeros(0))  # Fourier coefficients (two years on)

    def effect_sd(self, X: np.ndarray) -> np.ndarray:
        """Standard error of the events' effect in each row of ``X`` (log scale, or the series' units)."""
        X = np.asarray(X, dtype=float)
        if self.cov is None or not self.coef.size:
            return np.zeros(len(X))
        return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", X, self.cov, X), 0.0))

    def effect(self, X: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        """Log multiplier (or additive amount) of the events in rows ``X``; with positions ``t`` (days since the
        fitted series began) the yearly season's too."""
        part = np.asarray(X, dtype=float) @ self.coef if self.coef.size else np.zeros(len(X))
        if t is not None and self.yearly.size:
            part = part + _fourier(t) @ self.yearly
        return part

    def remove(self, y: np.ndarray, X: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        """``y`` with the events' effects (and, given ``t``, the yearly season) taken out."""
        return y / np.exp(self.effect(X, t)) if self.multiplicative else y - self.effect(X, t)

    def restore(self, values: np.ndarray, X: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        """Forecasts of the adjusted series put back on the events' days (and the yearly season, given ``t``)."""
        effect = self.effect(X, t)
        return values * np.exp(effect) if self.multiplicative else values + effect


def fit_event_effects(y: np.ndarray, X: np.ndarray, extra: np.ndarray | None = None, ridge: float = RIDGE) -> EventFit:
    """Regress ``y`` on the event columns ``X`` plus controls (see the module docstring)."""
    y, X = np.asarray(y, dtype=float), np.asarray(X, dtype=float).reshape(len(y), -1)
    positive = y > 0
    level = float(np.mean(y[-365:])) if y.size else 0.0
    multiplicative = bool(positive.any() and positive.mean() >= _MIN_POSITIVE_SHARE)
    target = np.log(np.maximum(y, y[positive].min())) if multiplicative else y
    controls = _controls(y.size, extra)
    k = X.shape[1]
    scale = np.array([np.sqrt(np.mean(col[col != 0] ** 2)) if np.any(col) else 1.0 for col in X.T])
    A = np.column_stack([X / scale, controls]) if k else controls
    cross = A.T @ A
    # a tiny ridge on every column keeps the solve defined when controls are collinear (a short series)
    jitter = 1e-8 * max(float(np.trace(cross)) / A.shape[1], 1.0)
    sigma2, penalty = 0.0, np.zeros(A.shape[1])
    for _pass in range(2):  # first the noise level, then the shrinkage it implies (sigma^2 / prior variance)
        inverse = np.linalg.inv(cross + np.diag(penalty + jitter))
        beta = inverse @ (A.T @ target)
        resid = target - A @ beta
        sigma2 = float(resid @ resid) / max(y.size - A.shape[1], 1)
        prior = PRIOR_SD**2 if multiplicative else (PRIOR_SD * max(level, 1e-12)) ** 2
        penalty[:k] = ridge * sigma2 / prior
    rho = float(np.clip(np.corrcoef(resid[1:], resid[:-1])[0, 1], 0.0, 0.8)) if y.size > 3 and resid.std() > 0 else 0.0
    cov = sigma2 * (1 + rho) / (1 - rho) * inverse @ cross @ inverse
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    n_extra = 0 if extra is None else np.asarray(extra).reshape(y.size, -1).shape[1]
    extra_slice = slice(A.shape[1] - n_extra, A.shape[1])
    yearly = beta[k + 7:k + 7 + 2 * FOURIER_TERMS] if y.size >= 2 * 365 else np.zeros(0)
    return EventFit(beta[:k] / scale, se[:k] / scale, multiplicative, level, beta[extra_slice], se[extra_slice],
                    cov[:k, :k] / np.outer(scale, scale), yearly)


def relative_lift(fit: EventFit, amount: np.ndarray | float, z: float = 0.0) -> np.ndarray:
    """The relative lift of ``amount`` units of each event column, ``z`` standard errors above the estimate."""
    b = (fit.coef + z * fit.se) * amount
    return np.expm1(b) if fit.multiplicative else b / max(fit.level, 1e-12)


class EventAdjusted(Forecaster):
    """``base`` fitted on the series with event effects removed, its forecast restored on event days.

    ``X`` (and ``X_future``) columns: the first ``n_events`` are event columns, then the analysts' log-lift
    offset (applied by the caller to the combined forecast, so every member's share gets it); ``base_columns`` (indices) are passed to ``base`` as its regressors (None: none). With
    ``n_events=0`` nothing is adjusted: ``base`` as it is, under ``name`` (a member that ignores the calendar).
    With ``yearly`` (and two years of history) the regression's yearly season is taken out and put back too, so
    members with a weekly season only (Theta) still see the run-up to Christmas coming.

    Parameters
    ----------
    base : Forecaster
    n_events : int
    base_columns : tuple of int, optional
    ridge : float
    name : str, optional
        The member's name in the ensemble.
    yearly : bool
    """

    def __init__(self, base=None, n_events=0, base_columns=None, ridge=RIDGE, name=None, yearly=True):
        self.base = base
        self.n_events = n_events
        self.base_columns = base_columns
        self.ridge = ridge
        self.name = name
        self.yearly = yearly

    def _positions(self, start: int, n: int) -> np.ndarray | None:
        return np.arange(start, start + n) if self.yearly else None

    def _parts(self, X):
        """``(event columns, offset, the base's regressors)`` of ``X`` (None where there are none)."""
        k = int(self.n_events)
        base_x = X[:, list(self.base_columns)] if self.base_columns and X is not None else None
        if k == 0:
            return None, None, base_x
        if X is None or X.shape[1] <= k:
            raise ValueError(f"EventAdjusted needs X with {k} event columns and the offset column; "
                             f"got {0 if X is None else X.shape[1]} columns.")
        return X[:, :k], X[:, k], base_x

    def _fit(self, y, X):
        events, _offset, base_x = self._parts(X)
        self.fit_ = None if events is None else fit_event_effects(y, events, ridge=self.ridge)
        adjusted = y if self.fit_ is None else self.fit_.remove(y, events, self._positions(0, y.size))
        self.base_ = clone(self.base).fit(adjusted, base_x)

    def _predict(self, h, levels, X_future):
        X_future = None if X_future is None else np.asarray(X_future, dtype=float)[:h]
        events, _offset, base_x = self._parts(X_future)
        mean, bounds = frame_parts(self.base_.predict(h, levels, base_x), levels)
        if self.fit_ is None:
            return mean, bounds
        t = self._positions(self.n_obs_, h)
        restored = self.fit_.restore(mean, events, t)
        # the effects are estimates: their standard error widens the interval on event days (in quadrature)
        spread = self.fit_.effect_sd(events) * (restored if self.fit_.multiplicative else 1.0)
        widened = {}
        for lv, (lo, hi) in bounds.items():
            z, lo, hi = norm.ppf(0.5 + lv / 200), self.fit_.restore(lo, events, t), self.fit_.restore(hi, events, t)
            widened[lv] = (restored - np.hypot(restored - lo, z * spread), restored + np.hypot(hi - restored, z * spread))
        return restored, widened
