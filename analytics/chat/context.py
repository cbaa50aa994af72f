"""A conversation's context: the last turns (parse + a summary of the answer), and how a follow-up ("and for APAC?",
"why?", "what about 90 days?", "same for orders") is merged with the turn it follows.

Context lives in a ``Conversation`` object only (core stores one per user and conversation id); nothing here is
module state, so two conversations never share context.
"""
from __future__ import annotations

import re
from typing import Any

from analytics.chat.facts import Parse
from analytics.chat.lexicon import FOLLOW_UP_PATTERN

__all__ = ["Conversation", "merge", "MAX_TURNS"]

MAX_TURNS = 10
FILTER_KEYS = ("region", "segment", "channel", "category", "period")
_NO_CONTEXT = ("unknown", "help", "navigate")
_PERIODIC = ("kpi", "churn", "anomaly", "compare", "explain", "retention", "clv")
_FOLLOW_UP = re.compile(FOLLOW_UP_PATTERN)
_WHY = re.compile(r"^(why|how come|explain|what caused|what is driving|what drives|reasons?|what are the reasons)\b")
_DROP = re.compile(r"\b(?:all|any|every|across) (region|segment|channel|categor)(?:y|ies|s)?\b")
_INCOMPATIBLE = {"churn": ("revenue", "orders", "units", "average order value", "active customers"),
                 "retention": ("revenue", "orders", "units", "average order value"),
                 "clv": ("orders", "units", "churn rate"), "segment": ("orders", "units", "churn rate")}


class Conversation:
    """The last ``MAX_TURNS`` turns of one conversation: each a ``Parse`` and a small JSON-safe summary of the answer
    (e.g. ``{"text": ..., "facts": [...]}``) that a later turn may refer to."""

    def __init__(self, turns: list[tuple[Parse, dict]] | None = None):
        self._turns: list[tuple[Parse, dict]] = list(turns or [])[-MAX_TURNS:]

    @property
    def last(self) -> Parse | None:
        """The previous turn's parse, or None at the start."""
        return self._turns[-1][0] if self._turns else None

    @property
    def turns(self) -> tuple[tuple[Parse, dict], ...]:
        """(parse, answer summary) per turn, oldest first."""
        return tuple(self._turns)

    def context(self) -> Parse | None:
        """The latest turn a follow-up can build on (not an unknown, help or navigation turn)."""
        for parse, _ in reversed(self._turns):
            if parse.intent not in _NO_CONTEXT:
                return parse
        return None

    def remember(self, parse: Parse, answer_summary: dict | None = None) -> None:
        """Add a turn (the oldest drops out beyond ``MAX_TURNS``)."""
        self._turns = [*self._turns, (parse, dict(answer_summary or {}))][-MAX_TURNS:]

    def clear(self) -> None:
        """Forget every turn."""
        self._turns = []

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``{"turns": [{"intent", "entities", "confidence", "text", "carried", "answer"}, ...]}``."""
        return {"turns": [{"intent": p.intent, "entities": p.entities, "confidence": p.confidence, "text": p.text,
                           "carried": list(p.carried), "answer": summary} for p, summary in self._turns]}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "Conversation":
        """Rebuild from ``to_dict``'s output; malformed turns are skipped (stored data is not trusted)."""
        turns: list[tuple[Parse, dict]] = []
        for turn in (data or {}).get("turns", []) if isinstance(data, dict) else []:
            try:
                parse = Parse(str(turn["intent"]), dict(turn.get("entities") or {}), float(turn.get("confidence", 0)),
                              text=str(turn.get("text", "")), carried=tuple(turn.get("carried") or ()))
            except (KeyError, TypeError, ValueError):
                continue
            turns.append((parse, dict(turn.get("answer") or {})))
        return cls(turns)

    def __len__(self) -> int:
        return len(self._turns)


def merge(fresh: Parse, norm: str, strength: float, bare: dict[str, Any],
          conversation: Conversation | None) -> Parse:
    """``fresh`` merged with the conversation's context when the text follows up on it; a bare duration
    (``bare``: ``{"horizon_days": 90, "period": {...}}`` for "90 days") becomes the forecast's horizon, or the
    trailing period for any other intent.

    A follow-up is a text starting with "and", "what about", "same for", ... or one with no intent of its own; it
    keeps the previous intent (unless it names a strong new one) and replaces only the entities it names.
    """
    previous = conversation.context() if conversation is not None else None
    if previous is None or fresh.intent in _NO_CONTEXT and not (_FOLLOW_UP.search(norm) or bare):
        return _with_duration(fresh, fresh.intent, bare)
    if _WHY.search(norm) and len(norm.split()) <= 4 and not _has_subject(fresh):
        return _why(fresh, previous)
    own_intent = fresh.intent not in ("unknown", "kpi") and strength >= 1.5
    follows = bool(_FOLLOW_UP.search(norm)) or fresh.intent == "unknown" or len(norm.split()) <= 2
    if not follows or (own_intent and not _FOLLOW_UP.search(norm)):
        return _with_duration(fresh, fresh.intent, bare)
    if fresh.intent == "unknown" and not fresh.entities and not bare and not _DROP.search(norm):
        return fresh
    intent = fresh.intent if own_intent else previous.intent
    if intent != "kpi" and any(m in _INCOMPATIBLE.get(intent, ()) for m in _as_list(fresh.entities.get("metric"))):
        intent = "kpi"
    keep = previous.entities if intent == previous.intent else {k: v for k, v in previous.entities.items()
                                                                if k in FILTER_KEYS}
    entities = {k: v for k, v in keep.items() if k not in fresh.entities and not _dropped(k, norm)}
    merged = Parse(intent, {**entities, **fresh.entities}, max(fresh.confidence, 0.6) * 0.95 if fresh.intent ==
                   "unknown" else fresh.confidence, text=fresh.text, carried=tuple(entities))
    return _with_duration(merged, intent, bare, replace=True)


def _as_list(value) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _has_subject(fresh: Parse) -> bool:
    """A "why" question that names its own subject ("why did revenue drop in March") is not a bare "why?"."""
    return bool(set(fresh.entities) - {"period"})


def _dropped(key: str, norm: str) -> bool:
    match = _DROP.search(norm)
    return bool(match) and key.startswith(match.group(1))


def _why(fresh: Parse, previous: Parse) -> Parse:
    """"why?" after a question: explain that question's subject (a churn question's subject is the churn rate)."""
    entities = {k: v for k, v in previous.entities.items() if k not in ("top_n", "page") and k not in fresh.entities}
    if previous.intent in ("churn", "retention") and "metric" not in entities and "customer_id" not in entities:
        entities["metric"] = "churn rate"
    return Parse("explain", {**entities, **fresh.entities}, max(fresh.confidence, 0.8), text=fresh.text,
                 carried=tuple(entities))


def _with_duration(parse: Parse, intent: str, bare: dict[str, Any], replace: bool = False) -> Parse:
    """A bare duration ("90 days") as the horizon of a forecast, else (in a follow-up) as the trailing period
    ending today; a bare number ("now 20") as the new top N of a follow-up that had one."""
    if not bare:
        return parse
    if "top_n" in bare:
        key = "top_n" if replace and "top_n" in parse.entities else ""
    else:
        key = "horizon_days" if intent == "forecast" else "period" if replace and intent in _PERIODIC else ""
    if not key or (key in parse.entities and key not in parse.carried):
        return parse
    entities = dict(parse.entities)
    entities[key] = bare[key]
    carried = tuple(k for k in parse.carried if k != key) if replace else parse.carried
    return Parse(parse.intent, entities, parse.confidence, text=parse.text, carried=carried)
