"""The stream's event format: encoding, strict parsing, and events from canonical frames.

Private to ``data.stream``; the format is documented in ``docs/streaming.md``. An event is a
Redis Stream entry with four fields::

    event_id     unique id, also the deduplication key (at most 128 characters)
    type         order | signup | cancellation | marketing_spend
    payload      a JSON object (see PAYLOAD_FIELDS)
    produced_at  epoch milliseconds when the producer wrote it

Parsing checks the envelope and the payload's shape only; values are coerced and validated by
ingestion like any batch, so a wrong date or a negative quantity is quarantined there. What an
event may be is bounded (``EventLimits``) before the payload is parsed further: the entry's size
and field count, then the payload's size and nesting (scanned before ``json.loads``, which would
otherwise recurse once per level), then its keys, order lines and values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from data.ingest import ENTITIES

__all__ = [
    "EVENT_TYPES",
    "ENTITY_OF",
    "PAYLOAD_FIELDS",
    "LINE_FIELDS",
    "Event",
    "EventLimits",
    "PoisonEvent",
    "content_digest",
    "encode_event",
    "parse_event",
]

ENVELOPE_FIELDS: tuple[str, ...] = ("event_id", "type", "payload", "produced_at")
MAX_EVENT_ID = 128
REASON_LIMIT = 2000  # characters of a dead-letter reason kept (the dead letter, stream_events.reason)
# A payload is an object (level 1) whose `lines` is a list (2) of line objects (3): nothing is deeper.
MAX_DEPTH = 3
_ENVELOPE_BYTES = 4096  # what an entry may hold besides its payload (id, type, produced_at, names)
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(rb"[\[\]{}]")

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
LINE_KEYS: tuple[str, ...] = ("line_number", "product_id", "quantity", "unit_price", "discount")
ORDER_HEADER_FIELDS: tuple[str, ...] = ("order_id", "customer_id", "order_date", "channel", "promo_id",
                                        "updated_at")
# The payload keys that become a column (each holds one value): the entity's columns, an order's header.
COLUMNS_OF: dict[str, tuple[str, ...]] = {
    event_type: ORDER_HEADER_FIELDS if entity == "orders" else ENTITIES[entity].columns
    for event_type, entity in ENTITY_OF.items()
}


class PoisonEvent(ValueError):
    """An entry that can never be applied; ``reason`` says why (it goes to the dead-letter stream)."""

    def __init__(self, reason: str, event_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.event_id = event_id


@dataclass(frozen=True)
class EventLimits:
    """What one event may be; an entry over a limit is dead-lettered with the limit it broke.

    ``max_payload_bytes`` bounds the payload's UTF-8 size (the whole entry may hold 4 KiB more),
    ``max_keys`` the keys of the payload and of each order line, ``max_lines`` an order's lines,
    ``max_fields`` the fields of the entry (four are the envelope).
    """

    max_payload_bytes: int = 64 * 1024
    max_keys: int = 64
    max_lines: int = 1000
    max_fields: int = 16

    def __post_init__(self) -> None:
        for name in ("max_payload_bytes", "max_keys", "max_lines", "max_fields"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}={getattr(self, name)}; it must be at least 1")


DEFAULT_LIMITS = EventLimits()


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

    @cached_property
    def content_sha256(self) -> str:
        """What the event says (type and payload; not when it was sent): equal for true duplicates."""
        return content_digest(self.type, self.payload)

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


def content_digest(event_type: str, payload: Mapping[str, Any]) -> str:
    """SHA-256 of an event's type and payload as canonical JSON (sorted keys): the same change gives
    the same digest however it is serialised or whenever it is sent."""
    text = json.dumps([event_type, payload], default=_json_value, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def encode_event(event_id: str, event_type: str, payload: Mapping[str, Any], produced_at: int) -> dict[str, str]:
    """The Redis Stream fields of one event."""
    return {
        "event_id": event_id,
        "type": event_type,
        "payload": json.dumps(payload, default=_json_value, separators=(",", ":"), allow_nan=False),
        "produced_at": str(int(produced_at)),
    }


def _shown(value: str, limit: int = 60) -> str:
    """``repr`` of a producer's value, cut short: a reason never echoes a huge field."""
    return repr(value) if len(value) <= limit else repr(value[:limit]) + f"... ({len(value)} characters)"


def _check_entry(fields: Mapping, limits: EventLimits) -> None:
    """The entry's field count and size, before anything in it is decoded."""
    if len(fields) > limits.max_fields:
        raise PoisonEvent(f"the entry has {len(fields)} fields; the limit is {limits.max_fields} "
                          f"(an event needs {list(ENVELOPE_FIELDS)})")
    size = sum(len(name) + len(value) for name, value in fields.items())
    limit = limits.max_payload_bytes + _ENVELOPE_BYTES
    if size > limit:
        raise PoisonEvent(f"the entry is {size} bytes; the limit is {limit} (a payload of at most "
                          f"{limits.max_payload_bytes} bytes and {_ENVELOPE_BYTES} bytes for the rest)")


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
            event_id=values["event_id"][:MAX_EVENT_ID] if values["event_id"] else None,
        )
    if len(values["event_id"]) > MAX_EVENT_ID:
        raise PoisonEvent(f"event_id is {len(values['event_id'])} characters long; the limit is {MAX_EVENT_ID}")
    return values


def _depth(raw: bytes) -> int:
    """How deep a JSON text nests (brackets outside strings), counted without parsing it."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub(b"", raw)):
        depth += 1 if bracket in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _payload(text: str, event_id: str, limits: EventLimits) -> dict[str, Any]:
    raw = text.encode("utf-8")
    if len(raw) > limits.max_payload_bytes:
        raise PoisonEvent(f"payload is {len(raw)} bytes; the limit is {limits.max_payload_bytes}", event_id)
    if _depth(raw) > MAX_DEPTH:
        raise PoisonEvent(f"payload is nested deeper than {MAX_DEPTH} levels (an object whose `lines` list holds "
                          "line objects is the deepest event); send values as JSON numbers or text", event_id)
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as error:
        raise PoisonEvent(f"payload is not valid JSON ({error.msg} at character {error.pos})", event_id) from None
    if not isinstance(payload, dict):
        raise PoisonEvent(f"payload must be a JSON object, not {type(payload).__name__}", event_id)
    return payload


_JSON_KINDS = {dict: "an object", list: "a list"}


def _check_values(values: dict, names: tuple[str, ...], where: str, limits: EventLimits, event_id: str) -> None:
    """At most ``max_keys`` keys; the values of ``names`` are scalars (a column holds one value)."""
    if len(values) > limits.max_keys:
        raise PoisonEvent(f"{where} has {len(values)} keys; the limit is {limits.max_keys}", event_id)
    for name in names:
        kind = _JSON_KINDS.get(type(values.get(name)))
        if kind is not None:
            raise PoisonEvent(f"{where}: `{name}` must be a JSON number, text, true/false or null, not {kind}",
                              event_id)


def _check_lines(lines: Any, event_id: str, limits: EventLimits) -> None:
    if not isinstance(lines, list) or not lines:
        raise PoisonEvent("order payload `lines` must be a non-empty list of order lines", event_id)
    if len(lines) > limits.max_lines:
        raise PoisonEvent(f"order has {len(lines)} lines; the limit is {limits.max_lines}", event_id)
    for position, line in enumerate(lines, start=1):
        if not isinstance(line, dict):
            raise PoisonEvent(f"order line {position} must be a JSON object, not {type(line).__name__}", event_id)
        missing = [name for name in LINE_FIELDS if line.get(name) is None]
        if missing:
            raise PoisonEvent(f"order line {position} is missing {missing}; each line needs {list(LINE_FIELDS)}",
                              event_id)
        _check_values(line, (), f"order line {position}", limits, event_id)  # its values: depth checked them


def parse_event(fields: Mapping[bytes | str, bytes | str], limits: EventLimits = DEFAULT_LIMITS) -> Event:
    """Parse one stream entry within ``limits``; raises PoisonEvent naming what is wrong."""
    _check_entry(fields, limits)
    envelope = _envelope(fields)
    event_id, event_type = envelope["event_id"], envelope["type"]
    if event_type not in ENTITY_OF:
        raise PoisonEvent(f"unknown event type {_shown(event_type)}; use one of {', '.join(EVENT_TYPES)}", event_id)
    try:
        produced_at = int(envelope["produced_at"])
    except ValueError:
        raise PoisonEvent(f"produced_at = {_shown(envelope['produced_at'])} is not epoch milliseconds",
                          event_id) from None
    payload = _payload(envelope["payload"], event_id, limits)
    _check_values(payload, COLUMNS_OF[event_type], "payload", limits, event_id)
    missing = [name for name in PAYLOAD_FIELDS[event_type] if payload.get(name) is None]
    if missing:
        raise PoisonEvent(
            f"{event_type} payload is missing {missing}; it needs {list(PAYLOAD_FIELDS[event_type])}", event_id
        )
    if event_type == "order":
        _check_lines(payload["lines"], event_id, limits)
    return Event(event_id, event_type, payload, produced_at)
