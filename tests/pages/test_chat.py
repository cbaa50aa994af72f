"""The chat panel's callbacks as plain functions: who sees the panel, the model's state, the page's suggestions,
the conversation kept in the browser's session, navigation and clearing."""
from __future__ import annotations

import datetime as dt
import sys

import pytest
from dash import no_update
from flask import g

from analytics.chat import QueryParser, Vocabulary
from components import ids
from core.auth import Principal
from tests.components.test_chat import HOSTILE, an_answer
from tests.pages.helpers import current, page_store, text_of, triggered_by
from tests.services import free_port


@pytest.fixture(scope="module")
def chat(pages):
    """pages/_chat.py as the app imported it (through pages/_shell.py)."""
    return sys.modules["pages._chat"]


def answered(chat, answer, history):
    with triggered_by(ids.CHAT_ANSWER, "data"):
        return chat.record_turn({"answer": answer, "at": 1}, None, history)


def test_answers_of_one_conversation_are_kept_in_order_and_bounded(chat):
    history, href = answered(chat, an_answer(question="q0"), None)
    assert history == {"conversation": "c-1", "turns": [chat._kept(an_answer(question="q0"))]}
    assert href is no_update
    for i in range(1, chat.MAX_TURNS + 3):
        history, _ = answered(chat, an_answer(question=f"q{i}"), history)
    assert [turn["question"] for turn in history["turns"]] == [f"q{i}" for i in range(3, chat.MAX_TURNS + 3)]
    assert "template_text" not in history["turns"][0]  # only what the panel shows is kept


def test_a_new_conversation_from_the_server_does_not_keep_the_old_turns(chat):
    history, _ = answered(chat, an_answer(question="old"), None)
    history, _ = answered(chat, an_answer(question="new", conversation="c-2"), history)
    assert history["conversation"] == "c-2" and [t["question"] for t in history["turns"]] == ["new"]


def test_clear_starts_a_new_conversation(chat):
    history, _ = answered(chat, an_answer(), None)
    with triggered_by(ids.CHAT_CLEAR, "n_clicks", 1):
        cleared, href = chat.record_turn({"answer": an_answer(), "at": 1}, 1, history)
    assert cleared == {"conversation": None, "turns": []} and href is no_update
    assert text_of(chat.show_conversation(cleared)) == " ".join(chat.INTRO)


@pytest.mark.parametrize("navigate, href", [("/forecast?node=EMEA/Electronics", "/forecast?node=EMEA/Electronics"),
                                            ("/retention", "/retention"), ("javascript:alert(1)", no_update),
                                            ("https://evil.example/", no_update), ("//evil.example", no_update)])
def test_an_answer_that_navigates_moves_the_page_only_within_the_site(chat, navigate, href):
    assert answered(chat, an_answer(navigate=navigate), None)[1] == href


@pytest.mark.parametrize("event", [None, {}, {"answer": "text"}, {"answer": {"text": 5}}, ["answer"]])
def test_a_malformed_answer_changes_nothing(chat, event):
    with triggered_by(ids.CHAT_ANSWER, "data"):
        assert chat.record_turn(event, None, None) == (no_update, no_update)


def test_the_conversation_is_rendered_from_the_session_as_text(chat):
    history, _ = answered(chat, an_answer(question=HOSTILE, text=f"Customer {HOSTILE} is at risk."), None)
    shown = text_of(chat.show_conversation(history))
    assert shown.startswith(f"You {HOSTILE}") and f"Customer {HOSTILE} is at risk." in shown
    assert text_of(chat.show_conversation({"turns": "junk"})) == " ".join(chat.INTRO)


@pytest.mark.parametrize("path", ["/", "/forecast", "/retention", "/data", "/admin", "/forecast/", "/nope", None])
def test_every_page_suggests_questions_the_assistant_understands(chat, path):
    expected = chat.PAGE_SUGGESTIONS.get((path or "/").rstrip("/") or "/", chat.PAGE_SUGGESTIONS["/"])
    shown = text_of(chat.suggest_for_page(path))
    assert all(question in shown for question in expected)
    parser = QueryParser(Vocabulary.sample(), today=dt.date(2026, 10, 31))
    assert [q for q in expected if parser.parse(q).intent == "unknown"] == []


def show_chat_as(chat, store, principal):
    """``show_chat`` in a callback request of ``store``'s app made by ``principal``."""
    with current(store), store.app.server.test_request_context("/_dash-update-component", method="POST"):
        g.principal = principal
        return chat.show_chat(ids.CHAT)


@pytest.mark.parametrize("kind, role, shown", [("session", "viewer", True), ("session", "admin", True),
                                               ("sso", "analyst", True), ("embed", "viewer", False),
                                               (None, None, False)])
def test_the_panel_is_shown_only_to_users_who_may_chat(chat, shared_company, tmp_path, kind, role, shown):
    store = page_store(shared_company.url, tmp_path, FORESIGHT_CHAT_MODEL="none")
    principal = Principal(username="ana", role=role, kind=kind) if kind else None
    panel_hidden, launcher_hidden, chip = show_chat_as(chat, store, principal)
    assert (panel_hidden, launcher_hidden) == (not shown, not shown)
    assert (text_of(chip) == "MODEL OFF") if shown else chip is None


def test_the_panel_says_the_model_is_not_running(chat, shared_company, tmp_path):
    store = page_store(shared_company.url, tmp_path, FORESIGHT_CHAT_MODEL="smollm2",
                       FORESIGHT_CHAT_MODEL_URL=f"http://127.0.0.1:{free_port()}")
    _, _, chip = show_chat_as(chat, store, Principal(username="ana", role="viewer", kind="session"))
    assert text_of(chip) == "MODEL NOT RUNNING" and "templates" in chip.title and "smollm2" in chip.title
