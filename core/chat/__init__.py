"""The chat assistant in the web app: conversations per user, the cached results it answers from, the local
language model's process and its client, and the API route. ``core.settings`` imports ``core.chat.config``, so this
face imports nothing that imports ``core.settings`` at import time: requests and ``python -m analytics.chat ask``
use the public part ``core.chat.service`` (``ask``, ``stream``, ``answer_cli``, ``assistant_for``), which builds on
``core.chat.results`` (``CachedResults``) and ``core.chat.conversations``."""
from __future__ import annotations

from core.chat.config import MODELS, ChatSettings

__all__ = ["MODELS", "ChatSettings"]
