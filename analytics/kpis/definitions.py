"""What each Overview KPI means, and the shapes the KPI engine answers in."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.kpis import engine as _engine

__all__ = ["ALL", "CUSTOMER_COLUMNS", "DIMENSIONS", "Filters", "KPI_DEFINITIONS", "KpiDefinition", "KpiModel",
           "KpiValue", "LINE_COLUMNS", "N_PERIODS", "ORDER_COLUMNS", "Progress", "WINDOWS"]

ALL = _engine.ALL
DIMENSIONS = _engine.DIMENSIONS
WINDOWS: tuple[int, ...] = (7, 30, 90)
N_PERIODS = 12

ORDER_COLUMNS = ("order_id", "customer_id", "order_date", "channel")
LINE_COLUMNS = ("order_id", "category", "revenue")
CUSTOMER_COLUMNS = ("customer_id", "signup_date", "cancel_date", "region", "channel")

Progress = Callable[[int, int, str], None]
Filters = Mapping[str, str | None]


@dataclass(frozen=True)
class KpiDefinition:
    """How a KPI is computed, in words an analyst can check."""

    key: str
    label: str
    unit: str  # "currency" | "count" | "percent"
    definition: str
    higher_is_better: bool = True


KPI_DEFINITIONS: dict[str, KpiDefinition] = {
    d.key: d
    for d in (
        KpiDefinition(
            "revenue",
            "Revenue",
            "currency",
            "Sum of quantity × unit price × (1 − discount) over all order lines dated in the "
            "period. Region is the customer's region, channel the order's sales channel.",
        ),
        KpiDefinition(
            "orders",
            "Orders",
            "count",
            "Number of distinct orders dated in the period (with a category filter: orders "
            "containing at least one line of that category).",
        ),
        KpiDefinition(
            "active_customers",
            "Active customers",
            "count",
            "Number of distinct customers who placed at least one order in the period.",
        ),
        KpiDefinition(
            "aov",
            "Avg order value",
            "currency",
            "Revenue divided by orders for the period.",
        ),
        KpiDefinition(
            "churn_rate",
            "Churn rate",
            "percent",
            "Customers whose subscription was cancelled in the period, divided by the "
            "customers subscribed at the start of the period (signed up on or before it and "
            "not yet cancelled). Region and channel are the customer's region and acquisition "
            "channel; the category filter does not apply to this customer-level measure.",
            higher_is_better=False,
        ),
    )
}


@dataclass(frozen=True)
class KpiValue:
    """One KPI for one filter and window: current value, previous value and history."""

    key: str
    value: float
    previous: float
    sparkline: tuple[float, ...]  # oldest first, the last point is ``value``

    @property
    def delta(self) -> float | None:
        """Relative change against the previous period, None when undefined."""
        if not np.isfinite(self.previous) or self.previous == 0 or not np.isfinite(self.value):
            return None
        return (self.value - self.previous) / abs(self.previous)


@dataclass(frozen=True)
class KpiModel:
    """Every KPI for every filter combination, plus the daily revenue cube."""

    as_of: pd.Timestamp
    table: pd.DataFrame  # index (window, region, category, channel, period), KPI columns
    cube: pd.DataFrame  # columns date, region, category, channel, revenue
    members: dict[str, tuple[str, ...]]
    windows: tuple[int, ...] = WINDOWS

    @property
    def first_day(self) -> pd.Timestamp:
        """The first day with sales."""
        return self.cube["date"].min()
