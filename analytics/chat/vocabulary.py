"""The names a question may use for regions, segments, channels and categories: the store's own spellings, and
the aliases that lead to them.

A customer's store has its own names ("Nordics", "Europe", "Wholesale"): ``Vocabulary.from_store`` reads them, and
the aliases are built from those names (casing, plurals, initials, known synonym groups) rather than hard-wired to
the sample company's spelling; typos are caught by fuzzy matching against the same aliases (``match``).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from analytics.chat.lexicon import ALIAS_GROUPS
from data import vocabulary as sample_vocabulary
from data.schema import customers, orders, products

__all__ = ["Vocabulary", "normalise"]

KINDS: tuple[str, ...] = ("region", "segment", "channel", "category")
_WORD = re.compile(r"[^\w#&\-]+|(?<!\d)-|-(?!\d)|_")


def normalise(text: str) -> str:
    """Lower case, punctuation to spaces (``#``, ``&`` and the hyphens of ``2026-03-01`` kept), single spaces."""
    return " ".join(_WORD.sub(" ", text.casefold()).split())


@dataclass(frozen=True)
class Vocabulary:
    """Canonical names per kind (``regions``, ``segments``, ``channels``, ``categories``: the store's spellings)
    and ``aliases``: normalised phrase -> (kind, canonical name)."""

    regions: tuple[str, ...]
    segments: tuple[str, ...]
    channels: tuple[str, ...]
    categories: tuple[str, ...]
    aliases: dict[str, tuple[str, str]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        if not self.aliases:
            object.__setattr__(self, "aliases", _build_aliases(self))

    @classmethod
    def sample(cls) -> "Vocabulary":
        """The sample company's names (``data/vocabulary.py``)."""
        return cls(sample_vocabulary.REGIONS, sample_vocabulary.SEGMENTS, sample_vocabulary.CHANNELS,
                   sample_vocabulary.CATEGORIES)

    @classmethod
    def from_store(cls, engine: Engine | None) -> "Vocabulary":
        """The distinct names in the store (customers' region, segment, channel; orders' channel; products'
        category); the sample's names for a kind the store has none of, or when the store cannot be read."""
        if engine is None:
            return cls.sample()
        columns = {"region": (customers.c.region,), "segment": (customers.c.segment,),
                   "channel": (customers.c.channel, orders.c.channel), "category": (products.c.category,)}
        found: dict[str, tuple[str, ...]] = {}
        try:
            with engine.connect() as connection:
                for kind, kind_columns in columns.items():
                    names: set[str] = set()
                    for column in kind_columns:
                        names.update(str(v).strip() for v in connection.execute(select(column).distinct()).scalars()
                                     if v is not None and str(v).strip())
                    found[kind] = tuple(sorted(names))
        except SQLAlchemyError:
            return cls.sample()
        fallback = cls.sample()
        return cls(*(found.get(kind) or fallback.of(kind) for kind in KINDS))

    def of(self, kind: str) -> tuple[str, ...]:
        """The canonical names of one kind (``region``, ``segment``, ``channel`` or ``category``)."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; valid kinds: {', '.join(KINDS)}")
        return {"region": self.regions, "segment": self.segments, "channel": self.channels,
                "category": self.categories}[kind]

    def names(self) -> tuple[str, ...]:
        """Every canonical name (the guard accepts these in generated text)."""
        return self.regions + self.segments + self.channels + self.categories

    def lookup(self, phrase: str) -> tuple[str, str] | None:
        """(kind, canonical name) for an exact alias of a normalised phrase, else None."""
        return self.aliases.get(normalise(phrase))

    def match(self, phrase: str, cutoff: float = 0.84) -> tuple[str, str, float] | None:
        """(kind, canonical name, similarity) for a phrase that is an alias or a near miss of one (a typo); None
        when nothing is close. Short phrases (under five letters) must match exactly: "emea" vs "emae" is a guess."""
        key = normalise(phrase)
        if key in self.aliases:
            return (*self.aliases[key], 1.0)
        if len(key) < 5:
            return None
        close = difflib.get_close_matches(key, [a for a in self.aliases if len(a) >= 4], n=1, cutoff=cutoff)
        if not close:
            return None
        return (*self.aliases[close[0]], difflib.SequenceMatcher(None, key, close[0]).ratio())

    def to_dict(self) -> dict[str, list[str]]:
        """JSON-safe canonical names per kind."""
        return {kind: list(self.of(kind)) for kind in KINDS}


def _spellings(name: str) -> set[str]:
    """A name's own variants: normalised, without ``&``/``and``, singular/plural, initials of several words."""
    key = normalise(name)
    forms = {key, key.replace("&", "and"), " ".join(w for w in key.split() if w not in ("&", "and"))}
    forms |= {form[:-1] for form in list(forms) if form.endswith("s") and len(form) > 4}
    forms |= {form + "s" for form in list(forms) if not form.endswith("s")}
    words = [w for w in key.split() if w not in ("&", "and", "of", "the")]
    if len(words) > 1:
        forms.add("".join(w[0] for w in words))
    return {form.strip() for form in forms if form.strip()}


def _group_of(kind: str, forms: set[str]) -> tuple[str, ...]:
    """The synonym group (lexicon.ALIAS_GROUPS) one of a name's forms belongs to, else ()."""
    for group in ALIAS_GROUPS.get(kind, ()):
        if forms & set(group):
            return group
    return ()


def _build_aliases(vocabulary: Vocabulary) -> dict[str, tuple[str, str]]:
    """Alias -> (kind, name). A store's own spellings win over synonyms; a synonym shared by two names is dropped."""
    own: dict[str, tuple[str, str]] = {}
    synonyms: dict[str, set[tuple[str, str]]] = {}
    for kind in KINDS:
        for name in vocabulary.of(kind):
            forms = _spellings(name)
            for form in forms:
                own.setdefault(form, (kind, name))
            for synonym in _group_of(kind, forms):
                synonyms.setdefault(synonym, set()).add((kind, name))
    aliases = {alias: next(iter(targets)) for alias, targets in synonyms.items() if len(targets) == 1}
    aliases.update(own)
    return aliases
