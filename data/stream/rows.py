"""Events as canonical rows of their entity, read through the ``stream`` connector like any source."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, select

from data import schema
from data.ingest import ENTITIES
from data.ingest.connectors import DataConnector, ReadRequest, numbered, register_connector
from data.stream.events import Event

__all__ = ["EventRows", "event_rows", "event_key"]


@dataclass(frozen=True)
class EventRows:
    """Canonical rows drawn from events, as a source the ``stream`` connector reads."""

    source_name: str
    entity: str
    rows: list[dict]


@register_connector("stream")
class EventRowsConnector(DataConnector):
    """Rows taken from stream events (values as the JSON delivered them, coerced by the pipeline)."""

    kinds = ""  # not a source one points `python -m data ingest` at

    @classmethod
    def accepts(cls, request: ReadRequest) -> bool:
        return isinstance(request.source, EventRows)

    @property
    def source_name(self) -> str:
        return self.request.source.source_name

    def read(self) -> pd.DataFrame:
        batch = self.request.source
        columns = ENTITIES[batch.entity].columns
        return numbered(pd.DataFrame.from_records(batch.rows, columns=list(columns)).astype(object))


_LINE_COLUMNS = ("line_number", "product_id", "quantity", "unit_price", "discount")
_ORDER_HEADER = ("order_id", "customer_id", "order_date", "channel", "promo_id", "updated_at")


_IN_CHUNK = 500  # ids per IN (...) when reading stored customers


def _stamp(event: Event) -> str:
    """``produced_at`` as ISO text: the change's time when the payload gives no ``updated_at``."""
    return event.produced_time.isoformat(timespec="milliseconds")


def _entity_row(entity: str, payload: dict, event: Event) -> dict:
    row = {column: payload.get(column) for column in ENTITIES[entity].columns}
    if "updated_at" in row and row["updated_at"] is None:
        row["updated_at"] = _stamp(event)
    return row


def _order_rows(event: Event) -> list[dict]:
    header = {column: event.payload.get(column) for column in _ORDER_HEADER}
    header["updated_at"] = header["updated_at"] or _stamp(event)
    rows = []
    for position, line in enumerate(event.payload["lines"], start=1):
        row = {**{column: line.get(column) for column in _LINE_COLUMNS}, **header}
        row["line_number"] = position if row["line_number"] is None else row["line_number"]
        row["discount"] = 0.0 if row["discount"] is None else row["discount"]  # no discount given: none
        rows.append(row)
    return rows


def _stored_customers(engine: Engine, ids: list) -> dict[object, dict]:
    """Stored customer rows (canonical columns) by id, for cancellations that change one column."""
    table = schema.customers
    columns = [table.c[name] for name in ENTITIES["customers"].columns]
    wanted = sorted({value for value in ids if isinstance(value, int) and not isinstance(value, bool)})
    with engine.connect() as connection:
        rows = connection.execute(select(*columns).where(table.c.customer_id.in_(wanted))).mappings()
        return {row["customer_id"]: dict(row) for row in rows}


def _cancellation_row(stored: dict, event: Event) -> dict:
    payload = event.payload
    return {**stored, "cancel_date": payload["cancel_date"], "updated_at": payload.get("updated_at") or _stamp(event)}


def event_rows(engine: Engine, entity: str, events: list[tuple[str, Event]]):
    """Rows of ``entity`` with the index of the event each came from, and events refused up front."""
    cancelled = [event.payload["customer_id"] for _, event in events if event.type == "cancellation"]
    stored = _stored_customers(engine, cancelled) if cancelled else {}
    rows, owners, refused = [], [], []
    for index, (_, event) in enumerate(events):
        if event.type == "order":
            drawn = _order_rows(event)
        elif event.type == "cancellation":
            known = stored.get(event.payload["customer_id"])
            if known is None:
                refused.append((index, f"cancellation of customer_id {repr(event.payload['customer_id'])[:60]}, which "
                                       "the store does not hold; send the customer's signup first"))
                continue
            drawn = [_cancellation_row(known, event)]
        else:
            drawn = [_entity_row(entity, event.payload, event)]
        rows += drawn
        owners += [index] * len(drawn)
    return rows, owners, refused


# --- one ingest per entity and round ---------------------------------------------------------
def event_key(event: Event) -> tuple[str, ...]:
    """The entity key an event writes (as text, so 7 and "7" are one key, as after coercion)."""
    payload = event.payload
    if event.type == "order":
        parts = (payload["order_id"],)
    elif event.entity == "customers":
        parts = (payload["customer_id"],)
    else:
        parts = (payload["date"], payload["campaign"])
    return (event.entity, *(str(part).strip() for part in parts))
