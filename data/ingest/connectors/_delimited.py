"""Delimited text (CSV, TSV) to a raw frame of strings, with the structure checked row by row.

Python's csv module parses, so every record's field count and first line are known: a row with
too few or too many fields, or a quote that is never closed, is named by its line instead of
being padded or dropped. Every value stays text; blank lines are skipped but still counted, so
data row *n* is spreadsheet row *n + 1*.
"""

from __future__ import annotations

import codecs
import csv
import io

import pandas as pd

from data.ingest.contract import SourceError

__all__ = ["decode_text", "parse_delimited"]

_OTHER_DELIMITERS = (";", "\t", "|", ",")
_CHUNK_ROWS = 200_000


def decode_text(data: bytes, encoding: str, label: str) -> str:
    """``data`` as text; a wrong encoding is named with the byte, its offset and its line."""
    is_utf8 = codecs.lookup(encoding).name == "utf-8"
    try:
        return data.decode("utf-8-sig" if is_utf8 else encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start : error.start + 1].hex()
        fix = 'set [csv] encoding = "latin-1" (or "cp1252", the file\'s real encoding) in the mapping'
        raise SourceError(
            f"{label} is not valid {encoding} text: byte 0x{byte} at offset {error.start} (line {line}) "
            f"cannot be decoded; {fix if is_utf8 else 'set [csv] encoding to the file’s real encoding'}"
        ) from None


def _delimiter_hint(header: list[str], delimiter: str, label: str) -> None:
    """A one-column header holding another delimiter means the file was split on the wrong one."""
    if len(header) != 1:
        return
    for other in _OTHER_DELIMITERS:
        if other != delimiter and other in header[0]:
            shown = "\\t" if other == "\t" else other
            name = "tab" if other == "\t" else repr(other)
            raise SourceError(
                f"{label} looks {name}-delimited, not {delimiter!r}-delimited: its header "
                f"{header[0][:60]!r} reads as one column; set [csv] delimiter = \"{shown}\" in the mapping"
            )


def _width_problem(label: str, line: int, fields: int, width: int, last: bool, more: int) -> SourceError:
    if last and fields < width:
        return SourceError(
            f"{label} looks cut off: its last row (line {line}) has {fields} of {width} fields; "
            "export or upload the complete file again"
        )
    fix = "quote values that contain the delimiter" if fields > width else "fill in the missing fields"
    others = f" (and {more} more such line{'s' if more != 1 else ''})" if more else ""
    plural = "field" if fields == 1 else "fields"
    return SourceError(f"{label}: line {line} has {fields} {plural} but the header has {width}{others}; {fix}")


def _remaining_mismatches(reader, width: int) -> tuple[bool, int]:
    """After a bad row: (was it the last non-blank row?, how many more bad rows follow)."""
    later, bad = 0, 0
    try:
        for record in reader:
            if record:
                later += 1
                bad += len(record) != width
    except csv.Error:
        bad += 1
    return later == 0, bad


class _Records:
    """csv.reader plus the line each record starts on (for messages)."""

    def __init__(self, text: str, delimiter: str) -> None:
        self.reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        self.start_line = 1

    def __iter__(self):
        while True:
            self.start_line = self.reader.line_num + 1
            record = next(self.reader, None)
            if record is None:
                return
            yield record


def _header(records: _Records, delimiter: str, label: str) -> list[str]:
    for record in records:
        if record:
            _delimiter_hint(record, delimiter, label)
            return record
    raise SourceError(f"{label} has no header row (it is blank)")


def _rows(records: _Records, width: int, label: str, max_rows: int) -> tuple[list[pd.DataFrame], list[int]]:
    """Data rows in chunks of frames, and their row numbers (blank lines counted, not kept)."""
    chunks, rows, numbers, row = [], [], [], 0
    for record in records:
        row += 1
        if not record:
            continue
        if len(record) != width:
            line, (last, more) = records.start_line, _remaining_mismatches(records.reader, width)
            raise _width_problem(label, line, len(record), width, last, more)
        if len(numbers) == max_rows:
            raise SourceError(f"{label} has more than {max_rows:,} data rows, the limit; split it "
                              "or raise FORESIGHT_MAX_ROWS")
        rows.append(record)
        numbers.append(row)
        if len(rows) == _CHUNK_ROWS:
            chunks.append(pd.DataFrame(rows, dtype=object))
            rows = []
    if rows or not chunks:
        chunks.append(pd.DataFrame(rows, dtype=object))
    return chunks, numbers


def parse_delimited(text: str, *, delimiter: str, label: str, max_rows: int) -> pd.DataFrame:
    """Every field as text, header names as written, indexed by data row number."""
    records = _Records(text, delimiter)
    try:
        header = _header(records, delimiter, label)
        chunks, numbers = _rows(records, len(header), label, max_rows)
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            raise SourceError(f"{label} looks cut off: the quoted field that starts on line "
                              f"{records.start_line} is never closed; export or upload the complete file "
                              "again") from None
        raise SourceError(f"{label}: malformed quoting on line {records.start_line} ({error}); quote whole "
                          'fields and double the quotes inside them ("")') from None
    if not numbers:
        raise SourceError(f"{label} has a header but no data rows")
    frame = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
    frame.columns = header
    frame.index = pd.Index(numbers, name="row_number")
    return frame
