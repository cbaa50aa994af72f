"""The assistant per request: cheap to build, because what is costly is made once per process.

Per process: the store's vocabulary (per dataset version), the parser built on it (per last complete day, which
anchors "last month"), the MiniLM embedder (loaded once, on a thread, by the first question) and the language
model's client.
Per request: ``CachedResults`` (the pages' results cache for the current dataset version) and the caller's
conversation from the shared cache. ``ask`` and ``stream`` answer a signed-in caller inside a request;
``answer_cli`` answers ``python -m analytics.chat ask`` with the app's cache configuration.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import threading
from collections.abc import Iterator
from typing import Any

from flask import Flask, current_app

from analytics.chat import Answer, ConversationalAI, QueryParser, Vocabulary, load_embedder
from core.cache import init_cache
from core.chat import conversations
from core.chat.config import ChatSettings
from core.chat.results import CachedResults
from core.runtime import SETTINGS_KEY
from core.settings import Settings, settings_or_exit
from data.store import get_engine

__all__ = ["CachedResults", "answer_cli", "ask", "assistant_for", "embedder", "language_model", "stream"]

log = logging.getLogger(__name__)
_embedder_lock = threading.Lock()
_embedder: dict[str, Any] = {}  # "value" once loaded, "loader" (the thread) while loading: once per process


@functools.lru_cache(maxsize=4)
def _vocabulary(database_url: str, version: int | None) -> Vocabulary:
    """The store's names for this dataset version (the sample company's when the store is empty)."""
    return Vocabulary.from_store(get_engine(database_url))


def _load_embedder() -> None:
    try:
        value = load_embedder()
    except Exception:  # noqa: BLE001 — the parser works without it (rules only); the log says why
        log.exception("loading the sentence embedder failed; questions are parsed by rules only")
        value = None
    with _embedder_lock:
        _embedder["value"] = value


def embedder(*, wait: bool = True) -> Any:
    """The MiniLM sentence embedder (None when it is not installed), loaded once per process on a thread.

    ``wait=False`` (web requests) returns None while it loads, so the first questions a worker gets are parsed by the
    rules at once instead of waiting the seconds (a minute on a busy machine) loading takes.
    """
    with _embedder_lock:
        if "value" in _embedder:
            return _embedder["value"]
        loader = _embedder.get("loader")
        if loader is None:
            loader = _embedder["loader"] = threading.Thread(target=_load_embedder, name="chat-embedder", daemon=True)
            loader.start()
    if not wait:
        return None
    loader.join()
    return _embedder["value"]


@functools.lru_cache(maxsize=8)
def _parser(database_url: str, version: int | None, through: str | None, embedded: Any) -> QueryParser:
    today = dt.date.fromisoformat(through) if through else None
    return QueryParser(_vocabulary(database_url, version), embedder=embedded, today=today)


@functools.lru_cache(maxsize=4)
def language_model(chat: ChatSettings) -> Any:
    """The client of the model process (``core.chat.llm.LocalModel``), or None with ``FORESIGHT_CHAT_MODEL=none``."""
    if chat.model == "none":
        return None
    from core.chat.llm import LocalModel

    return LocalModel(chat)


def assistant_for(settings: Settings, *, wait: bool = False) -> ConversationalAI:
    """The assistant on the store's current dataset version (``wait``: compute a costly result instead of starting a
    job for it, and wait for the embedder)."""
    model = language_model(settings.chat)
    results = CachedResults(settings, wait=wait, model=model)
    parser = _parser(settings.database_url, results.version, results.through, embedder(wait=wait))
    return ConversationalAI(results, parser, generator=model, max_tokens=settings.chat.max_tokens)


def _settings() -> Settings:
    return current_app.config[SETTINGS_KEY]


def ask(principal, conversation_id: str | None, question: str) -> tuple[str, Answer]:
    """Answer ``question`` in the caller's conversation (a new one unless ``conversation_id`` is one of theirs);
    returns the conversation's id and the answer."""
    conversation, owner = conversations.conversation_id(conversation_id), conversations.owner_of(principal)
    state = conversations.load(owner, conversation)
    answer = assistant_for(_settings()).answer(question, state)
    conversations.save(owner, conversation, state)
    return conversation, answer


def stream(principal, conversation_id: str | None, question: str) -> tuple[str, Iterator[tuple[str, Any]]]:
    """Like ``ask``, as events: ``("parse", Parse)``, ``("token", str)`` per piece the model writes, then
    ``("answer", Answer)``; the conversation is saved before the answer is handed out."""
    conversation, owner = conversations.conversation_id(conversation_id), conversations.owner_of(principal)
    assistant = assistant_for(_settings())

    def events() -> Iterator[tuple[str, Any]]:
        state = conversations.load(owner, conversation)
        for kind, value in assistant.stream(question, state):
            if kind == "answer":
                conversations.save(owner, conversation, state)
            yield kind, value

    return conversation, events()


def answer_cli(text: str, session: str | None = None, database_url: str | None = None) -> dict[str, Any]:
    """The answer to ``text`` for ``python -m analytics.chat ask``: the API's answer shape plus ``session``.

    Runs outside the web app with its settings and results cache (Redis or the instance's filesystem cache), so it
    reads what the pages computed and fills what they will read. A costly result not cached yet is computed here
    (there is no server to run a job). ``session`` continues a CLI conversation (kept like the panel's).
    """
    settings = settings_or_exit()
    if database_url:
        settings = dataclasses.replace(settings, database_url=database_url)
    app = Flask("foresight-chat-cli")
    app.config[SETTINGS_KEY] = settings
    init_cache(app, settings)
    with app.app_context():
        owner, conversation = "cli", session or "default"
        state = conversations.load(owner, conversation)
        answer = assistant_for(settings, wait=True).answer(text, state)
        conversations.save(owner, conversation, state)
    return {"session": conversation, **answer.to_dict()}
