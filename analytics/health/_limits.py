"""Time until a rising metric (disk, memory, store size) crosses its limit, with an interval for the crossing.

The series is binned onto a regular grid and forecast with the forecasting engine's exponential smoothing
(``ETS`` with an undamped additive trend or none, chosen by AICc): a flat series gets no trend and never
crosses. ETS's analytical band assumes its fitted trend is exact, and for a smooth fill it is as narrow as the
noise, so the band is widened by the uncertainty of the trend itself (the standard error of the least-squares
slope times the steps ahead). The mean forecast gives the crossing time; the upper 80% band crosses first (the
early end of the interval) and the lower band last (the late end, ``None`` when it does not cross within the
horizon).

The grid is at least 1/500 of the horizon (a 30-day horizon is forecast in 3-hour steps, not 720 hourly ones:
over that many steps ETS carried the last hours of a daily cycle forward as a trend), and the band stays within
the history's range of the forecast and of the largest value seen, a range growing as the square root of the
history lengths ahead (a falling series' trend band no longer reaches a limit no observation came near); a
series never below 0 gets no band below 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.health._series import check_series, duration_text, grid_step, native_step, on_grid, utc, when_text

_Z80 = 1.2815515655446004
_MAX_HISTORY, _MAX_STEPS, _GRID_STEPS = 400, 2000, 500
_TRENDED = "ETS (additive trend)"


@dataclass(frozen=True)
class LimitForecast:
    """When a metric is forecast to reach its limit.

    ``status`` is ``"crosses"``, ``"no_crossing"`` (not within ``horizon_days``), ``"already_over"`` or
    ``"not_enough_history"``. Times are UTC; ``*_days`` count from ``now``. ``earliest_*`` is where the upper
    80% band crosses, ``latest_*`` the lower band (``None``: not within the horizon). ``forecast`` has columns
    ``at, mean, lo-80, hi-80`` (empty without enough history).
    """

    status: str
    current: float | None
    limit: float
    rate_per_day: float | None
    crossing_at: pd.Timestamp | None
    days_to_limit: float | None
    earliest_at: pd.Timestamp | None
    latest_at: pd.Timestamp | None
    earliest_days: float | None
    latest_days: float | None
    horizon_days: float
    model: str
    sentence: str
    forecast: pd.DataFrame


def _choose_step(frame: pd.DataFrame, horizon: pd.Timedelta, min_points: int) -> pd.Timedelta:
    span = frame["at"].iloc[-1] - frame["at"].iloc[0]
    floor = max(native_step(frame), horizon / _GRID_STEPS)
    step = grid_step(span, _MAX_HISTORY, at_least=floor)
    if span / step + 1 < min_points:  # a short history: keep enough bins, forecast a shorter horizon
        step = grid_step(span, max(min_points - 1, 1) * 4, at_least=native_step(frame))
        while span / step + 1 < min_points and step > pd.Timedelta("10s"):
            step = step / 2
    return step


def _trend_sd(y: np.ndarray, h: int) -> np.ndarray:
    """Standard deviation the slope's own uncertainty adds at 1..h steps ahead (ordinary least squares)."""
    t = np.arange(y.size, dtype=float)
    slope, intercept = np.polyfit(t, y, 1)
    resid = y - (intercept + slope * t)
    se = np.sqrt(np.sum(resid ** 2) / max(y.size - 2, 1) / np.sum((t - t.mean()) ** 2))
    ahead = (y.size - 1 - t.mean()) + np.arange(1, h + 1)
    return se * ahead


def _bounded_band(y: np.ndarray, mean: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """The band kept within the history's range of the forecast and of everything seen, a range that grows as the
    square root of the history lengths ahead: a trend band over hundreds of steps (of a falling or cycling series)
    must not reach a limit no observation came near. A series never below 0 gets no band below 0."""
    reach = float(np.ptp(y)) * np.sqrt(np.maximum(1.0, np.arange(1, mean.size + 1) / y.size))
    hi = np.minimum(hi, np.maximum(mean, y.max()) + reach)
    lo = np.maximum(lo, np.minimum(mean, y.min()) - reach)
    return (np.maximum(lo, 0.0) if y.min() >= 0 else lo), hi


def _forecast_path(y: np.ndarray, last_at: pd.Timestamp, step: pd.Timedelta, h: int):
    """The engine's ETS forecast ``h`` steps past ``last_at`` with the trend-widened 80% band, the rate per day
    and the model's label."""
    from analytics.forecasting import ETS  # statsmodels takes seconds to import; the detectors do not need it

    model = ETS(trend="auto", damped_trend=False, seasonal=None).fit(y)
    pred = model.predict(h, level=(80,))
    mean = pred["mean"].to_numpy()
    trended = getattr(model, "config_", {}).get("trend") is not None
    sd = (pred["hi-80"].to_numpy() - mean) / _Z80
    if trended:
        sd = np.sqrt(sd ** 2 + _trend_sd(y, h) ** 2)
    times = pd.DatetimeIndex([last_at + step * k for k in range(1, h + 1)])
    lo, hi = _bounded_band(y, mean, mean - _Z80 * sd, mean + _Z80 * sd)
    out = pd.DataFrame({"at": times, "mean": mean, "lo-80": lo, "hi-80": hi})
    per_step = (mean[-1] - mean[0]) / (h - 1) if h > 1 else mean[0] - y[-1]
    rate = float(per_step / (step / pd.Timedelta("1D"))) if trended else 0.0
    return out, rate, _TRENDED if trended else "ETS (no trend)"


def _first_crossing(times: pd.DatetimeIndex, path: np.ndarray, start: float, start_at: pd.Timestamp, limit: float):
    """When ``path`` (starting from ``start`` at ``start_at``) first reaches ``limit``, linearly interpolated."""
    over = np.flatnonzero(path >= limit)
    if over.size == 0:
        return None
    k = int(over[0])
    before, before_at = (start, start_at) if k == 0 else (float(path[k - 1]), times[k - 1])
    frac = 1.0 if path[k] == before else (limit - before) / (path[k] - before)
    return before_at + (times[k] - before_at) * float(np.clip(frac, 0.0, 1.0))


def _days(at: pd.Timestamp | None, now: pd.Timestamp) -> float | None:
    return None if at is None else max((at - now) / pd.Timedelta("1D"), 0.0)


def _interval_text(lo: float | None, hi: float | None, horizon_days: float) -> str:
    if lo is None:
        return ""
    upper = f"beyond {horizon_days:g} days" if hi is None else duration_text(hi)
    lower = duration_text(lo)
    if hi is not None and lower.split()[-1] == upper.split()[-1]:
        lower = lower.rsplit(" ", 1)[0]
    return f" (80%: {lower}–{upper})"


def _trend_text(rate: float, trended: bool) -> str:
    return f"trend {rate:+.3g} per day" if trended else "no trend"


def _empty(status, current, limit, horizon_days, sentence, model="", rate=None, forecast=None) -> LimitForecast:
    frame = forecast if forecast is not None else pd.DataFrame(columns=["at", "mean", "lo-80", "hi-80"])
    return LimitForecast(status, current, float(limit), rate, None, None, None, None, None, None,
                         float(horizon_days), model, sentence, frame)


def time_to_limit(series: pd.DataFrame, limit: float, now, *, horizon_days: float = 30.0, what: str | None = None,
                  min_points: int = 12) -> LimitForecast:
    """Forecast when a rising metric reaches ``limit``, with an 80% interval for the crossing time.

    Parameters
    ----------
    series : DataFrame
        ``at, value`` (UTC timestamps in order, floats); irregular sampling is binned onto a regular grid.
    limit : float
        The value that must not be reached (e.g. 90 for disk percent, a byte budget for the store size).
    now : timestamp
        The time the answer is given at; days are counted from it.
    horizon_days : float
        How far ahead to look (crossings later than this are reported as not crossing).
    what : str, optional
        How the sentence names the event, e.g. ``"disk full"``; default ``"reaches <limit>"``.
    min_points : int
        Fewer observations (or grid bins) than this give ``status="not_enough_history"``.

    Returns
    -------
    LimitForecast
    """
    frame, now = check_series(series), utc(now)
    if not np.isfinite(limit):
        raise ValueError(f"limit must be a finite number, got {limit!r}; e.g. limit=90 for disk percent.")
    if not horizon_days > 0:
        raise ValueError(f"horizon_days must be > 0, got {horizon_days!r}; e.g. horizon_days=30.")
    what = what or f"reaches {limit:g}"
    current = float(frame["value"].iloc[-1])
    if current >= limit:
        return _empty("already_over", current, limit, horizon_days, f"{what} now: {current:g} >= {limit:g}")
    horizon = pd.Timedelta(days=horizon_days)
    step = _choose_step(frame, horizon, min_points) if len(frame) >= min_points else None
    grid = on_grid(frame, step) if step is not None else pd.Series(dtype=float)
    if len(grid) < min_points:
        return _empty("not_enough_history", current, limit, horizon_days,
                      f"not enough history to forecast ({len(frame)} points; need at least {min_points} spread "
                      "over time)")
    y = grid.to_numpy(dtype=float)
    last_at = grid.index[-1] + step / 2
    h = int(np.clip(np.ceil((now + horizon - last_at) / step), 1, _MAX_STEPS))
    out, rate, label = _forecast_path(y, last_at, step, h)
    # a long horizon on a short, fine history is cut at _MAX_STEPS: say how far the forecast really reaches
    horizon_days = float(min(horizon_days, max((out["at"].iloc[-1] - now) / pd.Timedelta("1D"), 0.0)))
    end = now + pd.Timedelta(days=horizon_days)
    cross, early, late = (_first_crossing(pd.DatetimeIndex(out["at"]), out[col].to_numpy(), float(y[-1]), last_at,
                                          limit) for col in ("mean", "hi-80", "lo-80"))
    cross, early, late = (c if c is not None and c <= end else None for c in (cross, early, late))
    if cross is None:
        tail = f"; the 80% upper band reaches it in {duration_text(_days(early, now))}" if early is not None else ""
        return LimitForecast("no_crossing", current, float(limit), rate, None, None, early, None, _days(early, now),
                             None, horizon_days, label,
                             f"{what} not expected within {horizon_days:.3g} days "
                             f"({_trend_text(rate, label == _TRENDED)}){tail}", out)
    days, early_days, late_days = _days(cross, now), _days(early, now), _days(late, now)
    sentence = (f"{what} in about {duration_text(days)}{_interval_text(early_days, late_days, horizon_days)}, "
                f"on {when_text(cross)}")
    return LimitForecast("crosses", current, float(limit), rate, cross, days, early, late, early_days, late_days,
                         horizon_days, label, sentence, out)
