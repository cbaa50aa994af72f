"""The watermark: the last complete day of orders, which KPIs, trends and forecasts stop at.

A day still receiving orders (the stream appending through the day, an upload of a few early
lines) would read as a collapse in every trailing window. So the store's days split in two:
complete days up to and including the watermark, and partial days after it, shown apart.

The watermark comes from, in order of precedence:

1. ``setting``: an operator's explicit date (``FORESIGHT_COMPLETE_THROUGH=YYYY-MM-DD``);
2. ``stream``: when the event stream has applied orders and its newest order day is the
   store's last order day, that day is in progress, so the day before it is the last complete one;
3. ``data``: the last order day is complete unless it is a *thin slice*: fewer order lines than
   ``THIN_SHARE`` (a quarter) of the median of the ``TRAILING_DAYS`` (28) calendar days before it.
   Thin days are peeled off the end one at a time (each against its own trailing median), at
   most ``MAX_PARTIAL_DAYS``, so a few stray lines on one or two new days never move a window,
   while an ordinary slow day (the sample's slowest is ~70% of its median) stays complete.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from data import queries

__all__ = ["COMPLETE_THROUGH_ENV", "MAX_PARTIAL_DAYS", "THIN_SHARE", "TRAILING_DAYS", "Watermark",
           "complete_through", "thin_days", "thin_slice_warning"]

COMPLETE_THROUGH_ENV = "FORESIGHT_COMPLETE_THROUGH"
TRAILING_DAYS = 28
THIN_SHARE = 0.25
MAX_PARTIAL_DAYS = 7
_MIN_REFERENCE_DAYS = 7  # fewer days of history than this: too little to call a day thin


@dataclass(frozen=True)
class Watermark:
    """The last complete day (None without orders), where it came from and why, and the last order day."""

    through: dt.date | None
    source: str  # "setting" | "stream" | "data" | "empty"
    reason: str
    last_order_day: dt.date | None = None

    @property
    def iso(self) -> str | None:
        """``through`` as an ISO date, the form cached computations take it in."""
        return None if self.through is None else self.through.isoformat()


def _calendar(daily_lines: pd.Series) -> pd.Series:
    """Line counts on every calendar day from the first to the last (zero where nothing was sold)."""
    if daily_lines.empty:
        return daily_lines.astype("int64")
    index = pd.DatetimeIndex(daily_lines.index)
    days = pd.date_range(index.min(), index.max(), freq="D")
    return pd.Series(daily_lines.to_numpy(), index=index).reindex(days, fill_value=0)


def thin_days(daily_lines: pd.Series) -> list[dt.date]:
    """The thin slices at the end of ``daily_lines`` (order lines per day), oldest first.

    A day is thin when it has fewer than ``THIN_SHARE`` times the median lines of the
    ``TRAILING_DAYS`` calendar days before it; the walk stops at the first day that is not.
    """
    days = _calendar(daily_lines)
    thin: list[dt.date] = []
    for position in range(len(days) - 1, max(len(days) - 1 - MAX_PARTIAL_DAYS, -1), -1):
        reference = days.iloc[max(0, position - TRAILING_DAYS):position]
        if len(reference) < _MIN_REFERENCE_DAYS or days.iloc[position] >= THIN_SHARE * reference.median():
            break
        thin.append(days.index[position].date())
    return thin[::-1]


def _recent_lines(bind: Engine | Connection, last_day: dt.date) -> pd.Series:
    span = TRAILING_DAYS + MAX_PARTIAL_DAYS + 1
    return queries.daily_line_counts(bind, last_day - dt.timedelta(days=span))


def _from_data(bind: Engine | Connection, last_day: dt.date) -> Watermark:
    thin = thin_days(_recent_lines(bind, last_day))
    if not thin:
        return Watermark(last_day, "data", f"the last order day {last_day} has a full day's order lines",
                         last_day)
    through = thin[0] - dt.timedelta(days=1)
    span = f"{thin[0]}" if len(thin) == 1 else f"{thin[0]} to {thin[-1]}"
    return Watermark(through, "data",
                     f"{span} {'is a thin slice' if len(thin) == 1 else 'are thin slices'} (fewer than "
                     f"{THIN_SHARE:.0%} of the trailing {TRAILING_DAYS}-day median of order lines), so partial",
                     last_day)


def complete_through(bind: Engine | Connection, override: dt.date | None = None) -> Watermark:
    """The store's last complete day: ``override`` (the setting), else the stream's clock, else the data.

    ``bind`` may be an engine or a connection inside an open transaction.
    """
    last_day = queries.latest_order_date(bind)
    if override is not None:
        return Watermark(override, "setting", f"{COMPLETE_THROUGH_ENV}={override.isoformat()}", last_day)
    if last_day is None:
        return Watermark(None, "empty", "the store has no orders yet")
    stream_day = queries.latest_stream_order_date(bind)
    if stream_day is not None and stream_day >= last_day:
        through = stream_day - dt.timedelta(days=1)
        return Watermark(through, "stream", f"the event stream is applying orders of {stream_day}, so that day "
                         "is still in progress", last_day)
    return _from_data(bind, last_day)


def thin_slice_warning(bind: Engine | Connection, batch_days: pd.Series) -> str | None:
    """A warning when the batch's order days include thin slices at the end of the calendar, else None.

    Run after the batch was written (inside its transaction), so its own lines are counted.
    """
    last_day = queries.latest_order_date(bind)
    dates = pd.to_datetime(batch_days.dropna())
    if last_day is None or dates.empty:
        return None
    daily = _recent_lines(bind, last_day)
    thin = [day for day in thin_days(daily) if day in set(dates.dt.date)]
    if not thin:
        return None
    span = f"{thin[0]}" if len(thin) == 1 else f"{thin[0]} to {thin[-1]}"
    lines = int(daily[pd.DatetimeIndex(daily.index).date >= thin[0]].sum())
    return (f"this batch extends the calendar by a thin slice: {span} holds only {lines} order line(s), fewer "
            f"than {THIN_SHARE:.0%} of a typical day's, so {'it is' if len(thin) == 1 else 'they are'} treated "
            "as partial (left out of KPIs, trends and forecasts, shown as 'today so far') until more data "
            f"arrives; to count {'it' if len(thin) == 1 else 'them'} as complete anyway, set "
            f"{COMPLETE_THROUGH_ENV}={thin[-1].isoformat()}")
