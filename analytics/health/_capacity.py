"""Capacity planning: hourly request (or job) load forecast weeks ahead, workers recommended, run-out date.

Traffic seasonality is multiplicative (the evening peak grows with the business), so the load is binned to
hours and split into a level and a seasonal profile: the ratio of each hour to a centred moving average over
one season, its median per hour of the week (per hour of the day with under two weeks of history). The
seasonally adjusted load (load / profile) is forecast by the forecasting engine's batch ``forecast`` with
``ETS`` (an undamped additive trend or none, chosen by AICc: steady growth is carried forward, flat load stays
flat) and the profile multiplies the mean and the bands back. The ensemble's backtest is skipped
(``n_windows=1`` with a horizon longer than the history uses the member itself): one ETS fit, a fraction of a
second on weeks of hourly points.

A horizon's peak is the largest hourly mean and upper band within it; the recommended number of workers covers
the upper band at ``level`` plus ``headroom``; the current setting runs out on the first day whose upper band
exceeds the current capacity.
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
    ``at, mean, lo-80, hi-80, lo-95, hi-95`` per hour (empty without enough history), for a chart.
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


def _profile(hourly: pd.Series) -> tuple[pd.Series, int]:
    """Seasonal factors (mean 1) per hour of the week, or of the day with under two weeks of history."""
    season = 168 if len(hourly) >= 2 * 168 else 24
    level = hourly.rolling(season, center=True, min_periods=season // 2).mean()
    ratio = (hourly / level.where(level > 0)).dropna()
    slot = ratio.index.dayofweek * 24 + ratio.index.hour if season == 168 else ratio.index.hour
    factors = ratio.groupby(np.asarray(slot)).median().reindex(range(season)).fillna(1.0).clip(lower=0.0)
    return factors / (factors.mean() or 1.0), season


def _slots(index: pd.DatetimeIndex, season: int) -> np.ndarray:
    return np.asarray(index.dayofweek * 24 + index.hour if season == 168 else index.hour)


def _engine_forecast(hourly: pd.Series, h: int) -> pd.DataFrame:
    from analytics.forecasting import ETS, forecast  # statsmodels takes seconds to import; imported when used

    factors, season = _profile(hourly)
    past = factors.to_numpy()[_slots(hourly.index, season)]
    adjusted = np.where(past > 0.05, hourly.to_numpy() / np.maximum(past, 0.05), hourly.mean())
    long = pd.DataFrame({"unique_id": "load", "ds": hourly.index.tz_localize(None), "y": adjusted})
    out = forecast(long, h, season_length=1, level=(80, 95), n_windows=1,
                   models=[ETS(trend="auto", damped_trend=False, seasonal=None)])
    frame = out.drop(columns=["unique_id"]).rename(columns={"ds": "at"})
    frame["at"] = pd.DatetimeIndex(frame["at"]).tz_localize("UTC")
    ahead = factors.to_numpy()[_slots(pd.DatetimeIndex(frame["at"]), season)]
    bands = ["mean", "lo-80", "hi-80", "lo-95", "hi-95"]
    frame[bands] = frame[bands].clip(lower=0.0).mul(ahead, axis=0)  # load is never negative
    cycle = "week" if season == 168 else "day"
    frame["model"] = f"{frame['model'].iloc[0]} of the load adjusted by its hour-of-{cycle} profile"
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
    """Forecast hourly load and say how many workers each horizon needs and when the current setting runs out.

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
    frame = _engine_forecast(hourly, max(days) * 24)
    model = str(frame.pop("model").iloc[0])
    hi = f"hi-{level}"
    parts = tuple(_horizon(frame, d, hi, float(per_worker_capacity), headroom) for d in days)
    runs_out = _runs_out(frame, hi, capacity)
    return CapacityPlan("planned", int(current_workers), float(per_worker_capacity), capacity, level, headroom,
                        float(hourly.max()), parts, runs_out, model,
                        _sentence(parts, int(current_workers), capacity, runs_out, level), frame)
