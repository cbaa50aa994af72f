"""Live updates: what changed at the end of the revenue trend since it was drawn, and today so far.

The Overview draws the trend once, then patches only its last days as new data is
committed (by an ingest or the event stream), instead of rebuilding the figure. The trend
stops at the last complete day (``data.watermark``); the days after it are partial and are
summed up separately as "today so far", never mixed into the trend or the KPI windows.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from analytics.kpis.definitions import ALL, DIMENSIONS, Filters
from data.queries import daily_revenue_since, partial_day_totals

__all__ = ["PartialDays", "TrendTail", "today_so_far", "trend_tail"]

AVERAGE_DAYS = 7
LATE_DAYS = 7  # orders may arrive for the last week, not only for new days


@dataclass(frozen=True)
class TrendTail:
    """New values for the trend from ``first_index`` on; indices past ``old_length`` are appended."""

    first_index: int
    old_length: int
    dates: tuple[str, ...]  # ISO dates
    revenue: tuple[float, ...]
    average: tuple[float, ...]

    @property
    def end(self) -> str:
        """The last date the trend will show."""
        return self.dates[-1]

    @property
    def length(self) -> int:
        """How many points the trend will have."""
        return self.first_index + len(self.dates)


def trend_tail(engine: Engine, end: dt.date, length: int, filters: Filters | None = None,
               through: dt.date | None = None) -> TrendTail:
    """Re-read the trend's last ``LATE_DAYS`` days (and any newer complete ones) for a drawn trend.

    ``end`` and ``length`` describe the drawn trend (last date, number of daily points);
    ``through`` is the last complete day: later days are partial and never enter the trend.
    """
    if length < LATE_DAYS:
        raise ValueError(f"the drawn trend has {length} points; live updates need at least {LATE_DAYS}")
    chosen = {dim: (filters or {}).get(dim) for dim in DIMENSIONS}
    chosen = {dim: (None if value in (None, ALL) else value) for dim, value in chosen.items()}
    first_patched = end - dt.timedelta(days=LATE_DAYS - 1)
    read_from = first_patched - dt.timedelta(days=AVERAGE_DAYS - 1)
    daily = daily_revenue_since(engine, read_from, **chosen)
    last = max(end, daily["date"].max().date()) if len(daily) else end
    if through is not None:
        last = max(end, min(last, through))
    days = pd.date_range(read_from, last, freq="D")
    revenue = daily.set_index("date")["revenue"].reindex(days, fill_value=0.0)
    average = revenue.rolling(AVERAGE_DAYS, min_periods=1).mean()
    keep = days >= pd.Timestamp(first_patched)
    return TrendTail(
        first_index=length - LATE_DAYS,
        old_length=length,
        dates=tuple(d.date().isoformat() for d in days[keep]),
        revenue=tuple(float(v) for v in revenue[keep]),
        average=tuple(float(v) for v in average[keep]),
    )


@dataclass(frozen=True)
class PartialDays:
    """The orders dated after the last complete day, summed: the day (or days) in progress."""

    first: dt.date
    last: dt.date
    revenue: float
    orders: int
    lines: int
    as_of: dt.datetime  # the newest change to any of those order lines

    @property
    def days(self) -> int:
        """How many calendar days the partial figures span (usually one: today)."""
        return (self.last - self.first).days + 1


def today_so_far(engine: Engine, through: dt.date) -> PartialDays | None:
    """Revenue, orders and order lines dated after ``through`` (the last complete day); None when none are."""
    days = partial_day_totals(engine, through)
    if days.empty:
        return None
    return PartialDays(
        first=days["date"].min().date(),
        last=days["date"].max().date(),
        revenue=float(days["revenue"].sum()),
        orders=int(days["orders"].sum()),
        lines=int(days["lines"].sum()),
        as_of=days["last_change"].max().to_pydatetime(),
    )
