"""Shared pieces of the stream tests: the sample company, processors with test settings, and events."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, text

from data import schema, store
from data.sample import SampleConfig
from data.stream import DEFAULT_GROUP, DEFAULT_STREAM, StreamingDataProcessor, dead_letter_stream
from data.stream.events import encode_event

END = dt.date(2026, 10, 31)
NEXT_DAY = "2026-11-01"
# The validator's today: replayed days may run ahead of the wall clock, and events without an
# updated_at are stamped with the wall clock.
TODAY = max(dt.date(2026, 12, 31), dt.date.today())
COMPANY = SampleConfig(customers=300, seed=11, end_date=END)
DEAD = dead_letter_stream(DEFAULT_STREAM)
COUNTED = ("customers", "orders", "order_lines", "marketing_daily", "stream_events", "quarantine")


def processor(redis_url: str, database_url: str, **overrides) -> StreamingDataProcessor:
    settings = dict(redis_url=redis_url, database_url=database_url, consumer="test", block_ms=20, linger_ms=0,
                    claim_idle_ms=0, today=TODAY)
    return StreamingDataProcessor(**{**settings, **overrides})


def publish(client, *events: dict) -> None:
    for fields in events:
        client.xadd(DEFAULT_STREAM, fields)


def event(event_id: str, event_type: str, payload: dict) -> dict:
    return encode_event(event_id, event_type, payload, int(dt.datetime.now().timestamp() * 1000))


def counts(url: str) -> dict[str, int]:
    engine = store.get_engine(url)
    return {name: store.row_count(engine, schema.metadata.tables[name]) for name in COUNTED}


def pending(client) -> int:
    return client.xpending(DEFAULT_STREAM, DEFAULT_GROUP)["pending"]


def scalar(url: str, sql: str, **params):
    with store.get_engine(url).connect() as connection:
        return connection.execute(text(sql), params).scalar()


def next_ids(url: str) -> dict[str, int]:
    engine = store.get_engine(url)
    with engine.connect() as connection:
        return {
            "customer": connection.execute(select(func.max(schema.customers.c.customer_id))).scalar() + 1,
            "order": connection.execute(select(func.max(schema.orders.c.order_id))).scalar() + 1,
            "active": connection.execute(select(func.min(schema.customers.c.customer_id))
                                         .where(schema.customers.c.cancel_date.is_(None))).scalar(),
            "product": connection.execute(select(func.min(schema.products.c.product_id))).scalar(),
        }


def signup(customer_id: int, **changes) -> dict:
    payload = {"customer_id": customer_id, "name": "Ada Vance", "email": f"ada.vance{customer_id}@example.com",
               "signup_date": NEXT_DAY, "segment": "SMB", "region": "EMEA", "channel": "Web", "plan": "Plus"}
    return {**payload, **changes}


def order(order_id: int, customer_id: int, product_id: int, quantity: int = 2) -> dict:
    lines = [{"line_number": 1, "product_id": product_id, "quantity": quantity, "unit_price": 19.99},
             {"line_number": 2, "product_id": product_id + 1, "quantity": 1, "unit_price": 5.0, "discount": 0.1}]
    return {"order_id": order_id, "customer_id": customer_id, "order_date": NEXT_DAY, "channel": "Mobile",
            "lines": lines}


def spend(campaign: str = "Web Search - Always On") -> dict:
    return {"date": NEXT_DAY, "campaign": campaign, "channel": "Web", "spend": 123.45, "impressions": 20000,
            "clicks": 300, "conversions": 9}


def one_of_each(url: str) -> tuple[dict, list[dict]]:
    ids = next_ids(url)
    events = [
        event("t:signup", "signup", signup(ids["customer"])),
        event("t:order", "order", order(ids["order"], ids["customer"], ids["product"])),
        event("t:cancellation", "cancellation", {"customer_id": ids["active"], "cancel_date": NEXT_DAY}),
        event("t:spend", "marketing_spend", spend()),
    ]
    return ids, events


