"""Forecast accuracy exactly as the M4 competition defines it, plus interval coverage (pure numpy).

For one series with actuals ``y_1..y_h``, forecasts ``f_1..f_h`` and in-sample history ``x_1..x_n``:

- sMAPE = (1/h) * sum_t 200 * |y_t - f_t| / (|y_t| + |f_t|)        (percent, 0..200)
- MASE  = [(1/h) * sum_t |y_t - f_t|] / [(1/(n-m)) * sum_{t=m+1..n} |x_t - x_{t-m}|]
  with m the seasonality the organisers fixed per frequency (Hourly 24, Weekly 1, ...).
- OWA   = 0.5 * (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2), where every term is the *average over all
  series* of a frequency (OWA is not averaged per series). The official workbook rounds the four
  averages to 3 decimals before dividing (``owa(..., decimals=3)``).
- coverage = share of actuals with lo_t <= y_t <= hi_t.

Zero denominators (M4 itself has none; our own series can):

- sMAPE: a step with ``y_t = f_t = 0`` is a perfect forecast and counts 0 (M4's formula gives 0/0).
- MASE: a history with no seasonal change (``x_t = x_{t-m}`` for all t) has scale 0; the result is
  ``0.0`` when the forecast is perfect and ``inf`` otherwise, so it is never silently finite.
- OWA: a Naive2 score of 0 raises ``ValueError`` (the ratio would be meaningless).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["smape", "mase", "mase_scale", "owa", "interval_coverage"]


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=float)
    f = np.asarray(y_pred, dtype=float)
    if y.shape != f.shape:
        raise ValueError(f"actuals have shape {y.shape} but forecasts {f.shape}; pass one forecast per actual")
    if y.size == 0:
        raise ValueError("no values to score: actuals and forecasts are empty")
    if np.isnan(y).any() or np.isnan(f).any():
        raise ValueError(f"{int(np.isnan(y).sum())} actuals and {int(np.isnan(f).sum())} forecasts are NaN; "
                         "drop or fill them before scoring")
    return y, f


def smape(y_true: Sequence[float], y_pred: Sequence[float]) -> float:
    """Symmetric MAPE of one series in percent, as in M4 (0 = perfect, 200 = worst).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (h,)
        Actuals and forecasts over the horizon.

    Returns
    -------
    float
        ``mean(200 |y - f| / (|y| + |f|))``; steps where ``y = f = 0`` count 0.
    """
    y, f = _pair(y_true, y_pred)
    denominator = np.abs(y) + np.abs(f)
    terms = np.divide(200.0 * np.abs(y - f), denominator, out=np.zeros_like(y), where=denominator > 0)
    return float(terms.mean())


def mase_scale(insample: Sequence[float], seasonality: int) -> float:
    """In-sample MAE of the seasonal naive forecast: mean ``|x_t - x_{t-m}|`` for t = m+1..n."""
    x = np.asarray(insample, dtype=float)
    m = int(seasonality)
    if m < 1:
        raise ValueError(f"seasonality must be a positive integer, got {seasonality!r}")
    if x.ndim != 1 or x.size <= m:
        raise ValueError(f"MASE needs more than m={m} in-sample values, got {x.size}; "
                         "use a smaller seasonality (m=1) for short series")
    if np.isnan(x).any():
        raise ValueError(f"the in-sample series has {int(np.isnan(x).sum())} NaN values; fill gaps first")
    return float(np.mean(np.abs(x[m:] - x[:-m])))


def mase(y_true: Sequence[float], y_pred: Sequence[float], insample: Sequence[float],
         seasonality: int) -> float:
    """Mean absolute scaled error of one series, as in M4.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (h,)
        Actuals and forecasts over the horizon.
    insample : array-like of shape (n,)
        The history the forecast was made from (n > m).
    seasonality : int
        m, the lag of the in-sample seasonal naive scale (M4: Hourly 24, Weekly 1).

    Returns
    -------
    float
        Forecast MAE divided by :func:`mase_scale`; ``0.0`` / ``inf`` when that scale is 0 (see module doc).
    """
    y, f = _pair(y_true, y_pred)
    error = float(np.mean(np.abs(y - f)))
    scale = mase_scale(insample, seasonality)
    if scale == 0:
        return 0.0 if error == 0 else float("inf")
    return error / scale


def owa(smape_value: float, mase_value: float, smape_naive2: float, mase_naive2: float,
        decimals: int | None = None) -> float:
    """Overall weighted average: ``0.5 * (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2)``.

    Parameters
    ----------
    smape_value, mase_value : float
        The method's sMAPE and MASE, each averaged over the same set of series (M4 computes OWA per
        frequency, not per series).
    smape_naive2, mase_naive2 : float
        Naive2's averages over that set.
    decimals : int, optional
        Round the four averages first. The organisers' workbook computes OWA from sMAPE and MASE rounded
        to 3 decimals (``decimals=3`` reproduces its OWA column, e.g. sNaive Hourly 0.627 where the
        unrounded averages give 0.6275).
    """
    if decimals is not None:
        smape_value, mase_value, smape_naive2, mase_naive2 = (
            round(v, decimals) for v in (smape_value, mase_value, smape_naive2, mase_naive2))
    if smape_naive2 <= 0 or mase_naive2 <= 0:
        raise ValueError(f"Naive2 scores must be positive to be a reference, got sMAPE={smape_naive2}, "
                         f"MASE={mase_naive2}")
    return 0.5 * (smape_value / smape_naive2 + mase_value / mase_naive2)


def interval_coverage(y_true: Sequence[float], lower: Sequence[float], upper: Sequence[float]) -> float:
    """Share (0..1) of actuals inside their closed prediction interval ``[lower, upper]``."""
    y, lo = _pair(y_true, lower)
    _, hi = _pair(y_true, upper)
    if (lo > hi).any():
        raise ValueError(f"{int((lo > hi).sum())} intervals have lower > upper; pass (lower, upper) in order")
    return float(np.mean((y >= lo) & (y <= hi)))
