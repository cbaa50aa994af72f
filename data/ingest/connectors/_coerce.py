"""Explicit type coercion of one raw column to its canonical type, cell by cell, never guessing.

Text is read by the column's :class:`~data.ingest.mapping.ColumnRule` (ISO dates and plain numbers
unless the mapping says otherwise). Values that a typed source (Parquet, Excel, SQL) already
delivers as numbers or dates are taken as they are when they fit. A cell that does not fit
becomes missing and gets a reason; empty and whitespace-only cells are simply missing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from data.ingest.mapping import ColumnRule

__all__ = ["Coerced", "coerce_column", "TARGET_DTYPES"]

TARGET_DTYPES = {"int": "Int64", "float": "float64", "str": object, "date": "datetime64[ns]", "datetime": "datetime64[ns]"}
_MAX_WHOLE = 2**53  # beyond this a float no longer holds every whole number exactly
_ISO_DATE = r"\d{4}-\d{2}-\d{2}"
_OFFSET = r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"
# The whole days a datetime64[ns] column (and so the store's frames) can hold: 1677-09-22 .. 2262-04-11.
_FIRST_DAY = pd.Timestamp.min.ceil("D").date()
_LAST_DAY = pd.Timestamp.max.floor("D").date()


@dataclass(frozen=True)
class Coerced:
    """A coerced column and, aligned with it, the reason each failed cell failed (else None)."""

    values: pd.Series
    reasons: pd.Series


def coerce_column(values: pd.Series, dtype: str, rule: ColumnRule, column: str) -> Coerced:
    """``values`` converted to ``dtype`` ("int", "float", "str", "date", "datetime")."""
    out = pd.Series(pd.NA if dtype == "int" else None, index=values.index, dtype=TARGET_DTYPES[dtype])
    reasons = pd.Series(None, index=values.index, dtype=object)
    is_text = _text_cells(values)
    texts = values.where(is_text, "").str.strip() if is_text.any() else pd.Series("", index=values.index)
    present = values.notna() & ~(is_text & texts.eq(""))
    text_cells, typed_cells = present & is_text, present & ~is_text
    if text_cells.any():
        out[text_cells], reasons[text_cells] = _parse_text(
            texts[text_cells], values[text_cells], dtype, rule, column)
    if typed_cells.any():
        out[typed_cells], reasons[typed_cells] = _parse_typed(values[typed_cells], dtype)
    return Coerced(out, reasons)


def _text_cells(values: pd.Series) -> pd.Series:
    if values.dtype != object:
        return pd.Series(False, index=values.index)
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        return pd.Series(True, index=values.index)
    return values.map(type).eq(str)


# --- text ------------------------------------------------------------------


def _parse_text(texts: pd.Series, original: pd.Series, dtype: str, rule: ColumnRule,
                column: str) -> tuple[pd.Series, pd.Series]:
    """``texts`` are the stripped cells, ``original`` the cells as written (kept for text columns)."""
    if dtype == "str":
        return original, pd.Series(None, index=texts.index, dtype=object)
    if dtype in ("int", "float"):
        return _text_numbers(texts, rule, column, whole=dtype == "int")
    return _text_dates(texts, rule, column, with_time=dtype == "datetime")


def _number_pattern(rule: ColumnRule) -> str:
    decimal = re.escape(rule.decimal)
    digits = rf"(?:\d{{1,3}}(?:{re.escape(rule.thousands)}\d{{3}})+|\d+)" if rule.thousands else r"\d+"
    currency = "|".join(re.escape(symbol) for symbol in rule.currency)
    symbol = rf"(?:{currency})?" if currency else ""
    number = rf"(?:{digits}(?:{decimal}\d*)?|{decimal}\d+)"
    return rf"^(?P<sign>[+-]?)\s*{symbol}\s*(?P<sign2>[+-]?)(?P<number>{number})\s*{symbol}$"


def _rule_text(rule: ColumnRule) -> str:
    parts = [f"decimal {rule.decimal!r}"]
    if rule.thousands:
        parts.append(f"thousands {rule.thousands!r}")
    if rule.currency:
        parts.append(f"currency {' or '.join(map(repr, rule.currency))}")
    return ", ".join(parts)


def _text_numbers(texts: pd.Series, rule: ColumnRule, column: str, *, whole: bool) -> tuple[pd.Series, pd.Series]:
    if rule.plain_number:
        numbers = pd.to_numeric(texts, errors="coerce")
        unreadable = numbers.isna() | np.isinf(numbers)
        reason = (f"not a plain number like {'1234' if whole else '1234.5'}; for other formats set decimal, "
                  f"thousands or currency under [types.{column}] in the mapping")
    else:
        parts = texts.str.extract(_number_pattern(rule))
        both_signs = parts["sign"].fillna("").ne("") & parts["sign2"].fillna("").ne("")
        digits = parts["number"]
        if rule.thousands:
            digits = digits.str.replace(rule.thousands, "", regex=False)
        digits = digits.str.replace(rule.decimal, ".", regex=False)
        numbers = pd.to_numeric(parts["sign"] + parts["sign2"] + digits, errors="coerce").where(~both_signs)
        unreadable = numbers.isna()
        reason = f"not a number in the mapping's format ({_rule_text(rule)})"
    return _finish_numbers(numbers.astype("float64"), unreadable, reason, whole)


def _finish_numbers(numbers: pd.Series, unreadable: pd.Series, reason: str, whole: bool) -> tuple[pd.Series, pd.Series]:
    reasons = pd.Series(np.where(unreadable, reason, None), index=numbers.index, dtype=object)
    if whole:
        fractional = ~unreadable & (numbers % 1 != 0)
        too_large = ~unreadable & (numbers.abs() >= _MAX_WHOLE)
        reasons[fractional] = "not a whole number"
        reasons[too_large] = "too large for a whole number"
        numbers = numbers.where(reasons.isna()).astype("Int64")
    return numbers.where(reasons.isna()), reasons


def _text_dates(texts: pd.Series, rule: ColumnRule, column: str, *, with_time: bool) -> tuple[pd.Series, pd.Series]:
    hint = f"; set [types.{column}] format in the mapping for other formats"
    if rule.format is not None:
        stamps = pd.to_datetime(texts, format=rule.format, errors="coerce", utc=with_time)
        reason = f"not a {'date-time' if with_time else 'date'} in format {rule.format}"
    elif with_time:
        stamps = _iso_datetimes(texts)
        reason = "not an ISO 8601 date-time like 2024-01-31T09:30:00" + hint
    else:
        stamps = pd.to_datetime(texts.where(texts.str.fullmatch(_ISO_DATE)), format="%Y-%m-%d", errors="coerce")
        reason = "not an ISO date like 2024-01-31" + hint
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    reasons = pd.Series(np.where(stamps.isna(), reason, None), index=texts.index, dtype=object)
    reasons.update(_implausible_texts(texts[stamps.isna()], rule.format, with_time))
    if not with_time:
        timed = stamps.notna() & stamps.ne(stamps.dt.normalize())
        reasons[timed] = "has a time of day; this column takes dates only"
    return stamps.where(reasons.isna()), reasons


def implausible(day: dt.date) -> str:
    """Why a real calendar date outside what the store can hold is refused (not "not a date": it is one)."""
    side = f"after {_LAST_DAY.isoformat()}" if day > _LAST_DAY else f"before {_FIRST_DAY.isoformat()}"
    return (f"an implausible date: {day.isoformat()} is a real date but lies {side}, outside the dates the store can "
            "hold (the accepted range, from FORESIGHT_EARLIEST_DATE to tomorrow or to the planning horizon, is "
            "narrower still); fix the date, or leave the cell empty where it stands for no date (9999-12-31 often "
            "means 'never')")


def _real_date(text: str, fmt: str | None, with_time: bool) -> dt.date | None:
    try:
        if fmt is not None:
            return dt.datetime.strptime(text, fmt).date()
        if with_time:
            return dt.datetime.fromisoformat(text).date()
        return dt.date.fromisoformat(text) if re.fullmatch(_ISO_DATE, text) else None
    except ValueError:
        return None


def _implausible_texts(texts: pd.Series, fmt: str | None, with_time: bool) -> pd.Series:
    """For unparsed cells that are real dates beyond the storable years (e.g. 9999-12-31): that reason."""
    years = pd.to_numeric(texts.str.extract(r"(\d{4})", expand=False), errors="coerce")
    candidates = texts[(years < _FIRST_DAY.year + 1) | (years > _LAST_DAY.year - 1)]
    days = candidates.map(lambda text: _real_date(text, fmt, with_time))
    days = days[days.notna() & ((days < _FIRST_DAY) | (days > _LAST_DAY))] if len(days) else days
    return days.map(implausible).astype(object)


def _iso_datetimes(texts: pd.Series) -> pd.Series:
    """ISO 8601 text to naive UTC. Values with and without an offset are parsed apart: in one call
    pandas 2.3 applies an earlier value's offset to later values that have none."""
    aware = texts.str.contains(_OFFSET, regex=True)
    stamps = pd.Series(pd.NaT, index=texts.index, dtype="datetime64[ns]")
    if aware.any():
        parsed = pd.to_datetime(texts[aware], format="ISO8601", errors="coerce", utc=True)
        stamps[aware] = parsed.dt.tz_localize(None)
    if (~aware).any():
        stamps[~aware] = pd.to_datetime(texts[~aware], format="ISO8601", errors="coerce")
    return stamps


# --- already typed values (Parquet, Excel, SQL) -------------------------------


def _parse_typed(values: pd.Series, dtype: str) -> tuple[pd.Series, pd.Series]:
    if dtype == "str":
        return values.map(_as_text).astype(object), pd.Series(None, index=values.index, dtype=object)
    if dtype in ("int", "float"):
        return _typed_numbers(values, whole=dtype == "int")
    return _typed_dates(values, with_time=dtype == "datetime")


def _as_text(value) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()
    return str(value)


def _is_number(value) -> bool:
    return isinstance(value, (int, float, Decimal, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _is_moment(value) -> bool:
    return isinstance(value, (dt.date, np.datetime64))


def _kind(value) -> str:
    if _is_moment(value):
        return f"a date ({value})"
    return f"a {type(value).__name__} ({value})"


def _typed_numbers(values: pd.Series, *, whole: bool) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        ok = pd.Series(False, index=values.index)
    else:
        ok = values.map(_is_number).astype(bool)
    numbers = pd.to_numeric(values.where(ok), errors="coerce").astype("float64")
    unreadable = ~ok | np.isinf(numbers)
    numbers, reasons = _finish_numbers(numbers, unreadable, "", whole)
    reasons[~ok] = values[~ok].map(lambda value: f"not a number: {_kind(value)}")
    reasons[ok & unreadable] = "not a finite number"
    return numbers, reasons


def _typed_dates(values: pd.Series, *, with_time: bool) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_datetime64_any_dtype(values):
        ok = pd.Series(True, index=values.index)
    else:
        ok = values.map(_is_moment).astype(bool)
    stamps = pd.to_datetime(values.where(ok), errors="coerce", utc=True).dt.tz_localize(None)
    reasons = pd.Series(None, index=values.index, dtype=object)
    reasons[~ok] = values[~ok].map(lambda value: f"not a date: {_kind(value)}")
    reasons[ok & stamps.isna()] = values[ok & stamps.isna()].map(
        lambda value: implausible(value) if isinstance(value, dt.date) else "a date out of range")
    if not with_time:
        timed = stamps.notna() & stamps.ne(stamps.dt.normalize())
        reasons[timed] = "has a time of day; this column takes dates only"
    return stamps.where(reasons.isna()), reasons
