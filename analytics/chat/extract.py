"""Entities in a normalised question: metric, the store's names, customer id, top N, page, period and horizon.

Plain functions over normalised text (``vocabulary.normalise``) so each can be tested alone; ``QueryParser``
combines them with the intent.
"""
from __future__ import annotations

import datetime as dt
import re

from analytics.chat.dates import find_duration_days, find_horizon, find_period
from analytics.chat.lexicon import METRIC_ALIASES, NUMBER_WORDS, PAGE_ALIASES
from analytics.chat.vocabulary import Vocabulary

__all__ = ["Found", "extract", "customer_id", "top_n", "metrics", "names", "page"]

_NUM = r"(\d+|" + "|".join(sorted((w for w in NUMBER_WORDS if " " not in w), key=len, reverse=True)) + r")"
_CUSTOMER = re.compile(r"\b(?:customer|cust|client|account|user)s?(?: id| number| no)?\s*#?\s*(\d{1,9})\b|"
                       r"(?:^|\s)#\s?(\d{1,9})\b|\bid\s*#?\s*(\d{1,9})\b")
_TOP = re.compile(rf"\btop\s*{_NUM}\b|\b{_NUM} (?:most|riskiest|highest|largest|biggest|best|worst|top|least)\b|"
                  rf"\b(?:first|show|list) {_NUM} (?:customers|accounts|clients)\b")
_METRIC = re.compile(r"\b(" + "|".join(re.escape(a) for a in sorted(METRIC_ALIASES, key=len, reverse=True)) + r")\b")
_PAGE = re.compile(r"\b(" + "|".join(re.escape(a) for a in sorted(PAGE_ALIASES, key=len, reverse=True)) + r")\b")
_BARE_COUNT = re.compile(rf"^(?:now|make it|show|only|just|and|what about|how about)? ?{_NUM}(?: instead| please)?$")
_FILLER = frozenset("the a an in for of and or to by on at with from me our my we us is are was were what how".split())


class Found:
    """What ``extract`` found: the entities, the fuzzy matches' similarities, and a bare duration ("90 days") as
    both a horizon and a trailing period, or a bare count ("now 20") (``bare``; the conversation decides)."""

    def __init__(self):
        self.entities: dict = {}
        self.similarities: list[float] = []
        self.bare: dict = {}

    def add(self, key: str, value) -> None:
        """One value for a key; a second, different value turns the key's value into a list (mention order)."""
        if key not in self.entities:
            self.entities[key] = value
            return
        current = self.entities[key]
        values = current if isinstance(current, list) else [current]
        if value not in values:
            self.entities[key] = [*values, value]


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def customer_id(text: str) -> tuple[int | None, str]:
    """The customer id ("customer 1234", "#1234", "client id 77") and the text without it."""
    match = _CUSTOMER.search(text)
    if not match:
        return None, text
    value = next(group for group in match.groups() if group)
    return int(value), (text[:match.start()] + " " + text[match.end():]).strip()


def top_n(text: str) -> int | None:
    """The N of "top 10", "five riskiest", "list 20 customers"."""
    match = _TOP.search(text)
    return _number(next(group for group in match.groups() if group)) if match else None


def metrics(text: str) -> list[str]:
    """Canonical metrics in mention order ("sales" -> revenue, "aov" -> average order value)."""
    found: list[str] = []
    for match in _METRIC.finditer(text):
        metric = METRIC_ALIASES[match.group(1)]
        if metric not in found:
            found.append(metric)
    return found


def _without_metrics(text: str) -> str:
    return _METRIC.sub(" ", text)


def names(text: str, vocabulary: Vocabulary, raw: str) -> list[tuple[str, str, float]]:
    """(kind, canonical name, similarity) for every region/segment/channel/category named, in mention order:
    exact aliases first (longest phrase wins), then typos of what is left (one- and two-word phrases)."""
    words = _without_metrics(text).split()
    used = [False] * len(words)
    found: list[tuple[int, tuple[str, str, float]]] = []
    for exact in (True, False):
        for size in (4, 3, 2, 1):
            if not exact and size > 2:
                continue
            for start in range(len(words) - size + 1):
                if any(used[start:start + size]) or (size == 1 and words[start] in _FILLER):
                    continue
                phrase = " ".join(words[start:start + size])
                hit = _exact(vocabulary, phrase) if exact else vocabulary.match(phrase)
                if hit:
                    used[start:start + size] = [True] * size
                    found.append((start, hit))
    if re.search(r"\b(US|U\.S\.)\b", raw):  # "us" in lower case is the pronoun
        hit = vocabulary.lookup("usa")
        if hit:
            found.append((len(words), (*hit, 1.0)))
    return [hit for _, hit in sorted(found, key=lambda item: item[0])]


def _exact(vocabulary: Vocabulary, phrase: str) -> tuple[str, str, float] | None:
    hit = vocabulary.lookup(phrase)
    return (*hit, 1.0) if hit else None


def page(text: str) -> str | None:
    """The page path a navigation names ("the retention page" -> /retention, "go home" -> /)."""
    match = _PAGE.search(text)
    return PAGE_ALIASES[match.group(1)] if match else None


def extract(text: str, raw: str, vocabulary: Vocabulary, today: dt.date) -> Found:
    """Every entity in a normalised text except ``page`` (only navigation has one; see ``page``)."""
    found = Found()
    customer, rest = customer_id(text)
    if customer is not None:
        found.add("customer_id", customer)
    count = top_n(rest)
    if count is not None:
        found.add("top_n", count)
    bare_count = _BARE_COUNT.search(rest)
    if bare_count:
        found.bare["top_n"] = _number(bare_count.group(1))
        return found
    for metric in metrics(rest):
        found.add("metric", metric)
    for kind, name, similarity in names(rest, vocabulary, raw):
        found.add(kind, name)
        found.similarities.append(similarity)
    horizon = find_horizon(rest)
    if horizon is not None:
        found.add("horizon_days", horizon)
    else:
        period = find_period(rest, today)
        if period is not None:
            found.add("period", period)
        elif count is None:
            days = find_duration_days(rest)
            if days:
                start = today - dt.timedelta(days=days - 1)
                found.bare = {"horizon_days": days, "period": {"start": start.isoformat(), "end": today.isoformat()}}
    return found
