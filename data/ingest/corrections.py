"""Resubmitting corrected quarantined rows under their original source's name and row numbers."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from data.csv_safe import csv_cell, restore_frame
from data.ingest.connectors import read_source
from data.ingest.connectors._delimited import parse_delimited
from data.ingest.contract import IngestLimits, SourceError, SourceFrame
from data.ingest.merge import SourcePriority
from data.ingest.quarantine import ID_COLUMN, open_rows
from data.ingest.run import IngestResult, ingest_checked, reject, run_rules
from data.ingest.validation import ValidationRules

__all__ = ["resubmit"]


def _corrected_table(corrected: pd.DataFrame | str | Path | bytes) -> pd.DataFrame:
    """The corrected rows as text cells, with the download's neutralising apostrophes removed.

    CSV text contains a newline; any other string is a path, read without newline translation so a
    carriage return inside a quoted cell stays what it was. ``data.csv_safe.restore`` removes exactly
    the apostrophe ``quarantine_csv`` put before a formula-like cell, so the unedited file goes back in.
    """
    if isinstance(corrected, pd.DataFrame):
        return restore_frame(corrected.astype(object).where(corrected.notna(), "").astype(str))
    if not isinstance(corrected, bytes) and not (isinstance(corrected, str) and "\n" in corrected):
        try:
            corrected = Path(corrected).read_bytes()
        except OSError as error:
            raise SourceError(f"cannot read the corrected file {corrected}: {error.strerror or error}") from None
    text = _utf8(corrected) if isinstance(corrected, bytes) else corrected
    table = parse_delimited(text, delimiter=",", label="the corrected file", max_rows=IngestLimits().max_rows)
    return restore_frame(table.reset_index(drop=True))


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(
            f"the corrected file is not UTF-8 text (byte 0x{data[error.start:error.start + 1].hex()} at offset "
            f"{error.start}); save it as \"CSV UTF-8\" (Excel) or \"Text CSV\" with UTF-8 (LibreOffice) and "
            "re-submit") from None


def _as_csv(values: pd.DataFrame) -> bytes:
    """The corrected values as plain CSV for the connector (every CR or LF inside a quoted cell)."""
    lines = [values.columns, *values.itertuples(index=False)]
    return "".join(",".join(csv_cell(str(cell)) for cell in line) + "\n" for line in lines).encode()


def _open_records(engine: Engine, entity: str, table: pd.DataFrame) -> pd.DataFrame | str:
    """The open quarantine records the corrected rows name, in row order; or why they cannot be used."""
    ids = pd.to_numeric(table[ID_COLUMN], errors="coerce") if ID_COLUMN in table.columns else None
    if ids is None or ids.isna().any():
        return (f"every corrected row needs its {ID_COLUMN} (the first column of the quarantine CSV); download "
                "the rows again with quarantine_csv")
    if ids.duplicated().any():
        return f"each {ID_COLUMN} may appear once; {sorted(set(ids[ids.duplicated()].astype(int)))} repeat"
    with engine.connect() as connection:
        found = open_rows(connection, entity, ids.astype(int)).set_index("id")
    missing = sorted(set(ids.astype(int)) - set(found.index))
    if missing:
        return f"{ID_COLUMN} {missing} are not open {entity} quarantine records"
    if found["source_name"].nunique() > 1:
        return (f"rows come from several sources ({', '.join(sorted(set(found['source_name'])))}); resubmit one "
                "source at a time")
    return found.loc[ids.astype(int)]


def _as_original(source: SourceFrame, records: pd.DataFrame) -> SourceFrame:
    """The re-read rows under the original source's name and row numbers (row n is the n-th record)."""
    original = dict(zip(range(1, len(records) + 1), records["row_number"].astype(int)))
    errors = source.errors.assign(row_number=source.errors["row_number"].map(original).astype("int64"))
    return replace(source, source_name=records["source_name"].iloc[0], errors=errors,
                   row_numbers=source.row_numbers.map(original).astype("int64"))


def resubmit(engine: Engine, entity: str, corrected: pd.DataFrame | str | Path | bytes, *,
             source_priority: SourcePriority | Sequence[str] | str | None = None,
             today: dt.date | None = None, rules: ValidationRules | None = None) -> IngestResult:
    """Re-validate corrected quarantined rows and ingest them under their original source's name.

    ``corrected`` is the CSV from ``quarantine_csv`` (text, bytes or a path) or a frame of it,
    edited; every row keeps its ``quarantine_id``. Each of those records is marked resubmitted
    (``resolved_run_id`` = this run). A row that fails again is quarantined anew by this run
    with its new reason, so an unresolved row always has exactly one open record.
    """
    try:
        table = _corrected_table(corrected)
    except SourceError as error:
        return reject(engine, entity, "resubmission", error.reason)
    records = _open_records(engine, entity, table)
    if isinstance(records, str):
        return reject(engine, entity, "resubmission", records)
    values = table.drop(columns=[c for c in (ID_COLUMN, "source_name", "row_number", "reason") if c in table.columns])
    try:
        source = read_source(entity, _as_csv(values), filename="resubmission.csv")
    except SourceError as error:
        return reject(engine, entity, records["source_name"].iloc[0], error.reason)
    return ingest_checked(engine, _as_original(source, records), SourcePriority.parse(source_priority),
                          run_rules(rules, today), None, records.index.tolist())
