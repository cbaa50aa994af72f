"""What the assistant knows and says, as data: a parsed question, the facts behind an answer, where each came
from, how sure it is, and the answer itself.

Every number an answer shows is a ``Fact`` computed by the analytics the pages use; the text is written from the
facts (by a template, or by the local language model and then checked against them by the guard).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["INTENTS", "ENTITY_KEYS", "METRICS", "Parse", "Fact", "Citation", "Confidence", "Answer"]

# The intents the parser knows (exactly these names; issue 15).
INTENTS: tuple[str, ...] = ("forecast", "churn", "retention", "clv", "segment", "anomaly", "kpi", "compare",
                            "explain", "health", "navigate", "help", "unknown")
# The entity keys a parse may carry; any other key is a bug.
ENTITY_KEYS: tuple[str, ...] = ("metric", "region", "segment", "channel", "category", "horizon_days", "period",
                                "top_n", "customer_id", "page")
# Canonical metric names (the ``metric`` entity's values).
METRICS: tuple[str, ...] = ("revenue", "orders", "units", "active customers", "average order value", "churn rate")


@dataclass(frozen=True)
class Parse:
    """One understood question: its intent, its entities (canonical values only; unmentioned keys left out) and
    how sure the parser is (0..1).

    ``period`` is ``{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}`` (both included); ``horizon_days``, ``top_n`` and
    ``customer_id`` are ints; ``page`` is a page path such as ``/retention``. ``carried`` names the entities taken
    from the conversation's previous turn rather than from this text.
    """

    intent: str
    entities: dict[str, Any]
    confidence: float
    text: str = ""
    carried: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The CLI's and the API's shape: ``{"intent", "entities", "confidence"}``."""
        return {"intent": self.intent, "entities": dict(self.entities), "confidence": round(self.confidence, 3)}


@dataclass(frozen=True)
class Fact:
    """One number (or name) an answer may state: what it is, its value and unit, the period and filters it is for.

    ``unit``: ``"currency"``, ``"count"``, ``"percent"`` (a share 0..1), ``"days"``, ``"score"`` or ``"text"``.
    ``display`` is the value as the answer writes it (e.g. ``"$1.2M"``, ``"4.3%"``); the guard accepts a number in
    generated text when it matches a fact's value or its display.
    """

    name: str
    value: float | int | str
    unit: str
    display: str
    period: tuple[str, str] | None = None
    filters: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Citation:
    """Where facts came from: the page and section that show them (``href`` opens it with the filters applied),
    the dataset version, the model and its version when a model made them, and the date range."""

    page: str
    section: str
    href: str
    dataset_version: int | None
    start: str | None = None
    end: str | None = None
    model: str | None = None
    model_version: str | None = None


@dataclass(frozen=True)
class Confidence:
    """How sure the answer is: a level, a score (0..1) and the reasons in words (parse certainty, interval width,
    the model's out-of-time AUC, little data)."""

    level: Literal["high", "medium", "low"]
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    """A whole answer. ``text`` is what the panel shows; ``template_text`` is the templated answer written from the
    facts; ``source`` says whether ``text`` is the language model's (``"model"``) or the template's
    (``"template"``); ``guard`` lists why the model's text was rejected (empty when it was accepted or not tried).

    ``table`` (rows of plain dicts) and ``series`` (``{"x": [...], "y": [...], "name": ...}``) are shown when they
    read better than a sentence; ``navigate`` is a page URL (with the filters as its query) the panel moves to;
    ``suggestions`` are follow-up questions; ``notice`` says what the assistant could not do (e.g. no model).
    """

    question: str
    parse: Parse
    text: str
    template_text: str
    facts: tuple[Fact, ...]
    citations: tuple[Citation, ...]
    confidence: Confidence
    source: Literal["model", "template"] = "template"
    guard: tuple[str, ...] = ()
    table: tuple[dict[str, Any], ...] = ()
    series: dict[str, Any] | None = None
    navigate: str | None = None
    suggestions: tuple[str, ...] = ()
    notice: str | None = None
    dataset_version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the API's and the CLI's answer shape."""
        data = asdict(self)
        data["parse"] = self.parse.as_json()
        return _plain(data)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return value.item()
    return value
