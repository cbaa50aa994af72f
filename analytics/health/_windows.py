"""Low-traffic windows for maintenance: the quietest hours of the week in the load's history, and their next dates.

The load is binned to hourly means and averaged per hour of the week (Monday 00:00 is slot 0); with less than
a full week of history every weekly slot is not yet seen, so the profile is per hour of the day and the windows
recur daily. A window of ``duration_hours`` consecutive hours (wrapping around the end of the week) is scored
by its mean load; the ``count`` quietest windows that do not overlap are returned, quietest first.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.health._series import check_series, on_grid, utc

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class LowTrafficWindow:
    """A recurring quiet window: ``weekday`` 0 = Monday (``None``: every day), ``hour`` its UTC start hour.

    ``mean_load`` is the window's average hourly load in the history, ``relative_load`` that over the average
    load of the whole profile (0.1 = a tenth of the usual traffic).
    """

    weekday: int | None
    hour: int
    duration_hours: int
    mean_load: float
    relative_load: float
    label: str


def _label(weekday: int | None, hour: int, duration: int) -> str:
    end = (hour + duration) % 24
    day = "daily" if weekday is None else _DAYS[weekday]
    return f"{day} {hour:02d}:00–{end:02d}:00 UTC"


def low_traffic_windows(load: pd.DataFrame, *, duration_hours: int = 1, count: int = 3) -> list[LowTrafficWindow]:
    """The ``count`` quietest non-overlapping windows of ``duration_hours`` in the week, quietest first.

    Parameters
    ----------
    load : DataFrame
        ``at, value``: request rate or job load over time (UTC, in order); at least one day of history.
    duration_hours : int
        Length of each window in hours (1..24).
    count : int
        How many windows to return (fewer when the week has no room for more).

    Returns
    -------
    list of LowTrafficWindow
    """
    if isinstance(duration_hours, bool) or not isinstance(duration_hours, (int, np.integer)) \
            or not 1 <= duration_hours <= 24:
        raise ValueError(f"duration_hours must be a whole number of hours from 1 to 24, got {duration_hours!r}.")
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"count must be a positive integer, got {count!r}; e.g. count=3.")
    hourly = on_grid(check_series(load, "load"), pd.Timedelta("1h"))
    if len(hourly) < 24:
        raise ValueError(f"load covers {len(hourly)} hours; the traffic profile needs at least 24 hours of history.")
    weekly = hourly.groupby(np.asarray(hourly.index.dayofweek * 24 + hourly.index.hour)).mean().reindex(range(168))
    if weekly.isna().any():
        profile, period = hourly.groupby(np.asarray(hourly.index.hour)).mean().reindex(range(24)), 24
    else:
        profile, period = weekly, 168
    values = profile.to_numpy(dtype=float)
    windowed = np.array([values[(s + np.arange(duration_hours)) % period].mean() for s in range(period)])
    overall = float(values.mean()) or 1.0
    taken = np.zeros(period, dtype=bool)
    out: list[LowTrafficWindow] = []
    for start in np.argsort(windowed, kind="stable"):
        hours = (start + np.arange(duration_hours)) % period
        if taken[hours].any():
            continue
        taken[hours] = True
        weekday = int(start // 24) if period == 168 else None
        out.append(LowTrafficWindow(weekday, int(start % 24), int(duration_hours), float(windowed[start]),
                                    float(windowed[start] / overall), _label(weekday, int(start % 24),
                                                                             int(duration_hours))))
        if len(out) == count:
            break
    return out


def next_slots(windows, now, days: float = 7) -> list[pd.Timestamp]:
    """The start times (UTC) of ``windows`` from ``now`` (inclusive) to ``now + days``, earliest first.

    Parameters
    ----------
    windows : iterable of LowTrafficWindow
        As returned by :func:`low_traffic_windows`.
    now : timestamp
        From when (naive means UTC).
    days : float
        How far ahead to list slots.

    Returns
    -------
    list of pandas.Timestamp
    """
    now = utc(now)
    if not days > 0:
        raise ValueError(f"days must be > 0, got {days!r}; e.g. days=7.")
    end = now + pd.Timedelta(days=days)
    first_day = now.normalize()
    starts = []
    for window in windows:
        for offset in range(int(np.ceil(days)) + 8):
            day = first_day + pd.Timedelta(days=offset)
            if window.weekday is not None and day.dayofweek != window.weekday:
                continue
            at = day + pd.Timedelta(hours=window.hour)
            if now <= at < end:
                starts.append(at)
    return sorted(set(starts))
