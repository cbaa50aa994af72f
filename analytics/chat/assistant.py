"""The assistant: a question in, a grounded answer out.

parse (with the conversation) -> the intent's facts from ``Results`` -> the templated text -> when a language
model is given, its text streamed piece by piece -> the guard -> an ``Answer`` whose text is the model's when the
guard accepts it and the template's otherwise. A question never raises: a result still being computed, no data,
an unknown or hostile question, or a missing model each become an answer that says so.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from analytics.chat.answers import CAPABILITIES, Gathered, NoData, confidence, gather, suggestions_for
from analytics.chat.facts import Answer, Confidence, Parse
from analytics.chat.guard import check_text
from analytics.chat.prompt import build_prompt
from analytics.chat.respond import ResponseGenerator
from analytics.chat.sources import ModelUnavailable, NotReady

__all__ = ["ConversationalAI", "MAX_QUESTION_CHARS", "NO_MODEL_NOTICE"]

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 500
NO_MODEL_NOTICE = "The language model is not running; this answer is from a template."
_NO_MODEL_INTENTS = ("unknown", "help", "navigate")  # nothing for a model to phrase
# The prompt's own labels, which a small model sometimes repeats before its answer ("Draft answer: ...").
_LABEL = re.compile(r"^\s*(?:(?:draft|final)\s+)?answer\s*:\s*", re.IGNORECASE)
_FOLLOW_UPS = {"kpi": ("Why did revenue change?", "Show it by channel", "What about the previous month?"),
               "forecast": ("What about 90 days?", "And for units?", "Open the forecast page"),
               "churn": ("Who are the top 5 customers at risk?", "What is driving churn?", "Open the retention page")}


def _clean(text: object) -> str:
    if not isinstance(text, str):
        return ""
    return " ".join("".join(" " if ch < " " or ch == "\x7f" else ch for ch in text).split())


class ConversationalAI:
    """Answers questions about one dataset version.

    Parameters
    ----------
    results : Results
        The fitted results the pages use (``analytics.chat.DirectResults`` or core's cached ones).
    parser : QueryParser
        Its ``vocabulary`` is also the guard's.
    generator : Generator, optional
        The local language model; without it every answer is the template.
    max_tokens : int
        The most tokens the model may write per answer.
    """

    def __init__(self, results, parser, *, generator=None, max_tokens: int = 120):
        self.results = results
        self.parser = parser
        self.generator = generator
        self.max_tokens = max_tokens
        self.responder = ResponseGenerator()

    def answer(self, text: str, conversation=None) -> Answer:
        """The whole answer at once (the conversation is updated)."""
        answer = None
        for kind, item in self.stream(text, conversation):
            if kind == "answer":
                answer = item
        return answer

    def stream(self, text: str, conversation=None) -> Iterator[tuple[str, object]]:
        """("parse", Parse), then ("token", str) per model piece, then ("answer", Answer); updates the
        conversation."""
        question = _clean(text)
        parse = self._parse(question, conversation)
        yield "parse", parse
        if not question or len(question) > MAX_QUESTION_CHARS:
            answer = self._refused(question, parse)
        else:
            answer = yield from self._answer(question, parse)
        if conversation is not None:
            conversation.remember(parse, {"text": answer.text[:400], "source": answer.source,
                                          "facts": [{"name": f.name, "display": f.display} for f in answer.facts[:12]]})
        yield "answer", answer

    def _parse(self, question: str, conversation) -> Parse:
        if not question or len(question) > MAX_QUESTION_CHARS:
            return Parse("unknown", {}, 1.0, text=question[:MAX_QUESTION_CHARS])
        try:
            return self.parser.parse(question, conversation)
        except Exception:  # noqa: BLE001 - a parser bug must not break the panel; the answer says it did not understand
            log.exception("parsing a chat question failed")
            return Parse("unknown", {}, 0.0, text=question)

    def _refused(self, question: str, parse: Parse) -> Answer:
        why = ("Ask a question about your data." if not question else
               f"That question is {len(question):,} characters long; ask it in at most {MAX_QUESTION_CHARS}.")
        return self._bare(parse, why, why, level_reason="nothing was asked" if not question else "too long to read")

    def _bare(self, parse: Parse, text: str, notice: str | None, *, level_reason: str, suggest: bool = True) -> Answer:
        return Answer(question=parse.text, parse=parse, text=text, template_text=text, facts=(), citations=(),
                      confidence=Confidence("low", 0.0, (level_reason,)), source="template",
                      suggestions=suggestions_for(parse.entities.get("page")) if suggest else (), notice=notice,
                      dataset_version=self.results.version)

    def _answer(self, question: str, parse: Parse):
        """Gather, write the template, maybe let the model phrase it; a generator returning the Answer."""
        if parse.intent == "unknown":
            text = self.responder.unknown(CAPABILITIES)
            return self._bare(parse, text, None, level_reason="the question is not one the assistant answers")
        if self.results.version is None:
            return self._bare(parse, self.responder.no_data("there is no data yet; load some on the Data page"),
                              "No data has been loaded yet.", level_reason="no data")
        try:
            gathered = gather(parse, self.results)
        except NotReady as waiting:
            text = self.responder.not_ready(waiting.what)
            return self._bare(parse, text, text, level_reason=f"still computing the {waiting.what}")
        except NoData as missing:
            text = self.responder.no_data(str(missing))
            return self._bare(parse, text, text, level_reason="nothing to answer from")
        except Exception:  # noqa: BLE001 - an analytics failure becomes an answer, never an error in the panel
            log.exception("answering a chat question failed (intent %s)", parse.intent)
            text = "Something went wrong computing that answer; the pages show the same results."
            return self._bare(parse, text, text, level_reason="the computation failed")
        template = self.responder.template(parse, gathered.facts, gathered.extra, gathered.table)
        text, source, problems, notice = template, "template", (), gathered.notice
        if self.generator is not None and parse.intent not in _NO_MODEL_INTENTS and gathered.facts:
            generated, problems, unavailable = yield from self._generate(parse, gathered, template)
            if unavailable:
                notice = " ".join(filter(None, (notice, NO_MODEL_NOTICE)))
            elif generated and not problems:
                text, source = generated, "model"
        return self._full(parse, gathered, text, template, source, problems, notice)

    def _generate(self, parse: Parse, gathered: Gathered, template: str):
        """Stream the model's pieces; returns (its text, the guard's problems, whether it was unavailable)."""
        pieces: list[str] = []
        try:
            prompt = build_prompt(parse, gathered.facts, template)
            for piece in self.generator.generate(prompt, max_tokens=self.max_tokens):
                pieces.append(piece)
                yield "token", piece
        except ModelUnavailable as error:
            log.info("the language model is unavailable: %s", error)
            return "", (), True
        generated = _LABEL.sub("", "".join(pieces)).strip()
        if not generated:
            return "", ("the model wrote nothing",), False
        problems = check_text(generated, gathered.facts, self.parser.vocabulary, trusted=(template, parse.text))
        return generated, problems, False

    def _full(self, parse, gathered: Gathered, text, template, source, problems, notice) -> Answer:
        suggestions = _FOLLOW_UPS.get(parse.intent, ())
        if parse.intent == "help":
            suggestions = suggestions_for(parse.entities.get("page"))
        return Answer(question=parse.text, parse=parse, text=text, template_text=template, facts=gathered.facts,
                      citations=gathered.citations, confidence=confidence(parse, gathered.reasons), source=source,
                      guard=tuple(problems), table=gathered.table, series=gathered.series, navigate=gathered.navigate,
                      suggestions=suggestions, notice=notice, dataset_version=self.results.version)
