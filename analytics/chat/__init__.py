"""The chat assistant's understanding and answering, without any web framework.

``QueryParser`` turns a question into an intent and entities, a conversation carries context between turns,
``ConversationalAI`` gathers the facts an intent needs from the analytics the pages use (``Results``) and writes the
answer (``ResponseGenerator``), and the guard checks a language model's text against those facts.
"""
from __future__ import annotations

from analytics.chat.facts import ENTITY_KEYS, INTENTS, METRICS, Answer, Citation, Confidence, Fact, Parse
from analytics.chat.sources import DirectResults, Generator, ModelUnavailable, NotReady, Results
from analytics.chat.context import Conversation
from analytics.chat.embeddings import load_embedder
from analytics.chat.parser import QueryParser
from analytics.chat.vocabulary import Vocabulary
from analytics.chat.assistant import ConversationalAI
from analytics.chat.guard import check_text
from analytics.chat.respond import ResponseGenerator
from analytics.chat.prompt import build_prompt, clean_answer
from analytics.chat.links import forecast_horizon, forecast_href, overview_href, retention_href
from analytics.chat.answers.common import fact
from analytics.chat.answers.format import count, money, percent

__all__ = ["ENTITY_KEYS", "INTENTS", "METRICS", "Answer", "Citation", "Confidence", "DirectResults", "Fact",
           "Generator", "ModelUnavailable", "NotReady", "Parse", "Results"]
__all__ += ["Conversation", "QueryParser", "Vocabulary", "load_embedder"]
__all__ += ["ConversationalAI", "ResponseGenerator", "check_text"]
__all__ += ["build_prompt", "clean_answer"]
# Links into the pages and numbers written the assistant's way (the insights feed writes its findings with them).
__all__ += ["forecast_horizon", "forecast_href", "overview_href", "retention_href", "fact", "count", "money", "percent"]
