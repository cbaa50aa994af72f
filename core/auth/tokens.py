"""Personal API tokens, sent as ``Authorization: Bearer nf_...``.

A token is ``nf_`` plus 32 random bytes (``secrets.token_urlsafe``, 256 bits), shown once when created. The
store keeps only its SHA-256 (a fast hash is enough for a secret this long: there is nothing to guess) and
its first characters for lists. A token acts with its user's current role; it stops working when it expires,
is revoked, or its user is disabled. Its use is recorded (``last_used_at`` and a ``token_use`` audit row) at
most once a minute, so a busy script does not write on every request.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, or_, select, update

from core.auth import audit
from core.auth.accounts import AccountError, User, _kind, _user, normalize_username
from data.schema import api_tokens, users

__all__ = ["ApiToken", "PREFIX", "create_token", "hash_token", "list_tokens", "revoke_token", "verify_token"]

PREFIX = "nf_"
_SHOWN = 10  # characters kept for display: "nf_" and 7 random ones
_USE_INTERVAL = dt.timedelta(minutes=1)
_MAX_TOKEN = 200


@dataclass(frozen=True)
class ApiToken:
    """One token as lists show it (never the token itself)."""

    id: int
    user_id: int
    username: str
    name: str
    prefix: str
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None

    def state(self, at: dt.datetime | None = None) -> str:
        """``active``, ``expired`` or ``revoked`` at ``at`` (default: now, UTC)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (at or audit.now()):
            return "expired"
        return "active"


def hash_token(plaintext: str) -> str:
    """The SHA-256 hex digest the store keeps for a token."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def _token(row) -> ApiToken:
    return ApiToken(**{name: row[name] for name in ApiToken.__dataclass_fields__})


def _joined():
    return select(*api_tokens.c, users.c.username).join(users, users.c.id == api_tokens.c.user_id)


def create_token(engine: Engine, username: str, name: str, *, days: int | None, actor: str) -> tuple[ApiToken, str]:
    """A new token for ``username`` that expires after ``days`` (None: never); returns it and the plaintext,
    which is shown once and cannot be recovered."""
    label = (name or "").strip()
    if not 1 <= len(label) <= 64:
        raise AccountError(f"token name {label[:70]!r} must have 1-64 characters, e.g. 'nightly-export'")
    if days is not None and not 1 <= days <= 3650:
        raise AccountError(f"a token lasts 1-3650 days (got {days}); pick a number in that range")
    owner = normalize_username(username)
    plaintext = PREFIX + secrets.token_urlsafe(32)
    stamp = audit.now()
    expires = stamp + dt.timedelta(days=days) if days is not None else None
    with engine.begin() as connection:
        row = connection.execute(select(users).where(users.c.username == owner)).mappings().first()
        if row is None:
            raise AccountError(f"there is no user {owner!r}; list them with `python -m core.users list`")
        if row["disabled"]:
            raise AccountError(f"user {owner!r} is disabled; enable it first (`python -m core.users enable {owner}`)")
        token_id = connection.execute(api_tokens.insert().values(
            user_id=row["id"], name=label, prefix=plaintext[:_SHOWN], token_hash=hash_token(plaintext),
            created_by=actor[:64], created_at=stamp, expires_at=expires)).inserted_primary_key[0]
        audit.record_in(connection, audit.TOKEN_CREATE, actor=actor, actor_kind=_kind(actor),
                        target=owner, detail={"token_id": token_id, "name": label, "prefix": plaintext[:_SHOWN],
                                              "expires_at": expires})
    return _get(engine, token_id), plaintext


def _get(engine: Engine, token_id: int) -> ApiToken | None:
    with engine.connect() as connection:
        row = connection.execute(_joined().where(api_tokens.c.id == token_id)).mappings().first()
    return _token(row) if row else None


def verify_token(engine: Engine, plaintext: str) -> tuple[User, ApiToken] | None:
    """The user and token for a bearer token; None when unknown, expired, revoked or its user is disabled."""
    if not isinstance(plaintext, str) or not plaintext.startswith(PREFIX) or len(plaintext) > _MAX_TOKEN:
        return None
    statement = (select(*api_tokens.c, *(column.label("owner_" + column.name) for column in users.c))
                 .join(users, users.c.id == api_tokens.c.user_id)
                 .where(api_tokens.c.token_hash == hash_token(plaintext)))
    with engine.connect() as connection:
        row = connection.execute(statement).mappings().first()
    if row is None:
        return None
    stamp = audit.now()
    user = _user({name.removeprefix("owner_"): value for name, value in row.items() if name.startswith("owner_")})
    token = _token({**row, "username": user.username})
    if token.state(stamp) != "active" or user.disabled:
        return None
    _note_use(engine, token, user, stamp)
    return user, token


def _note_use(engine: Engine, token: ApiToken, user: User, stamp: dt.datetime) -> None:
    """Set ``last_used_at`` and audit the use, unless another request did within the last minute."""
    stale = or_(api_tokens.c.last_used_at.is_(None), api_tokens.c.last_used_at <= stamp - _USE_INTERVAL)
    with engine.begin() as connection:
        changed = connection.execute(update(api_tokens).where(api_tokens.c.id == token.id, stale)
                                     .values(last_used_at=stamp)).rowcount
        if changed:
            audit.record_in(connection, audit.TOKEN_USE, actor=user.username, actor_kind="token",
                            target=token.prefix, detail={"token_id": token.id, "name": token.name})


def list_tokens(engine: Engine, username: str | None = None) -> list[ApiToken]:
    """Every token (of ``username`` when given), newest first, revoked and expired ones included."""
    statement = _joined().order_by(api_tokens.c.created_at.desc(), api_tokens.c.id.desc())
    if username is not None:
        statement = statement.where(users.c.username == normalize_username(username))
    with engine.connect() as connection:
        return [_token(row) for row in connection.execute(statement).mappings()]


def revoke_token(engine: Engine, token_id: int, actor: str) -> ApiToken:
    """Revoke a token at once (idempotent: an already revoked one is returned as it is)."""
    token = _get(engine, token_id)
    if token is None:
        raise AccountError(f"there is no API token with id {token_id}; see the token list on the admin page")
    if token.revoked_at is not None:
        return token
    with engine.begin() as connection:
        connection.execute(update(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
                           .values(revoked_at=audit.now()))
        audit.record_in(connection, audit.TOKEN_REVOKE, actor=actor, actor_kind=_kind(actor),
                        target=token.username, detail={"token_id": token_id, "name": token.name,
                                                       "prefix": token.prefix})
    return _get(engine, token_id)
