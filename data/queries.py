"""Read-only queries that hand analytics the store's facts as typed frames."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, func, select

from data import schema

__all__ = ["order_line_facts", "customer_facts", "latest_order_date"]

_DIMENSIONS = ("region", "category", "channel")


def order_line_facts(engine: Engine) -> pd.DataFrame:
    """One row per order line: order, customer, date, region, category, sales channel, revenue.

    Revenue is ``quantity * unit_price * (1 - discount)``; region is the customer's.
    """
    ol, o, c = schema.order_lines, schema.orders, schema.customers
    query = (
        select(
            ol.c.order_id,
            o.c.customer_id,
            ol.c.order_date,
            c.c.region,
            ol.c.category,
            o.c.channel,
            (ol.c.quantity * ol.c.unit_price * (1 - ol.c.discount)).label("revenue"),
        )
        .join(o, o.c.order_id == ol.c.order_id)
        .join(c, c.c.customer_id == o.c.customer_id)
    )
    with engine.connect() as connection:
        frame = pd.read_sql_query(query, connection)
    frame["order_date"] = pd.to_datetime(frame["order_date"], format="ISO8601")
    frame["revenue"] = frame["revenue"].astype(float)
    for column in _DIMENSIONS:
        frame[column] = frame[column].astype("category")
    return frame


def customer_facts(engine: Engine) -> pd.DataFrame:
    """One row per customer with signup and cancellation dates and the churn dimensions."""
    c = schema.customers
    query = select(
        c.c.customer_id, c.c.signup_date, c.c.cancel_date, c.c.region, c.c.channel,
        c.c.segment, c.c.plan,
    )
    with engine.connect() as connection:
        frame = pd.read_sql_query(query, connection)
    for column in ("signup_date", "cancel_date"):
        frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    for column in ("region", "channel", "segment", "plan"):
        frame[column] = frame[column].astype("category")
    return frame


def latest_order_date(engine: Engine) -> dt.date | None:
    """The newest order date in the store (None without orders); uses the date index."""
    with engine.connect() as connection:
        value = connection.execute(select(func.max(schema.orders.c.order_date))).scalar()
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
