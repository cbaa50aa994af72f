"""Validating one batch of an entity: pandera schemas, keys within the batch, and references.

``validate`` never drops or repairs a row. It returns the batch with, for every invalid row,
one line of reasons that names the column, the value and the fix; the caller quarantines
those rows and commits the rest. Column rules (types, ranges, vocabulary, dates not in the
future) run as pandera schemas; keys and references need the whole batch or the store, so they
are plain pandas over the ``References`` the caller loaded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from data.ingest.validation.batch import (CheckResult, References, duplicate_keys, order_header_failures,
                                    reference_failures, rows_text)
from data.ingest.validation.rules import CheckSpec, DateBounds, column_checks, row_checks, shown
from data.ingest.contract import ENTITIES, EntitySpec, SourceFrame

__all__ = ["ValidationRules", "References", "CheckResult", "Validation", "batch_problem", "validate", "prepare_frame",
           "empty_cell_rates", "unreadable_values"]

# What a cell that could not be read is not, by the column's type: (one value, several values).
_NOT_READ = {"int": ("is not a whole number", "are not whole numbers"), "float": ("is not a number", "are not numbers"),
             "date": ("is not a usable date", "are not usable dates"),
             "datetime": ("is not a usable date-time", "are not usable date-times")}
_PANDERA_DTYPES = {"int": "Int64", "float": "float64", "str": None, "date": "datetime64[ns]",
                   "datetime": "datetime64[ns]"}


@dataclass(frozen=True)
class ValidationRules:
    """Tunable bounds. ``today`` None means the current date when the batch is validated.

    A date is plausible from ``earliest`` (``FORESIGHT_EARLIEST_DATE``) on; a date that records something
    that happened (an order, a signup) up to today plus ``future_tolerance_days``; a planned date (a
    promotion, a calendar event, a product launch) up to ``planned_days`` (``FORESIGHT_FUTURE_DAYS``) ahead.
    """

    today: dt.date | None = None
    future_tolerance_days: int = 1
    max_price: float = 1_000_000.0
    earliest: dt.date = dt.date(2000, 1, 1)
    planned_days: int = 730

    def latest_allowed(self) -> pd.Timestamp:
        """The last acceptable business date: today plus the tolerance."""
        today = self.today or dt.date.today()
        return pd.Timestamp(today) + pd.Timedelta(days=self.future_tolerance_days)

    def date_bounds(self) -> DateBounds:
        """The plausible dates of every date column, as the column rules apply them."""
        today = pd.Timestamp(self.today or dt.date.today())
        return DateBounds(pd.Timestamp(self.earliest), self.latest_allowed(),
                          today + pd.Timedelta(days=self.planned_days), self.planned_days)


@dataclass(frozen=True)
class Validation:
    """The prepared batch (positions 0..n-1) and the reasons of its invalid rows."""

    frame: pd.DataFrame
    reasons: pd.Series  # position -> "reason | reason", only invalid rows
    checks: tuple[CheckResult, ...]

    @property
    def valid(self) -> pd.DataFrame:
        return self.frame.drop(index=self.reasons.index)


class _Reasons:
    """Reasons collected per row position, in the order the checks found them."""

    def __init__(self) -> None:
        self._by_row: dict[int, list[str]] = {}

    def add(self, position: int, reason: str) -> None:
        self._by_row.setdefault(int(position), []).append(reason)

    def series(self) -> pd.Series:
        items = sorted(self._by_row.items())
        return pd.Series([" | ".join(reasons) for _, reasons in items], index=[p for p, _ in items], dtype=object)


def prepare_frame(spec: EntitySpec, frame: pd.DataFrame) -> pd.DataFrame:
    """The batch on positions 0..n-1 with optional defaults filled, order lines numbered and one-day events ended.

    An absent or empty optional cell with a default takes it (an order line without a discount
    has none); a calendar event without an ``end_date`` ends on its ``start_date``. An order none of whose lines has a ``line_number`` gets 1, 2, ... in order of
    appearance, so the same file always numbers its lines the same way.
    """
    frame = frame.reset_index(drop=True)
    for column, default in spec.defaults.items():
        frame[column] = frame[column].fillna(default) if column in frame.columns else default
    if spec.name == "calendar":  # a one-day event: its end is its start
        ends = frame["end_date"] if "end_date" in frame.columns else pd.Series(pd.NaT, index=frame.index)
        frame["end_date"] = ends.fillna(frame["start_date"])
    if spec.name == "orders":
        given = frame["line_number"] if "line_number" in frame.columns else pd.Series(pd.NA, index=frame.index)
        unnumbered = given.isna().groupby(frame["order_id"], dropna=False).transform("all")
        appearance = frame.groupby("order_id", dropna=False).cumcount() + 1
        frame["line_number"] = given.astype("Int64").where(~unnumbered, appearance)
    return frame


def _coercion_failures(source: SourceFrame, positions: pd.Series, reasons: _Reasons) -> list[CheckResult]:
    """Cells the connector could not read: quarantined with the connector's reason."""
    errors = source.errors
    results = []
    for column in source.spec.columns:
        failed = errors[errors["column"] == column] if len(errors) else errors
        for row_number, value, why in failed[["row_number", "value", "reason"]].itertuples(index=False):
            reasons.add(positions[row_number], f"`{column}` = {shown(value)}: {why}")
        if column in source.frame.columns or len(failed):
            results.append(CheckResult("type", column, len(source.frame), failed["row_number"].nunique()))
    return results


_EMPTY_KEY = {"line_number": "`line_number` is empty while other lines of its order are numbered; number every "
                             "line of an order or none"}


def _needed(spec: EntitySpec, column: str) -> bool:
    """Required columns and key columns may not hold empty cells."""
    return column in spec.required or column in spec.key


def _schema(spec: EntitySpec, present: list[str],
            rules: ValidationRules) -> tuple[pa.DataFrameSchema, dict[str, CheckSpec]]:
    specs: dict[str, CheckSpec] = {}
    columns = {}
    for name in present:
        checks = []
        for check in column_checks(spec.name, name, spec.dtypes[name], rules.date_bounds(), rules.max_price):
            specs[check.name] = check
            checks.append(pa.Check(check.test, name=check.name))
        columns[name] = pa.Column(_PANDERA_DTYPES[spec.dtypes[name]], checks, nullable=not _needed(spec, name),
                                  required=False, coerce=False)
    frame_checks = []
    for check in row_checks(spec.name, present):
        specs[check.name] = check
        frame_checks.append(pa.Check(check.test, name=check.name))
    return pa.DataFrameSchema(columns, checks=frame_checks, strict=False), specs


def _failure_cases(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as error:
        cases = error.failure_cases
        return cases[cases["index"].notna()].astype({"index": "int64"})
    return pd.DataFrame(columns=["column", "check", "failure_case", "index"])


def _schema_failures(spec: EntitySpec, frame: pd.DataFrame, unreadable: set[tuple[int, str]],
                     rules: ValidationRules, reasons: _Reasons) -> list[CheckResult]:
    """Column and row rules; a cell that could not be read is not reported again as empty."""
    present = [name for name in spec.columns if name in frame.columns]
    schema, specs = _schema(spec, present, rules)
    cases = _failure_cases(schema, frame)
    results = []
    for name in present:
        empty = cases[(cases["column"] == name) & (cases["check"] == "not_nullable")]
        readable = [(row, name) not in unreadable for row in empty["index"]]
        empty = empty[pd.Series(readable, index=empty.index, dtype=bool)]
        for row in empty["index"]:
            reasons.add(row, _EMPTY_KEY.get(name, f"`{name}` is empty; it is required for {spec.name}"))
        if _needed(spec, name):
            results.append(CheckResult("required", name, len(frame), empty["index"].nunique()))
    for check_name, check in specs.items():
        failed = cases[cases["check"] == check_name]
        for row, group in failed.groupby("index", sort=True):
            values = dict(zip(group["column"], group["failure_case"]))
            reasons.add(row, check.message(values))
        results.append(CheckResult(check.kind, check.column_label, len(frame), failed["index"].nunique()))
    return results


def batch_problem(source: SourceFrame) -> str | None:
    """Why ``source`` cannot be validated at all (so nothing of it is written), or None."""
    spec = ENTITIES.get(source.entity)
    if spec is None:
        return f"unknown entity {source.entity!r}; use one of {', '.join(ENTITIES)}"
    missing = [column for column in spec.required if column not in source.frame.columns]
    if missing:
        return (f"{source.source_name} is missing required column(s) {', '.join(missing)} for {spec.name}; "
                f"the canonical columns are {', '.join(spec.columns)}")
    if source.frame.empty:
        return f"{source.source_name} has no data rows"
    if len(source.row_numbers) != len(source.frame):
        return f"{source.source_name}: {len(source.row_numbers)} row numbers for {len(source.frame)} rows"
    for column in spec.columns:
        expected = _PANDERA_DTYPES[spec.dtypes[column]]
        if column in source.frame.columns and expected and str(source.frame[column].dtype) != expected:
            return (f"{source.source_name}: column {column} has dtype {source.frame[column].dtype}, expected "
                    f"{expected}; build SourceFrames with data.ingest.connectors (read_source) so values are coerced")
    return None


def validate(source: SourceFrame, references: References | None = None,
             rules: ValidationRules | None = None) -> Validation:
    """Check every row of ``source``; see the module docstring.

    Raises ValueError with ``batch_problem``'s reason when the batch cannot be checked at all.
    """
    problem = batch_problem(source)
    if problem:
        raise ValueError(problem)
    spec = ENTITIES[source.entity]
    references = references or References()
    rules = rules or ValidationRules()
    frame = prepare_frame(spec, source.frame)
    row_numbers = pd.Series(source.row_numbers).reset_index(drop=True).astype("int64")
    positions = pd.Series(row_numbers.index, index=row_numbers.to_numpy())
    reasons = _Reasons()
    checks = _coercion_failures(source, positions, reasons)
    unreadable = {(int(positions[r]), c) for r, c in source.errors[["row_number", "column"]].itertuples(index=False)}
    checks += _schema_failures(spec, frame, unreadable, rules, reasons)
    checks.append(duplicate_keys(spec, frame, row_numbers, reasons.add))
    checks += reference_failures(spec.name, frame, references, reasons.add)
    if spec.name == "orders":
        checks.append(order_header_failures(frame, row_numbers, reasons.add))
    return Validation(frame, reasons.series(), tuple(checks))



def _unreadable_mask(source: SourceFrame) -> pd.DataFrame:
    """True where a cell held a value the connector could not read (missing in ``frame``, but not empty)."""
    mask = pd.DataFrame(False, index=source.frame.index, columns=source.frame.columns)
    positions = pd.Series(range(len(source.frame)), index=list(source.row_numbers))
    for row_number, column in source.errors[["row_number", "column"]].itertuples(index=False):
        if column in mask.columns and row_number in positions.index:
            mask.iat[int(positions[row_number]), mask.columns.get_loc(column)] = True
    return mask


def empty_cell_rates(source: SourceFrame) -> dict[str, float]:
    """Per column, the share of truly empty cells; an unreadable value ("abc" in a number column) is invalid,
    not empty, and is reported by ``unreadable_values`` instead."""
    if source.frame.empty:
        return {column: 0.0 for column in source.frame.columns}
    empty = source.frame.isna() & ~_unreadable_mask(source)
    return {column: round(float(rate), 4) for column, rate in empty.mean().items()}


def unreadable_values(source: SourceFrame) -> tuple[str, ...]:
    """One line per column holding values that could not be read, e.g. "12 values in column `amount` are not
    numbers, rows 4, 9, ... (first: 'n/a', not a number: text); those rows are in quarantine"."""
    lines = []
    for column, group in source.errors.groupby("column", sort=False):
        rows = sorted({int(r) for r in group["row_number"]})
        one, many = _NOT_READ.get(source.spec.dtypes.get(column), ("could not be read", "could not be read"))
        count = len(group)
        first = group.iloc[0]
        lines.append(f"{count:,} {'value' if count == 1 else 'values'} in column `{column}` "
                     f"{one if count == 1 else many}, {'row' if len(rows) == 1 else 'rows'} {rows_text(rows)} "
                     f"(first: {shown(first['value'])}, {first['reason']}); those rows are in quarantine")
    return tuple(lines)
