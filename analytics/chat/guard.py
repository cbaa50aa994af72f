"""The guard: a language model's answer may only state numbers, dates and names that the facts (or the
vocabulary) hold. ``check_text`` lists every one it cannot find; any problem means the template is shown.

Numbers are read with their currency symbol, sign, thousands separators, decimals, ``k``/``M``/``B`` (or
"thousand"/"million"/"billion") suffix and ``%``; a number matches a fact when it equals the fact's value or its
display once rounded to the precision it is written with ("$1.2M" matches 1,234,567; "4%" matches 0.0423 as a
percentage). Dates (ISO, "1 Mar", "March 1, 2026", "March 2026", a month or weekday alone) must be a day, month or
year the facts' periods name. A number in a clause that names a metric must be that metric's (or a fact of no
metric's): a true number stated for the wrong metric is a problem too. Capitalised names that are not ordinary words must be in the facts or the vocabulary,
and a vocabulary name (a region, segment, channel, category) must be one the facts are about.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Sequence

from analytics.chat.facts import Fact

__all__ = ["check_text", "numbers_in", "dates_in"]

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_MONTH = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9}
_NUMBER = re.compile(r"(?<![\w.])(?P<sign>[-−+])?(?P<cur>[$€£])?\s?"
                     r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
                     r"(?:\s?(?P<suffix>thousand|million|billion|bn|mn|[kKmMbB])(?![A-Za-z]))?(?P<pct>\s?%| percent)?")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})(?:,?\s+(\d{{4}}))?\b", re.IGNORECASE)
_MONTH_DAY = re.compile(rf"\b({_MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", re.IGNORECASE)
_MONTH_YEAR = re.compile(rf"\b({_MONTH})\s+(\d{{4}})\b", re.IGNORECASE)
# A month alone only when capitalised ("in March"), so "may" the verb is not a date.
_MONTH_ALONE = re.compile(r"\b(" + "|".join(n for n in (*calendar.month_name, *calendar.month_abbr) if n) + r")\b")
_WEEKDAY = re.compile(r"\b(" + "|".join(_WEEKDAYS) + r")s?\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(19\d{2}|20\d{2})\b")
_NAME = re.compile(r"\b[A-Z][\w&'-]*(?:\s+[A-Z][\w&'-]*)*")
_NAME_FOLLOWS = re.compile(r"\s+(?:revenue|sales|orders|customers|churn|units|region|segment|channel|category)\b")
# Capitalised words a sentence may use that are not names of anything in the data.
_ORDINARY = frozenset("""i a an the it its this that these those there their they we you your our he she his her
    in on at for from to of by with and or but so as if over under about around roughly nearly almost approximately
    revenue orders order units active customers customer average value churn rate forecast total per day days
    overall yes no not note also however meanwhile both each every all most top its while model models
    interval intervals lower upper between based according compared versus vs up down flat across
    may might can could will would should expected estimated sales expect during last next here please
    looking when what why how which who where than then just only still already meaning since
    largest smallest highest lowest biggest most least more less first second third last""".split())


def numbers_in(text: str) -> list[tuple[str, float, float, bool]]:
    """Every number in ``text`` as ``(as written, value, rounding tolerance, is a percentage)``."""
    found = []
    for match in _NUMBER.finditer(text):
        raw = match.group("num")
        digits = raw.split(".")[1] if "." in raw else ""
        scale = _SCALE.get((match.group("suffix") or "").lower(), 1.0)
        value = float(raw.replace(",", "")) * scale
        tolerance = 0.5 * 10 ** -len(digits) * scale
        found.append((match.group(0).strip(), value, tolerance, bool(match.group("pct"))))
    return found


def _month(word: str) -> int:
    return _MONTHS[word.lower().rstrip(".")]


def dates_in(text: str) -> tuple[list[tuple[str, tuple]], str]:
    """The dates in ``text`` as ``(as written, key)`` — key ``("day", date or (month, day))``, ``("month", m, y)``,
    ``("year", y)`` or ``("weekday", n)`` — and the text with them blanked out (so their digits are not numbers)."""
    found: list[tuple[str, tuple]] = []

    def take(pattern, key_of):
        nonlocal text
        def replace(match):
            found.append((match.group(0), key_of(match)))
            return " " * len(match.group(0))
        text = pattern.sub(replace, text)

    take(_ISO, lambda m: ("day", dt.date(int(m[1]), int(m[2]), int(m[3]))))
    take(_DAY_MONTH, lambda m: ("day", (_month(m[2]), int(m[1]), int(m[3]) if m[3] else None)))
    take(_MONTH_DAY, lambda m: ("day", (_month(m[1]), int(m[2]), int(m[3]) if m[3] else None)))
    take(_MONTH_YEAR, lambda m: ("month", _month(m[1]), int(m[2])))
    take(_MONTH_ALONE, lambda m: ("month", _month(m[1]), None))
    take(_WEEKDAY, lambda m: ("weekday", _WEEKDAYS[m[1].lower()]))
    take(_YEAR, lambda m: ("year", int(m[1])))
    return found, text


class _Allowed:
    """What the facts (and any trusted text, such as the template) let an answer say."""

    def __init__(self, facts: Sequence[Fact], vocabulary: Iterable[str], trusted: Iterable[str]):
        self.values: list[tuple[float, bool]] = []  # (value, is a share written as a percentage)
        self.days: set[dt.date] = set()
        self.spans: list[tuple[dt.date, dt.date]] = []
        self.words: set[str] = set()
        self.vocabulary = {name for name in vocabulary if name}
        self.named: set[str] = set()  # vocabulary names the facts are about
        texts = list(trusted)
        for f in facts:
            self._fact(f)
            texts.extend([f.name, f.display, str(f.value) if f.unit == "text" else "", *map(str, f.filters.values())])
        for text in texts:
            self._text(text)

    def _fact(self, f: Fact) -> None:
        if f.unit != "text" and isinstance(f.value, (int, float)):
            self.values.append((float(f.value), f.unit == "percent"))
        if f.period:
            start, end = (dt.date.fromisoformat(str(day)[:10]) for day in f.period)
            self.days.update((start, end))
            self.spans.append((start, end))

    def _text(self, text: str) -> None:
        dates, rest = dates_in(text)
        for _, key in dates:
            if key[0] == "day" and isinstance(key[1], dt.date):
                self.days.add(key[1])
                self.spans.append((key[1], key[1]))
        self.values.extend((value, False) for _, value, _, _ in numbers_in(rest))
        self.words.update(word.lower() for word in re.findall(r"[\w&'-]+", text))
        self.named.update(name for name in self.vocabulary if re.search(rf"\b{re.escape(name)}\b", text))

    def number(self, value: float, tolerance: float, percent: bool) -> bool:
        slack = tolerance * 1.0001 + 1e-9
        for target, share in self.values:
            candidates = (target * 100, target) if share else (target,)
            if any(abs(abs(value) - abs(c)) <= slack for c in candidates):
                return True
        return False

    def date(self, key: tuple) -> bool:
        kind = key[0]
        if kind == "day":
            if isinstance(key[1], dt.date):
                return key[1] in self.days
            month, day, year = key[1]
            return any(d.month == month and d.day == day and year in (None, d.year) for d in self.days)
        if kind == "month":
            return any(_overlaps(start, end, key[1], key[2]) for start, end in self.spans)
        if kind == "year":
            return any(start.year <= key[1] <= end.year for start, end in self.spans)
        return any(d.weekday() == key[1] for d in self.days)  # a weekday: one of the days named


def _overlaps(start: dt.date, end: dt.date, month: int, year: int | None) -> bool:
    day = dt.date(start.year, start.month, 1)
    while day <= end:
        if day.month == month and year in (None, day.year):
            return True
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return False


def _sentence_start(text: str, at: int) -> bool:
    before = text[:at].rstrip()
    return not before or before[-1] in ".!?:;\n"


def _names(text: str) -> list[str]:
    """Capitalised word runs that may name something (ordinary words dropped).

    A single capitalised word opening a sentence is usually just the sentence's first word ("Largest changes
    ..."), so it counts as a name only when a metric or a possessive follows it ("Antarctica revenue",
    "Antarctica's").
    """
    found = []
    for match in _NAME.finditer(text):
        words = [w for w in match.group(0).split() if w.lower() not in _ORDINARY]
        if not words:
            continue
        if len(match.group(0).split()) == 1 and _sentence_start(text, match.start()) and not (
                _NAME_FOLLOWS.match(text, match.end()) or match.group(0).endswith("'s")):
            continue
        found.append(" ".join(words))
    return found


def _vocabulary_names(vocabulary) -> list[str]:
    names = vocabulary.names() if hasattr(vocabulary, "names") else vocabulary
    return [str(name) for name in (names or ())]


def _bare(word: str) -> str:
    word = word.lower()
    return word[:-2] if word.endswith("'s") else word


# Words that state a direction, and the sign of the change they claim.
_RISES = re.compile(r"\b(?:up|rose|rise|rising|risen|increased?|increasing|grew|grow|growing|gained?|higher)\b",
                    re.IGNORECASE)
_FALLS = re.compile(r"\b(?:down|fell|fall|falling|fallen|dropped|drops?|dropping|decreased?|decreasing|declined?|"
                    r"declining|lower|shrank|lost)\b", re.IGNORECASE)
_RISK = re.compile(r"\b(high|medium|low)[- ]risk\b", re.IGNORECASE)


def _claims(text: str, facts: Sequence[Fact]) -> list[str]:
    """Words that contradict the facts: a direction against the headline change's sign (a fact named
    "<metric> change"), a risk level other than the "risk" fact's."""
    problems = []
    headline = next((f for f in facts if f.name.endswith(" change") and isinstance(f.value, (int, float))), None)
    if headline is not None and headline.value:
        rises, falls = bool(_RISES.search(text)), bool(_FALLS.search(text))
        if headline.value > 0 and falls and not rises:
            problems.append(f"the text says {headline.name.rsplit(' ', 1)[0]} fell; it rose ({headline.display})")
        if headline.value < 0 and rises and not falls:
            problems.append(f"the text says {headline.name.rsplit(' ', 1)[0]} rose; it fell ({headline.display})")
    risk = next((f for f in facts if f.name == "risk"), None)
    if risk is not None:
        stated = {match.lower() for match in _RISK.findall(text)}
        if stated - {str(risk.value).lower()}:
            problems.append(f"the text calls the risk {'/'.join(sorted(stated))}; the churn model says {risk.value}")
    return problems


# What a number is about: a metric word in the same clause, and the family of metrics it names. A fact's family
# comes from its name; a fact whose name names no family ("reason 1", "hazard ratio · plan") may go anywhere.
_FAMILIES = {
    "revenue": re.compile(r"\b(?:revenue|sales|turnover)\b", re.IGNORECASE),
    "orders": re.compile(r"\b(?:orders?|aov|basket)\b", re.IGNORECASE),
    "units": re.compile(r"\bunits?\b", re.IGNORECASE),
    "churn": re.compile(r"\b(?:churn\w*|attrition|cancel\w*)\b", re.IGNORECASE),
    "clv": re.compile(r"\b(?:clv|lifetime value)\b", re.IGNORECASE),
    "retention": re.compile(r"\b(?:retention|retained|survival)\b", re.IGNORECASE),
}
_CLAUSE_END = re.compile(r"[.;:!?](?:\s|$)|,\s|\s(?:and|but|while|whereas)\s")


def _families(text: str) -> frozenset[str]:
    return frozenset(name for name, pattern in _FAMILIES.items() if pattern.search(text))


def _fact_matches(f: Fact, value: float, tolerance: float) -> bool:
    if f.unit == "text" or not isinstance(f.value, (int, float)):
        return False
    slack = tolerance * 1.0001 + 1e-9
    targets = (f.value * 100, f.value) if f.unit == "percent" else (f.value,)
    shown = [number for _, number, _, _ in numbers_in(f.display)]
    return any(abs(abs(value) - abs(t)) <= slack for t in (*targets, *shown))


def _misattributed(rest: str, facts: Sequence[Fact]) -> list[str]:
    """Numbers stated for one metric that belong to another: a number whose clause names a metric family (revenue,
    orders, churn...) and that equals only facts of other families ("a 1.4% fall in revenue" when 1.4% is the
    churn rate)."""
    problems = []
    bounds = [0, *(m.end() for m in _CLAUSE_END.finditer(rest)), len(rest)]
    for start, end in zip(bounds, bounds[1:]):
        clause = rest[start:end]
        about = _families(clause)
        if not about:
            continue
        for written, value, tolerance, _ in numbers_in(clause):
            owners = [f for f in facts if _fact_matches(f, value, tolerance)]
            if owners and all(_families(f.name) and not _families(f.name) & about for f in owners):
                problems.append(f"the number {written!r} is stated for {'/'.join(sorted(about))} but belongs to "
                                f"{owners[0].name}")
    return problems


def check_text(text: str, facts: Sequence[Fact], vocabulary, *, trusted: Iterable[str] = ()) -> tuple[str, ...]:
    """The problems in ``text`` (a language model's answer): every number, date and name it states that the facts,
    ``trusted`` texts (the question, the template) and the vocabulary do not hold, and any direction or risk
    level that contradicts the facts. Empty: accepted."""
    allowed = _Allowed(facts, _vocabulary_names(vocabulary), trusted)
    problems: list[str] = []
    dates, rest = dates_in(text)
    problems.extend(f"the date {written!r} is not in the facts" for written, key in dates if not allowed.date(key))
    for written, value, tolerance, percent in numbers_in(rest):
        if not allowed.number(value, tolerance, percent):
            problems.append(f"the number {written!r} is not in the facts")
    for name in allowed.vocabulary:
        if re.search(rf"\b{re.escape(name)}\b", text) and name not in allowed.named:
            problems.append(f"{name!r} is not what the facts are about")
    known = {word.lower() for name in allowed.vocabulary for word in name.split()} | allowed.words
    for name in _names(rest):
        unknown = [word for word in name.split() if _bare(word) not in known]
        if unknown and name not in allowed.vocabulary:
            problems.append(f"the name {name!r} is not in the facts or the vocabulary")
    problems.extend(_misattributed(rest, facts))
    problems.extend(_claims(text, facts))
    return tuple(dict.fromkeys(problems))
