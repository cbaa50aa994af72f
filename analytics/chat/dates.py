"""Periods and horizons in words, relative to ``today`` (the store's last complete day).

``find_period(text, today)`` -> ``{"start", "end"}`` ISO dates (both included) or None; periods that reach past
``today`` end at ``today`` (March of this year asked in mid-March ends today). ``find_horizon(text)`` -> days ahead.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re

from analytics.chat.lexicon import NUMBER_WORDS

__all__ = ["find_period", "find_horizon", "find_duration_days", "MONTHS"]

MONTHS: dict[str, int] = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
_MONTH = r"(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")"
_NUM = r"(\d+|" + "|".join(sorted((w for w in NUMBER_WORDS if " " not in w), key=len, reverse=True)) + r")"
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "quarter": 90, "year": 365}
_ISO = r"(\d{4}-\d{2}-\d{2})"


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def _span(start: dt.date, end: dt.date, today: dt.date) -> dict[str, str]:
    if start <= today < end:
        end = today
    return {"start": start.isoformat(), "end": end.isoformat()}


def _month(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _quarter(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, 3 * quarter - 2, 1)
    return start, _month(year, 3 * quarter)[1]


def _recent(make, index: int, today: dt.date, year: str | None) -> tuple[dt.date, dt.date]:
    """The month/quarter ``index`` of the given year, else the most recent one that started by ``today``."""
    if year:
        return make(int(year), index)
    start, end = make(today.year, index)
    return (start, end) if start <= today else make(today.year - 1, index)


def _relative(text: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """"last N days/weeks/months", "last week/month/quarter/year", "this ...", "yesterday", "year to date"."""
    match = re.search(rf"\b(last|past|previous|trailing|the last|over the last) {_NUM} (day|week|month)s?\b", text)
    if match:
        n, unit = _number(match.group(2)), match.group(3)
        days = n * _UNIT_DAYS[unit] if unit != "month" else (today - _months_back(today, n)).days
        return today - dt.timedelta(days=days - 1), today
    if re.search(r"\byesterday\b", text):
        return today - dt.timedelta(days=1), today - dt.timedelta(days=1)
    if re.search(r"\btoday\b", text):
        return today, today
    if re.search(r"\b(year to date|ytd|this year|so far this year)\b", text):
        return dt.date(today.year, 1, 1), today
    quarter_start = _quarter(today.year, (today.month - 1) // 3 + 1)[0]
    table = {
        "week": (today - dt.timedelta(days=today.weekday() + 7), today - dt.timedelta(days=today.weekday() + 1)),
        "month": _month(*_previous_month(today)),
        "quarter": _quarter(*_previous_quarter(today)),
        "year": (dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)),
    }
    this = {"week": (today - dt.timedelta(days=today.weekday()), today), "month": (today.replace(day=1), today),
            "quarter": (quarter_start, today), "mtd": (today.replace(day=1), today)}
    match = re.search(r"\b(last|previous|past|prior) (week|month|quarter|year)\b", text)
    if match:
        return table[match.group(2)]
    match = re.search(r"\b(this|current|so far this) (week|month|quarter)\b|\b(mtd)\b", text)
    if match:
        return this[match.group(2) or "mtd"]
    return None


def _months_back(today: dt.date, n: int) -> dt.date:
    year, month = divmod(today.year * 12 + today.month - 1 - n, 12)
    return dt.date(year, month + 1, min(today.day, calendar.monthrange(year, month + 1)[1]))


def _previous_month(today: dt.date) -> tuple[int, int]:
    return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)


def _previous_quarter(today: dt.date) -> tuple[int, int]:
    quarter = (today.month - 1) // 3 + 1
    return (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)


def _explicit(text: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """ISO dates ("from 2026-01-01 to 2026-03-31", "since 2026-02-01", "on 2026-03-05"), quarters, months, years."""
    dates = [dt.date.fromisoformat(d) for d in re.findall(_ISO, text) if _valid(d)]
    if len(dates) >= 2:
        return min(dates[:2]), max(dates[:2])
    if dates:
        return (dates[0], today) if re.search(r"\b(since|from|after)\b", text) else (dates[0], dates[0])
    match = re.search(r"\bq([1-4])(?: (?:of )?(\d{4}))?\b", text) or re.search(
        r"\b(first|second|third|fourth) quarter(?: (?:of )?(\d{4}))?\b", text)
    if match:
        index = {"first": 1, "second": 2, "third": 3, "fourth": 4}.get(match.group(1)) or int(match.group(1))
        return _recent(_quarter, index, today, match.group(2))
    match = re.search(rf"\b(?:in |during |for |of |since )?{_MONTH}(?: (?:of )?(\d{{4}}))?\b", text)
    if match and not re.search(rf"\bmay (i|we|you)\b", text[match.start():]):
        start, end = _recent(_month, MONTHS[match.group(1)], today, match.group(2))
        return (start, today) if text[match.start():].startswith("since") else (start, end)
    match = re.search(r"\b(?:in|during|for|of)? ?(20\d{2})\b", text)
    if match:
        return dt.date(int(match.group(1)), 1, 1), dt.date(int(match.group(1)), 12, 31)
    return None


def _valid(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def find_period(text: str, today: dt.date) -> dict[str, str] | None:
    """The period a normalised text names, as ``{"start", "end"}`` ISO dates, else None."""
    found = _relative(text, today) or _explicit(text, today)
    return _span(*found, today) if found else None


def find_horizon(text: str) -> int | None:
    """Days ahead: "next week" 7, "next month" 30, "next quarter" 90, "next year" 365, "next 2 weeks" 14,
    "90 days ahead"; None when the text names no horizon (a bare "90 days" is ``find_duration_days``)."""
    match = re.search(rf"\b(next|coming|upcoming|following|ahead|over the next|for the next) ?{_NUM}? "
                      r"(day|week|month|quarter|year)s?\b", text)
    if match:
        return (_number(match.group(2)) if match.group(2) else 1) * _UNIT_DAYS[match.group(3)]
    match = re.search(rf"\b{_NUM} (day|week|month|quarter|year)s? (ahead|out|from now|forward|horizon)\b", text)
    if match:
        return _number(match.group(1)) * _UNIT_DAYS[match.group(2)]
    return None


def find_duration_days(text: str) -> int | None:
    """A bare length of time ("90 days", "over a year", "2 weeks") without last/next: the caller decides whether
    it is a horizon (forecasts) or a trailing period."""
    match = re.search(rf"\b(?<!last )(?<!past )(a|an|{_NUM[1:-1]}) (day|week|month|quarter|year)s?\b", text)
    if not match:
        return None
    count = 1 if match.group(1) in ("a", "an") else _number(match.group(1))
    return count * _UNIT_DAYS[match.group(2)]
