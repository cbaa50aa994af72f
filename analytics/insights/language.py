"""Sentences from facts: templates whose placeholders are filled with the facts' own displays, and the guard.

A template names its numbers by fact (``"{metric} {verb} {change %} ({change})"``): :func:`write` puts each
fact's ``display`` in its place and refuses a template naming a fact it was not given, so a sentence can only
state numbers the analytics computed. Numbers are written the way the pages write them (the chat assistant's
:mod:`analytics.chat.answers.format`: ``$1.23M``, ``12,345``, ``4.2%``; the project's currency is the dollar),
changes with a sign (``−$41.20k``, ``+$3.10k``) and the verb that matches it (``fell``/``rose``/``was flat``),
counts with the noun in the right number (``1 customer``, ``2 customers``).

:func:`check_sentence` is the chat assistant's guard (:func:`analytics.chat.guard.check_text`): every number,
date and name in a sentence must be one of its facts (or a vocabulary name the facts are about), and a
direction word must agree with the headline change's sign. Every finding's title passes it, and so must any
rephrasing by the language model.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

from analytics.chat import Fact, check_text, count, fact, money, percent
from data.vocabulary import CATEGORIES, CHANNELS, PLANS, REGIONS, SEGMENTS

__all__ = ["MINUS", "VOCABULARY", "change_verb", "check_sentence", "fact", "named", "percent_change",
           "quantity", "signed", "signed_money", "write"]

MINUS = "\u2212"  # a typographic minus, which the guard reads as a sign
VOCABULARY: tuple[str, ...] = (*REGIONS, *SEGMENTS, *CHANNELS, *CATEGORIES, *PLANS)
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def _finite(value) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"cannot write {value!r} in a sentence; leave the number out or say it is unknown")
    return value


def signed(text: str, value: float) -> str:
    """``text`` (an unsigned display) with the sign of ``value``: ``−`` below zero, ``+`` above, none at zero."""
    value = _finite(value)
    return (MINUS if value < 0 else "+" if value > 0 else "") + text


def signed_money(value: float) -> str:
    """A change of money: ``−$41.20k``, ``+$812.40``, ``$0.00``."""
    return signed(money(abs(_finite(value))), value)


def percent_change(relative: float, digits: int = 1) -> str:
    """The size of a relative change, unsigned (the verb says the direction): ``8.2%``."""
    return percent(abs(_finite(relative)), digits)


def change_verb(value: float, *, up: str = "rose", down: str = "fell", flat: str = "was flat") -> str:
    """The verb for a change's sign; a change that rounds to zero is flat."""
    value = _finite(value)
    return up if value > 0 else down if value < 0 else flat


def quantity(n: float, noun: str, plural: str | None = None) -> str:
    """``1 customer``, ``2 customers``, ``1,234 customers``, ``0 customers`` (a whole number and its noun)."""
    whole = round(abs(_finite(n)))
    many = plural or (noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s")
    return f"{count(whole)} {noun if whole == 1 else many}"


def named(filters: Mapping[str, str]) -> str:
    """A scope in words: its members in region, category, channel order (``EMEA Electronics``), or the
    whole business."""
    parts = [str(filters[d]) for d in ("region", "segment", "plan", "category", "channel") if filters.get(d)]
    return " ".join(parts) if parts else "the whole business"


def write(template: str, facts: Mapping[str, Fact], **words: str) -> str:
    """``template`` with each ``{name}`` replaced by ``facts[name].display`` or, for non-numbers, ``words[name]``.

    Raises
    ------
    KeyError
        When a placeholder names neither a fact nor a word (the message lists what was given), so a template
        cannot state a number the facts do not hold.
    """
    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name in facts:
            return facts[name].display
        if name in words:
            return str(words[name])
        raise KeyError(f"the template names {{{name}}}, which is neither a fact ({sorted(facts)}) nor a word "
                       f"({sorted(words)}); add it to the facts or the words")
    text = _PLACEHOLDER.sub(fill, template)
    return text[:1].upper() + text[1:]


def check_sentence(text: str, facts: Iterable[Fact], *, trusted: Iterable[str] = ()) -> tuple[str, ...]:
    """The guard's problems with ``text`` against ``facts`` (every number, date and vocabulary name must be
    theirs); empty when the sentence may be shown."""
    return check_text(text, tuple(facts), VOCABULARY, trusted=tuple(trusted))
