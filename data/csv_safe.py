"""CSV that is safe to open in a spreadsheet, and reading such a CSV back to the values it came from.

Every CSV the app writes goes through :func:`safe_csv` (the browser's exports use the same rule in
``assets/csv-safe.js``). Following OWASP's CSV-injection guidance:

- a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets one leading
  apostrophe, so Excel, LibreOffice and Google Sheets show it as text instead of running it as a formula.
  Plain negative numbers (``-5``, ``-2.5``, ``-1e3``) are left alone: they cannot run anything and must
  stay numbers. Numeric columns are never touched;
- a cell that already starts with apostrophes followed by one of those characters (``'=x``, typed by
  someone) gets one more, so the rule can be undone exactly;
- every cell holding a comma, a double quote, a carriage return or a line feed is quoted (Python 3.11's
  csv module leaves a lone carriage return unquoted when lines end with ``\\n``, which split rows).

:func:`restore` undoes exactly that: it removes one apostrophe from a cell made of apostrophes followed
by a trigger character, and nothing else. A leading apostrophe followed by anything else (``'quoted``,
``O'Brien``) is the user's own and survives a round trip. Re-submitting a downloaded quarantine file
(``data.ingest.resubmit``) restores its cells this way, so the file goes back in unedited.
"""
from __future__ import annotations

import csv
import io
import re

import pandas as pd

__all__ = ["TRIGGERS", "csv_cell", "neutralise", "restore", "restore_frame", "safe_csv"]

TRIGGERS = "=+-@\t\r"
_NEEDS_APOSTROPHE = re.compile(r"'*[=+\-@\t\r]")
_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")
_NEGATIVE_NUMBER = re.compile(r"-(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def neutralise(value: str) -> str:
    """``value`` with an apostrophe in front when a spreadsheet would read it as a formula (see module)."""
    if _NEEDS_APOSTROPHE.match(value) and not _NEGATIVE_NUMBER.fullmatch(value):
        return "'" + value
    return value


def restore(value: str) -> str:
    """The value :func:`neutralise` was given: one apostrophe fewer before a trigger character, else as is."""
    return value[1:] if _NEUTRALISED.match(value) else value


def csv_cell(text: str) -> str:
    """``text`` as one CSV field: quoted (quotes doubled) when it holds a comma, quote, CR or LF."""
    return '"' + text.replace('"', '""') + '"' if _NEEDS_QUOTES.search(text) else text


def _is_number_column(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype)


def safe_csv(frame: pd.DataFrame, *, float_format: str | None = None) -> str:
    """``frame`` (no index) as CSV text that is safe to open in a spreadsheet; lines end with ``\\n``.

    pandas renders the values (its number and date formats, missing values as empty cells); then
    every text cell is neutralised and every cell quoted where needed.
    """
    shown = frame.copy()
    shown.columns = [neutralise(str(column)) for column in frame.columns]
    for position in range(shown.shape[1]):
        if not _is_number_column(shown.iloc[:, position]):
            shown.isetitem(position, shown.iloc[:, position].map(
                lambda value: neutralise(value) if isinstance(value, str) else value))
    rendered = shown.to_csv(index=False, quoting=csv.QUOTE_ALL, lineterminator="\n", na_rep="",
                            float_format=float_format)
    records = csv.reader(io.StringIO(rendered, newline=""))  # every field quoted: read back exactly
    return "".join(",".join(csv_cell(field) for field in record) + "\n" for record in records)


def restore_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` (a downloaded CSV read as text) with every header and text cell restored."""
    restored = frame.rename(columns=lambda column: restore(column) if isinstance(column, str) else column)
    return restored.apply(lambda column: column.map(lambda v: restore(v) if isinstance(v, str) else v))
