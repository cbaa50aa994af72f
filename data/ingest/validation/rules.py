"""The rules behind ``data.ingest.validation``'s pandera schemas: ranges, vocabulary, dates, row invariants.

Each rule is a ``CheckSpec``: a vectorised test (True = passes; nulls are left to the
required-column check) and a message built from the failing values, so every quarantine reason
names the column, the value, the bound and the fix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from data import vocabulary

__all__ = ["CheckSpec", "DateBounds", "VOCABULARY", "column_checks", "row_checks", "shown"]

VOCABULARY: dict[str, tuple[str, ...]] = {
    "region": vocabulary.REGIONS,
    "segment": vocabulary.SEGMENTS,
    "channel": vocabulary.CHANNELS,
    "category": vocabulary.CATEGORIES,
    "plan": vocabulary.PLANS,
}

# Vocabulary that only one entity's column uses.
_ENTITY_VOCABULARY: dict[tuple[str, str], tuple[str, ...]] = {("calendar", "kind"): vocabulary.EVENT_KINDS}
# Columns that may be empty, where empty means "all of them" (say so when the value is unknown).
_EMPTY_MEANS_ALL = {("calendar", "region"), ("calendar", "category"), ("promotions", "category")}
# Longest text the store keeps (data.schema) where no vocabulary bounds it already.
_MAX_LENGTH: dict[tuple[str, str], int] = {("calendar", "name"): 120, ("calendar", "note"): 500,
                                           ("promotions", "name"): 120}
# Dates that may lie ahead (up to DateBounds.planned_latest): a product can be listed before it launches;
# calendar events and promotions are planned. Every other date records something that happened.
_FUTURE_ALLOWED = {("products", "launch_date"), ("calendar", "start_date"), ("calendar", "end_date"),
                   ("promotions", "start_date"), ("promotions", "end_date")}


@dataclass(frozen=True)
class DateBounds:
    """The plausible dates: none before ``earliest``; a record of the past not after ``latest`` (today plus
    the tolerance); a planned date not after ``planned_latest`` (``planned_days`` after today)."""

    earliest: pd.Timestamp
    latest: pd.Timestamp
    planned_latest: pd.Timestamp
    planned_days: int


@dataclass(frozen=True)
class CheckSpec:
    """One rule: ``kind`` (recorded in quality_checks), the column(s) it reads, test and message."""

    kind: str
    column_label: str | None
    test: Callable[[pd.Series | pd.DataFrame], pd.Series]
    explain: Callable[[dict[str, object]], str]

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.column_label}"

    def message(self, values: dict[str, object]) -> str:
        return self.explain(values)


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class _Range:
    low: float | None
    high: float | None = None  # exclusive unless high_inclusive
    high_inclusive: bool = False
    why: str = ""
    low_inclusive: bool = True

    def text(self) -> str:
        parts = [f"{'>=' if self.low_inclusive else '>'} {_number(self.low)}"] if self.low is not None else []
        if self.high is not None:
            parts.append(f"{'<=' if self.high_inclusive else '<'} {_number(self.high)}")
        return " and ".join(parts)

    def test(self, values: pd.Series) -> pd.Series:
        passes = pd.Series(True, index=values.index)
        if self.low is not None:
            passes &= (values >= self.low) if self.low_inclusive else (values > self.low)
        if self.high is not None:
            passes &= (values <= self.high) if self.high_inclusive else (values < self.high)
        return passes.astype(bool)


def _ranges(entity: str, max_price: float) -> dict[str, _Range]:
    price = _Range(0, max_price, why="prices are never negative; larger values are usually a unit or decimal "
                                     "separator mix-up")
    count = _Range(0, why="counts are never negative")
    return {
        "orders": {
            "quantity": _Range(1, why="a line sells at least one unit; book returns separately, not as "
                                      "negative quantities"),
            "unit_price": price,
            "discount": _Range(0, 1, why="a discount is a fraction of the line's value (0.2 = 20 % off)"),
            "line_number": _Range(1, why="lines are numbered from 1"),
        },
        "products": {"list_price": price, "unit_cost": price},
        "marketing": {"spend": _Range(0, why="spend is never negative; book refunds separately"),
                      "impressions": count, "clicks": count, "conversions": count},
        "tickets": {"satisfaction": _Range(1, 5, high_inclusive=True, why="satisfaction is a 1-5 survey score")},
        "calendar": {"expected_lift": _Range(-1, 20, high_inclusive=True, low_inclusive=False, why=(
            "it is a relative lift (0.3 = +30 %, -0.5 = half the usual sales): sales cannot fall by 100 % or "
            "more, and a value above 20 is usually a percentage written as a whole number (write 30 % as 0.3)"))},
        "promotions": {"discount": _Range(0, 0.95, high_inclusive=True, why="a discount is a fraction of the "
                                          "price (0.2 = 20 % off); write 20 % as 0.2")},
    }.get(entity, {})


def shown(value: object) -> str:
    """A value as messages show it: dates as ISO, text quoted."""
    if isinstance(value, pd.Timestamp):
        has_time = (value.hour, value.minute, value.second) != (0, 0, 0)
        return value.isoformat() if has_time else value.date().isoformat()
    return repr(value) if isinstance(value, str) else str(value)


def _range_check(column: str, bounds: _Range) -> CheckSpec:
    return CheckSpec(
        "range", column, bounds.test,
        lambda values: f"`{column}` = {shown(values[column])} is out of range: it must be {bounds.text()}; "
                       f"{bounds.why}",
    )


def _vocabulary_check(column: str, valid: tuple[str, ...], empty_means_all: bool = False) -> CheckSpec:
    hint = f", or leave it empty for every {column}" if empty_means_all else ""
    return CheckSpec(
        "vocabulary", column, lambda values: values.isin(valid),
        lambda values: f"`{column}` = {shown(values[column])} is not a known {column}; valid values are "
                       f"{', '.join(valid)}{hint}",
    )


def _length_check(column: str, longest: int) -> CheckSpec:
    return CheckSpec(
        "length", column, lambda values: values.astype(str).str.len() <= longest,
        lambda values: f"`{column}` is {len(str(values[column])):,} characters long (starts "
                       f"{shown(str(values[column])[:40])}); the store keeps at most {longest:,}, shorten it",
    )


def _not_after(bound: pd.Timestamp, dtype: str) -> Callable[[pd.Series], pd.Series]:
    # A timestamp passes anywhere on the last allowed day.
    if dtype == "datetime":
        end = bound + pd.Timedelta(days=1)
        return lambda values: values < end
    return lambda values: values <= bound


def _earliest_check(column: str, bounds: DateBounds) -> CheckSpec:
    first = bounds.earliest.date().isoformat()
    return CheckSpec(
        "date_too_early", column, lambda values: values >= bounds.earliest,
        lambda values: f"`{column}` = {shown(values[column])} is before the earliest accepted date {first} "
                       f"(FORESIGHT_EARLIEST_DATE); fix the date (1900-01-01 and 1970-01-01 usually stand for "
                       f"an unknown date), or set FORESIGHT_EARLIEST_DATE earlier if the records really go back "
                       f"that far",
    )


def _future_check(column: str, dtype: str, bounds: DateBounds) -> CheckSpec:
    return CheckSpec(
        "not_future", column, _not_after(bounds.latest, dtype),
        lambda values: f"`{column}` = {shown(values[column])} is in the future (the latest accepted date is "
                       f"{bounds.latest.date().isoformat()}, today plus the tolerance); `{column}` records "
                       "something that happened: fix the date or the source's clock",
    )


def _planned_check(column: str, dtype: str, bounds: DateBounds) -> CheckSpec:
    last = bounds.planned_latest.date().isoformat()
    return CheckSpec(
        "date_too_far_ahead", column, _not_after(bounds.planned_latest, dtype),
        lambda values: f"`{column}` = {shown(values[column])} is too far ahead: planned dates may lie up to "
                       f"{bounds.planned_days:,} days ahead (until {last}, FORESIGHT_FUTURE_DAYS); fix the date, "
                       "or raise FORESIGHT_FUTURE_DAYS to plan further ahead",
    )


def _date_checks(entity: str, column: str, dtype: str, bounds: DateBounds) -> list[CheckSpec]:
    """Every date column: not before the earliest date, and not after today (a record) or the horizon (a plan)."""
    ahead = _planned_check if (entity, column) in _FUTURE_ALLOWED else _future_check
    return [_earliest_check(column, bounds), ahead(column, dtype, bounds)]


def _email_check() -> CheckSpec:
    return CheckSpec(
        "format", "email", lambda values: values.astype(str).str.contains("@", regex=False),
        lambda values: f"`email` = {shown(values['email'])} is not an e-mail address (no '@')",
    )


def column_checks(entity: str, column: str, dtype: str, dates: DateBounds, max_price: float) -> list[CheckSpec]:
    """The rules for one canonical column of ``entity``."""
    checks = []
    valid = _ENTITY_VOCABULARY.get((entity, column), VOCABULARY.get(column))
    if valid is not None:
        checks.append(_vocabulary_check(column, valid, (entity, column) in _EMPTY_MEANS_ALL))
    if (entity, column) in _MAX_LENGTH:
        checks.append(_length_check(column, _MAX_LENGTH[(entity, column)]))
    if column in _ranges(entity, max_price):
        checks.append(_range_check(column, _ranges(entity, max_price)[column]))
    if dtype in ("date", "datetime"):
        checks += _date_checks(entity, column, dtype, dates)
    if entity == "customers" and column == "email":
        checks.append(_email_check())
    return checks


def _not_greater(low: str, high: str, relation: str, why: str) -> CheckSpec:
    """Row rule ``low <= high``; rows where either side is missing pass."""

    def test(frame: pd.DataFrame) -> pd.Series:
        if low not in frame.columns or high not in frame.columns:
            return pd.Series(True, index=frame.index)
        return (frame[low] <= frame[high]) | frame[low].isna() | frame[high].isna()

    return CheckSpec(
        "row_order", f"{low},{high}", test,
        lambda values: f"`{low}` = {shown(values.get(low))} {relation} `{high}` = {shown(values.get(high))}; {why}",
    )


def row_checks(entity: str, present: list[str]) -> list[CheckSpec]:
    """Rules that compare columns of the same row, for the columns the batch has."""
    checks = {
        "customers": [_not_greater("signup_date", "cancel_date", "is after", "a customer cancels on or after signing up")],
        "marketing": [_not_greater("clicks", "impressions", "exceeds", "clicks cannot exceed impressions"),
                      _not_greater("conversions", "clicks", "exceeds", "conversions cannot exceed clicks")],
        "tickets": [_not_greater("opened_date", "resolved_date", "is after", "a ticket is resolved on or after it is opened")],
        "calendar": [_not_greater("start_date", "end_date", "is after", "an event ends on or after the day it "
                                  "starts (leave end_date empty for a one-day event)")],
        "promotions": [_not_greater("start_date", "end_date", "is after", "a promotion ends on or after the day "
                                    "it starts")],
    }.get(entity, [])
    return [check for check in checks if set(check.column_label.split(",")) <= set(present)]
