"""What the Overview page asks of the KPI model: one snapshot per view, and drill-down filters."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analytics.kpis import (
    ALL, DIMENSIONS, Filters, KpiModel, KpiValue, breakdown, normalise_filters, kpi_values, revenue_trend,
)

__all__ = ["OverviewSnapshot", "overview_snapshot", "toggle_filter"]


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
