"""What every intent's answer is built from: the gathered facts and citations, periods, filters and confidence."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from analytics.chat.answers.format import display
from analytics.chat.facts import Citation, Confidence, Fact, Parse

__all__ = ["Gathered", "NoData", "fact", "cite", "period_of", "first", "filters_of", "unsupported", "confidence",
           "DIMENSIONS"]

DIMENSIONS = ("region", "category", "channel")
DEFAULT_PERIOD_DAYS = 30


class NoData(Exception):
    """The question is understood but there is nothing to answer it from (no store yet, an empty filter): the
    message says what is missing and what to do."""


@dataclass(frozen=True)
class Gathered:
    """The facts one intent gathered, with where they came from and everything else the answer shows.

    ``reasons`` are confidence reasons in words with a penalty each (0 = none, 1 = no confidence at all);
    ``extra`` carries values the template needs that are not facts (labels, lists of names).
    """

    facts: tuple[Fact, ...] = ()
    citations: tuple[Citation, ...] = ()
    reasons: tuple[tuple[str, float], ...] = ()
    table: tuple[dict[str, Any], ...] = ()
    series: dict[str, Any] | None = None
    navigate: str | None = None
    notice: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def fact(name: str, value, unit: str, period: tuple[str, str] | None = None,
         filters: dict[str, str] | None = None, shown: str | None = None) -> Fact:
    """A fact with its display written like the pages write it (``shown`` overrides)."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    return Fact(name=name, value=value, unit=unit, display=shown if shown is not None else display(value, unit),
                period=period, filters=dict(filters or {}))


def cite(results, page: str, section: str, href: str, period: tuple[str, str] | None = None,
         model: str | None = None, model_version: str | None = None) -> Citation:
    """A citation of ``results``' dataset version."""
    start, end = period if period else (None, None)
    return Citation(page=page, section=section, href=href, dataset_version=results.version, start=start, end=end,
                    model=model, model_version=model_version)


def _day(value: str) -> dt.date:
    return dt.date.fromisoformat(str(value)[:10])


def period_of(parse: Parse, through: str, default_days: int = DEFAULT_PERIOD_DAYS) -> tuple[str, str]:
    """The question's period as ISO dates (both included), ending no later than ``through`` (the last complete
    day); the trailing ``default_days`` up to ``through`` when the question names none."""
    last = _day(through)
    period = parse.entities.get("period") or {}
    try:
        start, end = _day(period["start"]), _day(period["end"])
    except (KeyError, TypeError, ValueError):
        return (last - dt.timedelta(days=default_days - 1)).isoformat(), last.isoformat()
    end = min(end, last)
    if start > end:
        raise NoData(f"{start.isoformat()} is after the last complete day, {last.isoformat()}; ask about a period "
                     "that has already happened")
    return start.isoformat(), end.isoformat()


def first(value):
    """An entity's value, or its first when the question named several (the parser lists them)."""
    return value[0] if isinstance(value, (list, tuple)) and value else value


def filters_of(parse: Parse, keys=DIMENSIONS) -> dict[str, str]:
    """The question's filters among ``keys`` (only those it names; the first of several)."""
    return {key: str(first(parse.entities[key])) for key in keys if parse.entities.get(key)}


def unsupported(parse: Parse, supported: tuple[str, ...], what: str) -> str | None:
    """A notice naming the filters the question gives that ``what`` cannot be split by (they are not applied)."""
    named = [f"{key} {first(parse.entities[key])}" for key in ("region", "segment", "channel", "category")
             if key not in supported and parse.entities.get(key)]
    if not named:
        return None
    return f"{what} cannot be split by {' or '.join(named)}; this answer does not apply that filter."


def confidence(parse: Parse, reasons: tuple[tuple[str, float], ...]) -> Confidence:
    """The parse's certainty lowered by each reason's penalty; the level from the score."""
    score = max(0.0, min(1.0, float(parse.confidence)))
    words = [f"the question was understood with {score:.0%} certainty"]
    for reason, penalty in reasons:
        score *= max(0.0, 1.0 - penalty)
        words.append(reason)
    level = "high" if score >= 0.75 else "medium" if score >= 0.5 else "low"
    return Confidence(level=level, score=round(score, 3), reasons=tuple(words))
