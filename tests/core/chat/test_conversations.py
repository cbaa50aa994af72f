"""Conversations live in the shared cache per user and conversation id, for 12 hours, never shared between users."""
from __future__ import annotations

import pytest
from flask import Flask

from analytics.chat import Conversation, Parse
from core.auth.principal import Principal
from core.cache import cache, init_cache
from core.chat import conversations
from core.settings import Settings

ADA = Principal(username="ada", role="viewer", kind="session", user_id=1)
BOB = Principal(username="bob", role="analyst", kind="token", user_id=2, token_id=7)
KPI = Parse("kpi", {"metric": "revenue", "region": "EMEA"}, 0.9, text="revenue in EMEA")


def _app(tmp_path, **env) -> Flask:
    settings = Settings.from_env({"FORESIGHT_INSTANCE_DIR": str(tmp_path), **env})
    app = Flask("chat-conversations")
    init_cache(app, settings)
    return app


@pytest.fixture
def app(tmp_path):
    app = _app(tmp_path)
    with app.app_context():
        yield app


def _remembered(parse: Parse = KPI) -> Conversation:
    state = Conversation()
    state.remember(parse, {"text": "Revenue in EMEA was $1.2M."})
    return state


@pytest.mark.parametrize("candidate", ["abcdefgh", "Zx_9-" * 12, "0123456789abcdef0123456789"])
def test_a_well_formed_id_is_kept(candidate):
    assert conversations.conversation_id(candidate) == candidate


@pytest.mark.parametrize("candidate", [None, "", "short", "x" * 65, "has space in it", "../../etc/passwd",
                                       "<script>alert(1)</script>", "idé-accentué", 12345678])
def test_anything_else_is_replaced_by_a_new_random_id(candidate):
    made = conversations.conversation_id(candidate)
    assert made != candidate and conversations.conversation_id(made) == made
    assert made != conversations.conversation_id(candidate), "random, not derived from the input"


def test_a_conversation_comes_back_with_its_turns(app):
    owner = conversations.owner_of(ADA)
    conversations.save(owner, "conv-0001", _remembered())
    back = conversations.load(owner, "conv-0001")
    assert back.last == KPI and len(back) == 1


def test_another_user_sending_the_same_id_gets_a_fresh_conversation(app):
    conversations.save(conversations.owner_of(ADA), "shared-id-1", _remembered())
    theirs = conversations.load(conversations.owner_of(BOB), "shared-id-1")
    assert theirs.last is None and len(theirs) == 0
    assert conversations.load(conversations.owner_of(ADA), "shared-id-1").last == KPI


def test_a_users_session_and_token_share_their_conversations(app):
    ada_token = Principal(username="ada", role="viewer", kind="token", user_id=1, token_id=3)
    assert conversations.owner_of(ada_token) == conversations.owner_of(ADA) != conversations.owner_of(BOB)


def test_each_conversation_id_is_its_own_context(app):
    owner = conversations.owner_of(ADA)
    conversations.save(owner, "first-conv", _remembered())
    assert conversations.load(owner, "second-conv").last is None


def test_an_unreadable_stored_conversation_starts_a_new_one(app):
    owner = conversations.owner_of(ADA)
    conversations.save(owner, "broken-conv", _remembered())
    key = conversations._key(owner, "broken-conv")
    assert cache.get(key) is not None
    cache.set(key, {"turns": [{"no": "intent"}, "junk"]})
    assert conversations.load(owner, "broken-conv").last is None
    cache.set(key, ["not", "a", "conversation"])
    assert len(conversations.load(owner, "broken-conv")) == 0


def test_conversations_expire_after_12_hours_in_redis(tmp_path, clean_redis):
    import redis

    app = _app(tmp_path, REDIS_URL=clean_redis)
    with app.app_context():
        conversations.save(conversations.owner_of(ADA), "redis-conv", _remembered())
        assert conversations.load(conversations.owner_of(ADA), "redis-conv").last == KPI
        keys = redis.Redis.from_url(clean_redis).keys("nf:chat-conversation:*")
        assert len(keys) == 1
        ttl = redis.Redis.from_url(clean_redis).ttl(keys[0])
        assert conversations.TTL_SECONDS - 60 < ttl <= conversations.TTL_SECONDS == 12 * 3600
        assert b"ada" not in keys[0] and b"redis-conv" not in keys[0], "the key is a hash, not the user's name"
