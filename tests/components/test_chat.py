"""The chat panel's builders: the docked panel and one answer rendered from the API's JSON (as text, always)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from dash import dcc, html

from components import ids
from components.chat import (MAX_QUESTION, SHORTCUT, answer_view, chat_launcher, chat_panel, conversation_view,
                             model_chip, safe_href, suggestion_buttons)
from components.theme import PALETTE
from tests.components.helpers import assert_valid_neon, by_id, contrast_ratio, texts
from tests.layout_walk import walk

HOSTILE = '<img src=x onerror=alert(1)>'
CHAT_CSS = Path(__file__).resolve().parents[2] / "assets" / "50-chat.css"


def an_answer(**changes) -> dict:
    """An answer in the API's shape (``{"conversation", **Answer.to_dict()}``)."""
    answer = {
        "conversation": "c-1", "question": "revenue last 30 days", "text": "Revenue was $412.3k.",
        "template_text": "Revenue was $412.3k.",
        "parse": {"intent": "kpi", "entities": {"metric": "revenue"}, "confidence": 0.93},
        "facts": [{"name": "revenue", "value": 412345.6, "unit": "currency", "display": "$412.3k",
                   "period": ["2026-10-02", "2026-10-31"], "filters": {"region": "EMEA"}}],
        "citations": [{"page": "Overview", "section": "KPIs", "href": "/?window=30&region=EMEA", "dataset_version": 3,
                       "start": "2026-10-02", "end": "2026-10-31", "model": None, "model_version": None}],
        "confidence": {"level": "high", "score": 0.91, "reasons": ["clear question", "30 days of data"]},
        "source": "template", "guard": [], "table": [], "series": None, "navigate": None,
        "suggestions": ["and for APAC?"], "notice": None, "dataset_version": 3,
    }
    return {**answer, **changes}


def classes(tree) -> list[str]:
    return [c.className for c in walk(tree) if isinstance(getattr(c, "className", None), str)]


def test_the_panel_starts_hidden_with_its_stores_and_a_labelled_question_box():
    panel = chat_panel()
    found = by_id(panel)
    assert panel.hidden is True and panel.id == ids.CHAT
    for element in (ids.CHAT_MESSAGES, ids.CHAT_PENDING, ids.CHAT_STATUS, ids.CHAT_SUGGESTIONS, ids.CHAT_FORM,
                    ids.CHAT_INPUT, ids.CHAT_MIC, ids.CHAT_SEND, ids.CHAT_CLEAR, ids.CHAT_CLOSE, ids.CHAT_MODEL):
        assert element in found, element
    assert found[ids.CHAT_HISTORY].storage_type == "session" and found[ids.CHAT_OPEN].storage_type == "session"
    assert found[ids.CHAT_LOCATION].refresh == "callback-nav"  # navigates without reloading the app
    question = found[ids.CHAT_INPUT]
    assert question.maxLength == MAX_QUESTION and "Ctrl+/" in question.placeholder
    labels = [c for c in walk(panel) if isinstance(c, html.Label) and c.htmlFor == ids.CHAT_INPUT]
    assert labels and "Ctrl+/" in labels[0].children
    assert found[ids.CHAT_SEND].type == "submit"
    assert "Google" in found[ids.CHAT_MIC].title  # says whose speech recognition it is
    pending = found[ids.CHAT_PENDING]
    assert getattr(pending, "aria-live") == "polite"


def test_the_launcher_is_hidden_until_the_user_may_chat_and_names_the_shortcut():
    launcher = chat_launcher()
    assert launcher.hidden is True and launcher.id == ids.CHAT_LAUNCHER
    assert getattr(launcher, "aria-keyshortcuts") == SHORTCUT == "Control+/"
    assert getattr(launcher, "aria-controls") == ids.CHAT and getattr(launcher, "aria-expanded") == "false"


@pytest.mark.parametrize("state, label", [("ready", "MODEL READY"), ("off", "MODEL OFF"),
                                          ("down", "MODEL NOT RUNNING")])
def test_the_model_chip_says_whether_the_model_runs(state, label):
    chip = model_chip(state, "what it means")
    assert chip.children == label and chip.title == "what it means" and f"is-{state}" in chip.className


def test_an_answer_shows_its_text_facts_citations_confidence_and_source():
    view = answer_view(an_answer())
    shown = texts(view)
    assert "Revenue was $412.3k." in shown
    assert "TEMPLATE" in shown and "high confidence · 0.91" in shown
    assert {"clear question", "30 days of data"} <= set(shown)  # the confidence's reasons
    assert "$412.3k" in shown and "region: EMEA" in shown and "2026-10-02 – 2026-10-31" in shown  # the facts
    links = [c for c in walk(view) if isinstance(c, dcc.Link)]
    assert [(link.href, link.children) for link in links] == [("/?window=30&region=EMEA", "Overview · KPIs")]
    assert "dataset v3" in links[0].title
    assert "nf-chat-copy" in " ".join(classes(view)) and "nf-chat-speak" in " ".join(classes(view))
    assert "and for APAC?" not in shown  # follow-ups only under the latest answer
    assert "and for APAC?" in texts(answer_view(an_answer(), latest=True))


def test_a_model_answer_says_so_and_a_replaced_one_says_why():
    source = [c for c in walk(answer_view(an_answer(source="model")))
              if "nf-chat-source" in str(getattr(c, "className", ""))][0]
    assert source.children == "MODEL" and "language model" in source.title
    replaced = answer_view(an_answer(guard=["number 999 is not in the facts"]))
    source = [c for c in walk(replaced) if "nf-chat-source" in str(getattr(c, "className", ""))][0]
    assert source.children == "TEMPLATE" and "number 999 is not in the facts" in source.title


def test_a_table_and_a_series_are_drawn_and_the_notice_is_shown():
    rows = [{"region": "EMEA", "revenue": 1234.56}, {"region": "APAC", "revenue": 99}, {"region": "LATAM", "revenue": 12.345}]
    series = {"x": ["2026-10-01", "2026-10-02", "2026-10-03"], "y": [3.0, 4.5, 4.0], "name": "daily revenue"}
    view = answer_view(an_answer(table=rows, series=series, notice="The language model is not running."))
    table = next(c for c in walk(view) if isinstance(c, html.Table))
    # whole units from a thousand up (cells stay narrow in the panel), cents below
    assert texts(table) == ["Details", "region", "revenue", "EMEA", "1,235", "APAC", "99", "LATAM", "12.35"]
    assert "The language model is not running." in texts(view)
    graphs = [c for c in walk(view) if isinstance(c, dcc.Graph)]
    assert len(graphs) == 1 and graphs[0].config["staticPlot"] is True
    assert_valid_neon(graphs[0].figure)
    assert graphs[0].figure["data"][0]["y"] == series["y"]
    banded = answer_view(an_answer(series={**series, "lo": [2.0, 4.0, 3.0], "hi": [4.0, 5.0, 5.0]}))
    traces = next(c for c in walk(banded) if isinstance(c, dcc.Graph)).figure["data"]
    assert [(t["name"], t["y"]) for t in traces] == [("upper", [4.0, 5.0, 5.0]), ("lower", [2.0, 4.0, 3.0]),
                                                    ("daily revenue", series["y"])]
    assert traces[1]["fill"] == "tonexty"


def test_a_notice_that_is_the_whole_answer_is_not_repeated():
    view = answer_view(an_answer(text="The forecast is being computed.", notice="The forecast is being computed."))
    assert texts(view).count("The forecast is being computed.") == 1


def test_a_long_table_shows_its_first_rows_and_says_how_many_there_are():
    view = answer_view(an_answer(table=[{"customer": i} for i in range(30)]))
    assert "Details (first 8 of 30)" in texts(view)
    assert len([c for c in walk(view) if isinstance(c, html.Tr)]) == 1 + 8 + 1 + 1  # table head+rows, facts head+row


def test_server_text_stays_text_everywhere():
    """A customer named like HTML, in every field the server sends, is a plain string child: never markup."""
    view = answer_view(an_answer(
        question=HOSTILE, text=f"Top customer: {HOSTILE}", table=[{"customer": HOSTILE}],
        facts=[{"name": HOSTILE, "display": HOSTILE, "period": None, "filters": {"customer": HOSTILE}}],
        citations=[{"page": HOSTILE, "section": HOSTILE, "href": "/retention?customer=7", "dataset_version": 1}],
        confidence={"level": HOSTILE, "score": 0.2, "reasons": [HOSTILE]}, notice=HOSTILE,
        suggestions=[HOSTILE]), latest=True)
    tree = list(walk(view))
    assert not any(isinstance(c, (html.Img, html.Iframe, html.Script, dcc.Markdown)) for c in tree)
    assert not any(hasattr(c, "dangerously_allow_html") for c in tree)
    assert sum(HOSTILE in t for t in texts(view)) >= 8
    confidence = [c for c in tree if "nf-chat-confidence" in str(getattr(c, "className", ""))][0]
    assert confidence.className == "nf-chat-confidence is-low"  # an unknown level never becomes a class name


@pytest.mark.parametrize("href, safe", [
    ("/forecast?node=EMEA/Electronics", True), ("/", True), ("javascript:alert(1)", False),
    ("//evil.example/x", False), ("https://evil.example/", False), ("/\\evil.example", False), (None, False),
    ("/x\nSet-Cookie: a", False), (7, False)])
def test_only_paths_on_this_site_become_links(href, safe):
    assert safe_href(href) == (href if safe else None)
    view = answer_view(an_answer(citations=[{"page": "Forecast", "section": "Chart", "href": href,
                                             "dataset_version": 1}]))
    links = [c for c in walk(view) if isinstance(c, dcc.Link)]
    assert len(links) == (1 if safe else 0)
    assert "Forecast · Chart" in texts(view)


def test_suggestions_are_buttons_with_the_question_as_their_text():
    box = suggestion_buttons(["What is the churn rate?", "Compare revenue by region"])
    buttons = [c for c in walk(box) if isinstance(c, html.Button)]
    assert [b.children for b in buttons] == ["What is the churn rate?", "Compare revenue by region"]
    assert all(b.type == "button" and b.className == "nf-chat-suggestion" for b in buttons)
    assert suggestion_buttons([]).children is None


def test_the_conversation_alternates_questions_and_answers_or_shows_the_intro():
    assert texts(html.Div(conversation_view([], intro=["Ask me."]))) == ["Ask me."]
    turns = [an_answer(question="q1", text="a1"), an_answer(question="q2", text="a2", suggestions=["next?"])]
    shown = [t for t in texts(html.Div(conversation_view(turns))) if t in ("q1", "a1", "q2", "a2", "next?")]
    assert shown == ["q1", "a1", "q2", "a2", "next?"]


def _blend(colour: str, alpha: float, over: str) -> str:
    mix = [round(alpha * int(colour[i:i + 2], 16) + (1 - alpha) * int(over[i:i + 2], 16)) for i in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in mix)


def test_the_panel_colours_meet_wcag_aa():
    css = CHAT_CSS.read_text(encoding="utf-8")
    question_bg = re.search(r"--nf-chat-question-bg:\s*(#[0-9a-f]{6})", css).group(1)
    assert question_bg == _blend(PALETTE["magenta"], 0.14, PALETTE["surface"])  # what the comment says it is
    for text in ("text", "muted"):
        assert contrast_ratio(PALETTE[text], question_bg) >= 4.5
    for chip in ("cyan", "magenta", "lime", "amber", "danger", "muted", "text"):  # chips, links, status on answers
        assert contrast_ratio(PALETTE[chip], PALETTE["surface_2"]) >= 4.5
        assert contrast_ratio(PALETTE[chip], PALETTE["surface"]) >= 4.5
    assert contrast_ratio(PALETTE["bg"], PALETTE["cyan"]) >= 4.5  # the send button
