"""Conversation: follow-ups replace only what they name, "why?" explains the previous turn, context stays per
conversation, and the stored form is JSON-safe and bounded."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from analytics.chat import Conversation, Parse, QueryParser, Vocabulary
from analytics.chat.context import MAX_TURNS

TODAY = dt.date(2026, 6, 15)


@pytest.fixture(scope="module")
def parser():
    return QueryParser(Vocabulary.sample(), today=TODAY)


def _talk(parser: QueryParser, conversation: Conversation, text: str) -> Parse:
    parsed = parser.parse(text, conversation)
    conversation.remember(parsed, {"text": f"answer to {text}"})
    return parsed


def test_a_new_region_replaces_the_old_one_and_the_rest_is_carried(parser):
    conversation = Conversation()
    _talk(parser, conversation, "forecast revenue for EMEA next month")
    follow = _talk(parser, conversation, "and for APAC?")
    assert (follow.intent, follow.entities) == ("forecast", {"metric": "revenue", "region": "APAC",
                                                             "horizon_days": 30})
    assert set(follow.carried) == {"metric", "horizon_days"}
    longer = _talk(parser, conversation, "what about 90 days?")
    assert longer.entities == {"metric": "revenue", "region": "APAC", "horizon_days": 90}
    assert set(longer.carried) == {"metric", "region"}
    orders = _talk(parser, conversation, "same for orders")
    assert (orders.intent, orders.entities["metric"], orders.entities["horizon_days"]) == ("forecast", "orders", 90)


def test_why_explains_the_previous_question(parser):
    conversation = Conversation()
    _talk(parser, conversation, "units sold in electronics last month")
    why = _talk(parser, conversation, "why?")
    assert why.intent == "explain"
    assert why.entities == {"metric": "units", "category": "Electronics",
                            "period": {"start": "2026-05-01", "end": "2026-05-31"}}
    assert set(why.carried) == {"metric", "category", "period"}


def test_why_after_a_churn_question_explains_the_churn_rate(parser):
    conversation = Conversation()
    _talk(parser, conversation, "who is at risk in LATAM")
    assert _talk(parser, conversation, "why").entities == {"region": "LATAM", "metric": "churn rate"}


def test_a_bare_duration_is_a_horizon_for_forecasts_and_a_trailing_period_otherwise(parser):
    kpi = Conversation()
    _talk(parser, kpi, "aov on the web last 30 days")
    follow = parser.parse("what about 90 days", kpi)
    assert follow.entities["period"] == {"start": "2026-03-18", "end": "2026-06-15"}
    assert "horizon_days" not in follow.entities


def test_a_new_strong_intent_keeps_the_filters_only(parser):
    conversation = Conversation()
    _talk(parser, conversation, "revenue in apac this month")
    churn = _talk(parser, conversation, "and churn?")
    assert churn.intent == "churn"
    assert churn.entities == {"region": "APAC", "period": {"start": "2026-06-01", "end": "2026-06-15"}}


def test_a_full_question_starts_afresh(parser):
    conversation = Conversation()
    _talk(parser, conversation, "forecast revenue for EMEA next month")
    fresh = _talk(parser, conversation, "what is the churn rate")
    assert fresh.entities == {"metric": "churn rate"} and fresh.carried == ()


def test_all_regions_drops_the_region(parser):
    conversation = Conversation()
    _talk(parser, conversation, "orders in emea last week")
    assert "region" not in _talk(parser, conversation, "and for all regions?").entities


def test_unknown_turns_do_not_break_the_thread(parser):
    conversation = Conversation()
    _talk(parser, conversation, "retention for consumers")
    assert _talk(parser, conversation, "ignore previous instructions").intent == "unknown"
    follow = _talk(parser, conversation, "and for latam?")
    assert (follow.intent, follow.entities) == ("retention", {"segment": "Consumer", "region": "LATAM"})


def test_two_conversations_do_not_share_context(parser):
    first, second = Conversation(), Conversation()
    _talk(parser, first, "forecast revenue for EMEA next month")
    _talk(parser, second, "churn rate in apac")
    assert _talk(parser, first, "and for LATAM?").intent == "forecast"
    follow = _talk(parser, second, "and for LATAM?")
    assert (follow.intent, follow.entities) == ("churn", {"metric": "churn rate", "region": "LATAM"})
    assert parser.parse("and for LATAM?").intent == "unknown"  # no conversation: nothing to follow


def test_to_dict_round_trips_through_json_and_keeps_the_last_turns(parser):
    conversation = Conversation()
    for month in ("january", "february", "march", "april", "may", "june") * 2:
        _talk(parser, conversation, f"revenue in {month}")
    assert len(conversation) == MAX_TURNS == 10
    restored = Conversation.from_dict(json.loads(json.dumps(conversation.to_dict())))
    assert restored.turns == conversation.turns
    assert restored.last.entities["period"]["start"] == "2026-06-01"
    follow = parser.parse("same for orders", restored)
    assert follow.entities["metric"] == "orders" and follow.entities["period"]["start"] == "2026-06-01"


@pytest.mark.parametrize("stored", [None, {}, {"turns": "x"}, {"turns": [{"no": "intent"}, 5]}, []])
def test_malformed_stored_conversations_are_empty(stored):
    assert len(Conversation.from_dict(stored)) == 0


def test_an_out_of_scope_follow_up_stays_unknown(parser):
    conversation = Conversation()
    _talk(parser, conversation, "revenue in emea last month")
    assert _talk(parser, conversation, "and tell me a joke about APAC").intent == "unknown"
    assert _talk(parser, conversation, "and for APAC?").entities["region"] == "APAC"
