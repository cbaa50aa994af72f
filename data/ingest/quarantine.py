"""Quarantined rows: writing them, reviewing them, downloading them as CSV, and discarding them.

A quarantined row keeps the source's values (``payload``, JSON), its 1-based ``row_number`` and
the ``reason`` it failed. Its ``status`` is open until a corrected version is re-submitted
(``data.ingest.resubmit``; status resubmitted, ``resolved_run_id`` names that run) or someone
discards it. Nothing here changes the source tables.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import Connection

from data import schema
from data.csv_safe import safe_csv
from data.ingest.merge import json_value
from data.ingest.contract import ENTITIES, SourceFrame

__all__ = ["STATUSES", "ID_COLUMN", "quarantine_records", "list_quarantine", "quarantine_csv", "discard",
           "open_rows", "mark_resubmitted", "write_records"]

STATUSES: tuple[str, ...] = ("open", "resubmitted", "discarded")
# The column of a downloaded CSV that ties a corrected row to its quarantine record.
ID_COLUMN = "quarantine_id"
_LEADING = [ID_COLUMN, "source_name", "row_number", "reason"]
_IN_CHUNK = 5_000


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def quarantine_records(source: SourceFrame, frame: pd.DataFrame, reasons: pd.Series, run_id: str) -> list[dict]:
    """Rows for the quarantine table: each invalid row's values as the source gave them, with its reason.

    ``frame`` is the validated batch (positions 0..n-1); cells the connector could not read are
    put back as their original text, so the payload is what the source delivered.
    """
    raw = {}
    for row_number, column, value in source.errors[["row_number", "column", "value"]].itertuples(index=False):
        raw.setdefault(int(row_number), {})[column] = value
    columns = [c for c in ENTITIES[source.entity].columns if c in frame.columns]
    row_numbers = pd.Series(source.row_numbers).reset_index(drop=True)
    created = _now()
    records = []
    for position, reason in reasons.items():
        number = int(row_numbers.iloc[position])
        payload = {c: json_value(frame.at[position, c]) for c in columns}
        payload.update(raw.get(number, {}))
        records.append({"run_id": run_id, "entity": source.entity, "source_name": source.source_name[:200],
                        "row_number": number, "reason": reason, "payload": json.dumps(payload),
                        "status": "open", "created_at": created})
    return records


def _query(run_id: str | None, entity: str | None, status: str | None, ids: Iterable[int] | None = None,
           source_name: str | None = None):
    table = schema.quarantine
    if status is not None and status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)} (None, or --status all, lists "
                         "every status)")
    query = select(table).order_by(table.c.id)
    for column, value in (("run_id", run_id), ("entity", entity), ("status", status), ("source_name", source_name)):
        if value is not None:
            query = query.where(table.c[column] == value)
    if ids is not None:
        query = query.where(table.c.id.in_([int(i) for i in ids]))
    return query


def list_quarantine(engine: Engine, run_id: str | None = None, entity: str | None = None,
                    status: str | None = "open", source_name: str | None = None) -> pd.DataFrame:
    """Quarantined rows, oldest first; ``status=None`` lists every status."""
    with engine.connect() as connection:
        frame = pd.read_sql_query(_query(run_id, entity, status, source_name=source_name), connection)
    for column in ("created_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def quarantine_csv(engine: Engine, run_id: str | None = None, entity: str | None = None,
                   status: str | None = "open", source_name: str | None = None) -> str:
    """The rows of ``list_quarantine`` as CSV: quarantine_id, source_name, row_number, reason, then the values.

    Correct the values in place and hand the file to ``data.ingest.resubmit``; keep the
    ``quarantine_id`` column, it links each corrected row to its record. The file is safe to open in a
    spreadsheet (``data.csv_safe``: formula-like cells get an apostrophe, line breaks stay quoted) and
    goes back in unedited: re-submission removes exactly those apostrophes.
    """
    rows = list_quarantine(engine, run_id, entity, status, source_name)
    payloads = pd.DataFrame([json.loads(text) for text in rows["payload"]], index=rows.index)
    canonical = [c for spec in ENTITIES.values() for c in spec.columns]
    ordered = sorted(payloads.columns, key=lambda c: canonical.index(c) if c in canonical else len(canonical))
    leading = rows.rename(columns={"id": ID_COLUMN})[_LEADING]
    return safe_csv(pd.concat([leading, payloads[ordered]], axis=1))


def open_rows(connection: Connection, entity: str, ids: Iterable[int]) -> pd.DataFrame:
    """The open quarantine records of ``entity`` among ``ids``."""
    return pd.read_sql_query(_query(None, entity, "open", ids), connection)


def mark_resubmitted(connection: Connection, ids: Iterable[int], run_id: str) -> None:
    """Close records whose corrected rows went through run ``run_id``."""
    ids = [int(i) for i in ids]
    table = schema.quarantine
    connection.execute(update(table).where(table.c.id.in_(ids), table.c.status == "open")
                       .values(status="resubmitted", resolved_at=_now(), resolved_run_id=run_id))


def write_records(connection: Connection, records: list[dict]) -> int:
    """Insert quarantine records inside the caller's transaction; returns how many were new.

    A record identical to an open one (same entity, source, row, values and reason) is not
    written again, so ingesting the same file twice leaves one open record per bad row.
    """
    if not records:
        return 0
    table = schema.quarantine
    first = records[0]
    numbers = sorted({record["row_number"] for record in records})
    query = select(table.c.row_number, table.c.reason, table.c.payload).where(
        table.c.status == "open", table.c.entity == first["entity"], table.c.source_name == first["source_name"])
    seen = set()
    for start in range(0, len(numbers), _IN_CHUNK):
        chunk = query.where(table.c.row_number.in_(numbers[start : start + _IN_CHUNK]))
        seen.update(tuple(row) for row in connection.execute(chunk))
    fresh = [r for r in records if (r["row_number"], r["reason"], r["payload"]) not in seen]
    if fresh:
        connection.execute(insert(table), fresh)
    return len(fresh)


def discard(engine: Engine, ids: Iterable[int]) -> int:
    """Mark open quarantine records as discarded (they stay for the record); returns how many.

    Raises ValueError, discarding nothing, when an id is unknown or no longer open.
    """
    ids = sorted({int(i) for i in ids})
    table = schema.quarantine
    with engine.begin() as connection:
        found = set(pd.read_sql_query(_query(None, None, "open", ids), connection)["id"])
        stale = [i for i in ids if i not in found]
        if stale:
            raise ValueError(f"quarantine id(s) {stale} are not open (unknown, resubmitted or discarded); "
                             "nothing was discarded — list open rows with list_quarantine(engine)")
        connection.execute(update(table).where(table.c.id.in_(ids)).values(status="discarded", resolved_at=_now()))
    return len(ids)
