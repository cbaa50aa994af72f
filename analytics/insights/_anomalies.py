"""``detect_anomalies``: spikes, drops and level shifts in the store's daily orders and revenue."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
from sqlalchemy import Engine
from threadpoolctl import threadpool_limits

from analytics.insights._baseline import fit_series
from analytics.insights._dedup import fold_events
from analytics.insights._design import design
from analytics.insights._events import Candidate, series_events
from analytics.insights._result import DetectedAnomaly
from analytics.insights._series import METRICS, StoreSeries, load_series, scope_dict

__all__ = ["DEFAULT_MIN_SCORE", "MIN_HISTORY_DAYS", "MIN_SHIFT", "NotEnoughHistory", "detect_anomalies",
           "detect_in_series"]

DEFAULT_MIN_SCORE = 5.5  # chosen on validation companies (seeds 101, 202, 303) by benchmarks/insights.py
MIN_SHIFT = 0.05  # a level shift smaller than this on the log scale (about 5%) is not reported
MIN_HISTORY_DAYS = 56  # eight weeks: enough to learn the weekday pattern and a robust spread
_MIN_SELLING_SHARE = 0.5  # a series with sales on fewer days is too sparse to judge a day against


class NotEnoughHistory(ValueError):
    """The store has too few complete days of orders to judge a baseline from."""


def _check(metrics: Sequence[str], min_score: float) -> tuple[str, ...]:
    chosen = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    unknown = [m for m in chosen if m not in METRICS]
    if unknown or not chosen:
        raise ValueError(f"metrics={list(chosen)!r}: {', '.join(map(repr, unknown)) or 'none given'} is not a "
                         f"metric; use any of {', '.join(METRICS)}")
    if not np.isfinite(min_score) or min_score <= 0:
        raise ValueError(f"min_score={min_score!r} must be a positive number of standard errors (default "
                         f"{DEFAULT_MIN_SCORE})")
    return chosen


def detect_in_series(series: StoreSeries, metrics: Sequence[str] = METRICS,
                     min_score: float = DEFAULT_MIN_SCORE) -> list[DetectedAnomaly]:
    """The anomalies of already loaded daily series (what ``detect_anomalies`` runs on the store's)."""
    chosen = _check(metrics, min_score)
    if series.days.size < MIN_HISTORY_DAYS:
        raise NotEnoughHistory(
            f"the store has {series.days.size} complete day(s) of orders ({series.days[0]:%Y-%m-%d} to "
            f"{series.days[-1]:%Y-%m-%d}); anomaly detection needs at least {MIN_HISTORY_DAYS} days to learn the "
            "weekday pattern and the usual spread: load more history or try again later")
    candidates: list[Candidate] = []
    # The regressions are small: BLAS threads only contend with each other (and with the web workers).
    with threadpool_limits(limits=1, user_api="blas"):
        for (metric, scope), values in series.values.items():
            if metric not in chosen or np.mean(values > 0) < _MIN_SELLING_SHARE:
                continue
            fit = fit_series(values, design(series.days, series.calendar, series.spend, scope_dict(scope)),
                             shift_t=min_score, min_shift=MIN_SHIFT)
            candidates += series_events(metric, scope, fit, min_score)
    return fold_events(candidates, series.days)


def detect_anomalies(engine: Engine, *, metrics: Sequence[str] = METRICS, through: dt.date | str | None = None,
                     min_score: float = DEFAULT_MIN_SCORE,
                     countries: Sequence[str] = ("US",)) -> list[DetectedAnomaly]:
    """Spikes, drops and level shifts in daily orders and revenue, for the company and every region, channel
    and category.

    Each daily series (complete days only) is judged against a robust baseline that knows the weekday, the
    yearly season, the trend, marketing spend, public holidays of ``countries``, the retail calendar's
    commercial days, the analysts' calendar events and the store's promotions, so a planned promotion or a
    holiday is not an anomaly. Level shifts are change points of that baseline; spikes and drops are runs of
    days far outside its local spread. The same event seen in several series is reported once, at the
    narrowest scope that explains it (see ``analytics.insights._dedup``).

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store.
    metrics : sequence of str, default ("orders", "revenue")
        Which daily metrics to read.
    through : date or ISO str, optional
        Last day to read; default the store's last complete day (``data.watermark.complete_through``).
    min_score : float, default ``DEFAULT_MIN_SCORE``
        The least score (standard errors from the baseline) an event needs to be reported.
    countries : sequence of str, default ("US",)
        ISO 3166 codes whose public holidays the baseline knows.

    Returns
    -------
    list of DetectedAnomaly
        By score, highest first; empty when nothing stands out.

    Raises
    ------
    NotEnoughHistory
        The store has no complete day of orders, or fewer than ``MIN_HISTORY_DAYS``.
    ValueError
        An unknown metric, a bad ``through`` or a non-positive ``min_score``.
    """
    _check(metrics, min_score)
    series = load_series(engine, through=through, countries=tuple(countries))
    if series is None:
        raise NotEnoughHistory("the store has no complete day of orders yet; load orders first (python -m data "
                               "sample, or python -m data ingest orders ...)")
    return detect_in_series(series, metrics, min_score)
