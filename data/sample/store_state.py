"""What a replay of the sample company continues from: the store's customers, products, campaigns and orders."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, func, select

from data import schema
from data.vocabulary import CATEGORIES

__all__ = ["StoreState", "day", "read_store_state"]

_POPULARITY_DAYS = 90  # product popularity is read from the store's recent order lines


@dataclass(frozen=True)
class StoreState:
    """The parts of the store the models continue from."""

    window_start: pd.Timestamp
    last_order_date: pd.Timestamp
    customers: pd.DataFrame
    products: pd.DataFrame  # with popularity, ordered by category then id
    campaigns: pd.DataFrame
    promotions: pd.DataFrame
    max_order_id: int


def _frame(engine: Engine, query) -> pd.DataFrame:
    with engine.connect() as connection:
        return pd.read_sql_query(query, connection)


def day(value) -> pd.Timestamp:
    return pd.Timestamp(value).normalize()


def _read_products(engine: Engine, since: pd.Timestamp) -> pd.DataFrame:
    p, ol = schema.products, schema.order_lines
    products = _frame(engine, select(p.c.product_id, p.c.category, p.c.list_price, p.c.launch_date))
    recent = (
        select(ol.c.product_id, func.count().label("lines"))
        .where(ol.c.order_date >= since.date())
        .group_by(ol.c.product_id)
    )
    counts = _frame(engine, recent).set_index("product_id")["lines"]
    unknown = sorted(set(products["category"]) - set(CATEGORIES))
    if unknown:
        raise ValueError(f"products have categories {unknown}; replay knows only {list(CATEGORIES)}")
    products["code"] = products["category"].map(CATEGORIES.index)
    products["launch_date"] = pd.to_datetime(products["launch_date"])
    # One line of smoothing keeps products that sold nothing lately in the catalogue.
    products["popularity"] = products["product_id"].map(counts).fillna(0.0).to_numpy() + 1.0
    return products.sort_values(["code", "product_id"], ignore_index=True)


def read_store_state(engine: Engine) -> StoreState:
    """Read what the replay continues from; raises ValueError when the store has no orders."""
    c, o, m = schema.customers, schema.orders, schema.marketing_daily
    with engine.connect() as connection:
        first_order, last_order, max_order = connection.execute(
            select(func.min(o.c.order_date), func.max(o.c.order_date), func.max(o.c.order_id))
        ).one()
        first_spend = connection.execute(select(func.min(m.c.date))).scalar()
    if last_order is None:
        raise ValueError(
            "the store holds no orders to continue from; write the sample company first "
            "(`python -m data sample`, or `python -m data replay --customers N` on an empty store)"
        )
    last = day(last_order)
    customers = _frame(engine, select(c).order_by(c.c.customer_id))
    for column in ("signup_date", "cancel_date"):
        customers[column] = pd.to_datetime(customers[column])
    # The generator's window starts on its first day of marketing spend; older stores fall
    # back to their first order.
    starts = [day(value) for value in (first_order, first_spend) if value is not None]
    return StoreState(
        window_start=min(starts),
        last_order_date=last,
        customers=customers,
        products=_read_products(engine, last - pd.Timedelta(days=_POPULARITY_DAYS - 1)),
        campaigns=_frame(engine, select(schema.campaigns)),
        promotions=_frame(engine, select(schema.promotions.c.promo_id, schema.promotions.c.name)),
        max_order_id=int(max_order),
    )
