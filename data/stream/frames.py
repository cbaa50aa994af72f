"""Events drawn from canonical frames (what the replay publishes), with their ids.

Private to ``data.stream``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from data.stream.events import LINE_KEYS, MAX_EVENT_ID, content_digest

__all__ = ["events_from_frames"]

_DIGEST_CHARS = 16  # 64 bits of SHA-256: a collision among a store's events is not a practical concern


def _records(frame: pd.DataFrame, dates: tuple[str, ...] = (), stamps: tuple[str, ...] = ()) -> list[dict]:
    """Rows as JSON-ready dicts: dates as ISO dates, stamps as ISO date-times, missing as None."""
    frame = frame.assign(
        **{name: frame[name].dt.strftime("%Y-%m-%d") for name in dates},
        **{name: frame[name].dt.strftime("%Y-%m-%dT%H:%M:%S") for name in stamps},
    )
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _event_id(prefix: str, event_type: str, key: str, payload: dict[str, Any]) -> str:
    """``<prefix>:<type>:<key>:<digest>``: the digest of the content makes the id unique per content
    (the key alone repeats when two draws from one store state number new rows alike)."""
    digest = content_digest(event_type, payload)[:_DIGEST_CHARS]
    head = f"{prefix}:{event_type}:"
    return head + key[: MAX_EVENT_ID - len(head) - _DIGEST_CHARS - 1] + ":" + digest


def _order_events(orders: pd.DataFrame) -> list[tuple[str, str, dict[str, Any]]]:
    """``(type, key, payload)`` per order (consecutive lines of one order_id), the lines nested."""
    events: list[tuple[str, str, dict[str, Any]]] = []
    for row in _records(orders, dates=("order_date",), stamps=("updated_at",)):
        if not events or events[-1][2]["order_id"] != row["order_id"]:
            header = {key: value for key, value in row.items() if key not in LINE_KEYS}
            events.append(("order", str(row["order_id"]), {**header, "lines": []}))
        events[-1][2]["lines"].append({key: row[key] for key in LINE_KEYS})
    return events


def events_from_frames(prefix: str, *, signups: pd.DataFrame, orders: pd.DataFrame, cancellations: pd.DataFrame,
                       marketing: pd.DataFrame) -> list[tuple[str, str, dict[str, Any]]]:
    """``(event_id, type, payload)`` for canonical rows, day by day: signups, orders, cancellations,
    then marketing spend; ``orders`` holds one row per line. Ids are ``<prefix>:<type>:<key>:<digest>``
    with the first 16 hex digits of the content's SHA-256 (``content_digest``): distinct content gets
    distinct ids, and the same content the same id (a true duplicate, applied once)."""
    by_day: dict[str, list] = defaultdict(list)
    for row in _records(signups, dates=("signup_date",), stamps=("updated_at",)):
        by_day[row["signup_date"]].append(("signup", str(row["customer_id"]), row))
    for event in _order_events(orders):
        by_day[event[2]["order_date"]].append(event)
    for row in _records(cancellations, dates=("cancel_date",), stamps=("updated_at",)):
        by_day[row["cancel_date"]].append(("cancellation", str(row["customer_id"]), row))
    for row in _records(marketing, dates=("date",), stamps=("updated_at",)):
        by_day[row["date"]].append(("marketing_spend", f"{row['date']}:{row['campaign']}", row))
    return [(_event_id(prefix, event_type, key, payload), event_type, payload)
            for day in sorted(by_day) for event_type, key, payload in by_day[day]]
