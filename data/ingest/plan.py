"""What a validated batch changes in the store, per entity: inserts, updates, duplicates and conflicts.

Private to ``data.ingest``. Customers, products and tickets map one row to one record.
Orders split into one ``orders`` header per order_id and one ``order_lines`` row per line.
Marketing rows name their campaign, which is looked up, or created as kind "imported".
Calendar events and promotions are keyed by (name, start_date): a stored one keeps its id (event_id,
promo_id), a new one gets the next free id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from data import schema
from data.ingest.merge import SourcePriority, merge_records, read_stored, table_for
from data.ingest.contract import ENTITIES
from data.ingest.validation import References

__all__ = ["Plan", "plan_changes", "BUSINESS_DATE"]

# The date that says how recent an entity's data is (freshness in the quality report).
BUSINESS_DATE = {"customers": "signup_date", "products": "launch_date", "orders": "order_date",
                 "marketing": "date", "tickets": "opened_date", "calendar": "start_date",
                 "promotions": "start_date"}
_HEADER = ["customer_id", "order_date", "channel", "promo_id"]
_LINE = ["product_id", "quantity", "unit_price", "discount"]


@dataclass
class Plan:
    """Everything one batch writes, and how its rows were classified."""

    inserts: dict[str, pd.DataFrame] = field(default_factory=dict)
    updates: dict[str, pd.DataFrame] = field(default_factory=dict)
    conflicts: list[dict] = field(default_factory=list)
    duplicates: int = 0

    @property
    def changes_rows(self) -> bool:
        return any(len(frame) for frame in (*self.inserts.values(), *self.updates.values()))


@dataclass(frozen=True)
class _Context:
    connection: Connection
    source_name: str
    priority: SourcePriority
    written_at: pd.Timestamp

    def merge(self, table, incoming: pd.DataFrame, stored: pd.DataFrame, compare: list[str]):
        return merge_records(table, incoming, stored, compare, source_name=self.source_name,
                             priority=self.priority, written_at=self.written_at)


def _stamped(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The listed columns plus ``updated_at`` (NaT when the source has none)."""
    out = frame[columns].copy()
    out["updated_at"] = frame["updated_at"] if "updated_at" in frame.columns else pd.NaT
    out["updated_at"] = pd.to_datetime(out["updated_at"])
    return out


def _plan_simple(ctx: _Context, entity: str, valid: pd.DataFrame) -> Plan:
    table = table_for(entity)
    spec = ENTITIES[entity]
    columns = [c for c in spec.columns if c in valid.columns and c in table.c and c != "updated_at"]
    incoming = _stamped(valid, columns)
    key = [c.name for c in table.primary_key.columns]
    stored = read_stored(ctx.connection, table, key[0], incoming[key[0]])
    merged = ctx.merge(table, incoming, stored, [c for c in columns if c not in key])
    return Plan({table.name: merged.new}, {table.name: merged.updates}, merged.conflicts, len(merged.equal))


def _campaign_ids(ctx: _Context, valid: pd.DataFrame, known: dict[str, int]) -> tuple[pd.Series, pd.DataFrame]:
    """campaign_id per row, and the campaigns to create (kind "imported", channel of their first day)."""
    unknown = valid[~valid["campaign"].isin(list(known))].sort_values("date", kind="stable")
    first = unknown.drop_duplicates("campaign")
    given = first["campaign_id"] if "campaign_id" in first.columns else pd.Series(pd.NA, index=first.index)
    stored_max = ctx.connection.execute(select(func.max(schema.campaigns.c.campaign_id))).scalar_one() or 0
    next_id = max(int(stored_max), int(given.max()) if given.notna().any() else 0) + 1
    ids = []
    for value in given:
        ids.append(int(value) if pd.notna(value) else next_id)
        next_id += int(pd.isna(value))
    created = pd.DataFrame({
        "campaign_id": ids, "name": first["campaign"].to_numpy(), "channel": first["channel"].to_numpy(),
        "kind": "imported", "start_date": unknown.groupby("campaign")["date"].min().loc[first["campaign"]].to_numpy(),
        "end_date": pd.NaT, "updated_at": ctx.written_at,
    })
    lookup = {**known, **dict(zip(created["name"], created["campaign_id"]))}
    return valid["campaign"].map(lookup).astype("Int64"), created


def _plan_marketing(ctx: _Context, valid: pd.DataFrame, references: References) -> Plan:
    table = schema.marketing_daily
    campaign_ids, created = _campaign_ids(ctx, valid, dict(references.campaigns))
    measures = ["channel", "spend", "impressions", "clicks", "conversions"]
    incoming = _stamped(valid.assign(campaign_id=campaign_ids), ["date", "campaign_id", *measures])
    stored = read_stored(ctx.connection, table, "campaign_id", incoming["campaign_id"])
    merged = ctx.merge(table, incoming, stored, measures)
    inserts = {"campaigns": created, table.name: merged.new}
    return Plan(inserts, {table.name: merged.updates}, merged.conflicts, len(merged.equal))


def _dated_ids(ctx: _Context, table, incoming: pd.DataFrame, stored: pd.DataFrame) -> pd.Series:
    """The stored id of each (name, start_date), the next free ids for new ones."""
    key, id_column = ["name", "start_date"], table.primary_key.columns.keys()[0]
    known = stored.set_index(key)[id_column] if len(stored) else pd.Series(dtype="Int64")
    ids = pd.Series(pd.MultiIndex.from_frame(incoming[key]).map(known.to_dict()), index=incoming.index,
                    dtype="Int64")
    stored_max = ctx.connection.execute(select(func.max(table.c[id_column]))).scalar_one() or 0
    new = ids.isna()
    ids[new] = np.arange(int(stored_max) + 1, int(stored_max) + 1 + int(new.sum()))
    return ids


def _plan_dated(ctx: _Context, entity: str, valid: pd.DataFrame) -> Plan:
    """Calendar events and promotions: matched on (name, start_date), keeping the stored id."""
    table = table_for(entity)
    values = [c for c in ENTITIES[entity].columns if c in valid.columns and c not in ("name", "start_date",
                                                                                      "updated_at")]
    incoming = _stamped(valid, ["name", "start_date", *values])
    stored = read_stored(ctx.connection, table, "name", incoming["name"])
    incoming.insert(0, table.primary_key.columns.keys()[0], _dated_ids(ctx, table, incoming, stored))
    merged = ctx.merge(table, incoming, stored, values)
    return Plan({table.name: merged.new}, {table.name: merged.updates}, merged.conflicts, len(merged.equal))


def _order_headers(ctx: _Context, lines: pd.DataFrame, stored: pd.DataFrame) -> pd.DataFrame:
    """One header per order; a missing channel keeps the stored one, else the customer's acquisition channel."""
    by_order = lines.groupby("order_id", sort=False)
    headers = by_order[[c for c in _HEADER if c in lines.columns]].first()  # first non-empty value
    headers["updated_at"] = by_order["updated_at"].max()
    kept = stored.set_index("order_id")
    if "channel" not in headers.columns:
        headers["channel"] = pd.NA
    keep = headers["channel"].isna() & headers.index.isin(kept.index)
    headers.loc[keep, "channel"] = kept.loc[headers.index[keep], "channel"].to_numpy()
    if "promo_id" not in lines.columns:  # the source says nothing about promotions: keep the stored ones
        headers["promo_id"] = kept["promo_id"].reindex(headers.index)
    without = headers["channel"].isna()
    if without.any():
        customers = read_stored(ctx.connection, schema.customers, "customer_id", headers.loc[without, "customer_id"])
        acquisition = customers.set_index("customer_id")["channel"]
        headers.loc[without, "channel"] = headers.loc[without, "customer_id"].map(acquisition)
    headers["promo_id"] = headers["promo_id"].astype("Int64")
    return headers.reset_index()


def _plan_orders(ctx: _Context, valid: pd.DataFrame, references: References) -> Plan:
    lines = _stamped(valid, [c for c in ENTITIES["orders"].columns if c in valid.columns and c != "updated_at"])
    stored_headers = read_stored(ctx.connection, schema.orders, "order_id", lines["order_id"])
    stored_lines = read_stored(ctx.connection, schema.order_lines, "order_id", lines["order_id"])
    headers = _order_headers(ctx, lines, stored_headers)
    head = ctx.merge(schema.orders, headers, stored_headers, _HEADER)
    # Lines carry the date of the header that won.
    final_date = stored_headers.set_index("order_id")["order_date"]
    for written in (head.new, head.updates):
        final_date = written.set_index("order_id")["order_date"].combine_first(final_date)
    lines["order_date"] = lines["order_id"].map(final_date)
    lines["category"] = lines["product_id"].map(dict(references.products))
    line_columns = ["order_id", "line_number", "product_id", "category", "quantity", "unit_price", "discount",
                    "order_date", "updated_at"]
    body = ctx.merge(schema.order_lines, lines[line_columns], stored_lines, _LINE)
    updates = body.updates.assign(category=body.updates["product_id"].map(dict(references.products)),
                                  order_date=body.updates["order_id"].map(final_date))
    redated = stored_lines[stored_lines["order_id"].isin(head.updates["order_id"])]
    redated = redated[~redated.set_index(["order_id", "line_number"]).index.isin(
        updates.set_index(["order_id", "line_number"]).index)]
    redated = redated.assign(order_date=redated["order_id"].map(final_date))
    redated = redated[redated["order_date"] != stored_lines.loc[redated.index, "order_date"]]
    if len(redated):
        redated = redated.drop(columns=["source", "updated_at"]).assign(updated_at=ctx.written_at)
        updates = pd.concat([updates, redated]) if len(updates) else redated
    same_header = lines["order_id"].isin(headers.loc[head.equal, "order_id"])
    duplicates = int((lines.index.isin(body.equal) & same_header.to_numpy()).sum())
    return Plan({"orders": head.new, "order_lines": body.new}, {"orders": head.updates, "order_lines": updates},
                head.conflicts + body.conflicts, duplicates)


def plan_changes(connection: Connection, entity: str, valid: pd.DataFrame, references: References, *,
                 source_name: str, priority: SourcePriority, written_at: pd.Timestamp) -> Plan:
    """Classify the valid rows of a batch against the store and collect what to write."""
    ctx = _Context(connection, source_name, priority, written_at)
    if valid.empty:
        return Plan()
    if entity == "orders":
        return _plan_orders(ctx, valid, references)
    if entity == "marketing":
        return _plan_marketing(ctx, valid, references)
    if entity in ("calendar", "promotions"):
        return _plan_dated(ctx, entity, valid)
    return _plan_simple(ctx, entity, valid)
