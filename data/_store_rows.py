"""Turning frames into driver-ready rows: validation against a table and fast type conversion.

Private to ``data.store``. Conversion works column by column on numpy arrays, so millions of
rows cost seconds, and produces exactly what SQLAlchemy itself would bind (ISO text for dates
on SQLite, ``datetime.date`` objects elsewhere).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import Column, Date, DateTime, Float, Integer, Table
from sqlalchemy.engine import Dialect

_SQLITE_FORMATS = {Date: "%Y-%m-%d", DateTime: "%Y-%m-%d %H:%M:%S.%f"}
_SHOWN_ROWS = 8


def _rows_hint(mask: np.ndarray) -> str:
    rows = np.flatnonzero(mask)
    shown = ", ".join(str(row) for row in rows[:_SHOWN_ROWS])
    return f"{rows.size} row(s) at positions {shown}{', ...' if rows.size > _SHOWN_ROWS else ''}"


def prepare_frame(table: Table, frame: pd.DataFrame, *, source: str, updated_at: dt.datetime) -> pd.DataFrame:
    """Check ``frame`` against ``table`` and fill missing provenance columns; raises ValueError."""
    unknown = sorted(set(frame.columns) - set(table.c.keys()))
    if unknown:
        raise ValueError(
            f"table `{table.name}`: unknown column(s) {unknown}; valid columns are "
            f"{list(table.c.keys())} — rename or drop the others"
        )
    frame = frame.reset_index(drop=True)
    if "source" not in frame.columns:
        frame = frame.assign(source=source)
    if "updated_at" not in frame.columns:
        frame = frame.assign(updated_at=updated_at)
    required = [column.name for column in table.columns if not column.nullable]
    missing = [name for name in required if name not in frame.columns]
    if missing and not frame.empty:
        raise ValueError(f"table `{table.name}`: required column(s) {missing} are missing")
    for name in required:
        if name in frame.columns:
            nulls = frame[name].isna().to_numpy()
            if nulls.any():
                raise ValueError(
                    f"table `{table.name}`: column `{name}` is null in {_rows_hint(nulls)}; "
                    "it is NOT NULL — fill or drop those rows first"
                )
    return frame


def insert_sql(table: Table, names: list[str], dialect: Dialect) -> str:
    """A positional INSERT statement in the driver's own parameter style."""
    quote = dialect.identifier_preparer.quote
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    columns = ", ".join(quote(name) for name in names)
    values = ", ".join(marker for _ in names)
    return f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({values})"


def _temporal_values(series: pd.Series, column: Column, dialect_name: str) -> list:
    values = pd.to_datetime(series)
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    codes, uniques = pd.factorize(values)
    uniques = pd.DatetimeIndex(uniques)
    is_datetime = isinstance(column.type, DateTime)
    if dialect_name == "sqlite":
        converted = list(uniques.strftime(_SQLITE_FORMATS[DateTime if is_datetime else Date]))
    elif is_datetime:
        converted = list(uniques.to_pydatetime())
    else:
        converted = [stamp.date() for stamp in uniques]
    lookup = np.array(converted + [None], dtype=object)
    return lookup[codes].tolist()


def _integer_values(series: pd.Series, column: Column) -> list:
    numeric = pd.to_numeric(series)
    nulls = numeric.isna().to_numpy()
    filled = numeric.to_numpy(dtype=np.float64, na_value=0.0) if nulls.any() else numeric.to_numpy()
    as_int = filled.astype(np.int64)
    fractional = (as_int != filled) & ~nulls
    if fractional.any():
        raise ValueError(
            f"column `{column.table.name}.{column.name}` must hold whole numbers; "
            f"{_rows_hint(fractional)} have a fractional part"
        )
    if not nulls.any():
        return as_int.tolist()
    return np.where(nulls, None, as_int.astype(object)).tolist()


def _float_values(series: pd.Series) -> list:
    numeric = pd.to_numeric(series).to_numpy(dtype=np.float64, na_value=np.nan)
    nulls = np.isnan(numeric)
    if not nulls.any():
        return numeric.tolist()
    return np.where(nulls, None, numeric.astype(object)).tolist()


def column_values(series: pd.Series, column: Column, dialect_name: str) -> list:
    """Python values for one column, nulls as None, in the representation the driver expects."""
    if isinstance(column.type, (Date, DateTime)):
        return _temporal_values(series, column, dialect_name)
    if isinstance(column.type, Integer):
        return _integer_values(series, column)
    if isinstance(column.type, Float):
        return _float_values(series)
    return series.astype(object).where(series.notna(), None).tolist()


def chunk_rows(chunk: pd.DataFrame, columns: list[Column], dialect_name: str) -> list[tuple]:
    """Row tuples for ``chunk`` in the order of ``columns``."""
    values = [column_values(chunk[column.name], column, dialect_name) for column in columns]
    return list(zip(*values))
