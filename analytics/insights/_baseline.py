"""The robust baseline of one daily series, with its level shifts found as change points.

The model is a regression of ``log(y + offset)`` on the design (:mod:`analytics.insights._design`), fitted by
statsmodels' robust linear model with Huber's loss (iteratively reweighted least squares), so the days of an
anomaly barely pull the baseline towards themselves.

**Level shifts** (change points): a step ``1[day >= tau]`` is added to the design at the ``tau`` where it
reduces the weighted sum of squares most. For a candidate step ``s`` and the weighted residuals ``e`` of the
current fit the reduction is ``(s'e)^2 / (s's - |Q's|^2)`` (``Q`` an orthonormal basis of the weighted
design), so every ``tau`` is scored at once from suffix sums. The step's t statistic divides its effect by
its standard error under the residuals' long-run variance (lag-1 autocorrelation allowed for, because
neighbouring days' errors share the same unmodelled drift). A step at least ``SEARCH_SHARE * shift_t`` standard errors and
``min_shift`` (log scale) large is kept, the model refitted with it, and the search repeated (at most
``MAX_STEPS`` steps per series; binary segmentation).

**Day scores** (``day_z``): each day's tail probability under an overdispersed Poisson around the final fit
(steps included), as a standard normal z. The dispersion is local (a rolling median over ``SCALE_WINDOW``
days), so a quiet season and a busy one are each judged against their own noise.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.special import gammainc, gammaincc
from scipy.stats import norm

from analytics.insights._design import Design

__all__ = ["MAX_STEPS", "MIN_SEGMENT_DAYS", "SCALE_WINDOW", "SeriesFit", "Step", "day_z", "fit_series"]

MAX_STEPS = 3
# A step enters the model from this share of ``shift_t`` on: its t statistic in the search (against the fit
# without it) understates the one of the joint refit, where only steps reaching ``shift_t`` are reported.
SEARCH_SHARE = 0.8
MIN_SEGMENT_DAYS = 28  # days of history a step needs before it
MIN_SHIFT_DAYS = 14  # ... and after it: a shorter run is a spike or a drop
SCALE_WINDOW = 91
_CHI2_MEDIAN = 0.4549364231195724  # median of chi-squared with one degree of freedom
_CHI2_Q99 = 6.6348966010212145  # ... and its 99th percentile


@dataclass(frozen=True)
class Step:
    """A level shift of ``effect`` (log scale) from day position ``position`` on, ``t`` standard errors large."""

    position: int
    effect: float
    t: float


@dataclass(frozen=True)
class SeriesFit:
    """The fitted baseline of one series (see the module docstring); arrays are per day."""

    actual: np.ndarray
    base_log: np.ndarray  # log-scale baseline without the steps
    steps: tuple[Step, ...]
    z: np.ndarray  # residual of the fit with its steps / local scale
    offset: float
    smear: float

    def expected(self, with_steps: tuple[Step, ...] = ()) -> np.ndarray:
        """The baseline in the metric's units, with the level shifts ``with_steps`` in place."""
        log = self.base_log.copy()
        for step in with_steps:
            log[step.position:] += step.effect
        return np.maximum(np.exp(log) * self.smear - self.offset, 0.0)


def _robust_fit(y: np.ndarray, X: np.ndarray):
    return sm.RLM(y, X, M=sm.robust.norms.HuberT()).fit(maxiter=30, tol=1e-6)


def _basis(Xw: np.ndarray) -> np.ndarray:
    u, s, _ = np.linalg.svd(Xw, full_matrices=False)
    return u[:, s > s[0] * 1e-10] if s.size else u[:, :0]


def _suffix(a: np.ndarray) -> np.ndarray:
    return np.cumsum(a[::-1], axis=0)[::-1]


def _long_run_sd(residual: np.ndarray, scale: float) -> float:
    clipped = np.clip(residual, -3 * scale, 3 * scale)
    rho = float(np.corrcoef(clipped[:-1], clipped[1:])[0, 1]) if clipped.size > 3 and clipped.std() > 0 else 0.0
    rho = min(max(rho if np.isfinite(rho) else 0.0, 0.0), 0.9)
    return scale * np.sqrt((1 + rho) / (1 - rho))


def _best_step(X: np.ndarray, fit, sd: float, taken: list[int]) -> Step | None:
    """The single step that reduces the weighted squared error most, with its size and t statistic."""
    n = X.shape[0]
    root_w = np.sqrt(np.clip(fit.weights, 0.0, None))
    Q = _basis(root_w[:, None] * X)
    numerator = _suffix(root_w * root_w * fit.resid)  # s'e with s = root_w * step, e = root_w * resid
    denominator = _suffix(root_w * root_w) - (_suffix(root_w[:, None] * Q) ** 2).sum(axis=1)
    allowed = np.zeros(n, dtype=bool)
    allowed[MIN_SEGMENT_DAYS:n - MIN_SHIFT_DAYS + 1] = True
    for position in taken:  # a second step right next to one already found would only split it
        allowed[max(position - MIN_SHIFT_DAYS, 0):position + MIN_SHIFT_DAYS] = False
    allowed &= denominator > 1e-9
    if not allowed.any():
        return None
    gain = np.where(allowed, numerator ** 2 / np.where(allowed, denominator, 1.0), -np.inf)
    best = int(np.argmax(gain))
    effect = numerator[best] / denominator[best]
    return Step(best, float(effect), float(effect * np.sqrt(denominator[best]) / sd))


def _with_steps(X: np.ndarray, steps: list[Step]) -> np.ndarray:
    if not steps:
        return X
    columns = [(np.arange(X.shape[0]) >= step.position).astype(float) for step in steps]
    return np.column_stack([X, *columns])


def fit_series(actual: np.ndarray, design: Design, shift_t: float, min_shift: float) -> SeriesFit:
    """Fit the baseline of ``actual`` on ``design``, finding its level shifts (see the module docstring)."""
    y_units = np.asarray(actual, dtype=float)
    positive = y_units[y_units > 0]
    offset = 1.0 + 0.02 * (float(np.median(positive)) if positive.size else 0.0)
    y = np.log(y_units + offset)
    X = design.X[:, np.ptp(design.X, axis=0) > 0]
    X = np.column_stack([np.ones(len(y)), X])  # the intercept (constant columns were dropped above)
    steps: list[Step] = []
    fit = _robust_fit(y, X)
    for _ in range(MAX_STEPS):
        step = _best_step(_with_steps(X, steps), fit, _long_run_sd(fit.resid, fit.scale), [s.position for s in steps])
        if step is None or abs(step.t) < SEARCH_SHARE * shift_t or abs(step.effect) < min_shift:
            break
        steps.append(step)
        fit = _robust_fit(y, _with_steps(X, steps))
    return _finish(y_units, y, X, steps, fit, offset)


def _finish(y_units, y, X, steps: list[Step], fit, offset: float) -> SeriesFit:
    """Re-read each step's effect and t statistic from the final joint fit; score the days."""
    params = np.asarray(fit.params)
    k = X.shape[1]
    bse = np.asarray(fit.bse)
    sd_ratio = _long_run_sd(fit.resid, fit.scale) / max(float(fit.scale), 1e-12)
    final = tuple(Step(s.position, float(params[k + i]), float(params[k + i] / (bse[k + i] * sd_ratio)))
                  for i, s in enumerate(steps))
    base_log = X @ params[:k]
    residual = np.asarray(fit.resid)
    quiet = np.abs(residual) < 3 * max(float(fit.scale), 1e-12)
    smear = float(np.mean(np.exp(residual[quiet]))) if quiet.any() else 1.0
    result = SeriesFit(y_units, base_log, final, np.zeros(len(y)), offset, smear)
    return SeriesFit(y_units, base_log, final, day_z(y_units, result.expected(final)), offset, smear)


def _dispersion(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Local variance-to-mean ratio: the rolling median of squared Pearson residuals over that of chi2(1)."""
    pearson2 = (actual - expected) ** 2 / np.maximum(expected, 1e-9)
    window = min(SCALE_WINDOW, actual.size)
    rolling = pd.Series(pearson2).rolling(window, center=True, min_periods=max(window // 3, 1)).median()
    local = rolling.bfill().ffill().to_numpy() / _CHI2_MEDIAN
    # Revenue's noise has a heavier tail than a count's (one large order): matching the 99th percentile as
    # well as the median keeps a series' own rare big days from reading as spikes. For orders the two agree.
    tail = float(np.quantile(pearson2, 0.99)) / _CHI2_Q99
    return np.maximum(local, max(tail, 0.5 * float(np.median(pearson2)) / _CHI2_MEDIAN) + 1e-9)


def day_z(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Each day's tail probability under an overdispersed Poisson, as a standard normal z.

    ``actual / phi`` is read as a Poisson count of mean ``expected / phi`` (``phi`` the local dispersion: about
    1 for orders, about the mean order value's second moment over its first for revenue), with the regularised
    incomplete gamma as the CDF at non-whole values and the mid-p correction. Unlike a residual over a spread,
    this knows that a day with no orders where five were expected is unremarkable.
    """
    phi = _dispersion(actual, expected)
    y, mu = actual / phi, np.maximum(expected / phi, 1e-9)
    lower = 0.5 * (gammaincc(y + 1, mu) + np.where(y > 0, gammaincc(np.maximum(y, 1e-12), mu), 0.0))
    upper = 0.5 * (gammainc(np.maximum(y, 1e-12), mu) + gammainc(y + 1, mu))
    return np.where(y >= mu, norm.isf(np.clip(upper, 1e-300, 0.5)), norm.ppf(np.clip(lower, 1e-300, 0.5)))
