"""The stream's event format: encoding, strict parsing, and events from canonical frames.

Private to ``data.stream``; the format is documented in ``docs/streaming.md``. An event is a
Redis Stream entry with four fields::

    event_id     unique id, also the deduplication key (at most 128 characters)
    type         order | signup | cancellation | marketing_spend
    payload      a JSON object (see PAYLOAD_FIELDS)
    produced_at  epoch milliseconds when the producer wrote it

Parsing checks the envelope and the payload's shape only; values are coerced and validated by
ingestion like any batch, so a wrong date or a negative quantity is quarantined there.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = [
    "EVENT_TYPES",
    "ENTITY_OF",
    "PAYLOAD_FIELDS",
    "LINE_FIELDS",
    "Event",
    "PoisonEvent",
    "encode_event",
    "parse_event",
    "events_from_frames",
]

ENVELOPE_FIELDS: tuple[str, ...] = ("event_id", "type", "payload", "produced_at")
MAX_EVENT_ID = 128

# The canonical entity each event type feeds.
ENTITY_OF: dict[str, str] = {
    "order": "orders",
    "signup": "customers",
    "cancellation": "customers",
    "marketing_spend": "marketing",
}
EVENT_TYPES: tuple[str, ...] = tuple(ENTITY_OF)

# Required payload keys per type; every other canonical column of the entity is optional.
PAYLOAD_FIELDS: dict[str, tuple[str, ...]] = {
    "order": ("order_id", "customer_id", "order_date", "lines"),
    "signup": ("customer_id", "name", "email", "signup_date", "segment", "region", "channel", "plan"),
    "cancellation": ("customer_id", "cancel_date"),
    "marketing_spend": ("date", "campaign", "channel", "spend", "impressions", "clicks", "conversions"),
}
LINE_FIELDS: tuple[str, ...] = ("product_id", "quantity", "unit_price")
ORDER_HEADER_FIELDS: tuple[str, ...] = ("order_id", "customer_id", "order_date", "channel", "promo_id",
                                        "updated_at")


class PoisonEvent(ValueError):
    """An entry that can never be applied; ``reason`` says why (it goes to the dead-letter stream)."""

    def __init__(self, reason: str, event_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.event_id = event_id


@dataclass(frozen=True)
class Event:
    """A parsed event: the envelope and its JSON payload."""

    event_id: str
    type: str
    payload: dict[str, Any]
    produced_at: int  # epoch ms

    @property
    def entity(self) -> str:
        return ENTITY_OF[self.type]

    @property
    def produced_time(self) -> dt.datetime:
        """``produced_at`` as a naive UTC datetime (the store's convention)."""
        return dt.datetime.fromtimestamp(self.produced_at / 1000, dt.timezone.utc).replace(tzinfo=None)


def _json_value(value: Any) -> Any:
    """numpy scalars as Python numbers, timestamps as ISO text (json.dumps' fallback)."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (dt.date, dt.datetime)) or hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot put a {type(value).__name__} into an event payload")


def encode_event(event_id: str, event_type: str, payload: Mapping[str, Any], produced_at: int) -> dict[str, str]:
    """The Redis Stream fields of one event."""
    return {
        "event_id": event_id,
        "type": event_type,
        "payload": json.dumps(payload, default=_json_value, separators=(",", ":"), allow_nan=False),
        "produced_at": str(int(produced_at)),
    }


def _text(fields: Mapping[bytes | str, bytes | str], name: str) -> str | None:
    value = fields.get(name.encode(), fields.get(name))
    if value is None:
        return None
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise PoisonEvent(f"field `{name}` is not UTF-8 text") from None
    return value


def _envelope(fields: Mapping) -> dict[str, str]:
    values = {name: _text(fields, name) for name in ENVELOPE_FIELDS}
    missing = [name for name, value in values.items() if value is None or not value.strip()]
    if missing:
        raise PoisonEvent(
            f"missing envelope field(s) {missing}; every event needs {list(ENVELOPE_FIELDS)}",
            event_id=values["event_id"] or None,
        )
    if len(values["event_id"]) > MAX_EVENT_ID:
        raise PoisonEvent(f"event_id is {len(values['event_id'])} characters long; the limit is {MAX_EVENT_ID}")
    return values


def _payload(text: str, event_id: str) -> dict[str, Any]:
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as error:
        raise PoisonEvent(f"payload is not valid JSON ({error.msg} at character {error.pos})", event_id) from None
    if not isinstance(payload, dict):
        raise PoisonEvent(f"payload must be a JSON object, not {type(payload).__name__}", event_id)
    return payload


def _check_lines(lines: Any, event_id: str) -> None:
    if not isinstance(lines, list) or not lines:
        raise PoisonEvent("order payload `lines` must be a non-empty list of order lines", event_id)
    for position, line in enumerate(lines, start=1):
        if not isinstance(line, dict):
            raise PoisonEvent(f"order line {position} must be a JSON object, not {type(line).__name__}", event_id)
        missing = [name for name in LINE_FIELDS if line.get(name) is None]
        if missing:
            raise PoisonEvent(f"order line {position} is missing {missing}; each line needs {list(LINE_FIELDS)}",
                              event_id)


def parse_event(fields: Mapping[bytes | str, bytes | str]) -> Event:
    """Parse one stream entry; raises PoisonEvent naming what is wrong."""
    envelope = _envelope(fields)
    event_id, event_type = envelope["event_id"], envelope["type"]
    if event_type not in ENTITY_OF:
        raise PoisonEvent(f"unknown event type {event_type!r}; use one of {', '.join(EVENT_TYPES)}", event_id)
    try:
        produced_at = int(envelope["produced_at"])
    except ValueError:
        raise PoisonEvent(f"produced_at = {envelope['produced_at']!r} is not epoch milliseconds", event_id) from None
    payload = _payload(envelope["payload"], event_id)
    missing = [name for name in PAYLOAD_FIELDS[event_type] if payload.get(name) is None]
    if missing:
        raise PoisonEvent(
            f"{event_type} payload is missing {missing}; it needs {list(PAYLOAD_FIELDS[event_type])}", event_id
        )
    if event_type == "order":
        _check_lines(payload["lines"], event_id)
    return Event(event_id, event_type, payload, produced_at)


# --- canonical frames -> events --------------------------------------------------------------
_LINE_KEYS = ("line_number", "product_id", "quantity", "unit_price", "discount")


def _records(frame: pd.DataFrame, dates: tuple[str, ...] = (), stamps: tuple[str, ...] = ()) -> list[dict]:
    """Rows as JSON-ready dicts: dates as ISO dates, stamps as ISO date-times, missing as None."""
    frame = frame.assign(
        **{name: frame[name].dt.strftime("%Y-%m-%d") for name in dates},
        **{name: frame[name].dt.strftime("%Y-%m-%dT%H:%M:%S") for name in stamps},
    )
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _order_events(orders: pd.DataFrame, prefix: str) -> list[tuple[str, str, dict[str, Any]]]:
    """One event per order (consecutive lines of one order_id), the lines nested."""
    events: list[tuple[str, str, dict[str, Any]]] = []
    for row in _records(orders, dates=("order_date",), stamps=("updated_at",)):
        if not events or events[-1][2]["order_id"] != row["order_id"]:
            header = {key: value for key, value in row.items() if key not in _LINE_KEYS}
            events.append((f"{prefix}:order:{row['order_id']}", "order", {**header, "lines": []}))
        events[-1][2]["lines"].append({key: row[key] for key in _LINE_KEYS})
    return events


def events_from_frames(prefix: str, *, signups: pd.DataFrame, orders: pd.DataFrame, cancellations: pd.DataFrame,
                       marketing: pd.DataFrame) -> list[tuple[str, str, dict[str, Any]]]:
    """``(event_id, type, payload)`` for canonical rows, day by day: signups, orders, cancellations,
    then marketing spend. Ids are ``<prefix>:<type>:<key>``; ``orders`` holds one row per line."""
    by_day: dict[str, list] = defaultdict(list)
    for row in _records(signups, dates=("signup_date",), stamps=("updated_at",)):
        by_day[row["signup_date"]].append((f"{prefix}:signup:{row['customer_id']}", "signup", row))
    for event in _order_events(orders, prefix):
        by_day[event[2]["order_date"]].append(event)
    for row in _records(cancellations, dates=("cancel_date",), stamps=("updated_at",)):
        by_day[row["cancel_date"]].append((f"{prefix}:cancellation:{row['customer_id']}", "cancellation", row))
    for row in _records(marketing, dates=("date",), stamps=("updated_at",)):
        by_day[row["date"]].append(
            (f"{prefix}:marketing_spend:{row['date']}:{row['campaign']}", "marketing_spend", row))
    return [event for day in sorted(by_day) for event in by_day[day]]
