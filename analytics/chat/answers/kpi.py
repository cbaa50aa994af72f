"""KPI answers: revenue, orders, active customers, average order value and churn rate for a period and filters,
read from the same KPI model as the Overview (a trailing window, or a custom range's model)."""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from analytics.chat.answers.common import Gathered, NoData, cite, fact, filters_of, first, period_of, unsupported
from analytics.chat.facts import Parse
from analytics.chat.links import OVERVIEW_WINDOWS, overview_href
from analytics.kpis import kpi_values
from data.queries import daily_sales

__all__ = ["KPI_FACTS", "LITTLE_DATA_ORDERS", "kpi_snapshot", "gather_kpi", "breakdown_dimension", "units_sold"]

# KPI key -> (the metric's canonical name, unit)
KPI_FACTS = {"revenue": ("revenue", "currency"), "orders": ("orders", "count"),
             "active_customers": ("active customers", "count"), "aov": ("average order value", "currency"),
             "churn_rate": ("churn rate", "percent")}
LITTLE_DATA_ORDERS = 30  # fewer orders than this in the filtered period: the answer says the data is thin
_KEY_OF = {name: key for key, (name, _) in KPI_FACTS.items()}
_BY = re.compile(r"\b(?:by|per|across|each)\s+(region|category|channel)s?\b", re.IGNORECASE)


def _days(start: str, end: str) -> int:
    return (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days + 1


def kpi_snapshot(results, start: str, end: str, filters: dict[str, str]) -> dict:
    """``{key: KpiValue}`` for the period (both days included) and filters: the trailing-window model when the
    period is one of the Overview's windows ending on the last complete day, else the range's own model."""
    days = _days(start, end)
    if end == results.through and days in OVERVIEW_WINDOWS:
        model = results.kpi_model()
    else:
        model = results.range_kpis(start, end)
    try:
        values = kpi_values(model, days, filters)
    except ValueError as error:
        raise NoData(str(error)) from None
    return {value.key: value for value in values}


def _previous(start: str, end: str) -> tuple[str, str]:
    days = _days(start, end)
    first_day = dt.date.fromisoformat(start)
    return ((first_day - dt.timedelta(days=days)).isoformat(), (first_day - dt.timedelta(days=1)).isoformat())


def units_sold(results, start: str, end: str, filters: dict[str, str]) -> float:
    """Units sold in the period (order lines' quantities) for region and category filters."""
    sales = daily_sales(results.engine(), through=end)
    keep = sales["ds"] >= pd.Timestamp(start)
    for key in ("region", "category"):
        if key in filters:
            keep &= sales[key] == filters[key]
    return float(sales.loc[keep, "units"].sum())


def breakdown_dimension(parse: Parse) -> str | None:
    """The dimension a question breaks down by ("orders by channel"), if any."""
    match = _BY.search(parse.text or "")
    return match.group(1).lower() if match else None


def _focus(parse: Parse) -> str:
    metric = first(parse.entities.get("metric"))
    return metric if metric in _KEY_OF or metric == "units" else "revenue"


def gather_kpi(parse: Parse, results) -> Gathered:
    """Every KPI for the question's period (default: the last 30 complete days) and filters, the asked metric's
    previous period and change, and a breakdown table when the question asks "by region/category/channel"."""
    start, end = period_of(parse, results.through)
    filters = filters_of(parse)
    period = (start, end)
    values = kpi_snapshot(results, start, end, filters)
    facts = [fact(name, values[key].value, unit, period, filters) for key, (name, unit) in KPI_FACTS.items()]
    focus = _focus(parse)
    notice = unsupported(parse, ("region", "category", "channel"), "The KPIs")
    if focus == "units":
        if "channel" in filters:
            notice = "Units are counted by region and category only, not by channel."
        facts.insert(0, fact("units", units_sold(results, start, end, filters), "count", period,
                             {k: v for k, v in filters.items() if k != "channel"}))
    else:
        previous, current = values[_KEY_OF[focus]].previous, values[_KEY_OF[focus]].value
        unit = KPI_FACTS[_KEY_OF[focus]][1]
        facts.append(fact(f"{focus} (previous period)", previous, unit, _previous(start, end), filters))
        if previous and pd.notna(previous) and pd.notna(current):
            facts.append(fact(f"{focus} change", current / previous - 1, "percent", period, filters))
    reasons = []
    orders = values["orders"].value
    if orders < LITTLE_DATA_ORDERS:
        reasons.append((f"little data: only {orders:,.0f} orders in the filtered period", 0.35))
    table: tuple = ()
    dimension = breakdown_dimension(parse)
    if dimension:
        table, rows = _breakdown(results, start, end, filters, dimension, focus if focus != "units" else "revenue")
        facts.extend(rows)
    window = _days(start, end) if end == results.through else None
    href = overview_href(window=window, filters=filters) if window in OVERVIEW_WINDOWS else overview_href(
        start=start, end=end, filters=filters)
    citation = cite(results, "Overview", "KPI cards", href, period)
    return Gathered(facts=tuple(facts), citations=(citation,), reasons=tuple(reasons), table=table, notice=notice,
                    extra={"focus": focus, "dimension": dimension})


def _breakdown(results, start, end, filters, dimension, focus) -> tuple[tuple[dict, ...], list]:
    """One row per member of ``dimension`` (the other filters apply) and a fact per member for the focus metric."""
    model = results.kpi_model()
    members = model.members.get(dimension, ())
    key = _KEY_OF[focus]
    name, unit = KPI_FACTS[key]
    rows, facts = [], []
    for member in members:
        scoped = {**{k: v for k, v in filters.items() if k != dimension}, dimension: member}
        values = kpi_snapshot(results, start, end, scoped)
        rows.append({dimension: member, "revenue": round(float(values["revenue"].value), 2),
                     "orders": int(values["orders"].value), "active customers": int(values["active_customers"].value)})
        facts.append(fact(f"{name} · {member}", values[key].value, unit, (start, end), scoped))
    rows.sort(key=lambda row: -(row.get(name if name in row else "revenue") or 0))
    return tuple(rows), facts

