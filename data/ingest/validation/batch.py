"""Checks that need the whole batch or the store: unique keys, references, skus, campaigns, order headers.

Private to ``data.ingest.validation``. Each check reports every failing row through ``add(position,
reason)`` and returns a ``CheckResult`` for the quality log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from data.ingest.validation.rules import shown
from data.ingest.contract import EntitySpec

__all__ = ["References", "CheckResult", "duplicate_keys", "reference_failures", "order_header_failures", "rows_text"]

AddReason = Callable[[int, str], None]
_SHOWN_ROWS = 8


@dataclass(frozen=True)
class References:
    """What the store already holds, as far as the batch refers to it.

    ``products`` maps product_id to its category, ``skus`` a stored sku to its product_id and
    ``campaigns`` a stored campaign name to its campaign_id.
    """

    customers: frozenset[int] = frozenset()
    products: Mapping[int, str] = field(default_factory=dict)
    promotions: frozenset[int] = frozenset()
    skus: Mapping[str, int] = field(default_factory=dict)
    campaigns: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    """One check over one batch: how many rows it looked at and how many failed."""

    check: str
    column: str | None
    checked_rows: int
    failed_rows: int

    @property
    def passed(self) -> bool:
        return self.failed_rows == 0


def rows_text(row_numbers: list[int]) -> str:
    listed = ", ".join(str(number) for number in row_numbers[:_SHOWN_ROWS])
    return listed + (", ..." if len(row_numbers) > _SHOWN_ROWS else "")


def duplicate_keys(spec: EntitySpec, frame: pd.DataFrame, row_numbers: pd.Series, add: AddReason) -> CheckResult:
    """Every row of a key that occurs more than once is quarantined, naming the other rows."""
    keyed = frame[list(spec.key)].dropna()
    repeated = keyed[keyed.duplicated(keep=False)]
    for key, group in repeated.groupby(list(spec.key), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        text = ",".join(f"{column}={shown(value)}" for column, value in zip(spec.key, key))
        for position in group.index:
            others = [int(row_numbers.iloc[other]) for other in group.index if other != position]
            add(position, f"duplicate key {text} also on rows {rows_text(others)}")
    return CheckResult("unique_key", ",".join(spec.key), len(frame), len(repeated))


def _orphans(entity: str, frame: pd.DataFrame, references: References, add: AddReason) -> list[CheckResult]:
    """Rows that point at customers, products or promotions the store does not hold."""
    targets = {
        "orders": [("customer_id", references.customers, "customer", "ingest the customer first"),
                   ("product_id", references.products, "product", "ingest the product first"),
                   ("promo_id", references.promotions, "promotion", "use a known promo_id or leave it empty")],
        "tickets": [("customer_id", references.customers, "customer", "ingest the customer first")],
    }.get(entity, [])
    results = []
    for column, known, noun, fix in targets:
        if column not in frame.columns:
            continue
        orphans = frame[column].notna() & ~frame[column].isin(list(known))
        for position, value in frame.loc[orphans, column].items():
            add(position, f"`{column}` = {value} is not a known {noun} (not in the store); {fix}, then re-submit "
                          "this row")
        results.append(CheckResult("reference", column, len(frame), int(orphans.sum())))
    return results


def _sku_failures(frame: pd.DataFrame, references: References, add: AddReason) -> CheckResult:
    """A sku names one product: it may not move to another product_id, here or in the store."""
    stored = frame["sku"].map(references.skus)
    taken = stored.notna() & (stored != frame["product_id"])
    for position in frame.index[taken]:
        add(position, f"`sku` = {frame.at[position, 'sku']!r} already belongs to product_id {int(stored[position])} "
                      "in the store; each sku names one product")
    shared = frame.groupby("sku")["product_id"].transform("nunique") > 1
    for position in frame.index[shared]:
        add(position, f"`sku` = {frame.at[position, 'sku']!r} is given to several product_ids in this batch; each "
                      "sku names one product")
    return CheckResult("unique_sku", "sku", len(frame), int((taken | shared).sum()))


def _campaign_id_failures(frame: pd.DataFrame, references: References, add: AddReason) -> CheckResult:
    """A given campaign_id must be the stored id of its campaign name, and not another campaign's id."""
    names_by_id = {campaign_id: name for name, campaign_id in references.campaigns.items()}
    stored = frame["campaign"].map(references.campaigns)
    given = frame["campaign_id"]
    moved = (given.notna() & stored.notna() & (given != stored)).fillna(False)
    taken = (given.notna() & stored.isna() & given.map(names_by_id).notna()).fillna(False)
    split = frame.groupby("campaign")["campaign_id"].transform("nunique") > 1
    for position in frame.index[moved]:
        add(position, f"campaign {frame.at[position, 'campaign']!r} is campaign_id {int(stored[position])} in the "
                      f"store, not {given[position]}; fix campaign_id or leave it empty")
    for position in frame.index[taken]:
        add(position, f"campaign_id {given[position]} already belongs to campaign {names_by_id[given[position]]!r}; "
                      "fix the campaign name or its id")
    for position in frame.index[split]:
        add(position, f"campaign {frame.at[position, 'campaign']!r} has several campaign_ids in this batch")
    return CheckResult("reference", "campaign_id", len(frame), int((moved | taken | split).sum()))


def reference_failures(entity: str, frame: pd.DataFrame, references: References, add: AddReason) -> list[CheckResult]:
    """Orphans (orders, tickets), skus that change product, and campaign ids that do not fit their name."""
    results = _orphans(entity, frame, references, add)
    if entity == "products":
        results.append(_sku_failures(frame, references, add))
    if entity == "marketing" and "campaign_id" in frame.columns:
        results.append(_campaign_id_failures(frame, references, add))
    return results


def order_header_failures(frame: pd.DataFrame, row_numbers: pd.Series, add: AddReason) -> CheckResult:
    """All lines of an order must agree on its customer and date, or every line is quarantined."""
    failed: set[int] = set()
    lines_by_order = frame.groupby("order_id").indices
    for column in ("customer_id", "order_date"):
        counts = frame.groupby("order_id")[column].nunique()
        for order_id in counts.index[counts > 1]:
            lines = lines_by_order[order_id]
            values = ", ".join(f"{shown(frame.at[p, column])} on row {int(row_numbers.iloc[p])}" for p in lines[:6])
            for position in lines:
                add(int(position), f"order_id={order_id}: its lines disagree on {column} ({values}); every line of "
                                   "an order must carry the same customer_id and order_date")
            failed.update(int(position) for position in lines)
    return CheckResult("order_consistency", "customer_id,order_date", len(frame), len(failed))
