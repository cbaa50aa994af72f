"""Capacity planning: the daily peak of the hourly request (or job) load forecast weeks ahead, workers
recommended, run-out date.

Workers must cover the busiest hour, so the load is binned to hourly means and each UTC day reduced to its peak
(whole days only). With two weeks or more, the peaks are divided by a day-of-week factor (the median ratio of a
weekday's peak to its centred 7-day mean, floored at 0.2 so that a quiet day cannot blow the adjusted series up)
and multiplied back after the forecast. The adjusted peaks are forecast 30-90 daily steps ahead with the
forecasting engine's ``ETS`` (an undamped additive trend or none, chosen by AICc: steady growth is carried
forward, flat load stays flat): forecasting the hourly load itself 2,160 steps ahead, through an hour-of-week
profile near 0 at night, gave bands thousands of times the history.

Bands are clipped at 0. Where the forecast's own 80% band is wider than half its mean (its rise not to be
trusted), the upper bands are capped at the larger of the forecast and the last four weeks' peak grown 10% per
30 days, plus the daily peak's usual spread: a recommendation beyond what the history justifies needs a forecast
that says so with a narrow band.

For the chart the daily forecast is laid out over the hours by the load's usual shape (each hour's median
fraction of its day's peak, per hour of the week, scaled so the busiest hour is 1): a factor <= 1, it cannot
blow up. A horizon's peak is the largest hourly mean and upper band within it; the recommended number of
workers covers the upper band at ``level`` plus ``headroom``; the current setting runs out on the first day whose
upper band exceeds the current capacity.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.health._series import check_series, on_grid

_HOUR = pd.Timedelta("1h")


@dataclass(frozen=True)
class HorizonPlan:
    """The peak load within ``days`` days and the workers it needs (peaks in the load's unit, times UTC)."""

    days: int
    peak_mean: float
    peak_at: pd.Timestamp
    peak_hi80: float
    peak_hi95: float
    recommended_workers: int


@dataclass(frozen=True)
class CapacityPlan:
    """Load forecast and worker recommendation.

    ``status`` is ``"planned"`` or ``"not_enough_history"``; ``horizons`` holds one :class:`HorizonPlan` per
    requested horizon; ``runs_out_on`` is the first UTC day whose forecast upper band (at ``level``) exceeds
    ``current_workers * per_worker_capacity`` (``None``: not within the longest horizon); ``forecast`` has
    ``at, mean, lo-80, hi-80, lo-95, hi-95`` per hour: the daily peak forecast laid out over the day by the
    load's usual hourly shape, so each day's busiest hour carries the peak (empty without enough history).
    """

    status: str
    current_workers: int
    per_worker_capacity: float
    current_capacity: float
    level: int
    headroom: float
    history_peak: float | None
    horizons: tuple[HorizonPlan, ...]
    runs_out_on: pd.Timestamp | None
    model: str
    sentence: str
    forecast: pd.DataFrame


def _check_args(per_worker_capacity, current_workers, horizons, level, headroom) -> tuple[int, ...]:
    if not (np.isfinite(per_worker_capacity) and per_worker_capacity > 0):
        raise ValueError(f"per_worker_capacity must be a positive number (load one worker handles), got "
                         f"{per_worker_capacity!r}.")
    if isinstance(current_workers, bool) or not isinstance(current_workers, (int, np.integer)) or current_workers < 0:
        raise ValueError(f"current_workers must be a non-negative integer, got {current_workers!r}.")
    days = tuple(int(h) for h in horizons)
    if not days or min(days) < 1 or any(int(h) != h for h in horizons):
        raise ValueError(f"horizons must be whole numbers of days >= 1, got {horizons!r}; e.g. horizons=(30, 90).")
    if level not in (80, 95):
        raise ValueError(f"level must be 80 or 95 (the forecast's bands), got {level!r}.")
    if not 0 <= headroom < 10:
        raise ValueError(f"headroom must be a fraction >= 0 such as 0.2 (20% spare), got {headroom!r}.")
    return tuple(sorted(set(days)))


_Z = {80: 1.2815515655446004, 95: 1.959963984540054}
_BANDS = ("mean", "lo-80", "hi-80", "lo-95", "hi-95")
_GROWTH_PER_30_DAYS = 0.10  # drift allowed beyond the recent peak when the forecast's own band is too wide to trust
_TRUSTED_WIDTH = 0.5  # a forecast rise is trusted where the 80% band's upper half-width is <= 50% of the mean
_FLOOR = 0.2  # day-of-week factors below 20% of the mean are floored, so dividing by them cannot blow up


def _daily_peaks(hourly: pd.Series) -> pd.Series:
    """The largest hourly load of each UTC day; a partial first or last day is left out when whole days remain."""
    peaks = hourly.resample("1D").max()
    hours = hourly.resample("1D").count()
    whole = peaks[hours >= 24]
    return whole if len(whole) >= 2 else peaks


def _weekday_factors(peaks: pd.Series) -> pd.Series:
    """Multiplicative day-of-week factors of the daily peak (mean 1, floored), all 1 with under two weeks."""
    if len(peaks) < 14:
        return pd.Series(1.0, index=range(7))
    level = peaks.rolling(7, center=True, min_periods=4).mean()
    ratio = (peaks / level.where(level > 0)).dropna()
    factors = ratio.groupby(np.asarray(ratio.index.dayofweek)).median().reindex(range(7)).fillna(1.0)
    factors = factors / (factors.mean() or 1.0)
    return factors.clip(lower=_FLOOR)


def _day_shape(hourly: pd.Series) -> tuple[np.ndarray, int]:
    """Each hour's load as a fraction of its day's peak (median per hour of the week, or of the day with under two
    weeks), scaled so that every day's busiest hour is 1: it lays the daily peak forecast out over the hours."""
    season = 168 if len(hourly) >= 2 * 168 else 24
    peak = hourly.groupby(hourly.index.floor("1D")).transform("max")
    ratio = (hourly / peak.where(peak > 0)).dropna()
    shape = ratio.groupby(_slots(ratio.index, season)).median().reindex(range(season)).fillna(1.0).to_numpy()
    days = shape.reshape(-1, 24)
    top = days.max(axis=1, keepdims=True)
    return (days / np.where(top > 0, top, 1.0)).ravel(), season


def _slots(index: pd.DatetimeIndex, season: int) -> np.ndarray:
    return np.asarray(index.dayofweek * 24 + index.hour if season == 168 else index.hour)


def _robust_sd(peaks: pd.Series) -> float:
    """The spread of the daily peak around its own weekly level (1.4826 x median absolute deviation)."""
    level = peaks.rolling(7, center=True, min_periods=1).median()
    dev = (peaks - level).to_numpy()
    return float(1.4826 * np.median(np.abs(dev - np.median(dev))))


def _bounded(frame: pd.DataFrame, recent_peak: float, sd: float) -> pd.DataFrame:
    """Bands clipped at 0 and, where the forecast's own 80% band is too wide to trust, capped at the recent peak
    (plus a modest drift) or the mean, whichever is higher, plus the daily peak's usual spread."""
    k = np.arange(1, len(frame) + 1, dtype=float)
    mean = frame["mean"].clip(lower=0.0).to_numpy()
    trusted = (frame["hi-80"].to_numpy() - mean) <= _TRUSTED_WIDTH * np.maximum(mean, 1e-12)
    base = np.maximum(recent_peak * (1 + _GROWTH_PER_30_DAYS * k / 30), mean)
    out = frame.assign(mean=mean)
    for lv, z in _Z.items():
        out[f"hi-{lv}"] = np.where(trusted, out[f"hi-{lv}"], np.minimum(out[f"hi-{lv}"], base + z * sd))
        out[f"hi-{lv}"] = np.maximum(out[f"hi-{lv}"], mean)
        out[f"lo-{lv}"] = out[f"lo-{lv}"].clip(lower=0.0, upper=mean)
    out["hi-95"] = np.maximum(out["hi-95"], out["hi-80"])
    out["lo-95"] = np.minimum(out["lo-95"], out["lo-80"])
    return out


def _engine_forecast(hourly: pd.Series, days: int) -> pd.DataFrame:
    from analytics.forecasting import ETS  # statsmodels takes seconds to import; imported when used

    peaks = _daily_peaks(hourly)
    factors = _weekday_factors(peaks).to_numpy()
    hours = pd.date_range(hourly.index[-1] + _HOUR, periods=days * 24, freq=_HOUR)
    # days ahead of the last peak (1: the next day; the rest of a partial last day counts as the next day)
    ahead = np.maximum(np.asarray((hours.floor("1D") - peaks.index[-1]) // pd.Timedelta("1D")), 1)
    adjusted = peaks / factors[peaks.index.dayofweek]
    model = ETS(trend="auto", damped_trend=False, seasonal=None).fit(adjusted.to_numpy())
    at = pd.date_range(peaks.index[-1] + pd.Timedelta("1D"), periods=int(ahead.max()), freq="1D")
    daily = model.predict(len(at), level=(80, 95)).reset_index(drop=True)[list(_BANDS)]
    daily = _bounded(daily.mul(factors[at.dayofweek], axis=0), float(peaks.iloc[-28:].max()), _robust_sd(adjusted))
    shape, season = _day_shape(hourly)
    frame = daily.iloc[ahead - 1].reset_index(drop=True).mul(shape[_slots(hours, season)], axis=0)
    frame.insert(0, "at", hours)
    trend = "additive trend" if getattr(model, "config_", {}).get("trend") else "no trend"
    weekly = ", adjusted by its day-of-week profile" if len(peaks) >= 14 else ""
    cycle = "week" if season == 168 else "day"
    frame["model"] = f"ETS ({trend}) of the daily peak load{weekly}, laid out over its hour-of-{cycle} shape"
    return frame


def _horizon(frame: pd.DataFrame, days: int, hi: str, capacity: float, headroom: float) -> HorizonPlan:
    part = frame.iloc[: days * 24]
    k = int(part["mean"].to_numpy().argmax())
    workers = max(1, math.ceil(float(part[hi].max()) * (1 + headroom) / capacity - 1e-9))
    return HorizonPlan(days, float(part["mean"].iloc[k]), part["at"].iloc[k], float(part["hi-80"].max()),
                       float(part["hi-95"].max()), workers)


def _runs_out(frame: pd.DataFrame, hi: str, capacity: float) -> pd.Timestamp | None:
    daily = frame.set_index("at")[hi].resample("1D").max()
    over = daily[daily > capacity]
    return None if over.empty else over.index[0]


def _sentence(plan_parts: tuple[HorizonPlan, ...], workers: int, capacity: float, runs_out, level: int) -> str:
    setting = f"{workers} worker{'s' if workers != 1 else ''} (capacity {capacity:.4g})"
    longest = plan_parts[-1].days
    head = (f"{setting} run out around {runs_out.strftime('%a %d %b %Y')}" if runs_out is not None
            else f"{setting} suffice for the next {longest} days")
    plans = "; ".join(f"next {p.days} days: peak {p.peak_mean:.4g} ({level}% up to "
                      f"{p.peak_hi80 if level == 80 else p.peak_hi95:.4g}), plan {p.recommended_workers} "
                      f"worker{'s' if p.recommended_workers != 1 else ''}" for p in plan_parts)
    return f"{head}; {plans}"


def capacity_plan(load: pd.DataFrame, *, per_worker_capacity: float, current_workers: int,
                  horizons=(30, 90), level: int = 80, headroom: float = 0.2, min_days: float = 2.0) -> CapacityPlan:
    """Forecast the daily peak load and say how many workers each horizon needs and when the current setting runs out.

    Parameters
    ----------
    load : DataFrame
        ``at, value``: request rate (or job arrivals) over time, UTC, in order; binned to hourly means.
    per_worker_capacity : float
        The load one worker handles, in the same unit.
    current_workers : int
        Workers running now.
    horizons : tuple of int
        Days ahead to plan for (default 30 and 90).
    level : {80, 95}
        Which upper band the recommendation and the run-out date use.
    headroom : float
        Spare capacity on top of the upper band (0.2 = 20%).
    min_days : float
        Less history than this gives ``status="not_enough_history"``.

    Returns
    -------
    CapacityPlan
    """
    days = _check_args(per_worker_capacity, current_workers, horizons, level, headroom)
    hourly = on_grid(check_series(load, "load"), _HOUR)
    capacity = float(current_workers * per_worker_capacity)
    if len(hourly) < min_days * 24:
        return CapacityPlan("not_enough_history", int(current_workers), float(per_worker_capacity), capacity, level,
                            headroom, None, (), None, "",
                            f"not enough load history to plan capacity ({len(hourly)} hours; need "
                            f"{min_days * 24:g})", pd.DataFrame(columns=["at", "mean", "lo-80", "hi-80", "lo-95",
                                                                         "hi-95"]))
    frame = _engine_forecast(hourly, max(days))
    model = str(frame.pop("model").iloc[0])
    hi = f"hi-{level}"
    parts = tuple(_horizon(frame, d, hi, float(per_worker_capacity), headroom) for d in days)
    runs_out = _runs_out(frame, hi, capacity)
    return CapacityPlan("planned", int(current_workers), float(per_worker_capacity), capacity, level, headroom,
                        float(hourly.max()), parts, runs_out, model,
                        _sentence(parts, int(current_workers), capacity, runs_out, level), frame)
