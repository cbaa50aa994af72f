"""Delimited text (CSV, TSV) to a raw frame of strings, with the structure checked row by row.

Python's csv module parses, so every record's field count and first line are known: a row with
too few or too many fields, or a quote that is never closed, is named by its line instead of
being padded or dropped. Every value stays text; blank lines are skipped but still counted, so
data row *n* is spreadsheet row *n + 1*.
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd

from data.ingest.contract import SourceError, size_text
from data.ingest.mapping import text_codec

__all__ = ["choose", "decode_text", "parse_delimited"]

_OTHER_DELIMITERS = (";", "\t", "|", ",")
_CHUNK_ROWS = 200_000


def choose(encoding: str) -> str:
    """Where to set an encoding: the Data page's choice or a mapping file."""
    return f'choose the encoding "{encoding}" (Encoding on the Data page, or [csv] encoding = "{encoding}" in a mapping)'


# Tried in order when a file does not decode as told; cp1252 first: it is what Windows (and Excel there) writes,
# and where it decodes, latin-1 gives the same letters or control characters (0x80-0x9f).
_FALLBACKS = {"cp1252": "cp1252 (Windows Western European, the usual encoding of files saved on Windows)",
              "latin-1": "latin-1 (ISO 8859-1)"}
_C1 = re.compile("[\x80-\x9f]")  # control characters no text file holds; latin-1's reading of cp1252's € etc.
_REAL = "choose the file's real encoding (Encoding on the Data page, or [csv] encoding in a mapping)"


def _clean_fallback(data: bytes, at: int) -> str:
    """What the byte at ``at`` reads as in the first encoding that decodes ``data`` without control characters."""
    for candidate, name in _FALLBACKS.items():
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        if not _C1.search(text):
            return f"it reads as {text[at]!r} in {name}: {choose(candidate)}"
    return _REAL


def _utf8_word(data: bytes, encoding: str) -> str | None:
    """For non-ASCII UTF-8 ``data`` read as another encoding: the first such word as that encoding reads it."""
    if data.isascii():
        return None
    try:
        text = data.decode("utf-8")  # a byte-order mark counts: cp1252 reads it as 'ï»¿'
    except UnicodeDecodeError:
        return None
    at = next(index for index, char in enumerate(text) if not char.isascii())
    word = re.search(r"[^\s,;|\"']*$", text[:at]).group() + re.match(r"[^\s,;|\"']*", text[at:]).group()
    return word.encode("utf-8").decode(encoding, errors="replace")


def decode_text(data: bytes, encoding: str, label: str) -> str:
    """``data`` as text in ``encoding``; a wrong encoding is named with the byte, its offset, its line and the
    encoding that does read it (cp1252, the usual Windows case, before latin-1)."""
    codec = text_codec(encoding, f"the encoding {encoding!r}")
    unicode = codec.startswith(("utf-8", "utf-16", "utf-32"))
    wrong = None if unicode else _utf8_word(data, codec)
    if wrong is not None:
        raise SourceError(f"{label} is UTF-8 text (it decodes as UTF-8, where {encoding} would read {wrong!r}): "
                          f"{choose('utf-8')}")
    try:
        text = data.decode("utf-8-sig" if codec == "utf-8" else codec)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start : error.start + 1].hex()
        raise SourceError(f"{label} is not valid {encoding} text: byte 0x{byte} at offset {error.start} (line {line}) "
                          f"cannot be decoded; {_clean_fallback(data, error.start)}") from None
    control = _C1.search(text) if not unicode and len(text) == len(data) else None
    if control:
        at = control.start()
        line = data.count(b"\n", 0, at) + 1
        raise SourceError(f"{label} read as {encoding} holds the control character U+{ord(control.group()):04X} "
                          f"(byte 0x{data[at]:02x}, line {line}), which text files do not "
                          f"hold; {_clean_fallback(data, at)}")
    return text


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
        self.text, self.delimiter = text, delimiter
        self.reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        self.start_line = 1
        self.count = 0  # records read, blank ones included
        self.header: list[str] | None = None
        self.header_count = 0

    def __iter__(self):
        while True:
            self.start_line = self.reader.line_num + 1
            record = next(self.reader, None)
            if record is None:
                return
            self.count += 1
            yield record

    def too_long(self, label: str) -> SourceError:
        """The record being read holds a cell over csv's field limit: name its row, line and column."""
        limit = csv.field_size_limit()  # read, never set: the limit is process-wide
        lines = io.StringIO(self.text, newline="")
        start = sum(len(next(lines)) for _ in range(self.start_line - 1))
        field = _long_field(self.text, start, self.delimiter, limit)
        if self.header is None:
            where = f"header cell {field + 1} (line {self.start_line})"
        else:
            column = self.header[field] if field < len(self.header) else f"field {field + 1}"
            where = f"cell in row {self.count + 1 - self.header_count} (line {self.start_line}), column {column!r}"
        return SourceError(f"{label}: the {where} is longer than {limit:,} characters ({size_text(limit)}), the most "
                           "one cell may hold; shorten it or leave it out (a cell that long is usually a quote that "
                           "was never closed)")


def _long_field(text: str, start: int, delimiter: str, limit: int) -> int:
    """The 0-based field of the record at ``start`` that first grows past ``limit`` characters (csv's rules)."""
    field, length, quoted, at = 0, 0, False, start
    while at < len(text) and length <= limit:
        char = text[at]
        if quoted and char == '"' and text[at + 1 : at + 2] == '"':
            at += 1
            length += 1
        elif char == '"' and (quoted or length == 0):
            quoted = not quoted
        elif not quoted and char == delimiter:
            field, length = field + 1, 0
        elif not quoted and char in "\r\n":
            break
        else:
            length += 1
        at += 1
    return field


def _header(records: _Records, delimiter: str, label: str) -> list[str]:
    for record in records:
        if record:
            _delimiter_hint(record, delimiter, label)
            records.header, records.header_count = record, records.count
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
        if "field larger than field limit" in str(error):
            raise records.too_long(label) from None
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
