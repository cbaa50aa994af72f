"""The chat panel's callbacks, shared by every page (imported by pages/_shell.py).

The question travels from the browser straight to ``POST /api/v1/chat`` (``assets/chat.js`` streams it); the final
answer JSON comes back through the ``CHAT_ANSWER`` store and is kept, with the conversation's id, in a
session-storage store (``CHAT_HISTORY``) that survives page navigation and reloads. These callbacks only render
what is kept: they compute nothing. The panel is shown only to users who may chat (never inside an embed link).

The module name starts with an underscore so Dash's page scanner skips it.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from dash import Input, Output, State, callback, clientside_callback, ctx, no_update

from components import ids
from components.chat import CHAT_API_URL, MAX_QUESTION, SHORTCUT, conversation_view, model_chip, safe_href, suggestion_buttons
from core.auth import Permission, current_principal
from core.chat.llm import LocalModel
from core.runtime import current_settings

__all__ = ["MAX_TURNS", "PAGE_SUGGESTIONS", "INTRO", "may_chat", "model_state", "show_chat",
           "suggest_for_page", "record_turn", "show_conversation"]

MAX_TURNS = 10  # answers kept in the browser's session (the server's conversation keeps as many)
# Questions that fit each page (the assistant answers each of them on the sample company).
PAGE_SUGGESTIONS: dict[str, tuple[str, ...]] = {
    "/": ("What was revenue in the last 30 days?", "Compare revenue by region", "Why did revenue drop last month?"),
    "/forecast": ("Forecast revenue for the next 30 days", "Show the forecast for EMEA Electronics",
                  "How sure is the forecast?"),
    "/retention": ("What is the churn rate?", "What is driving churn?", "Who are the top 5 customers at risk?"),
    "/data": ("How fresh is the data?", "Is the system healthy?", "What can you answer?"),
    "/admin": ("Is the system healthy?", "What can you answer?", "Open the overview"),
}
INTRO = ("Ask about revenue, orders, forecasts, churn, customer value or segments, in plain words.",
         "Every number comes from the same analytics as the pages, with its source and how sure it is.")
_ANSWER_KEYS = ("conversation", "question", "parse", "text", "facts", "citations", "confidence", "source", "guard",
                "table", "series", "navigate", "suggestions", "notice", "dataset_version")


def may_chat() -> bool:
    """Whether the caller of this request may use the assistant (an embed link never may)."""
    principal = current_principal()
    return principal is not None and principal.kind != "embed" and principal.can(Permission.CHAT)


def model_state() -> tuple[str, str]:
    """("ready" | "off" | "down", what that means) for the configured language model."""
    chat = current_settings().chat
    if chat.model == "none":
        return "off", "No language model is configured (FORESIGHT_CHAT_MODEL=none): answers come from templates."
    health = LocalModel(chat).health()
    if not health:
        return "down", (f"The language model ({chat.model}) is not running at {chat.model_url}: answers come from "
                        "templates, with the same facts.")
    if health.get("loaded") is False:
        return "down", f"The language model ({chat.model}) is still loading: answers come from templates meanwhile."
    return "ready", (f"The local language model ({health.get('model') or chat.model}) writes the answers; a guard "
                     "checks every number against the facts.")


@callback(Output(ids.CHAT, "hidden"), Output(ids.CHAT_LAUNCHER, "hidden"), Output(ids.CHAT_MODEL, "children"),
          Input(ids.CHAT, "id"))
def show_chat(_loaded):
    """Show the panel and its launcher to a user who may chat (once per page load), with the model's state."""
    if not may_chat():
        return True, True, None
    return False, False, model_chip(*model_state())


@callback(Output(ids.CHAT_SUGGESTIONS, "children"), Input(ids.URL, "pathname"))
def suggest_for_page(pathname):
    """Suggested questions that fit the page on screen."""
    return suggestion_buttons(PAGE_SUGGESTIONS.get(str(pathname or "/").rstrip("/") or "/", PAGE_SUGGESTIONS["/"]))


def _kept(answer: Mapping[str, Any]) -> dict[str, Any]:
    return {key: answer[key] for key in _ANSWER_KEYS if key in answer}


@callback(Output(ids.CHAT_HISTORY, "data"), Output(ids.CHAT_LOCATION, "href"),
          Input(ids.CHAT_ANSWER, "data"), Input(ids.CHAT_CLEAR, "n_clicks"), State(ids.CHAT_HISTORY, "data"),
          prevent_initial_call=True)
def record_turn(event, _cleared, history):
    """Keep a new answer (and its conversation's id) or start a new conversation; an answer that navigates moves
    the page to its path with the filters in the query."""
    if ctx.triggered_id == ids.CHAT_CLEAR:
        return {"conversation": None, "turns": []}, no_update
    answer = event.get("answer") if isinstance(event, Mapping) else None
    if not isinstance(answer, Mapping) or not isinstance(answer.get("text"), str):
        return no_update, no_update
    history = history if isinstance(history, Mapping) else {}
    turns = [turn for turn in history.get("turns") or [] if isinstance(turn, Mapping)]
    conversation = answer.get("conversation") if isinstance(answer.get("conversation"), str) else None
    if conversation != history.get("conversation"):
        turns = []  # the server started a new conversation: the old turns are not its context
    kept = {"conversation": conversation, "turns": [*turns, _kept(answer)][-MAX_TURNS:]}
    href = safe_href(answer.get("navigate"))
    return kept, href if href else no_update


@callback(Output(ids.CHAT_MESSAGES, "children"), Input(ids.CHAT_HISTORY, "data"))
def show_conversation(history):
    """Render the kept conversation (the intro when there is none)."""
    turns = history.get("turns") if isinstance(history, Mapping) else None
    return conversation_view([t for t in turns or [] if isinstance(t, Mapping)], intro=INTRO)


# Open and close: the launcher toggles, the close button closes; assets/chat.js also sets CHAT_OPEN (Escape,
# the keyboard shortcut).
clientside_callback(
    """
    function (_launched, _closed, open) {
        const fired = window.dash_clientside.callback_context.triggered.map(t => t.prop_id);
        return fired.some(id => id.startsWith(CLOSE_ID + ".")) ? false : !open;
    }
    """.replace("CLOSE_ID", repr(ids.CHAT_CLOSE)),
    Output(ids.CHAT_OPEN, "data"),
    Input(ids.CHAT_LAUNCHER, "n_clicks"),
    Input(ids.CHAT_CLOSE, "n_clicks"),
    State(ids.CHAT_OPEN, "data"),
    prevent_initial_call=True,
)

# The panel follows CHAT_OPEN; assets/chat.js learns the ids, the API and the conversation's id (no inline script:
# CSP), and moves the focus.
_CONFIG = {"api": CHAT_API_URL, "panel": ids.CHAT, "launcher": ids.CHAT_LAUNCHER, "input": ids.CHAT_INPUT,
           "form": ids.CHAT_FORM, "messages": ids.CHAT_MESSAGES, "pending": ids.CHAT_PENDING,
           "status": ids.CHAT_STATUS, "mic": ids.CHAT_MIC, "clear": ids.CHAT_CLEAR, "answer": ids.CHAT_ANSWER,
           "open": ids.CHAT_OPEN, "max": MAX_QUESTION,
           "shortcut": SHORTCUT}
clientside_callback(
    """
    function (open, history) {
        if (window.nfChat) { window.nfChat.sync(CONFIG, history, Boolean(open)); }
        return [open ? "nf-chat is-open" : "nf-chat", open ? "true" : "false"];
    }
    """.replace("CONFIG", json.dumps(_CONFIG)),
    Output(ids.CHAT, "className"),
    Output(ids.CHAT_LAUNCHER, "aria-expanded"),
    Input(ids.CHAT_OPEN, "data"),
    Input(ids.CHAT_HISTORY, "data"),
)
