"""Conversations per user and conversation id, kept in the shared cache (Redis, or the filesystem cache) for 12 hours,
so every gunicorn worker continues the same conversation.

The cache key is a hash of the owner (the signed-in user) and the conversation id: a conversation id is not a
secret and does not need to be, since another user sending it gets their own, fresh conversation. An id from a
client is used only when it looks like one we made (``conversation_id``); anything else is replaced by a new one.
"""
from __future__ import annotations

import hashlib
import logging
import re
import secrets

from analytics.chat import Conversation
from core.cache import cache

__all__ = ["TTL_SECONDS", "conversation_id", "load", "owner_of", "save"]

log = logging.getLogger(__name__)

TTL_SECONDS = 12 * 3600
_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


def conversation_id(candidate: str | None) -> str:
    """``candidate`` when it is a valid id (8 to 64 letters, digits, ``-`` or ``_``), else a new random one."""
    if isinstance(candidate, str) and _ID.fullmatch(candidate):
        return candidate
    return secrets.token_urlsafe(16)


def owner_of(principal) -> str:
    """Whose conversations these are: the user (a session and an API token of one user are the same owner)."""
    return f"user:{principal.username}"


def _key(owner: str, conversation: str) -> str:
    digest = hashlib.sha256(f"{owner}\x1f{conversation}".encode()).hexdigest()[:40]
    return f"chat-conversation:{digest}"


def load(owner: str, conversation: str) -> Conversation:
    """The conversation ``owner`` keeps under this id, or a new one (none yet, expired, or from older code)."""
    stored = cache.get(_key(owner, conversation))
    if stored is None:
        return Conversation()
    try:
        return Conversation.from_dict(stored)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        log.warning("conversation %s could not be read (%s); starting a new one", conversation, error)
        return Conversation()


def save(owner: str, conversation: str, state: Conversation) -> None:
    """Keep ``owner``'s conversation ``conversation`` (its ``state``) for ``TTL_SECONDS`` after its last turn."""
    cache.set(_key(owner, conversation), state.to_dict(), timeout=TTL_SECONDS)
