"""Personal API tokens: only a hash is stored; expiry, revocation and a disabled user end them."""
from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from sqlalchemy import select, update

from core.auth import accounts, audit, tokens
from core.auth.accounts import AccountError
from data import schema, store


@pytest.fixture
def engine(tmp_path):
    engine = store.get_engine(f"sqlite:///{tmp_path / 'foresight.db'}")
    store.upgrade(engine)
    for name, role in (("ada", "analyst"), ("root", "admin")):  # no password to hash: keeps the tests fast
        accounts.create_user(engine, name, role, source="sso")
    return engine


def _set(engine, token_id: int, **values) -> None:
    with engine.begin() as connection:
        connection.execute(update(schema.api_tokens).where(schema.api_tokens.c.id == token_id).values(**values))


def test_only_the_hash_and_a_prefix_of_a_high_entropy_token_are_stored(engine, tmp_path):
    token, plaintext = tokens.create_token(engine, "ADA", " nightly ", days=30, actor="root")
    assert re.fullmatch(r"nf_[A-Za-z0-9_-]{43}", plaintext)
    assert (token.username, token.name, token.prefix, token.created_by) == ("ada", "nightly", plaintext[:10], "root")
    assert token.expires_at - token.created_at == dt.timedelta(days=30) and token.state() == "active"
    with engine.connect() as connection:
        stored = connection.execute(select(schema.api_tokens.c.token_hash)).scalar_one()
    assert stored == hashlib.sha256(plaintext.encode()).hexdigest()
    engine.dispose()
    assert plaintext.encode() not in b"".join(path.read_bytes() for path in tmp_path.glob("foresight.db*"))


def test_a_token_verifies_until_it_is_revoked(engine):
    token, plaintext = tokens.create_token(engine, "ada", "script", days=None, actor="cli")
    user, verified = tokens.verify_token(engine, plaintext)
    assert (user.username, user.role, verified.id, verified.expires_at) == ("ada", "analyst", token.id, None)
    revoked = tokens.revoke_token(engine, token.id, actor="root")
    assert revoked.state() == "revoked" and tokens.verify_token(engine, plaintext) is None
    assert tokens.revoke_token(engine, token.id, actor="root").revoked_at == revoked.revoked_at  # idempotent
    assert [row["action"] for row in audit.query(engine, action="token_revoke")] == ["token_revoke"]
    with pytest.raises(AccountError, match="there is no API token with id 999"):
        tokens.revoke_token(engine, 999, actor="root")


def test_an_expired_token_does_not_verify(engine):
    token, plaintext = tokens.create_token(engine, "ada", "script", days=1, actor="cli")
    _set(engine, token.id, expires_at=audit.now() - dt.timedelta(seconds=1))
    assert tokens.list_tokens(engine)[0].state() == "expired"
    assert tokens.verify_token(engine, plaintext) is None


def test_a_disabled_users_token_stops_and_a_role_change_applies_at_once(engine):
    _, plaintext = tokens.create_token(engine, "ada", "script", days=1, actor="cli")
    accounts.set_disabled(engine, "ada", True, "root")
    assert tokens.verify_token(engine, plaintext) is None
    accounts.set_disabled(engine, "ada", False, "root")
    accounts.set_role(engine, "ada", "viewer", "root")
    assert tokens.verify_token(engine, plaintext)[0].role == "viewer"


@pytest.mark.parametrize("presented", ["", "abc", "nf_", "nf_" + "a" * 43, "nf_" + "a" * 500, None, 42])
def test_anything_but_an_issued_token_is_refused(engine, presented):
    tokens.create_token(engine, "ada", "script", days=1, actor="cli")
    assert tokens.verify_token(engine, presented) is None


def test_use_is_recorded_at_most_once_a_minute(engine):
    token, plaintext = tokens.create_token(engine, "ada", "script", days=1, actor="cli")
    for _ in range(3):
        tokens.verify_token(engine, plaintext)
    first = tokens.list_tokens(engine)[0].last_used_at
    assert first is not None and audit.count(engine, action="token_use") == 1
    _set(engine, token.id, last_used_at=first - dt.timedelta(seconds=61))
    tokens.verify_token(engine, plaintext)
    assert tokens.list_tokens(engine)[0].last_used_at > first and audit.count(engine, action="token_use") == 2
    row = audit.query(engine, action="token_use")[0]
    assert (row["actor"], row["actor_kind"], row["detail"]) == ("ada", "token", {"name": "script",
                                                                                  "token_id": token.id})


@pytest.mark.parametrize(("username", "name", "days", "message"), [
    ("nobody", "x", 1, "there is no user 'nobody'"),
    ("ada", "", 1, "must have 1-64 characters"),
    ("ada", "x" * 65, 1, "must have 1-64 characters"),
    ("ada", "x", 0, "a token lasts 1-3650 days (got 0)"),
])
def test_a_bad_token_request_is_refused_with_the_reason(engine, username, name, days, message):
    with pytest.raises(AccountError, match=re.escape(message)):
        tokens.create_token(engine, username, name, days=days, actor="cli")
    assert tokens.list_tokens(engine) == []


def test_a_disabled_user_gets_no_new_token_and_lists_filter_by_user(engine):
    first, _ = tokens.create_token(engine, "ada", "one", days=1, actor="cli")
    second, _ = tokens.create_token(engine, "root", "two", days=1, actor="cli")
    accounts.set_disabled(engine, "ada", True, "root")
    with pytest.raises(AccountError, match="user 'ada' is disabled; enable it first"):
        tokens.create_token(engine, "ada", "three", days=1, actor="cli")
    assert [t.id for t in tokens.list_tokens(engine)] == [second.id, first.id]
    assert [t.name for t in tokens.list_tokens(engine, "ADA")] == ["one"]
