"""``QueryParser``: a question in plain words -> intent, entities and how sure (``analytics.chat.facts.Parse``).

Rules first (intent cues, entity patterns, the store's names with typo tolerance), the sentence embedder's
nearest example question second: they agree -> high confidence; rules alone -> medium; the embedder alone only
when the text is about this product at all. Injection attempts, SQL, gibberish and other topics are ``unknown``.
With a ``Conversation`` a follow-up ("and for APAC?", "why?") is merged with the previous turn (``context``).
"""
from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import unicodedata

from analytics.chat import context
from analytics.chat.dates import MONTHS
from analytics.chat.extract import extract, page
from analytics.chat.facts import Parse
from analytics.chat.lexicon import (ALIAS_GROUPS, DOMAIN_WORDS, INJECTION_PATTERNS, INTENT_CUES, INTENT_EXAMPLES,
                                    METRIC_ALIASES, OUT_OF_SCOPE, PAGE_ALIASES)
from analytics.chat.vocabulary import Vocabulary, normalise

__all__ = ["QueryParser", "MAX_CHARS"]

MAX_CHARS = 500  # longer questions are refused (the API's limit too)
_INJECTION = re.compile("|".join(INJECTION_PATTERNS), re.IGNORECASE)
_OUT_OF_SCOPE = re.compile("|".join(OUT_OF_SCOPE))
# "show the forecast for EMEA Electronics": the page with those filters ("what is the forecast for EMEA" is a question)
_SHOW_PAGE = re.compile(r"^(show|display|view|pull up)( me)? the ((revenue|sales|units?|orders|demand) )?"
                        r"(forecast|retention|overview|data|admin)( page| view| tab| chart)?( for\b| with\b| of\b|$)")
# A bare "how many customers" is a count of active customers, but not in "how many customers churned/stay"
_CUSTOMER_COUNT_INTENTS = ("churn", "retention", "clv", "segment", "explain")
_CUES = {intent: tuple((re.compile(p), w) for p, w in cues) for intent, cues in INTENT_CUES.items()}
_EXTRA_WORDS = ("forecast predict prediction projection churn churned attrition retention retain cohort cohorts "
                "survival lifetime value segment segments segmentation cluster clusters anomaly anomalies outlier "
                "outliers unusual spike spikes compare comparison versus difference explain drivers driving health "
                "status freshness fresh navigate open help customers customer revenue orders average quarter month "
                "week year yesterday today active units sales risk risky riskiest cancel leaving likely expected "
                "region regions channel channels category categories decline dropped increase growth between").split()


def _known_words(vocabulary: Vocabulary) -> tuple[str, ...]:
    phrases = [*METRIC_ALIASES, *PAGE_ALIASES, *MONTHS, *_EXTRA_WORDS, *vocabulary.aliases]
    phrases += [alias for groups in ALIAS_GROUPS.values() for group in groups for alias in group]
    phrases += [text for examples in INTENT_EXAMPLES.values() for text in examples]
    phrases += [" ".join(re.findall(r"[a-z]{3,}", pattern)) for cues in INTENT_CUES.values() for pattern, _ in cues]
    return tuple(sorted({word for phrase in phrases for word in phrase.split() if word.isalpha()}))


class QueryParser:
    """Parse questions against one store's ``vocabulary``; ``embedder`` (``load_embedder()``) is optional; ``today``
    anchors relative periods (the store's last complete day; default: the calendar's today)."""

    def __init__(self, vocabulary: Vocabulary, *, embedder=None, today: dt.date | None = None):
        self.vocabulary = vocabulary
        self.embedder = embedder
        self.today = today
        self._known = _known_words(vocabulary)
        self._known_set = frozenset(self._known)
        self._correct = functools.lru_cache(maxsize=4096)(self._correct_word)

    def parse(self, text: str, conversation=None) -> Parse:
        """The question's intent and entities, merged with ``conversation``'s previous turn when it follows up."""
        raw = _clean(text)
        if not raw or len(raw) > MAX_CHARS or _INJECTION.search(raw):
            return Parse("unknown", {}, 0.9 if raw else 1.0, text=raw)
        words, corrections = self._corrected(normalise(raw))
        norm = " ".join(words)
        if not norm:  # punctuation only
            return Parse("unknown", {}, 0.9, text=raw)
        found = extract(norm, raw, self.vocabulary, self.today or dt.date.today())
        intent, strength = self._rule_intent(norm, found.entities)
        if _OUT_OF_SCOPE.search(norm) or _gibberish(words, self._known_set, found.entities):
            return Parse("unknown", {}, 0.9, text=raw)  # final: never a follow-up ("and a joke about APAC")
        intent, confidence = self._decide(intent, strength, norm, found.entities)
        confidence *= min(found.similarities, default=1.0) * 0.95 ** corrections
        entities = _settled(intent, norm, found.entities)
        fresh = Parse(intent, entities, round(max(0.05, min(confidence, 0.99)), 3), text=raw)
        merged = context.merge(fresh, norm, strength, found.bare, conversation)
        return Parse("unknown", {}, merged.confidence, text=raw) if merged.intent == "unknown" else merged

    def _decide(self, intent: str | None, strength: float, norm: str, entities: dict) -> tuple[str, float]:
        """Rules that settle the intent (an explicit cue, or a bare metric: a KPI) need no second opinion; the
        embedder votes on the rest (it cannot outvote such rules, so asking it would only cost time)."""
        decisive = intent is not None and (strength >= 2.5 or intent == "kpi" and "metric" in entities)
        embedded = None if self.embedder is None or decisive else self.embedder.nearest_intent(norm)
        return _combine(intent, strength, embedded, norm, entities)

    def _corrected(self, norm: str) -> tuple[list[str], int]:
        words, corrections = [], 0
        for word in norm.split():
            fixed = self._correct(word)
            corrections += fixed != word
            words.append(fixed)
        return words, corrections

    def _correct_word(self, word: str) -> str:
        """A near miss of a word the parser knows ("forcast", "revnue", "churnn"), else the word itself."""
        if len(word) < 5 or not word.isalpha() or word in self._known_set:
            return word
        close = difflib.get_close_matches(word, self._known, n=1, cutoff=0.8)
        return close[0] if close and close[0][0] == word[0] else word

    def _rule_intent(self, norm: str, entities: dict) -> tuple[str | None, float]:
        """The intent whose cues weigh most (navigation only with a page), and that weight; a bare metric is a
        KPI question (weight 1.0, weak: a follow-up may keep the previous intent)."""
        scores = {intent: sum(weight for pattern, weight in cues if pattern.search(norm))
                  for intent, cues in _CUES.items()}
        if scores["navigate"] >= 3.0 and (page(norm) or re.search(r"\bhome\b", norm)):
            return "navigate", scores["navigate"]
        if _SHOW_PAGE.search(norm):
            return "navigate", 3.0
        scores["navigate"] = 0.0
        if scores["compare"] < 3.0 and _several(entities) and re.search(r"\bbetween\b|\band\b.*\?*$", norm):
            scores["compare"] += 2.0 if re.search(r"\b(between|compare|vs|versus)\b", norm) else 0.0
        best = max(scores, key=lambda intent: (scores[intent], intent != "kpi"))
        if scores[best] >= 1.5:
            return best, scores[best]
        if "metric" in entities:
            return "kpi", 1.0
        return (best, scores[best]) if scores[best] > 0 else (None, 0.0)


def _several(entities: dict) -> bool:
    return any(isinstance(value, list) for value in entities.values())


def _combine(intent: str | None, strength: float, embedded: tuple[str, float] | None, norm: str,
             entities: dict) -> tuple[str, float]:
    """The final intent and a confidence from the rules' weight and the embedder's vote and similarity."""
    if embedded is None:
        if intent is None:
            return "unknown", 0.5
        if strength >= 2.5:
            return intent, 0.9
        return intent, 0.8 if intent == "kpi" and "metric" in entities else 0.7 if strength >= 1.5 else 0.55
    voted, similarity = embedded
    if intent is None:
        about_us = bool(entities) or bool(DOMAIN_WORDS & set(norm.split()))
        if voted != "unknown" and similarity >= 0.5 and (about_us or voted == "help"):
            return voted, 0.3 + 0.5 * similarity
        return "unknown", 0.6 if voted == "unknown" else 0.5
    if voted == intent:
        return intent, min(0.97, 0.75 + 0.1 * strength + 0.1 * similarity)
    if strength < 1.5 and voted not in ("unknown", "kpi") and similarity >= 0.88:
        return voted, 0.55
    return intent, 0.8 if strength >= 2.5 else 0.6


def _settled(intent: str, norm: str, entities: dict) -> dict:
    """Entities adjusted to the intent: "how many customers churned" counts churners, not active customers; "what is
    driving churn" explains the churn rate; a navigation names its page (and "home" is the overview, not a
    category)."""
    entities = dict(entities)
    if intent in _CUSTOMER_COUNT_INTENTS and entities.get("metric") == "active customers" and not re.search(
            r"\bactive\b", norm):
        del entities["metric"]
    if intent == "explain" and not {"metric", "customer_id"} & set(entities) and re.search(
            r"\b(churn|attrition|cancel|leaving|risk)", norm):
        entities["metric"] = "churn rate"
    if intent == "navigate":
        target = page(norm) or ("/" if re.search(r"\bhome\b", norm) else None)
        if target:
            entities = {k: v for k, v in entities.items() if not (k == "category" and v == "Home" and target == "/")}
            entities["page"] = target
    return entities


def _clean(text: str) -> str:
    """Control characters removed (they are never part of a question), spaces collapsed."""
    if not isinstance(text, str):
        return ""
    kept = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    return " ".join(kept.split())


def _gibberish(words: list[str], known: frozenset[str], entities: dict) -> bool:
    """No known word, no entity, and words that are mostly not words (few vowels, long consonant runs)."""
    if entities or not words or any(word in known for word in words):
        return False
    odd = sum(1 for word in words if not word.isdigit() and not re.search(r"[aeiouy]", word) or re.search(r"[^aeiouy\d\W]{5,}", word))
    return odd * 2 >= len(words)
