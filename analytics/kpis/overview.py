"""What the Overview page asks of the KPI model: one snapshot per view, drill-down filters and date ranges."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analytics.kpis.definitions import ALL, DIMENSIONS, Filters, KpiModel, KpiValue
from analytics.kpis.model import breakdown, kpi_values, normalise_filters, revenue_trend

__all__ = ["OverviewSnapshot", "check_range", "overview_snapshot", "toggle_filter"]


@dataclass(frozen=True)
class OverviewSnapshot:
    """Everything the Overview shows for one window and filter."""

    as_of: pd.Timestamp
    window: int
    filters: dict[str, str]
    kpis: list[KpiValue]
    trend: pd.DataFrame
    breakdowns: dict[str, pd.DataFrame]


def overview_snapshot(model: KpiModel, window: int, filters: Filters | None = None) -> OverviewSnapshot:
    """KPIs, revenue trend and breakdowns for one view."""
    clean = normalise_filters(model, filters)
    return OverviewSnapshot(
        as_of=model.as_of,
        window=window,
        filters=clean,
        kpis=kpi_values(model, window, clean),
        trend=revenue_trend(model, clean),
        breakdowns={dim: breakdown(model, dim, window, clean) for dim in DIMENSIONS},
    )


def toggle_filter(filters: Filters | None, dimension: str, member: str | None) -> dict[str, str | None]:
    """Drill into ``member`` of ``dimension``; choosing the current member again clears it."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}; choose one of {list(DIMENSIONS)}")
    updated = {dim: (filters or {}).get(dim) for dim in DIMENSIONS}
    updated[dimension] = None if (member in (None, ALL) or updated[dimension] == member) else member
    return updated


def _day(value: object, name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value if not isinstance(value, dt.datetime) else value.date()
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValueError(f"the {name} date {str(value)[:40]!r} is not a date; use YYYY-MM-DD") from None


def check_range(start: object, end: object, first_day: dt.date, through: dt.date) -> tuple[dt.date, dt.date]:
    """A custom range as dates, both included, within ``first_day`` .. ``through`` (the last complete day).

    Raises ValueError saying what is wrong and what to pick instead.
    """
    if start in (None, "") or end in (None, ""):
        missing = "start" if start in (None, "") else "end"
        raise ValueError(f"the date range has no {missing} date; pick both a start and an end date")
    first, last = _day(start, "start"), _day(end, "end")
    if last < first:
        raise ValueError(f"the range ends on {last} before it starts on {first}; pick an end on or after the start")
    if first < first_day or last > through:
        raise ValueError(f"{first} to {last} is outside the complete data, {first_day} to {through}; days after "
                         f"{through} are still partial — pick dates within that span")
    return first, last
