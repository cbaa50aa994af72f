"""One frozen Settings object, built from environment variables with local-friendly defaults.

This module is the only place that reads the environment. The data and analytics layers take what
they need as arguments; entry points (``app.py``, ``gunicorn.conf.py``, ``python -m data``,
``python -m core.warm``, the benchmarks) read it here and pass it on. Every variable is listed in
``VARIABLES`` and documented in the README.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from data import default_database_url
from data.ingest import IngestLimits, SourcePriority

__all__ = ["Settings", "VARIABLES", "database_url", "datasets_folder", "ingest_limits", "redis_url",
           "source_priority"]

log = logging.getLogger(__name__)

_ROOT = Path(__file__).resolve().parent.parent
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

# Every environment variable Neon Foresight reads (all of them, here); the README documents each.
VARIABLES: tuple[str, ...] = (
    "FORESIGHT_DATABASE_URL", "FORESIGHT_INSTANCE_DIR", "REDIS_URL", "FORESIGHT_CACHE_DIR", "FORESIGHT_CACHE_TIMEOUT",
    "FORESIGHT_SECRET_KEY", "FORESIGHT_FRAME_ANCESTORS", "FORESIGHT_DEBUG", "HOST", "PORT", "WEB_CONCURRENCY",
    "FORESIGHT_LOG_LEVEL", "FORESIGHT_MAX_FILE_MB", "FORESIGHT_MAX_ROWS", "FORESIGHT_SOURCE_PRIORITY",
    "FORESIGHT_DATASETS", "FORESIGHT_COMPLETE_THROUGH", "FORESIGHT_HOLIDAY_COUNTRIES",
)


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


def _positive(env: Mapping[str, str], name: str, parse, unit: str):
    text = env.get(name, "").strip()
    if not text:
        return None
    try:
        value = parse(text)
    except ValueError:
        value = None
    if value is None or not 0 < value < math.inf:
        raise ValueError(f"{name}={text!r} is not valid; set it to a positive {unit} or unset it")
    return value


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def database_url(env: Mapping[str, str] | None = None) -> str:
    """``FORESIGHT_DATABASE_URL``, else the local SQLite store ``instance/foresight.db``."""
    return _env(env).get("FORESIGHT_DATABASE_URL", "").strip() or default_database_url()


def redis_url(env: Mapping[str, str] | None = None) -> str | None:
    """``REDIS_URL`` (Redis for the cache, jobs and the event stream), None when unset."""
    return _env(env).get("REDIS_URL", "").strip() or None


def ingest_limits(env: Mapping[str, str] | None = None) -> IngestLimits:
    """Limits from ``FORESIGHT_MAX_FILE_MB`` (may be fractional) and ``FORESIGHT_MAX_ROWS``."""
    env = _env(env)
    megabytes = _positive(env, "FORESIGHT_MAX_FILE_MB", float, "number of megabytes (e.g. 50)")
    rows = _positive(env, "FORESIGHT_MAX_ROWS", int, "whole number of rows (e.g. 2000000)")
    defaults = IngestLimits()
    return IngestLimits(
        max_bytes=defaults.max_bytes if megabytes is None else int(megabytes * 1024 * 1024),
        max_rows=defaults.max_rows if rows is None else rows,
    )


def source_priority(env: Mapping[str, str] | None = None) -> SourcePriority:
    """``FORESIGHT_SOURCE_PRIORITY`` (comma-separated source names), else the default order."""
    text = _env(env).get("FORESIGHT_SOURCE_PRIORITY", "").strip()
    try:
        return SourcePriority.parse(text or None)
    except ValueError as error:
        raise ValueError(f"FORESIGHT_SOURCE_PRIORITY: {error}") from None


def datasets_folder(env: Mapping[str, str] | None = None) -> Path | None:
    """``FORESIGHT_DATASETS``: the folder of public benchmark datasets, None when unset."""
    text = _env(env).get("FORESIGHT_DATASETS", "").strip()
    return Path(text).expanduser() if text else None


def holiday_countries(env: Mapping[str, str] | None = None) -> str:
    """``FORESIGHT_HOLIDAY_COUNTRIES``: comma-separated ISO 3166 codes whose public holidays the forecasts
    know (default ``US``; ``none`` for no public holidays), normalised to e.g. ``"DE,GB"``."""
    import holidays

    text = _env(env).get("FORESIGHT_HOLIDAY_COUNTRIES", "US").strip()
    if text.lower() == "none":
        return ""
    codes = sorted({part.strip().upper() for part in text.split(",") if part.strip()})
    known = holidays.list_supported_countries()
    unknown = [code for code in codes if code not in known]
    if unknown or not codes:
        raise ValueError(f"FORESIGHT_HOLIDAY_COUNTRIES={text!r}: {', '.join(unknown) or 'no country'} is not a "
                         "country the holidays library knows; use ISO 3166 codes such as US,GB,DE, or none")
    return ",".join(codes)


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
    source_priority: SourcePriority
    datasets_dir: Path | None
    web_concurrency: int
    complete_through: dt.date | None = None  # last complete day; None: from the stream's clock or the data
    holiday_countries: str = "US"  # ISO codes, comma-separated; "" for none

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Read settings from ``env`` (default: ``os.environ``); invalid values raise ValueError."""
        env = _env(env)
        instance_dir = Path(env.get("FORESIGHT_INSTANCE_DIR") or _ROOT / "instance")
        secret = env.get("FORESIGHT_SECRET_KEY", "").strip()
        ancestors = tuple(env.get("FORESIGHT_FRAME_ANCESTORS", "'self'").split())
        if not ancestors:
            raise ValueError(
                "FORESIGHT_FRAME_ANCESTORS is empty; use 'self', 'none' or a list of origins"
            )
        return cls(
            database_url=database_url(env),
            instance_dir=instance_dir,
            redis_url=redis_url(env),
            cache_dir=Path(env.get("FORESIGHT_CACHE_DIR") or instance_dir / "cache"),
            cache_timeout=_int(env, "FORESIGHT_CACHE_TIMEOUT", 24 * 3600),
            secret_key=secret or secrets.token_hex(32),
            secret_key_generated=not secret,
            frame_ancestors=ancestors,
            debug=_flag(env, "FORESIGHT_DEBUG", False),
            host=env.get("HOST", "127.0.0.1"),
            port=_int(env, "PORT", 8050, minimum=1),
            log_level=env.get("FORESIGHT_LOG_LEVEL", "INFO").upper(),
            ingest_limits=ingest_limits(env),
            source_priority=source_priority(env),
            datasets_dir=datasets_folder(env),
            web_concurrency=_int(env, "WEB_CONCURRENCY", 2, minimum=1),
            complete_through=_date(env, "FORESIGHT_COMPLETE_THROUGH"),
            holiday_countries=holiday_countries(env),
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
