"""Ingesting a source: read, validate, quarantine, resolve conflicts, and commit in one transaction.

Pipeline (docs/ingestion.md)::

    read_source -> validate (data.ingest.validation) -> compare with the store (duplicates, conflicts)
        -> one transaction: new and winning rows, dataset version, run record, quarantined rows,
           quality checks, conflicts log

Either all of that is committed or none of it. A batch that cannot be read or checked at all,
or whose write the store refuses, is *rejected*: only its run record is written, with the reason.
The transaction holds the store's write lock (``store.write_transaction``): concurrent ingests
take turns, each planned against what the ones before it committed.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from data import schema, store
from data.ingest.merge import SourcePriority, read_stored
from data.ingest.plan import BUSINESS_DATE, Plan, plan_changes
from data.ingest.connectors import read_source
from data.ingest.connectors.sql import redact_url
from data.ingest.contract import IngestLimits, SourceError, SourceFrame
from data.ingest.quarantine import (mark_resubmitted, quarantine_records, write_records)
from data.ingest.validation import (References, Validation, ValidationRules, batch_problem, empty_cell_rates,
                             unreadable_values, validate)
from data.watermark import thin_slice_warning

__all__ = ["IngestResult", "ingest", "ingest_checked", "ingest_frame", "record_bulk_load", "record_rejection",
           "reject", "run_rules"]

BeforeCommit = Callable[[Connection, "IngestResult"], None]


@dataclass(frozen=True)
class IngestResult:
    """What one ingest did. ``accepted + duplicates + quarantined`` is the number of rows read.

    ``accepted`` counts valid rows that were new or differed from the store (``conflicts`` of
    them, whichever side won); ``duplicates`` valid rows equal to the store; ``dataset_version``
    is the version this run created, None when it changed no stored row.
    """

    run_id: str
    accepted: int
    quarantined: int
    duplicates: int
    conflicts: int
    rejected_reason: str | None = None
    dataset_version: int | None = None
    entity: str = ""
    source_name: str = ""
    warnings: tuple[str, ...] = field(default=())

    @property
    def status(self) -> str:
        """committed, partial (some rows quarantined) or rejected."""
        if self.rejected_reason is not None:
            return "rejected"
        return "partial" if self.quarantined else "committed"

    @property
    def exit_code(self) -> int:
        """0: every row accepted (or a duplicate); 3: some rows quarantined; 2: rejected, nothing written."""
        return {"committed": 0, "partial": 3, "rejected": 2}[self.status]

    def summary(self) -> dict[str, object]:
        """The counts, the rejection reason and the warnings, as the CLI reports them."""
        return {"accepted": self.accepted, "quarantined": self.quarantined, "duplicates": self.duplicates,
                "conflicts": self.conflicts, "rejected_reason": self.rejected_reason, "warnings": list(self.warnings)}

    def to_json(self) -> str:
        """The one-line summary the CLI prints with --json."""
        return json.dumps(self.summary())


@dataclass(frozen=True)
class _Run:
    run_id: str
    entity: str
    source_name: str
    started_at: dt.datetime

    @classmethod
    def start(cls, entity: str, source_name: str) -> _Run:
        return cls(uuid.uuid4().hex, str(entity)[:32], str(source_name)[:200], _now())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _run_row(run: _Run, result: IngestResult, rows_read: int, **extra) -> dict:
    return {"run_id": run.run_id, "entity": run.entity, "source_name": run.source_name,
            "started_at": run.started_at, "finished_at": _now(), "status": result.status, "rows_read": rows_read,
            "accepted": result.accepted, "quarantined": result.quarantined, "duplicates": result.duplicates,
            "conflicts": result.conflicts, "rejected_reason": result.rejected_reason,
            "dataset_version": result.dataset_version, **extra}


def reject(engine: Engine, entity: str, source_name: str, reason: str) -> IngestResult:
    """Record a run of ``source_name`` rejected before any row was read (and nothing else)."""
    return _reject(engine, _Run.start(entity, source_name), reason)


def _reject(engine: Engine, run: _Run, reason: str, rows_read: int = 0) -> IngestResult:
    """Record a rejected run (and nothing else)."""
    result = IngestResult(run.run_id, 0, 0, 0, 0, " ".join(reason.split()), None, run.entity, run.source_name)
    with engine.begin() as connection:
        connection.execute(insert(schema.ingest_runs).values(_run_row(run, result, rows_read)))
    return result


def record_bulk_load(connection: Connection, entity: str, source_name: str, rows: int,
                     newest_business_date: dt.date | None, dataset_version: int | None) -> str:
    """Record a load that bypassed validation (the generated sample company) as a committed run,
    so the Data page lists it as a source with its volume and freshness. Returns the run id."""
    run = _Run.start(entity, source_name)
    result = IngestResult(run.run_id, rows, 0, 0, 0, None, dataset_version, run.entity, run.source_name)
    connection.execute(insert(schema.ingest_runs).values(
        _run_row(run, result, rows, newest_business_date=newest_business_date)))
    return run.run_id


def _references(connection: Connection, entity: str, frame: pd.DataFrame) -> References:
    """The stored customers, products, promotions, skus or campaigns the batch refers to."""
    def ids(table, column: str, values: pd.Series) -> frozenset[int]:
        return frozenset(int(v) for v in read_stored(connection, table, column, values)[column])

    if entity == "orders":
        products = read_stored(connection, schema.products, "product_id", frame["product_id"])
        promos = frame["promo_id"] if "promo_id" in frame.columns else pd.Series([], dtype="Int64")
        return References(customers=ids(schema.customers, "customer_id", frame["customer_id"]),
                          products=dict(zip(products["product_id"].astype(int), products["category"])),
                          promotions=ids(schema.promotions, "promo_id", promos))
    if entity == "tickets":
        return References(customers=ids(schema.customers, "customer_id", frame["customer_id"]))
    if entity == "products":
        stored = read_stored(connection, schema.products, "sku", frame["sku"])
        return References(skus=dict(zip(stored["sku"], stored["product_id"].astype(int))))
    if entity == "marketing":
        campaigns = pd.read_sql_table(schema.campaigns.name, connection, columns=["campaign_id", "name"])
        return References(campaigns=dict(zip(campaigns["name"], campaigns["campaign_id"].astype(int))))
    return References()


def _run_details(source: SourceFrame, checked: Validation) -> dict:
    """Null rates of the batch and its newest business date, for the quality report."""
    rates = empty_cell_rates(source)  # unreadable values are invalid, not empty: see unreadable_values
    dates = checked.valid[BUSINESS_DATE[source.entity]]
    newest = dates.max() if len(dates) else None
    return {"null_rates": json.dumps(rates), "newest_business_date": None if pd.isna(newest) else newest.date()}


def _check_rows(run: _Run, checked: Validation, source: SourceFrame) -> list[dict]:
    created = _now()
    rows = [{"check": c.check, "column": c.column, "checked_rows": c.checked_rows, "failed_rows": c.failed_rows}
            for c in checked.checks]
    if source.extra_columns:
        rows.append({"check": "extra_columns", "column": ", ".join(source.extra_columns)[:200],
                     "checked_rows": len(source.frame), "failed_rows": len(source.frame)})
    return [{**row, "run_id": run.run_id, "source_name": run.source_name, "entity": run.entity,
             "passed": row["failed_rows"] == 0, "created_at": created} for row in rows]


def _warnings(source: SourceFrame) -> tuple[str, ...]:
    if not source.extra_columns:
        return ()
    return (f"{source.source_name}: column(s) {', '.join(source.extra_columns)} are not part of {source.entity} "
            "and were not ingested; map them in a mapping file if they should be",)


def _thin_slice(connection: Connection, entity: str, valid: pd.DataFrame) -> tuple[str, ...]:
    """Orders that extend the calendar by a few lines get a warning: those days count as partial."""
    if entity != "orders" or valid.empty:
        return ()
    warning = thin_slice_warning(connection, valid[BUSINESS_DATE[entity]])
    return () if warning is None else (warning,)


def _commit(connection: Connection, run: _Run, source: SourceFrame, checked: Validation, plan: Plan,
            resubmitted: Sequence[int]) -> IngestResult:
    """Write the batch and its bookkeeping inside the caller's transaction."""
    version, thin = None, ()
    if plan.changes_rows:
        version = store.write_changes(connection, inserts=plan.inserts, updates=plan.updates,
                                      source=run.source_name[:64],
                                      description=f"ingest {run.entity} from {run.source_name}"[:500])
        thin = _thin_slice(connection, run.entity, checked.valid)
    quarantined = len(checked.reasons)
    result = IngestResult(run.run_id, len(source.frame) - quarantined - plan.duplicates, quarantined,
                          plan.duplicates, len(plan.conflicts), None, version, run.entity, run.source_name,
                          _warnings(source) + unreadable_values(source) + thin)
    connection.execute(insert(schema.ingest_runs).values(
        _run_row(run, result, len(source.frame), **_run_details(source, checked))))
    if resubmitted:  # first, so a row that fails again unedited gets its new open record (write_records skips
        mark_resubmitted(connection, resubmitted, run.run_id)  # rows identical to an open one)
    write_records(connection, quarantine_records(source, checked.frame, checked.reasons, run.run_id))
    connection.execute(insert(schema.quality_checks), _check_rows(run, checked, source))
    if plan.conflicts:
        created = _now()
        connection.execute(insert(schema.conflicts), [
            {**conflict, "run_id": run.run_id, "entity": run.entity, "created_at": created}
            for conflict in plan.conflicts])
    return result


def run_rules(rules: ValidationRules | None, today: dt.date | None) -> ValidationRules:
    """``rules`` (default: the standard rules) checked against ``today`` when given."""
    rules = rules or ValidationRules()
    return replace(rules, today=today) if today is not None else rules


def ingest_checked(engine: Engine, source: SourceFrame, priority: SourcePriority, rules: ValidationRules,
                          before_commit: BeforeCommit | None, resubmitted: Sequence[int] = ()) -> IngestResult:
    """Validate ``source``, plan its changes and commit them with the run record, in one transaction."""
    run = _Run.start(source.entity, source.source_name)
    problem = batch_problem(source)
    if problem:
        return _reject(engine, run, problem, len(source.frame))
    with store.write_transaction(engine) as connection:
        references = _references(connection, source.entity, source.frame)
        checked = validate(source, references, rules)
        plan = plan_changes(connection, source.entity, checked.valid, references, source_name=run.source_name,
                            priority=priority, written_at=pd.Timestamp(run.started_at))
        result = _commit(connection, run, source, checked, plan, resubmitted)
        if before_commit is not None:
            before_commit(connection, result)
    return result


def ingest_frame(engine: Engine, source_frame: SourceFrame, *,
                 source_priority: SourcePriority | Sequence[str] | str | None = None,
                 today: dt.date | None = None, rules: ValidationRules | None = None,
                 before_commit: BeforeCommit | None = None) -> IngestResult:
    """Validate ``source_frame`` and commit it atomically; see the module docstring.

    ``source_priority`` decides conflicts that ``updated_at`` cannot (default
    ``$FORESIGHT_SOURCE_PRIORITY`` or erp,crm,marketing,stream,upload,*,sample). ``today``
    overrides the date that "not in the future" is measured from. ``before_commit(connection,
    result)`` runs inside the transaction after everything is written (the stream records its
    event ids there); if it raises, nothing is committed. Database errors propagate, after the
    rollback has left the store as it was.
    """
    return ingest_checked(engine, source_frame, SourcePriority.parse(source_priority), run_rules(rules, today), before_commit)


def _source_label(source: object, filename: str | None, table: str | None, query: str | None) -> str:
    """A name for a source that could not be read (database passwords hidden)."""
    if filename:
        return Path(filename).name
    if isinstance(source, (str, Path)):
        text = str(source)
        if "://" in text:
            detail = f" table {table}" if table else (" query" if query else "")
            return redact_url(text) + detail
        return Path(text).name
    return "the uploaded file"


def record_rejection(engine: Engine, entity: str, source: object, reason: str, *, filename: str | None = None,
                     table: str | None = None, query: str | None = None) -> IngestResult:
    """Record a rejected run of ``source`` for a failure outside the pipeline (e.g. bad settings)."""
    return _reject(engine, _Run.start(entity, _source_label(source, filename, table, query)), reason)


def ingest(engine: Engine, entity: str, source: object, *, table: str | None = None, query: str | None = None,
           mapping=None, limits: IngestLimits | None = None, filename: str | None = None,
           source_priority: SourcePriority | Sequence[str] | str | None = None,
           today: dt.date | None = None, rules: ValidationRules | None = None) -> IngestResult:
    """Read ``source`` with ``data.ingest.connectors.read_source`` and ingest it as ``entity``.

    A source that cannot be read (SourceError: missing columns, bad file, failing query, ...) or
    a write the store refuses (after the rollback) gives a rejected result whose run is recorded;
    nothing else is written. When the store cannot even record the run, its error propagates.
    """
    try:
        frame = read_source(entity, source, table=table, query=query, mapping=mapping,
                            limits=limits or IngestLimits(), filename=filename)
    except SourceError as error:
        return record_rejection(engine, entity, source, error.reason, filename=filename, table=table, query=query)
    try:
        return ingest_frame(engine, frame, source_priority=source_priority, today=today, rules=rules)
    except SQLAlchemyError as error:
        reason = f"the store refused the write, nothing was written: {store.error_text(error)}"
        return _reject(engine, _Run.start(entity, frame.source_name), reason, len(frame.frame))
