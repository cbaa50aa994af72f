"""The facts every retention analysis reads: customers, their orders and their support tickets.

One frozen :class:`RetentionFacts` is the input contract of cohorts, survival, segments and the ``churn`` and
``clv`` subpackages of ``analytics.retention``. Columns:

- ``customers``: ``customer_id, signup_date, cancel_date`` (NaT while active), ``region, channel, segment, plan``;
- ``orders``: ``order_id, customer_id, order_date, revenue`` (one row per order, revenue net of discounts);
- ``tickets``: ``customer_id, opened_date, resolved_date`` (NaT while open), ``priority, satisfaction`` (1–5,
  NaN when not surveyed; known from the resolution on);
- ``as_of``: the last day of data (the newest order date).

The orders are checked with ``analytics._checks.check_order_log`` when the facts are built: ids, dates and
revenue present, dates as dates, revenue >= 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from analytics._checks import check_order_log, require_columns
from data import queries

__all__ = ["RetentionFacts", "load_retention_facts", "facts_from_tables", "check_facts"]

CUSTOMER_COLUMNS = ["customer_id", "signup_date", "cancel_date", "region", "channel", "segment", "plan"]
ORDER_COLUMNS = ["order_id", "customer_id", "order_date", "revenue"]
TICKET_COLUMNS = ["customer_id", "opened_date", "resolved_date", "priority", "satisfaction"]
FRAME_COLUMNS = {"customers": CUSTOMER_COLUMNS, "orders": ORDER_COLUMNS, "tickets": TICKET_COLUMNS}


@dataclass(frozen=True)
class RetentionFacts:
    """Customers, orders and tickets as of one day (see the module docstring for the columns)."""

    customers: pd.DataFrame
    orders: pd.DataFrame
    tickets: pd.DataFrame
    as_of: pd.Timestamp


def check_facts(facts: RetentionFacts) -> None:
    """Raise ``ValueError`` naming the frame and the columns when ``facts`` lack a required column."""
    for name, columns in FRAME_COLUMNS.items():
        require_columns(getattr(facts, name), columns, f"facts.{name}", f"expected {columns} (build facts with "
                        "analytics.retention.facts_from_tables or load_retention_facts)")


def _checked(customers: pd.DataFrame, orders: pd.DataFrame, tickets: pd.DataFrame) -> RetentionFacts:
    for name, frame in (("customers", customers), ("orders", orders), ("tickets", tickets)):
        require_columns(frame, FRAME_COLUMNS[name], name, f"expected {FRAME_COLUMNS[name]}", plural=True)
    if orders.empty:
        raise ValueError("there are no orders; retention needs purchase history (python -m data sample or an ingest)")
    check_order_log(orders)
    customers = customers[CUSTOMER_COLUMNS].assign(
        **{c: customers[c].astype(str) for c in ("region", "channel", "segment", "plan")})
    return RetentionFacts(customers.reset_index(drop=True), orders[ORDER_COLUMNS].reset_index(drop=True),
                          tickets[TICKET_COLUMNS].reset_index(drop=True), pd.Timestamp(orders["order_date"].max()))


def load_retention_facts(engine: Engine) -> RetentionFacts:
    """The store's customers, orders and tickets."""
    return _checked(queries.customer_facts(engine), queries.order_revenue(engine),
                    queries.support_ticket_facts(engine))


def facts_from_tables(tables: dict[str, pd.DataFrame]) -> RetentionFacts:
    """The same facts from in-memory tables in the store's schema (e.g. ``generate_sample(...).tables``)."""
    lines = tables["order_lines"]
    revenue = (lines["quantity"] * lines["unit_price"] * (1 - lines["discount"])).groupby(lines["order_id"]).sum()
    orders = tables["orders"].assign(revenue=lambda f: f["order_id"].map(revenue).astype(float))
    dates = {"signup_date", "cancel_date", "order_date", "opened_date", "resolved_date"}
    frames = [tables["customers"], orders, tables["support_tickets"]]
    frames = [f.assign(**{c: pd.to_datetime(f[c]) for c in dates & set(f.columns)}) for f in frames]
    frames[2] = frames[2].assign(satisfaction=frames[2]["satisfaction"].astype(float))
    return _checked(*frames)
