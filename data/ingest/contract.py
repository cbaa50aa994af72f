"""The canonical ingest contract: what every source is read into before validation.

A connector reads a source (file, database, stream) and the mapping turns its columns into one of
the entities below. The result is a :class:`SourceFrame` with canonical column names and
explicitly coerced values; a cell that fails coercion is missing in the frame *and* listed in
``SourceFrame.errors`` so validation can quarantine its row with that reason. When nothing at all
can be read, connectors raise :class:`SourceError` with a one-line reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

__all__ = [
    "DType",
    "EntitySpec",
    "ENTITIES",
    "ERROR_COLUMNS",
    "SourceError",
    "IngestLimits",
    "SourceFrame",
    "entity_spec",
    "empty_errors",
    "size_text",
    "size_over_text",
]

DType = Literal["int", "float", "str", "date", "datetime"]
ERROR_COLUMNS: tuple[str, ...] = ("row_number", "column", "value", "reason")


@dataclass(frozen=True)
class EntitySpec:
    """Canonical columns of one entity, their types, and the key that identifies a row.

    ``defaults`` holds values used when a source has no such (optional) column at all,
    e.g. an orders file without discounts means no discount.
    """

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    dtypes: dict[str, DType]
    key: tuple[str, ...]
    defaults: dict[str, object] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every canonical column, required first, in canonical order."""
        return self.required + self.optional


def _spec(name: str, required: dict[str, DType], optional: dict[str, DType], key: tuple[str, ...],
          defaults: dict[str, object] | None = None) -> EntitySpec:
    return EntitySpec(name, tuple(required), tuple(optional), {**required, **optional}, key, defaults or {})


_STAMP: dict[str, DType] = {"updated_at": "datetime"}

ENTITIES: dict[str, EntitySpec] = {
    "customers": _spec(
        "customers",
        {"customer_id": "int", "name": "str", "email": "str", "signup_date": "date", "segment": "str",
         "region": "str", "channel": "str", "plan": "str"},
        {"cancel_date": "date", **_STAMP},
        ("customer_id",),
    ),
    "products": _spec(
        "products",
        {"product_id": "int", "sku": "str", "name": "str", "category": "str", "list_price": "float",
         "unit_cost": "float", "launch_date": "date"},
        dict(_STAMP),
        ("product_id",),
    ),
    "orders": _spec(
        "orders",
        {"order_id": "int", "customer_id": "int", "order_date": "date", "product_id": "int",
         "quantity": "int", "unit_price": "float"},
        {"discount": "float", "line_number": "int", "channel": "str", "promo_id": "int", **_STAMP},
        ("order_id", "line_number"),
        {"discount": 0.0},
    ),
    "marketing": _spec(
        "marketing",
        {"date": "date", "campaign": "str", "channel": "str", "spend": "float", "impressions": "int",
         "clicks": "int", "conversions": "int"},
        {"campaign_id": "int", **_STAMP},
        ("date", "campaign"),
    ),
    "tickets": _spec(
        "tickets",
        {"ticket_id": "int", "customer_id": "int", "opened_date": "date", "topic": "str", "priority": "str"},
        {"resolved_date": "date", "satisfaction": "int", **_STAMP},
        ("ticket_id",),
    ),
    # Commercial days and one-off events (table calendar_events); "calendar", not "events", so it is not
    # mistaken for the event stream (data.stream). A one-day event may leave end_date empty.
    "calendar": _spec(
        "calendar",
        {"name": "str", "kind": "str", "start_date": "date"},
        {"end_date": "date", "region": "str", "category": "str", "expected_lift": "float", "note": "str", **_STAMP},
        ("name", "start_date"),
    ),
    # Past and planned promotions (table promotions); category empty = sitewide. promo_id is assigned.
    "promotions": _spec(
        "promotions",
        {"name": "str", "start_date": "date", "end_date": "date", "discount": "float"},
        {"category": "str", **_STAMP},
        ("name", "start_date"),
    ),
}


class SourceError(Exception):
    """Nothing could be read from a source; ``reason`` says what, where, and how to fix it."""

    def __init__(self, reason: str) -> None:
        self.reason = " ".join(reason.split())
        super().__init__(self.reason)


def entity_spec(entity: str) -> EntitySpec:
    """The spec of ``entity``; SourceError listing the valid names otherwise."""
    try:
        return ENTITIES[entity]
    except KeyError:
        raise SourceError(f"unknown entity {entity!r}; use one of {', '.join(ENTITIES)}") from None


@dataclass(frozen=True)
class IngestLimits:
    """Largest file (bytes) and most rows one ingest accepts (set by ``core.settings`` from the environment)."""

    max_bytes: int = 50 * 1024 * 1024
    max_rows: int = 2_000_000



def size_text(size: int) -> str:
    """A byte count as people read it: ``512 bytes``, ``1.5 KB``, ``50 MB``."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    return f"{size / 1024:.1f} KB".replace(".0 KB", " KB") if size >= 1024 else f"{size} bytes"


def size_over_text(size: int, limit: int) -> str:
    """``60 MB, over the 50 MB limit``; in exact bytes when rounding would show the two alike (50 MB over 50 MB)."""
    if size_text(size) != size_text(limit):
        return f"{size_text(size)}, over the {size_text(limit)} limit"
    return f"{size:,} bytes, over the {limit:,}-byte ({size_text(limit)}) limit"


def empty_errors() -> pd.DataFrame:
    """An errors frame without rows."""
    return pd.DataFrame({
        "row_number": pd.Series(dtype="int64"),
        "column": pd.Series(dtype=object),
        "value": pd.Series(dtype=object),
        "reason": pd.Series(dtype=object),
    })


@dataclass(frozen=True, eq=False)
class SourceFrame:
    """One source read into an entity's canonical columns.

    ``frame`` has the entity's required columns plus the optional columns the source provided
    (or a default filled), in canonical order, on a 0..n-1 index. ``row_numbers`` (aligned with
    ``frame``) gives each row's 1-based data row in the source, the header excluded.
    ``errors`` lists every cell that failed coercion (it is missing in ``frame``) with columns
    ``row_number, column, value, reason``. ``extra_columns`` are source columns nobody mapped.
    """

    entity: str
    source_name: str
    frame: pd.DataFrame
    row_numbers: pd.Series
    errors: pd.DataFrame = field(default_factory=empty_errors)
    extra_columns: tuple[str, ...] = ()

    @property
    def spec(self) -> EntitySpec:
        return ENTITIES[self.entity]
