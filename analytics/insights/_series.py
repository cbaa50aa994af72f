"""The daily series the anomaly detector reads: orders and revenue for the company and every region,
channel and category, on complete days only, plus the calendar and spend that explain them.

Scopes: the company (``()``), each customer region, each sales channel (the order's channel) and each
product category. Orders in a category are the orders with at least one line in it, so the category
series do not add up to the company's orders (an order with lines in two categories counts in both);
revenue (quantity x unit price x (1 - discount)) does add up.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from analytics.forecasting import event_calendar, spend_regressor
from data import queries, schema
from data.watermark import complete_through

__all__ = ["DIMENSIONS", "METRICS", "Scope", "StoreSeries", "load_series", "scope_dict", "scope_key"]

METRICS = ("orders", "revenue")
DIMENSIONS = ("region", "channel", "category")
Scope = tuple[tuple[str, str], ...]  # () = the company; (("region", "APAC"),) = one region


def scope_dict(scope: Scope) -> dict[str, str]:
    return dict(scope)


def scope_key(scope: Scope) -> str:
    """'company' or 'region=APAC': how a scope is named in messages and tables."""
    return ", ".join(f"{k}={v}" for k, v in scope) or "company"


@dataclass(frozen=True)
class StoreSeries:
    """Daily values per (metric, scope) on ``days`` (every calendar day, zero where nothing sold).

    ``calendar``: every event day (``analytics.forecasting.calendar.event_calendar``) in ``days``;
    ``spend``: trailing-week marketing spend per day in hundreds (``spend_regressor``), zeros without spend.
    """

    days: pd.DatetimeIndex
    values: dict[tuple[str, Scope], np.ndarray]
    calendar: pd.DataFrame
    spend: np.ndarray


def _cells(engine: Engine, first: dt.date, last: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Revenue and category orders per (day, region, channel, category); orders per (day, region, channel)."""
    ol, o, c = schema.order_lines, schema.orders, schema.customers
    revenue = func.sum(ol.c.quantity * ol.c.unit_price * (1 - ol.c.discount))
    lines = (select(ol.c.order_date, c.c.region, o.c.channel, ol.c.category, revenue,
                    func.count(func.distinct(ol.c.order_id)))
             .select_from(ol.join(o, o.c.order_id == ol.c.order_id).join(c, c.c.customer_id == o.c.customer_id))
             .where(ol.c.order_date >= first, ol.c.order_date <= last)
             .group_by(ol.c.order_date, c.c.region, o.c.channel, ol.c.category))
    orders = (select(o.c.order_date, c.c.region, o.c.channel, func.count())
              .select_from(o.join(c, c.c.customer_id == o.c.customer_id))
              .where(o.c.order_date >= first, o.c.order_date <= last)
              .group_by(o.c.order_date, c.c.region, o.c.channel))
    with engine.connect() as connection:
        line_rows = connection.execute(lines).all()
        order_rows = connection.execute(orders).all()
    by_line = pd.DataFrame(line_rows, columns=["ds", "region", "channel", "category", "revenue", "orders"])
    by_order = pd.DataFrame(order_rows, columns=["ds", "region", "channel", "orders"])
    for frame in (by_line, by_order):
        frame["ds"] = pd.to_datetime(frame["ds"].astype(str).str[:10]) if len(frame) else pd.to_datetime(frame["ds"])
    return by_line.astype({"revenue": float, "orders": float}), by_order.astype({"orders": float})


def _daily(frame: pd.DataFrame, column: str, by: str | None, days: pd.DatetimeIndex) -> dict[Scope, np.ndarray]:
    if by is None:
        total = frame.groupby("ds")[column].sum().reindex(days, fill_value=0.0)
        return {(): total.to_numpy(dtype=float)}
    table = frame.groupby(["ds", by])[column].sum().unstack(by).reindex(days).fillna(0.0)
    return {((by, str(name)),): table[name].to_numpy(dtype=float) for name in sorted(table.columns)}


def _values(by_line: pd.DataFrame, by_order: pd.DataFrame, days: pd.DatetimeIndex) -> dict:
    values: dict[tuple[str, Scope], np.ndarray] = {}
    for by in (None, "region", "channel"):
        values.update({("orders", s): v for s, v in _daily(by_order, "orders", by, days).items()})
    for by in (None, *DIMENSIONS):
        values.update({("revenue", s): v for s, v in _daily(by_line, "revenue", by, days).items()})
    values.update({("orders", s): v for s, v in _daily(by_line, "orders", "category", days).items()})
    return values


def _first_order_day(engine: Engine) -> dt.date | None:
    with engine.connect() as connection:
        first = connection.execute(select(func.min(schema.orders.c.order_date))).scalar()
    return None if first is None else dt.date.fromisoformat(str(first)[:10])


def _through(engine: Engine, through: dt.date | str | None) -> dt.date | None:
    if through is None:
        return complete_through(engine).through
    if isinstance(through, dt.date):
        return through
    try:
        return dt.date.fromisoformat(str(through).strip()[:10])
    except ValueError:
        raise ValueError(f"through={through!r} is not a date; give an ISO date such as 2026-10-31, or None for "
                         "the store's last complete day") from None


def load_series(engine: Engine, through: dt.date | str | None = None,
                countries: tuple[str, ...] = ("US",)) -> StoreSeries | None:
    """Every daily series from the first order day to ``through`` (default: the last complete day).

    Returns None when the store has no complete day of orders.
    """
    last, first = _through(engine, through), _first_order_day(engine)
    if last is None or first is None or last < first:
        return None
    days = pd.date_range(first, last, freq="D")
    by_line, by_order = _cells(engine, first, last)
    spend = queries.daily_marketing_spend(engine, through=last)
    trailing, _ = spend_regressor(spend, days, days[-1])
    calendar = event_calendar(days[0], days[-1], queries.promotion_calendar(engine), queries.calendar_events(engine),
                              countries)
    return StoreSeries(days, _values(by_line, by_order, days), calendar, np.asarray(trailing, dtype=float))
