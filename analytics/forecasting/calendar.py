"""The calendar of events every demand model can use: promotions, public holidays, commercial days and one-offs.

Four sources, one frame (``event_calendar``), one row per event and day:

- **Promotions** from the store's promotion calendar, past and planned, with their discount and scope (a
  category, or sitewide). Kind ``promotion``.
- **Public holidays** by country from the maintained ``holidays`` library (``countries``, ISO codes). Kind
  ``holiday``. A public holiday that falls on a commercial day of the same date is left to the commercial day.
- **Commercial days** (``COMMERCIAL_DAYS``): the retail calendar's recurring days that no public-holiday
  table has — Black Friday, Cyber Monday, the Christmas run-up, Easter weekend, … — each with its rule.
  Kind ``commercial``. Analysts extend it with rows of kind ``commercial`` in the store's calendar events
  (the ``calendar`` entity on the Data page, or a file through ``python -m data ingest``): a row's name is the
  event type, so "Singles Day" entered for past and coming years is learned once and used every year.
- **One-off events** an analyst enters ("Store opening", "Outage"), kind ``one_off``, optionally scoped to a
  region or a category and optionally with the lift the analyst expects (``expected_lift``, 0.3 = +30%).

``name`` identifies the event type (the same name every year: "Black Friday"); ``label`` is what a person
reads on a given day ("Black Friday 2025" for a promotion).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from dateutil.easter import easter

__all__ = ["CALENDAR_COLUMNS", "COMMERCIAL_DAYS", "DEFAULT_COUNTRIES", "KINDS", "CommercialDay", "black_friday",
           "commercial_days", "event_calendar", "public_holidays"]

KINDS = ("promotion", "holiday", "commercial", "one_off")
DEFAULT_COUNTRIES = ("US",)
CALENDAR_COLUMNS = ["ds", "name", "label", "kind", "discount", "region", "category", "expected_lift"]


def black_friday(year: int) -> pd.Timestamp:
    """The day after the fourth Thursday of November (US Thanksgiving)."""
    first = pd.Timestamp(year, 11, 1)
    return first + pd.Timedelta(days=(3 - first.weekday()) % 7 + 22)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> pd.Timestamp:
    first = pd.Timestamp(year, month, 1)
    return first + pd.Timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _easter(year: int) -> pd.Timestamp:
    return pd.Timestamp(easter(year))


@dataclass(frozen=True)
class CommercialDay:
    """A recurring retail day: ``days(year)`` gives its dates that year."""

    name: str
    rule: str  # the rule in words, for the docs and the Data page
    days: Callable[[int], list[pd.Timestamp]]


def _span(start: pd.Timestamp, n: int) -> list[pd.Timestamp]:
    return [start + pd.Timedelta(days=k) for k in range(n)]


COMMERCIAL_DAYS: tuple[CommercialDay, ...] = (
    CommercialDay("Black Friday", "the day after the fourth Thursday of November", lambda y: [black_friday(y)]),
    CommercialDay("Cyber Monday", "the Monday after Black Friday",
                  lambda y: [black_friday(y) + pd.Timedelta(days=3)]),
    CommercialDay("Christmas run-up", "1 to 22 December", lambda y: _span(pd.Timestamp(y, 12, 1), 22)),
    CommercialDay("Christmas Eve", "24 December", lambda y: [pd.Timestamp(y, 12, 24)]),
    CommercialDay("Christmas Day", "25 December", lambda y: [pd.Timestamp(y, 12, 25)]),
    CommercialDay("Boxing Day", "26 December", lambda y: [pd.Timestamp(y, 12, 26)]),
    CommercialDay("New Year's Eve", "31 December", lambda y: [pd.Timestamp(y, 12, 31)]),
    CommercialDay("New Year's Day", "1 January", lambda y: [pd.Timestamp(y, 1, 1)]),
    CommercialDay("Valentine's Day", "14 February", lambda y: [pd.Timestamp(y, 2, 14)]),
    CommercialDay("Easter weekend", "Good Friday to Easter Monday",
                  lambda y: _span(_easter(y) - pd.Timedelta(days=2), 4)),
    CommercialDay("Mother's Day", "the second Sunday of May", lambda y: [_nth_weekday(y, 5, 6, 2)]),
    CommercialDay("Singles Day", "11 November", lambda y: [pd.Timestamp(y, 11, 11)]),
)


def _frame(rows: Iterable[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=CALENDAR_COLUMNS)
    frame["ds"] = pd.to_datetime(frame["ds"])
    frame["discount"] = pd.to_numeric(frame["discount"]).astype(float)
    frame["expected_lift"] = pd.to_numeric(frame["expected_lift"]).astype(float)
    return frame


def _row(ds, name, label, kind, discount=0.0, region=None, category=None, expected_lift=np.nan) -> dict:
    return {"ds": ds, "name": name, "label": label, "kind": kind, "discount": discount, "region": region,
            "category": category, "expected_lift": expected_lift}


def commercial_days(start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Every ``COMMERCIAL_DAYS`` date from ``start`` to ``end`` (inclusive)."""
    rows = [_row(day, rule.name, rule.name, "commercial") for year in range(start.year, end.year + 1)
            for rule in COMMERCIAL_DAYS for day in rule.days(year) if start <= day <= end]
    return _frame(rows)


def public_holidays(start: pd.Timestamp, end: pd.Timestamp, countries: Iterable[str]) -> pd.DataFrame:
    """Public holidays of ``countries`` (ISO 3166 codes, e.g. ``US``, ``GB``, ``DE``) from the holidays library."""
    import holidays as library

    rows = []
    for country in countries:
        try:
            table = library.country_holidays(str(country).upper(), years=range(start.year, end.year + 1))
        except NotImplementedError as exc:
            raise ValueError(f"holiday country {country!r} is not known to the holidays library; use an ISO "
                             "3166 code such as US, GB, DE or FR.") from exc
        for day, names in sorted(table.items()):
            day = pd.Timestamp(day)
            for name in names.split("; ") if start <= day <= end else ():
                rows.append(_row(day, name, f"{name} ({country.upper()})", "holiday"))
    return _frame(rows).drop_duplicates(["ds", "name"], ignore_index=True)


def _promotion_rows(promotions: pd.DataFrame, start, end) -> list[dict]:
    rows = []
    for promo in promotions.itertuples(index=False):
        first, last = max(pd.Timestamp(promo.start_date), start), min(pd.Timestamp(promo.end_date), end)
        category = promo.category if isinstance(promo.category, str) else None
        name = f"{category} promotion" if category else "Sitewide promotion"
        rows += [_row(day, name, str(promo.name), "promotion", float(promo.discount or 0.0), None, category)
                 for day in pd.date_range(first, last, freq="D")]
    return rows


def _store_rows(events: pd.DataFrame, start, end) -> list[dict]:
    rows = []
    for event in events.itertuples(index=False):
        first, last = max(pd.Timestamp(event.start_date), start), min(pd.Timestamp(event.end_date), end)
        region = event.region if isinstance(event.region, str) else None
        category = event.category if isinstance(event.category, str) else None
        lift = float(event.expected_lift) if pd.notna(event.expected_lift) else np.nan
        rows += [_row(day, str(event.name), str(event.name), str(event.kind), 0.0, region, category, lift)
                 for day in pd.date_range(first, last, freq="D")]
    return rows


def event_calendar(start, end, promotions: pd.DataFrame | None = None, events: pd.DataFrame | None = None,
                   countries: Iterable[str] = DEFAULT_COUNTRIES) -> pd.DataFrame:
    """Every event day from ``start`` to ``end``: ``ds, name, label, kind, discount, region, category,
    expected_lift``, sorted by day.

    ``promotions``: the store's promotion calendar (``name, start_date, end_date, discount, category``);
    ``events``: the store's calendar events (``name, kind, start_date, end_date, region, category,
    expected_lift``). A public holiday on the date of a commercial day is dropped (the commercial day is the
    more specific type); an analyst's row with the name of a built-in commercial day replaces the rule's date
    for that year.
    """
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if end < start:
        raise ValueError(f"the calendar ends ({end:%Y-%m-%d}) before it starts ({start:%Y-%m-%d}).")
    stored = _frame(_store_rows(events, start, end)) if events is not None and len(events) else _frame([])
    commercial = commercial_days(start, end)
    if len(stored):  # an analyst's own dates for a built-in day win, in the years they give
        given = set(zip(stored["name"], stored["ds"].dt.year))
        commercial = commercial[[(n, d.year) not in given for n, d in zip(commercial["name"], commercial["ds"])]]
    public = public_holidays(start, end, countries)
    public = public[~public["ds"].isin(commercial["ds"])]
    promos = (_frame(_promotion_rows(promotions, start, end)) if promotions is not None and len(promotions)
              else _frame([]))
    parts = [part for part in (promos, commercial, public, stored) if len(part)]
    if not parts:
        return _frame([])
    return pd.concat(parts, ignore_index=True).sort_values(["ds", "kind", "name"], ignore_index=True)
