"""One frozen Settings object, built from environment variables with local-friendly defaults."""
from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from data import default_database_url
from data.ingest import IngestLimits

__all__ = ["Settings"]

log = logging.getLogger(__name__)

_ROOT = Path(__file__).resolve().parent.parent
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE | _FALSE:
        return value in _TRUE
    raise ValueError(f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ValueError(f"{name}={value} is below the minimum of {minimum}")
    return value


def _date(env: Mapping[str, str], name: str) -> dt.date | None:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError(
            f"{name}={raw!r} is not a date; use YYYY-MM-DD (e.g. 2026-12-05), or leave it unset to find the "
            "last complete day from the stream's clock or the data"
        ) from None


@dataclass(frozen=True)
class Settings:
    """Everything configurable about a running Neon Foresight instance."""

    database_url: str
    instance_dir: Path
    redis_url: str | None
    cache_dir: Path
    cache_timeout: int
    secret_key: str
    secret_key_generated: bool
    frame_ancestors: tuple[str, ...]
    debug: bool
    host: str
    port: int
    log_level: str
    ingest_limits: IngestLimits
    complete_through: dt.date | None = None  # last complete day; None: from the stream's clock or the data

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Read settings from ``env`` (default: ``os.environ``); invalid values raise ValueError."""
        env = os.environ if env is None else env
        instance_dir = Path(env.get("FORESIGHT_INSTANCE_DIR") or _ROOT / "instance")
        secret = env.get("FORESIGHT_SECRET_KEY", "").strip()
        ancestors = tuple(env.get("FORESIGHT_FRAME_ANCESTORS", "'self'").split())
        if not ancestors:
            raise ValueError(
                "FORESIGHT_FRAME_ANCESTORS is empty; use 'self', 'none' or a list of origins"
            )
        return cls(
            database_url=env.get("FORESIGHT_DATABASE_URL") or default_database_url(),
            instance_dir=instance_dir,
            redis_url=env.get("REDIS_URL") or None,
            cache_dir=Path(env.get("FORESIGHT_CACHE_DIR") or instance_dir / "cache"),
            cache_timeout=_int(env, "FORESIGHT_CACHE_TIMEOUT", 24 * 3600),
            secret_key=secret or secrets.token_hex(32),
            secret_key_generated=not secret,
            frame_ancestors=ancestors,
            debug=_flag(env, "FORESIGHT_DEBUG", False),
            host=env.get("HOST", "127.0.0.1"),
            port=_int(env, "PORT", 8050, minimum=1),
            log_level=env.get("FORESIGHT_LOG_LEVEL", "INFO").upper(),
            ingest_limits=IngestLimits.from_env(env),
            complete_through=_date(env, "FORESIGHT_COMPLETE_THROUGH"),
        )

    def warn_about_defaults(self) -> None:
        """Log the settings an operator should set explicitly in production."""
        if self.secret_key_generated:
            log.warning(
                "FORESIGHT_SECRET_KEY is not set: using a key generated once and shared by every worker "
                "(kept in the instance dir, or in Redis with REDIS_URL). Set it to rotate or pin the key."
            )
        if self.debug:
            log.warning("FORESIGHT_DEBUG is on: never run a public deployment in debug mode")
