"""The chat assistant's panel, docked on every page, and one answer rendered from the API's JSON.

``chat_panel()`` is the panel (hidden until the shell's callback shows it to a user who may chat);
``chat_launcher()`` the header button that opens it. ``conversation_view(turns)`` renders the kept conversation:
each turn is the API's answer JSON (``POST /api/v1/chat``: ``{"conversation", **Answer.to_dict()}``).
Everything the server sent is rendered as text (React escapes it): a customer named ``<img onerror=…>`` stays text.
Sending, streaming, the keyboard shortcut, copy, read-aloud and the microphone live in ``assets/chat.js``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.charts import graph_config
from components.primitives import figure, rgba
from components.theme import PALETTE

__all__ = ["CHAT_API_URL", "SHORTCUT", "MAX_QUESTION", "chat_launcher", "chat_panel", "model_chip",
           "suggestion_buttons", "question_view", "answer_view", "conversation_view", "safe_href"]

CHAT_API_URL = "/api/v1/chat"
SHORTCUT = "Control+/"  # focuses the question box (aria-keyshortcuts syntax); assets/chat.js listens for it
MAX_QUESTION = 500  # characters; the API refuses longer questions
MAX_TABLE_ROWS = 8
_MIC_TITLE = ("Speak a question: uses your browser's speech recognition (Chrome sends the audio to Google to "
              "transcribe it; nothing is transcribed on this server)")
_SPEAK_TITLE = "Read this answer aloud (your browser's speech synthesis)"
_SOURCE_TITLES = {
    "model": "Written by the local language model from the facts below, and checked against them",
    "template": "Written from the facts below by a template",
}


def _icon(name: str) -> html.I:
    return html.I(className=f"bi bi-{name}", **{"aria-hidden": "true"})


def _button(button_id: str | None, icon: str, label: str, title: str, className: str = "nf-chat-icon-btn",
            **kwargs) -> html.Button:
    """A small icon button whose accessible name is ``label``."""
    found = {"id": button_id} if button_id else {}
    return html.Button(_icon(icon), type="button", className=className, title=title,
                       **{"aria-label": label}, **found, **kwargs)


def chat_launcher() -> html.Button:
    """The header's button that opens the panel (hidden until the shell knows the user may chat)."""
    return html.Button([_icon("chat-dots"), html.Span("Ask", className="nf-chat-launcher-label")],
                       id=ids.CHAT_LAUNCHER, type="button", className="nf-chat-launcher", hidden=True,
                       title="Ask the assistant about your data (Ctrl+/)",
                       **{"aria-controls": ids.CHAT, "aria-expanded": "false", "aria-keyshortcuts": SHORTCUT})


def model_chip(state: str, detail: str) -> html.Span:
    """The panel header's chip: ``state`` is "ready", "off" or "down"; ``detail`` says what that means."""
    label = {"ready": "MODEL READY", "off": "MODEL OFF", "down": "MODEL NOT RUNNING"}[state]
    return html.Span(label, className=f"nf-chat-model is-{state}", title=detail, role="note",
                     **{"aria-label": f"{label.capitalize()}: {detail}"})


def _head() -> html.Div:
    return html.Div([
        html.H2("Assistant", className="nf-chat-title", id=ids.child_id(ids.CHAT, "title")),
        html.Span(id=ids.CHAT_MODEL, className="nf-chat-model-slot"),
        html.Div([
            _button(ids.CHAT_CLEAR, "trash3", "Clear the conversation", "Clear the conversation (starts a new one)"),
            _button(ids.CHAT_CLOSE, "x-lg", "Close the assistant", "Close (Esc)"),
        ], className="nf-chat-head-actions"),
    ], className="nf-chat-head")


def _form() -> html.Form:
    question = dbc.Input(
        id=ids.CHAT_INPUT, type="text", maxLength=MAX_QUESTION, autoComplete="off", debounce=True,
        placeholder="Ask about revenue, forecasts, churn… (Ctrl+/)", className="nf-chat-input",
    )  # an Input takes no aria-*: assets/chat.js adds aria-keyshortcuts=SHORTCUT
    return html.Form([
        html.Label("Your question (Ctrl+/ focuses it)", htmlFor=ids.CHAT_INPUT, className="visually-hidden"),
        question,
        _button(ids.CHAT_MIC, "mic", "Speak a question (browser speech recognition)", _MIC_TITLE),
        html.Button([_icon("send"), html.Span("Send", className="nf-chat-send-label")], id=ids.CHAT_SEND,
                    type="submit", className="nf-chat-send", title="Send (Enter)"),
    ], id=ids.CHAT_FORM, className="nf-chat-form", **{"aria-label": "Ask the assistant"})


def chat_panel() -> html.Aside:
    """The docked panel: header with the model's state, the conversation, the streamed answer in flight,
    status messages, suggested questions and the question box; plus its stores and location."""
    return html.Aside([
        dcc.Store(id=ids.CHAT_HISTORY, storage_type="session"),
        dcc.Store(id=ids.CHAT_OPEN, storage_type="session", data=False),
        dcc.Store(id=ids.CHAT_ANSWER),
        dcc.Location(id=ids.CHAT_LOCATION, refresh="callback-nav"),
        _head(),
        html.Div([
            html.Div(id=ids.CHAT_MESSAGES, className="nf-chat-log", role="log",
                     **{"aria-label": "Conversation", "aria-live": "polite"}),
            html.Div(id=ids.CHAT_PENDING, className="nf-chat-pending", **{"aria-live": "polite", "aria-busy": "false"}),
        ], className="nf-chat-body", tabIndex="0", role="region", **{"aria-label": "Conversation, scrollable"}),
        html.P(id=ids.CHAT_STATUS, className="nf-chat-status", role="status"),
        html.Div(id=ids.CHAT_SUGGESTIONS, className="nf-chat-suggestions"),
        _form(),
    ], id=ids.CHAT, className="nf-chat", hidden=True, **{"aria-labelledby": ids.child_id(ids.CHAT, "title")})


def suggestion_buttons(questions: Sequence[str], label: str = "Try asking") -> html.Div:
    """Questions as buttons; a click asks it (assets/chat.js sends the button's text)."""
    if not questions:
        return html.Div()
    return html.Div([html.Span(label, className="nf-chat-suggest-label")]
                    + [html.Button(q, type="button", className="nf-chat-suggestion") for q in questions],
                    className="nf-chat-suggest", role="group", **{"aria-label": label})


def safe_href(href: Any) -> str | None:
    """``href`` when it is a path on this site (``/forecast?node=EMEA``), else None (never another origin or a
    ``javascript:`` URL, whatever the server sent)."""
    if not isinstance(href, str) or not href.startswith("/") or href.startswith("//") or "\\" in href:
        return None
    return href if href.isprintable() else None


def question_view(text: Any) -> html.Div:
    """The user's question, as sent."""
    return html.Div([html.Span("You", className="visually-hidden"), html.P(str(text), className="nf-chat-q-text")],
                    className="nf-chat-question")


def _cell(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "—" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}"
    return str(value)


def _table(rows: Sequence[Mapping[str, Any]], caption: str) -> html.Table:
    columns: list[str] = []
    for row in rows:
        columns += [str(key) for key in row if str(key) not in columns]
    shown = list(rows)[:MAX_TABLE_ROWS]
    body = [html.Tr([html.Td(_cell(row.get(col)), className="is-num" if _number(row.get(col)) else None)
                     for col in columns]) for row in shown]
    more = len(rows) - len(shown)
    return html.Div(html.Table([
        html.Caption(caption + (f" (first {len(shown)} of {len(rows)})" if more > 0 else "")),
        html.Thead(html.Tr([html.Th(col.replace("_", " "), scope="col") for col in columns])),
        html.Tbody(body),
    ], className="nf-chat-table"), className="nf-chat-table-wrap")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _facts(facts: Sequence[Mapping[str, Any]]) -> html.Details:
    """The facts behind the answer: name, value as shown, period and filters."""
    rows = []
    for fact in facts:
        period = fact.get("period") or ()
        filters = ", ".join(f"{k}: {v}" for k, v in (fact.get("filters") or {}).items())
        rows.append(html.Tr([html.Th(str(fact.get("name", "")), scope="row"), html.Td(str(fact.get("display", ""))),
                             html.Td(" – ".join(map(str, period)) if period else "—"), html.Td(filters or "all")]))
    head = html.Thead(html.Tr([html.Th(name, scope="col") for name in ("fact", "value", "period", "filters")]))
    return html.Details([html.Summary(f"Facts used ({len(facts)})"),
                         html.Table([head, html.Tbody(rows)], className="nf-chat-table nf-chat-facts")],
                        className="nf-chat-facts-box")


def _sparkline(series: Mapping[str, Any]) -> html.Div:
    """A small static line of ``series`` (``x``, ``y``, ``name``; ``lo``/``hi``: its interval, drawn as a band) on
    the neon template."""
    x = list(series.get("x") or [])
    traces = []
    if series.get("lo") and series.get("hi"):
        band = {"type": "scatter", "mode": "lines", "x": x, "line": {"width": 0}, "hoverinfo": "skip"}
        traces += [{**band, "y": list(series["hi"]), "name": "upper"},
                   {**band, "y": list(series["lo"]), "name": "lower", "fill": "tonexty",
                    "fillcolor": rgba(PALETTE["magenta"], 0.18)}]
    traces.append({"type": "scatter", "mode": "lines", "x": x, "y": list(series.get("y") or []),
                   "name": str(series.get("name") or ""), "line": {"color": PALETTE["cyan"], "width": 2},
                   "hoverinfo": "skip"})
    fig = figure(traces, height=90, margin={"l": 4, "r": 4, "t": 4, "b": 18}, showlegend=False,
                 xaxis={"showgrid": False, "tickfont": {"size": 9}, "nticks": 4},
                 yaxis={"visible": False}, paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)")
    name = str(series.get("name") or "trend") + (" with its interval" if len(traces) > 1 else "")
    graph = dcc.Graph(figure=fig, config=graph_config(staticPlot=True, displayModeBar=False), style={"height": "90px"})
    return html.Div(graph, className="nf-chat-spark", role="img", **{"aria-label": f"Sparkline: {name}"})


def _confidence(confidence: Mapping[str, Any]) -> html.Details:
    level = str(confidence.get("level") or "low")
    reasons = [str(r) for r in confidence.get("reasons") or ()]
    score = confidence.get("score")
    label = f"{level} confidence" + (f" · {float(score):.2f}" if isinstance(score, (int, float)) else "")
    return html.Details([html.Summary(label, title="; ".join(reasons) or None),
                         html.Ul([html.Li(reason) for reason in reasons] or [html.Li("no reason given")])],
                        className=f"nf-chat-confidence is-{level if level in ('high', 'medium') else 'low'}")


def _source(answer: Mapping[str, Any]) -> html.Span:
    source = "model" if answer.get("source") == "model" else "template"
    title = _SOURCE_TITLES[source]
    if answer.get("guard"):
        title += ". The model's own text was replaced: " + "; ".join(map(str, answer["guard"]))
    return html.Span(source.upper(), className=f"nf-chat-source is-{source}", title=title,
                     **{"aria-label": f"Source: {source}. {title}"})


def _citation(citation: Mapping[str, Any]) -> html.Li:
    label = " · ".join(str(part) for part in (citation.get("page"), citation.get("section")) if part)
    details = [f"dataset v{citation['dataset_version']}" if citation.get("dataset_version") is not None else None,
               " – ".join(str(d) for d in (citation.get("start"), citation.get("end")) if d) or None,
               " ".join(str(m) for m in (citation.get("model"), citation.get("model_version")) if m) or None]
    title = ", ".join(d for d in details if d) or None
    href = safe_href(citation.get("href"))
    link = dcc.Link(label or href, href=href, className="nf-chat-cite", title=title) if href else html.Span(label)
    return html.Li([link] + ([html.Span(title, className="nf-chat-cite-meta")] if title else []))


def _body(answer: Mapping[str, Any]) -> list:
    """Text, then a table, a sparkline and the facts, whichever the answer has."""
    parts: list = [html.P(str(answer.get("text") or ""), className="nf-chat-text")]
    series = answer.get("series")
    if isinstance(series, Mapping) and series.get("y"):
        parts.append(_sparkline(series))
    rows = [row for row in answer.get("table") or () if isinstance(row, Mapping)]
    if rows:
        parts.append(_table(rows, "Details"))
    facts = [fact for fact in answer.get("facts") or () if isinstance(fact, Mapping)]
    if facts:
        parts.append(_facts(facts))
    if answer.get("notice") and answer.get("notice") != answer.get("text"):
        parts.append(html.P([_icon("info-circle"), html.Span(str(answer["notice"]))], className="nf-chat-notice",
                            role="note"))
    return parts


def answer_view(answer: Mapping[str, Any], latest: bool = False) -> html.Article:
    """One answer from the API's JSON: text, table/sparkline, facts, notice, citations, confidence, its source
    (model or template), copy and read-aloud; ``latest`` adds the follow-up suggestions."""
    citations = [c for c in answer.get("citations") or () if isinstance(c, Mapping)]
    parts = [html.Div([_source(answer), _confidence(answer.get("confidence") or {})], className="nf-chat-meta"),
             *_body(answer)]
    if citations:
        parts.append(html.Ul([_citation(c) for c in citations], className="nf-chat-cites",
                             **{"aria-label": "Sources"}))
    parts.append(html.Div([
        _button(None, "clipboard", "Copy this answer", "Copy the answer's text", className="nf-chat-icon-btn "
                "nf-chat-copy"),
        _button(None, "volume-up", "Read this answer aloud", _SPEAK_TITLE, className="nf-chat-icon-btn nf-chat-speak"),
    ], className="nf-chat-actions"))
    if latest and answer.get("suggestions"):
        parts.append(suggestion_buttons([str(s) for s in answer["suggestions"]], "Follow up"))
    return html.Article(parts, className="nf-chat-answer")


def conversation_view(turns: Sequence[Mapping[str, Any]], intro: Sequence[str] = ()) -> list:
    """The whole kept conversation (question, answer, …); ``intro`` lines when it is empty."""
    if not turns:
        return [html.Div([html.P(line) for line in intro], className="nf-chat-intro")]
    out: list = []
    for i, answer in enumerate(turns):
        out += [question_view(answer.get("question", "")), answer_view(answer, latest=i == len(turns) - 1)]
    return out
