"""The prompt a small local instruct model (SmolLM2-135M-Instruct by default) turns into a one- or two-sentence
answer: an instruction to use only the facts and copy their numbers, the facts one per line, the question (quoted,
on one line, length-bounded, so its text can never pose as the instruction or as a fact), and last the templated
answer to rephrase.

The shape is a convention shared with the model process (``core.chat.llm``): the first paragraph is the system
instruction, the rest is the user's turn; the process wraps both in the model's own chat template. Nothing in the
other paragraphs may contain a blank line, which is why every piece of text is flattened to one line here.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable

from analytics.chat.facts import Fact, Parse

__all__ = ["build_prompt", "clean_answer", "SYSTEM", "DRAFT_LABEL", "MAX_QUESTION_CHARS", "MAX_FACTS"]

SYSTEM = ("You answer questions about a company's sales and customers. Answer in one or two sentences using only "
          "these facts; copy numbers exactly as written. Do not add any other number, date or name.")
DRAFT_LABEL = "Answer to rephrase:"
MAX_QUESTION_CHARS = 300
MAX_FACTS = 12
_MAX_FIELD_CHARS = 120
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _one_line(text: object, limit: int = _MAX_FIELD_CHARS) -> str:
    """``text`` with control characters and line breaks turned into spaces, spaces collapsed, cut at ``limit``."""
    flat = " ".join(_CONTROL.sub(" ", str(text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _fact_line(fact: Fact) -> str:
    """``- name: display (start to end, key value, ...)``; the parentheses are left out when there is nothing."""
    context = []
    if fact.period:
        start, end = fact.period
        context.append(_one_line(start) if start == end else f"{_one_line(start)} to {_one_line(end)}")
    context += [f"{_one_line(key, 40)} {_one_line(value)}" for key, value in sorted(fact.filters.items())]
    suffix = f" ({', '.join(context)})" if context else ""
    return f"- {_one_line(fact.name)}: {_one_line(fact.display)}{suffix}"


def quote_question(text: str) -> str:
    """The question as a JSON string on one line (quotes and backslashes escaped), at most MAX_QUESTION_CHARS."""
    return json.dumps(_one_line(text, MAX_QUESTION_CHARS), ensure_ascii=False)


def build_prompt(parse: Parse, facts: Iterable[Fact], template_text: str) -> str:
    """The prompt for ``parse`` (its ``text`` is the question) answered from ``facts``; ``template_text`` is the
    templated answer, given as a draft the model may rephrase (it only ever holds the facts' own numbers).

    Returns ``"<system>\\n\\n<facts>\\n\\n<question>\\n\\n<draft>"``; at most MAX_FACTS facts are listed.
    """
    lines = [_fact_line(fact) for fact in list(facts)[:MAX_FACTS]]
    parts = [SYSTEM, "Facts:\n" + ("\n".join(lines) if lines else "- (none)"),
             "Question: " + quote_question(parse.text)]
    if template_text.strip():
        # Last, under this label: SmolLM2 echoed a "Draft answer:" label before the question in 4 of 20 answers and
        # none of this one after it; the guard accepted 18 of 20 (benchmarks/chat_model.json).
        parts.append(f"{DRAFT_LABEL} " + _one_line(template_text, 600))
    return "\n\n".join(parts)


_ECHOED_LABEL = re.compile(rf"^\s*(?:{re.escape(DRAFT_LABEL)}|Answer:)\s*", re.IGNORECASE)


def clean_answer(text: str) -> str:
    """The model's text without a slot label it echoed at the start (SmolLM2 began 4 of 20 handmade answers with
    the draft's label when it came before the question), and without surrounding whitespace."""
    return _ECHOED_LABEL.sub("", text, count=1).strip()
