"""Comparing a validated batch with the store: new rows, duplicates, and conflicts with their winner.

Private to ``data.ingest``. A record whose key is not stored is inserted; one equal to the stored
record (same key, same values) is a duplicate and writes nothing; one with different values is a
conflict, decided by ``decide``: the newer ``updated_at`` wins, and when the stamps are equal or
one is missing, the source listed first in the ``SourcePriority`` wins (a tie: the incoming
delivery wins). Every conflict is returned for the conflicts log, whichever side won.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from data import schema

__all__ = ["DEFAULT_SOURCE_PRIORITY", "SourcePriority", "Merged", "decide", "merge_records",
           "read_stored", "json_value", "table_for"]

# "*" stands for every source not named in the list.
DEFAULT_SOURCE_PRIORITY: tuple[str, ...] = ("erp", "crm", "marketing", "stream", "upload", "*", "sample")
_IN_CHUNK = 5_000
_SEPARATORS = (":", "_", "-", ".", "/", " ")


@dataclass(frozen=True)
class SourcePriority:
    """Which source wins a conflict whose ``updated_at`` cannot decide: earlier in ``order`` wins.

    A source name matches an entry when it equals it or starts with it followed by one of
    ``: _ - . /`` or a space ("crm_customers.csv" and "crm:accounts" are "crm"), ignoring case.
    Names matching no entry rank at "*", or after every entry when the list has no "*".
    """

    order: tuple[str, ...] = DEFAULT_SOURCE_PRIORITY

    @classmethod
    def parse(cls, value: SourcePriority | Sequence[str] | str | None) -> SourcePriority:
        """From an instance, a list, a comma-separated string, or None (the default order)."""
        if isinstance(value, SourcePriority):
            return value
        if value is None:
            value = DEFAULT_SOURCE_PRIORITY
        names = value.split(",") if isinstance(value, str) else list(value)
        order = tuple(name.strip().casefold() for name in names if name.strip())
        if not order:
            raise ValueError(f"source priority {value!r} names no source; e.g. {','.join(DEFAULT_SOURCE_PRIORITY)}")
        return cls(order)

    def rank(self, source_name: str) -> int:
        name = str(source_name).casefold()
        for position, entry in enumerate(self.order):
            if entry != "*" and (name == entry or any(name.startswith(entry + sep) for sep in _SEPARATORS)):
                return position
        return self.order.index("*") if "*" in self.order else len(self.order)


def json_value(value: object) -> object:
    """A cell as JSON: ISO dates, plain numbers, None for missing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _typed(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    for column in table.columns:
        if column.name not in frame.columns:
            continue
        kind = column.type.python_type
        if kind.__name__ in ("date", "datetime"):
            frame[column.name] = pd.to_datetime(frame[column.name])
        elif kind is int:
            frame[column.name] = pd.to_numeric(frame[column.name]).astype("Int64")
        elif kind is float:
            frame[column.name] = pd.to_numeric(frame[column.name]).astype("float64")
    return frame


def read_stored(connection: Connection, table: Table, column: str, values: Sequence) -> pd.DataFrame:
    """Stored rows of ``table`` whose ``column`` is one of ``values``, with pandas dtypes."""
    values = pd.unique(pd.Series(values).dropna())
    if table.c[column].type.python_type.__name__ == "date":
        values = [pd.Timestamp(value).date() for value in values]
    else:
        values = [json_value(value) for value in values]
    frames = [
        pd.read_sql_query(select(table).where(table.c[column].in_(values[start : start + _IN_CHUNK])), connection)
        for start in range(0, len(values), _IN_CHUNK)
    ]
    if not frames:
        return _typed(pd.DataFrame(columns=list(table.c.keys())), table)
    return _typed(pd.concat(frames, ignore_index=True), table)


def _differs(incoming: pd.Series, stored: pd.Series) -> np.ndarray:
    both_missing = (incoming.isna() & stored.isna()).to_numpy()
    if pd.api.types.is_float_dtype(incoming) or pd.api.types.is_float_dtype(stored):
        a = pd.to_numeric(incoming).to_numpy(dtype=float, na_value=np.nan)
        b = pd.to_numeric(stored).to_numpy(dtype=float, na_value=np.nan)
        same = np.isclose(a, b, rtol=1e-9, atol=1e-9)
    else:
        same = (incoming == stored).astype("boolean").fillna(False).to_numpy(dtype=bool)
    return ~(both_missing | same)


def decide(incoming_stamp: pd.Series, stored_stamp: pd.Series, source_name: str, stored_source: pd.Series,
           priority: SourcePriority) -> tuple[np.ndarray, list[str]]:
    """Whether each incoming record wins its conflict, and the rule that decided it."""
    newer = (incoming_stamp > stored_stamp).fillna(False).to_numpy(dtype=bool)
    older = (incoming_stamp < stored_stamp).fillna(False).to_numpy(dtype=bool)
    own = priority.rank(source_name)
    wins, rules = [], []
    for is_newer, is_older, other in zip(newer, older, stored_source.astype(str)):
        if is_newer or is_older:
            wins.append(bool(is_newer))
            rules.append("newer updated_at wins")
            continue
        theirs = priority.rank(other)
        wins.append(own <= theirs)
        rules.append(f"updated_at equal or missing: source priority {source_name!r} (rank {own}) vs "
                     f"{other!r} (rank {theirs}); {'same rank, the later delivery' if own == theirs else 'lower rank'} wins")
    return np.asarray(wins, dtype=bool), rules


@dataclass
class Merged:
    """Records of one table split against the store (frames keep the incoming index)."""

    new: pd.DataFrame
    updates: pd.DataFrame  # whole rows: the stored row with the winning incoming values
    equal: pd.Index  # incoming index labels identical to the store
    conflicting: pd.Index
    losing: pd.Index  # conflicting labels where the stored record was kept
    conflicts: list[dict] = field(default_factory=list)


def merge_records(table: Table, incoming: pd.DataFrame, stored: pd.DataFrame, compare: list[str], *,
                  source_name: str, priority: SourcePriority, written_at: pd.Timestamp) -> Merged:
    """Split ``incoming`` (key, ``compare`` columns and ``updated_at`` which may be NaT) against ``stored``."""
    key = [column.name for column in table.primary_key.columns]
    stored = stored.set_index(key)
    keys = pd.MultiIndex.from_frame(incoming[key]) if len(key) > 1 else pd.Index(incoming[key[0]])
    found = keys.isin(stored.index)
    matched = incoming[found]
    theirs = stored.loc[keys[found]].reset_index(drop=True) if found.any() else stored.iloc[:0]
    theirs.index = matched.index
    diff = np.column_stack([_differs(matched[c], theirs[c]) for c in compare]) if len(matched) else np.zeros((0, 1))
    differing = diff.any(axis=1)
    conflicted = matched[differing]
    wins, rules = decide(conflicted["updated_at"], theirs.loc[conflicted.index, "updated_at"], source_name,
                         theirs.loc[conflicted.index, "source"], priority)
    winners = conflicted[wins]
    updates = theirs.loc[winners.index].drop(columns=["source", "updated_at"])
    updates[compare] = winners[compare]
    updates[key] = winners[key]
    updates["updated_at"] = winners["updated_at"].fillna(written_at)
    conflicts = []
    for row, label in enumerate(conflicted.index):
        columns = [c for c, d in zip(compare, diff[np.flatnonzero(differing)[row]]) if d]
        conflicts.append({
            "key": json.dumps({c: json_value(conflicted.at[label, c]) for c in key}),
            "columns": json.dumps(columns),
            "stored_value": json.dumps({c: json_value(theirs.at[label, c]) for c in columns}),
            "incoming_value": json.dumps({c: json_value(conflicted.at[label, c]) for c in columns}),
            "winner": "incoming" if wins[row] else "stored",
            "rule": rules[row][:200],
        })
    new = incoming[~found].copy()
    new["updated_at"] = new["updated_at"].fillna(written_at)
    return Merged(new=new, updates=updates, equal=matched.index[~differing], conflicting=conflicted.index,
                  losing=conflicted.index[~wins], conflicts=conflicts)


def table_for(entity: str) -> Table:
    """The store table an entity's records land in (orders: see data.ingest)."""
    return {"customers": schema.customers, "products": schema.products, "tickets": schema.support_tickets,
            "marketing": schema.marketing_daily, "orders": schema.order_lines,
            "calendar": schema.calendar_events, "promotions": schema.promotions}[entity]
