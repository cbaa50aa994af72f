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
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from core.alerts.config import VARIABLES as _ALERT_VARIABLES, AlertSettings
from core.auth.config import AccessSettings
from core.chat.config import ChatSettings
from core.csp import frame_ancestor_sources
from core.health.config import VARIABLES as _HEALTH_VARIABLES, HealthSettings
from data.ingest import IngestLimits, SourcePriority, UploadQuota, ValidationRules
from data.store import engine_url

__all__ = ["Settings", "VARIABLES", "database_url", "datasets_folder", "ingest_limits", "instance_folder",
           "access_settings", "alert_settings", "chat_settings", "health_settings", "redis_url", "settings_or_exit",
           "source_priority", "upload_quota", "validation_rules"]

log = logging.getLogger(__name__)

_ROOT = Path(__file__).resolve().parent.parent
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

_CHAT_VARIABLES = ("FORESIGHT_CHAT_MODEL", "FORESIGHT_CHAT_MODEL_URL", "FORESIGHT_CHAT_MAX_TOKENS", "FORESIGHT_CHAT_TIMEOUT")
# Every environment variable Neon Foresight reads (all of them, here); the README documents each.
VARIABLES: tuple[str, ...] = (
    "FORESIGHT_DATABASE_URL", "FORESIGHT_INSTANCE_DIR", "REDIS_URL", "FORESIGHT_CACHE_DIR", "FORESIGHT_CACHE_TIMEOUT",
    "FORESIGHT_SECRET_KEY", "FORESIGHT_FRAME_ANCESTORS", "FORESIGHT_DEBUG", "HOST", "PORT", "WEB_CONCURRENCY",
    "WORKER_CONCURRENCY",
    "FORESIGHT_LOG_LEVEL", "FORESIGHT_MAX_FILE_MB", "FORESIGHT_MAX_ROWS", "FORESIGHT_SOURCE_PRIORITY",
    "FORESIGHT_DATASETS", "FORESIGHT_COMPLETE_THROUGH", "FORESIGHT_HOLIDAY_COUNTRIES",
    "FORESIGHT_EARLIEST_DATE", "FORESIGHT_FUTURE_DAYS",
    "FORESIGHT_UPLOAD_QUOTA_MB", "FORESIGHT_UPLOAD_SESSION_QUOTA_MB", "FORESIGHT_UPLOAD_KEEP_HOURS",
    "FORESIGHT_MAX_REQUEST_MB",
    *("FORESIGHT_SESSION_HOURS", "FORESIGHT_TRUSTED_PROXIES", "FORESIGHT_TRUSTED_USER_HEADER",
      "FORESIGHT_TRUSTED_GROUPS_HEADER", "FORESIGHT_GROUP_ROLES", "FORESIGHT_SSO_DEFAULT_ROLE",
      "FORESIGHT_LOGIN_FAILURES", "FORESIGHT_LOCKOUT_MINUTES", "FORESIGHT_PASSWORD_MIN_LENGTH",
      "FORESIGHT_API_RATE_LIMIT", "FORESIGHT_UPLOAD_RATE_LIMIT", "FORESIGHT_CHAT_RATE_LIMIT", "FORESIGHT_TOKEN_DAYS"),
    *_CHAT_VARIABLES,
    *_ALERT_VARIABLES,
    *_HEALTH_VARIABLES,
)
_MB = 1024 * 1024


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


def instance_folder(env: Mapping[str, str] | None = None) -> Path:
    """``FORESIGHT_INSTANCE_DIR``: local state (SQLite store, caches, uploads), default ``<repo>/instance``."""
    return Path(_env(env).get("FORESIGHT_INSTANCE_DIR") or _ROOT / "instance")


def database_url(env: Mapping[str, str] | None = None) -> str:
    """``FORESIGHT_DATABASE_URL``, else the SQLite store ``foresight.db`` in the instance folder."""
    env = _env(env)
    return env.get("FORESIGHT_DATABASE_URL", "").strip() or f"sqlite:///{instance_folder(env) / 'foresight.db'}"


def _store_url(env: Mapping[str, str]) -> str:
    """``database_url``, refused at start-up with the reason when the store could not use it (data.store.engine_url)."""
    url = database_url(env)
    try:
        engine_url(url)
    except ValueError as error:
        raise ValueError(f"FORESIGHT_DATABASE_URL: {error}") from None
    return url


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


def upload_quota(env: Mapping[str, str] | None = None, limits: IngestLimits | None = None) -> UploadQuota:
    """Upload space: ``FORESIGHT_UPLOAD_QUOTA_MB`` for the instance, ``FORESIGHT_UPLOAD_SESSION_QUOTA_MB`` per browser
    session (at least the largest file), kept ``FORESIGHT_UPLOAD_KEEP_HOURS``."""
    env, defaults = _env(env), UploadQuota()
    limits = limits or ingest_limits(env)
    total = _positive(env, "FORESIGHT_UPLOAD_QUOTA_MB", float, "number of megabytes (e.g. 1024)")
    session = _positive(env, "FORESIGHT_UPLOAD_SESSION_QUOTA_MB", float, "number of megabytes (e.g. 256)")
    hours = _positive(env, "FORESIGHT_UPLOAD_KEEP_HOURS", float, "number of hours (e.g. 24)")
    quota = UploadQuota(total_bytes=defaults.total_bytes if total is None else int(total * _MB),
                        session_bytes=defaults.session_bytes if session is None else int(session * _MB),
                        keep_seconds=defaults.keep_seconds if hours is None else int(hours * 3600))
    if quota.session_bytes < limits.max_bytes:
        raise ValueError(f"FORESIGHT_UPLOAD_SESSION_QUOTA_MB={quota.session_bytes / _MB:g} is below the largest file "
                         f"(FORESIGHT_MAX_FILE_MB={limits.max_bytes / _MB:g}); raise it or lower the file limit")
    if quota.total_bytes < quota.session_bytes:
        raise ValueError(f"FORESIGHT_UPLOAD_QUOTA_MB={quota.total_bytes / _MB:g} is below the per-session quota "
                         f"(FORESIGHT_UPLOAD_SESSION_QUOTA_MB={quota.session_bytes / _MB:g}); raise it")
    return quota


def max_request_bytes(env: Mapping[str, str], limits: IngestLimits) -> int:
    """``FORESIGHT_MAX_REQUEST_MB``: the largest request body the app reads. An upload arrives base64-encoded (4/3 of
    the file) inside a callback's JSON, so the default is that for the largest file plus 2 MB; less is refused."""
    needed = limits.max_bytes * 4 // 3 + 2 * _MB
    megabytes = _positive(env, "FORESIGHT_MAX_REQUEST_MB", float, "number of megabytes (e.g. 70)")
    if megabytes is None:
        return needed
    if megabytes * _MB < needed:
        raise ValueError(f"FORESIGHT_MAX_REQUEST_MB={megabytes:g} is too small for an upload of FORESIGHT_MAX_FILE_MB="
                         f"{limits.max_bytes / _MB:g}: base64 makes it 4/3 as large, so set at least "
                         f"{math.ceil(needed / _MB)} MB (or lower FORESIGHT_MAX_FILE_MB)")
    return int(megabytes * _MB)


def frame_ancestors(env: Mapping[str, str]) -> tuple[str, ...]:
    """``FORESIGHT_FRAME_ANCESTORS``: who may embed the app; each source is checked (``core.csp``)."""
    return frame_ancestor_sources(env.get("FORESIGHT_FRAME_ANCESTORS", "'self'"))


def access_settings(env: Mapping[str, str] | None = None) -> AccessSettings:
    """Sessions, single sign-on, lockout and rate limits (``core.auth.config`` parses and checks each value)."""
    env = _env(env)
    return AccessSettings.parse({
        "FORESIGHT_SESSION_HOURS": env.get("FORESIGHT_SESSION_HOURS"),
        "FORESIGHT_TRUSTED_PROXIES": env.get("FORESIGHT_TRUSTED_PROXIES"),
        "FORESIGHT_TRUSTED_USER_HEADER": env.get("FORESIGHT_TRUSTED_USER_HEADER"),
        "FORESIGHT_TRUSTED_GROUPS_HEADER": env.get("FORESIGHT_TRUSTED_GROUPS_HEADER"),
        "FORESIGHT_GROUP_ROLES": env.get("FORESIGHT_GROUP_ROLES"),
        "FORESIGHT_SSO_DEFAULT_ROLE": env.get("FORESIGHT_SSO_DEFAULT_ROLE"),
        "FORESIGHT_LOGIN_FAILURES": env.get("FORESIGHT_LOGIN_FAILURES"),
        "FORESIGHT_LOCKOUT_MINUTES": env.get("FORESIGHT_LOCKOUT_MINUTES"),
        "FORESIGHT_PASSWORD_MIN_LENGTH": env.get("FORESIGHT_PASSWORD_MIN_LENGTH"),
        "FORESIGHT_API_RATE_LIMIT": env.get("FORESIGHT_API_RATE_LIMIT"),
        "FORESIGHT_UPLOAD_RATE_LIMIT": env.get("FORESIGHT_UPLOAD_RATE_LIMIT"),
        "FORESIGHT_CHAT_RATE_LIMIT": env.get("FORESIGHT_CHAT_RATE_LIMIT"),
        "FORESIGHT_TOKEN_DAYS": env.get("FORESIGHT_TOKEN_DAYS"),
    })


def chat_settings(env: Mapping[str, str] | None = None) -> ChatSettings:
    """The chat assistant's language model, its process and its limits (``core.chat.config`` checks each)."""
    env = _env(env)
    return ChatSettings.parse({
        "FORESIGHT_CHAT_MODEL": env.get("FORESIGHT_CHAT_MODEL"),
        "FORESIGHT_CHAT_MODEL_URL": env.get("FORESIGHT_CHAT_MODEL_URL"),
        "FORESIGHT_CHAT_MAX_TOKENS": env.get("FORESIGHT_CHAT_MAX_TOKENS"),
        "FORESIGHT_CHAT_TIMEOUT": env.get("FORESIGHT_CHAT_TIMEOUT"),
    })


def alert_settings(env: Mapping[str, str] | None = None) -> AlertSettings:
    """Alert rate limit, the watch interval and the SMTP server (``core.alerts.config`` checks each value)."""
    env = _env(env)
    return AlertSettings.parse({
        "FORESIGHT_ALERT_RATE_PER_HOUR": env.get("FORESIGHT_ALERT_RATE_PER_HOUR"),
        "FORESIGHT_ALERT_POLL_SECONDS": env.get("FORESIGHT_ALERT_POLL_SECONDS"),
        "FORESIGHT_SMTP_HOST": env.get("FORESIGHT_SMTP_HOST"),
        "FORESIGHT_SMTP_PORT": env.get("FORESIGHT_SMTP_PORT"),
        "FORESIGHT_SMTP_FROM": env.get("FORESIGHT_SMTP_FROM"),
        "FORESIGHT_SMTP_USER": env.get("FORESIGHT_SMTP_USER"),
        "FORESIGHT_SMTP_PASSWORD": env.get("FORESIGHT_SMTP_PASSWORD"),
        "FORESIGHT_SMTP_STARTTLS": env.get("FORESIGHT_SMTP_STARTTLS"),
    })


def health_settings(env: Mapping[str, str] | None = None, disk_path: Path | None = None) -> HealthSettings:
    """The health monitor's interval, who may scrape /metrics, its limits and probes (``core.health.config`` checks
    each value); ``disk_path``: the file system to watch, default the instance dir."""
    env = _env(env)
    return HealthSettings.parse({
        "FORESIGHT_HEALTH_INTERVAL": env.get("FORESIGHT_HEALTH_INTERVAL"),
        "FORESIGHT_METRICS_ALLOW": env.get("FORESIGHT_METRICS_ALLOW"),
        "FORESIGHT_HEALTH_MONITOR": env.get("FORESIGHT_HEALTH_MONITOR"),
        "FORESIGHT_HEALTH_DISK_PERCENT": env.get("FORESIGHT_HEALTH_DISK_PERCENT"),
        "FORESIGHT_HEALTH_MEMORY_PERCENT": env.get("FORESIGHT_HEALTH_MEMORY_PERCENT"),
        "FORESIGHT_HEALTH_STORE_MB": env.get("FORESIGHT_HEALTH_STORE_MB"),
        "FORESIGHT_HEALTH_PROBE_TIMEOUT": env.get("FORESIGHT_HEALTH_PROBE_TIMEOUT"),
        "PROMETHEUS_MULTIPROC_DIR": env.get("PROMETHEUS_MULTIPROC_DIR"),
    }, disk_path or instance_folder(env))


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


def validation_rules(env: Mapping[str, str] | None = None) -> ValidationRules:
    """Plausible dates for ingestion: ``FORESIGHT_EARLIEST_DATE`` (default 2000-01-01), the first date any date
    column accepts, and ``FORESIGHT_FUTURE_DAYS`` (default 730), how far ahead planned dates may lie."""
    env = _env(env)
    defaults = ValidationRules()
    text = env.get("FORESIGHT_EARLIEST_DATE", "").strip()
    try:
        earliest = dt.date.fromisoformat(text) if text else defaults.earliest
    except ValueError:
        raise ValueError(f"FORESIGHT_EARLIEST_DATE={text!r} is not a date; use YYYY-MM-DD (e.g. 2000-01-01), "
                         "the first date any date column accepts") from None
    return ValidationRules(earliest=earliest,
                           planned_days=_int(env, "FORESIGHT_FUTURE_DAYS", defaults.planned_days))


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
    worker_concurrency: int = 2  # WORKER_CONCURRENCY: the Celery worker's processes (the Procfile's worker line)
    complete_through: dt.date | None = None  # last complete day; None: from the stream's clock or the data
    holiday_countries: str = "US"  # ISO codes, comma-separated; "" for none
    upload_quota: UploadQuota = UploadQuota()  # FORESIGHT_UPLOAD_QUOTA_MB, ..._SESSION_QUOTA_MB, ..._KEEP_HOURS
    max_request_bytes: int = IngestLimits().max_bytes * 4 // 3 + 2 * _MB  # FORESIGHT_MAX_REQUEST_MB
    validation_rules: ValidationRules = ValidationRules()  # plausible dates (FORESIGHT_EARLIEST_DATE, ..._FUTURE_DAYS)
    access: AccessSettings = AccessSettings()  # sessions, SSO, lockout, rate limits (core.auth.config)
    chat: ChatSettings = ChatSettings()  # the assistant's local language model (core.chat.config)
    alerts: AlertSettings = AlertSettings()  # alert rate limit, watching, SMTP (core.alerts.config)
    health: HealthSettings = HealthSettings()  # the health monitor, /metrics access, limits (core.health.config)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Read settings from ``env`` (default: ``os.environ``); invalid values raise ValueError."""
        env = _env(env)
        instance_dir = instance_folder(env)
        secret = env.get("FORESIGHT_SECRET_KEY", "").strip()
        limits = ingest_limits(env)
        return cls(
            database_url=_store_url(env),
            instance_dir=instance_dir,
            redis_url=redis_url(env),
            cache_dir=Path(env.get("FORESIGHT_CACHE_DIR") or instance_dir / "cache"),
            cache_timeout=_int(env, "FORESIGHT_CACHE_TIMEOUT", 24 * 3600),
            secret_key=secret or secrets.token_hex(32),
            secret_key_generated=not secret,
            frame_ancestors=frame_ancestors(env),
            debug=_flag(env, "FORESIGHT_DEBUG", False),
            host=env.get("HOST", "127.0.0.1"),
            port=_int(env, "PORT", 8050, minimum=1),
            log_level=env.get("FORESIGHT_LOG_LEVEL", "INFO").upper(),
            ingest_limits=limits,
            source_priority=source_priority(env),
            datasets_dir=datasets_folder(env),
            web_concurrency=_int(env, "WEB_CONCURRENCY", 2, minimum=1),
            worker_concurrency=_int(env, "WORKER_CONCURRENCY", 2, minimum=1),
            complete_through=_date(env, "FORESIGHT_COMPLETE_THROUGH"),
            holiday_countries=holiday_countries(env),
            validation_rules=validation_rules(env),
            upload_quota=upload_quota(env, limits),
            max_request_bytes=max_request_bytes(env, limits),
            access=access_settings(env),
            chat=chat_settings(env),
            alerts=alert_settings(env),
            health=health_settings(env, instance_dir),
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


def settings_or_exit() -> Settings:
    """``Settings.from_env()`` for an entry point (gunicorn.conf.py, app.py, the Celery worker, ``core.warm``): an
    invalid value stops the process with its message and exit code 2, never a traceback."""
    try:
        return Settings.from_env()
    except ValueError as error:
        sys.stderr.write(f"invalid setting: {error}\n")
        raise SystemExit(2) from None
