"""The chat route's request and answer models (the OpenAPI document is generated from them; see core/api/models.py).

The answer is ``analytics.chat.Answer.to_dict()`` plus the conversation's id; nested parts allow more members so
an answer may grow without breaking clients.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from core.api.models import Open, Query

QUESTION_CHARS = 500


class ChatBody(Query):
    question: str = Field(..., description=f"the question in plain words, 1 to {QUESTION_CHARS} characters after "
                                           "trimming; no control characters")
    conversation: str | None = Field(None, description="the `conversation` id an earlier answer returned, to ask a "
                                                       "follow-up in that conversation; absent or malformed: a new one")


class ChatParse(Open):
    intent: str
    entities: dict[str, Any]
    confidence: float


class ChatFact(Open):
    name: str
    value: float | int | str
    unit: str
    display: str
    period: list[str] | None
    filters: dict[str, str]


class ChatCitation(Open):
    page: str
    section: str
    href: str
    dataset_version: int | None
    start: str | None
    end: str | None
    model: str | None
    model_version: str | None


class ChatConfidence(Open):
    level: Literal["high", "medium", "low"]
    score: float
    reasons: list[str]


class ChatAnswer(Open):
    conversation: str = Field(..., description="send it back as `conversation` to continue this conversation")
    question: str
    parse: ChatParse
    text: str = Field(..., description="the answer to show (plain text, never HTML)")
    template_text: str
    facts: list[ChatFact]
    citations: list[ChatCitation]
    confidence: ChatConfidence
    source: Literal["model", "template"] = Field(..., description="whether `text` is the language model's or the "
                                                                   "template's")
    guard: list[str]
    table: list[dict[str, Any]]
    series: dict[str, Any] | None
    navigate: str | None
    suggestions: list[str]
    notice: str | None
    dataset_version: int | None
