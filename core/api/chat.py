"""``POST /api/v1/chat``: ask the assistant a question; the answer as JSON, or as server-sent events while it is written.

The caller needs the chat permission (viewers have it; an embed link does not), checked before the body is read;
questions count against ``FORESIGHT_CHAT_RATE_LIMIT`` per user (besides the API's own limit). A question is untrusted
text: trimmed, 1 to 500 characters, no control characters (each refusal a 422 saying which), never executed and never
rendered as HTML. The audit log records that the user asked and the understood intent, never the question.
"""
from __future__ import annotations

import functools
import json as jsonlib
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

from flask import Response, request, stream_with_context
from flask_limiter.errors import RateLimitExceeded
from pydantic import ValidationError
from spectree import Response as Documented

from core.api import models as m
from core.api.access import Permission, audit, require
from core.api.base import ApiError, api, api_spec, validation_message
from core.api.chat_models import QUESTION_CHARS, ChatAnswer, ChatBody
from core.api.reads import ERRORS
from core.auth import audit as actions
from core.auth.limits import limiter, per_user, retry_after, setting_rate
from core.chat import service as chat_service
from core.errors import report_unexpected
from core.problems import problem

_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")  # text-direction overrides
_STREAM_HEADERS = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"}


def _refuse(detail: str, slug: str) -> ApiError:
    return ApiError(422, detail, slug=slug, title="Unprocessable Content")


def clean_question(text: str) -> str:
    """The question trimmed, its runs of whitespace as one space; ApiError 422 saying what is wrong with it."""
    question = " ".join(text.split())
    if not question:
        raise _refuse("the question is empty; ask something like \"what was revenue last month?\"", "empty-question")
    if len(question) > QUESTION_CHARS:
        raise _refuse(f"the question is {len(question)} characters long; ask in at most {QUESTION_CHARS} "
                      "characters", "question-too-long")
    for position, char in enumerate(question, start=1):
        if unicodedata.category(char) in ("Cc", "Cs") or char in _BIDI:
            raise _refuse(f"the question contains the control character U+{ord(char):04X} at character {position}; "
                          "send plain text", "control-character")
    return question


def _count_question() -> None:
    """Count one question for the caller against ``FORESIGHT_CHAT_RATE_LIMIT``; ApiError 429 past it."""
    try:
        with limiter.limit(setting_rate("chat_rate"), key_func=per_user("chat"), scope="chat"):
            return
    except RateLimitExceeded as error:
        seconds, at = retry_after()
        raise ApiError(429, f"too many questions ({error.limit.limit} per user, FORESIGHT_CHAT_RATE_LIMIT); ask again "
                            f"in {seconds} s (at {at})", slug="rate-limited",
                       headers={"Retry-After": str(seconds)}) from None


def _stream_wanted() -> bool:
    accept = request.accept_mimetypes
    return accept["text/event-stream"] > accept["application/json"]


def _chat_access(view: Callable) -> Callable:
    """Permission, then the rate limit, then the body (a caller who may not chat learns nothing about the route);
    ``Accept: text/event-stream`` is answered here, as spectree would read a whole stream to validate it."""
    @functools.wraps(view)  # keeps spectree's attributes: the route stays in the OpenAPI document
    def guarded(*args, **kwargs):
        principal = require(Permission.CHAT)
        _count_question()
        if not _stream_wanted():
            return view(*args, **kwargs)
        try:
            body = ChatBody.model_validate(request.get_json(silent=True))
        except ValidationError as error:
            raise ApiError(400, validation_message(error, "field"), slug="invalid-request") from None
        question = clean_question(body.question)
        conversation, events = chat_service.stream(principal, body.conversation, question)
        return Response(stream_with_context(_events(conversation, events)), mimetype="text/event-stream",
                        headers=_STREAM_HEADERS)
    return guarded


@api.post("/chat")
@_chat_access
@api_spec.validate(json=ChatBody, resp=Documented(HTTP_200=ChatAnswer, HTTP_422=m.Problem, **ERRORS), tags=("chat",))
def chat(json: ChatBody):
    """Ask the assistant a question about the data; every number in the answer comes from the analytics the pages use.

    The answer has the text (``source``: the local language model's, checked by the guard, or the template's), the
    facts with their periods and filters, citations (the page and section showing them, dataset version, model),
    a confidence with its reasons, and follow-up suggestions. Send ``conversation`` back to ask a follow-up ("and
    for APAC?"). With ``Accept: text/event-stream`` the answer comes as server-sent events: ``parse`` (the intent
    and entities), ``token`` (``{"text": ...}`` for each piece the model writes), then ``answer`` (this JSON), or
    ``error`` (a problem). A result that is still being computed gives an answer saying so (its ``notice``).
    """
    principal = require(Permission.CHAT)
    conversation, answer = chat_service.ask(principal, json.conversation, clean_question(json.question))
    _audit(answer)
    return {"conversation": conversation, **answer.to_dict()}


def _audit(answer) -> None:
    audit(actions.CHAT, target=answer.parse.intent)


def _event(kind: str, data: dict[str, Any]) -> bytes:
    return f"event: {kind}\ndata: {jsonlib.dumps(data, default=str)}\n\n".encode()


def _events(conversation: str, events: Iterator[tuple[str, Any]]) -> Iterator[bytes]:
    """The assistant's events as SSE; an unexpected failure mid-answer is an ``error`` event with its error id."""
    try:
        for kind, value in events:
            if kind == "parse":
                yield _event("parse", {"conversation": conversation, **value.as_json()})
            elif kind == "token":
                yield _event("token", {"text": value})
            else:
                _audit(value)
                yield _event("answer", {"conversation": conversation, **value.to_dict()})
    except Exception as error:  # noqa: BLE001 — the stream has started: the failure becomes its last event
        error_id = report_unexpected(error, "POST /api/v1/chat (event stream)")
        failed = problem(500, f"the answer failed (error id {error_id}); the details are in the server log",
                         error_id=error_id)
        yield _event("error", jsonlib.loads(failed.get_data()))
