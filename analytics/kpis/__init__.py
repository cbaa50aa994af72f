"""Business KPIs for the Overview: revenue, orders, active customers, AOV and churn.

Everything is computed once per dataset version into a small ``KpiModel`` (a
table of every KPI for every filter combination and period, plus a daily revenue
cube). Answering a question for a filter is then a lookup, so its cost does not
grow with the size of the company.

Periods are trailing windows ending at ``as_of`` (the last complete day, see
``data.watermark``; orders after it are left out): period 0 covers the ``window`` days up
to and including ``as_of``, period 1 the ``window`` days before that, and so on. A custom
date range is a model with one window, the range's length, ending at the range's last day.
"""
from __future__ import annotations

from analytics.kpis.definitions import (ALL, DIMENSIONS, KPI_DEFINITIONS, N_PERIODS, WINDOWS, Filters, KpiDefinition,
                                        KpiModel, KpiValue)
from analytics.kpis.decompose import ChangeDecomposition, decompose_change, previous_period, revenue_change
from analytics.kpis.live import PartialDays, TrendTail, today_so_far, trend_tail
from analytics.kpis.model import (breakdown, build_kpi_model, kpi_values, load_kpi_model, load_range_kpis,
                                  normalise_filters, region_category_matrix, revenue_trend)
from analytics.kpis.overview import OverviewSnapshot, check_range, overview_snapshot, toggle_filter

__all__ = [
    "ALL", "DIMENSIONS", "KPI_DEFINITIONS", "N_PERIODS", "WINDOWS", "Filters", "KpiDefinition", "KpiModel", "KpiValue",
    "OverviewSnapshot", "PartialDays", "TrendTail", "breakdown", "build_kpi_model", "check_range", "kpi_values",
    "load_kpi_model", "load_range_kpis", "normalise_filters", "overview_snapshot", "region_category_matrix",
    "revenue_trend", "today_so_far", "toggle_filter", "trend_tail",
]
__all__ += ["ChangeDecomposition", "decompose_change", "previous_period", "revenue_change"]
