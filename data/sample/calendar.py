"""The sample company's calendar: the window, holidays, promotions and planted anomalies.

Everything is expressed as day indices into the window (0 = first day) so the order and
signup generators can work on plain numpy arrays.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.sample.params import ANOMALIES, SEASONALITY, Anomaly
from data.vocabulary import CATEGORIES

_QUIET_MARGIN = 10  # days around an anomaly kept free of holidays, promotions and other anomalies

# (name, month, day, length in days, discount, category or None for sitewide)
_PROMOTION_TEMPLATES: tuple[tuple[str, int, int, int, float, str | None], ...] = (
    ("New Year Fitness", 1, 3, 11, 0.20, "Sports"),
    ("Spring Sitewide Sale", 3, 14, 3, 0.15, None),
    ("Spring Home Refresh", 4, 8, 10, 0.15, "Home"),
    ("Beauty Week", 5, 1, 7, 0.20, "Beauty"),
    ("Summer Sale", 7, 10, 12, 0.30, "Apparel"),
    ("Back to School", 8, 15, 14, 0.10, "Electronics"),
)
_BLACK_FRIDAY_DISCOUNT = 0.25
# The ERP already holds the promotions planned this far past the window's end (known future
# regressors for demand forecasting); they have no orders yet.
PLANNED_PROMOTION_DAYS = 120


@dataclass(frozen=True)
class Period:
    """The generated window: ``years`` years of days ending on ``end`` (inclusive)."""

    start: pd.Timestamp
    end: pd.Timestamp

    @classmethod
    def ending(cls, end_date: dt.date | str, years: int) -> Period:
        end = pd.Timestamp(end_date).normalize()
        return cls(start=end - pd.DateOffset(years=years) + pd.Timedelta(days=1), end=end)

    @property
    def days(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, self.end, freq="D")

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days + 1

    def offset(self, date: pd.Timestamp | dt.date) -> int:
        return (pd.Timestamp(date) - self.start).days

    def dates(self, offsets: np.ndarray) -> np.ndarray:
        """datetime64[ns] dates for integer day offsets (negative = before the window)."""
        return self.start.to_datetime64() + np.asarray(offsets).astype("timedelta64[D]")


@dataclass(frozen=True)
class PlacedAnomaly:
    """An anomaly pinned to days of the window; ``last`` is None for a level shift."""

    anomaly: Anomaly
    first: int
    last: int | None


def black_friday(year: int) -> pd.Timestamp:
    """The day after the fourth Thursday of November."""
    first = pd.Timestamp(year, 11, 1)
    first_thursday = first + pd.Timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + pd.Timedelta(days=22)


def holidays(period: Period) -> pd.DataFrame:
    """Holiday days inside the window with their order multipliers (columns day, date, name, multiplier)."""
    rows = []
    multipliers = SEASONALITY.holidays
    for year in range(period.start.year, period.end.year + 1):
        friday = black_friday(year)
        named = [("black_friday", friday), ("cyber_monday", friday + pd.Timedelta(days=3))]
        named += [("christmas_run_up", pd.Timestamp(year, 12, day)) for day in range(1, 23)]
        named += [
            ("christmas_eve", pd.Timestamp(year, 12, 24)),
            ("christmas_day", pd.Timestamp(year, 12, 25)),
        ]
        named.append(("new_years_day", pd.Timestamp(year, 1, 1)))
        rows += [(period.offset(date), date, name, multipliers[name]) for name, date in named]
    frame = pd.DataFrame(rows, columns=["day", "date", "name", "multiplier"])
    inside = (frame["day"] >= 0) & (frame["day"] < period.n_days)
    return frame[inside].sort_values("day", ignore_index=True)


def promotions(period: Period, planned_days: int = PLANNED_PROMOTION_DAYS) -> pd.DataFrame:
    """Promotions overlapping the window or starting up to ``planned_days`` after it (already
    planned), never two on one day (columns of the promotions table)."""
    rows = []
    horizon = period.end + pd.Timedelta(days=planned_days)
    for year in range(period.start.year - 1, horizon.year + 1):
        for name, month, day, length, discount, category in _PROMOTION_TEMPLATES:
            start = pd.Timestamp(year, month, day)
            rows.append((f"{name} {year}", start, start + pd.Timedelta(days=length - 1), discount, category))
        friday = black_friday(year)
        rows.append(
            (f"Black Friday {year}", friday, friday + pd.Timedelta(days=3), _BLACK_FRIDAY_DISCOUNT, None)
        )
    frame = pd.DataFrame(rows, columns=["name", "start_date", "end_date", "discount", "category"])
    frame = frame[(frame["end_date"] >= period.start) & (frame["start_date"] <= horizon)]
    frame = frame.sort_values("start_date", ignore_index=True)
    frame.insert(0, "promo_id", np.arange(1, len(frame) + 1))
    return frame


def promotion_days(period: Period, promos: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per day: row index into ``promos`` (-1 = none), discount, category code (-1 = sitewide)."""
    row = np.full(period.n_days, -1)
    for index, promo in promos.iterrows():
        first = max(period.offset(promo["start_date"]), 0)
        last = min(period.offset(promo["end_date"]), period.n_days - 1)
        if (row[first : last + 1] >= 0).any():
            raise ValueError(f"promotion {promo['name']!r} overlaps another; keep at most one per day")
        row[first : last + 1] = index
    active = row >= 0
    discount = np.where(active, promos["discount"].to_numpy()[row], 0.0)
    codes = promos["category"].map({name: code for code, name in enumerate(CATEGORIES)}).fillna(-1)
    category = np.where(active, codes.to_numpy(dtype=int)[row], -1)
    return row, discount, category


def _quiet_start(busy: np.ndarray, nominal: int, span: int) -> int | None:
    """The start nearest ``nominal`` (later first) whose span and margins avoid busy days."""
    n_days = busy.size
    for distance in range(n_days):
        for day in (nominal + distance, nominal - distance):
            lo, hi = day - _QUIET_MARGIN, day + span + _QUIET_MARGIN
            if lo >= 0 and hi <= n_days and not busy[lo:hi].any():
                return day
    return None


def place_anomalies(period: Period, busy: np.ndarray) -> list[PlacedAnomaly]:
    """Pin each anomaly at its position, moved to the nearest day whose neighbourhood is quiet.

    ``busy`` marks days with a holiday or promotion; anomalies keep ``_QUIET_MARGIN`` days
    of ordinary days on either side so they stand out against their neighbours.
    """
    busy = busy.copy()
    placed = []
    for anomaly in ANOMALIES:
        span = anomaly.days or 1
        day = _quiet_start(busy, int(round(anomaly.position * (period.n_days - 1))), span)
        if day is None:
            raise ValueError(f"no quiet {span}-day slot for anomaly {anomaly.name!r}; use a longer window")
        busy[day : day + span] = True
        last = None if anomaly.days is None else day + span - 1
        placed.append(PlacedAnomaly(anomaly, day, last))
    return placed
