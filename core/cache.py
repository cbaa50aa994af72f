"""The shared results cache: flask-caching on disk by default, Redis when REDIS_URL is set.

Keys combine the function, a fingerprint of the code that computes results, the dataset version and the
parameters, so neither a new dataset version nor an upgrade of the app ever serves stale results (an object
pickled by older code may not even load in newer code), and nothing needs invalidating.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask
from flask_caching import Cache

from core.settings import Settings

__all__ = ["cache", "cache_config", "init_cache", "cache_key", "cached_call", "cached_value", "code_fingerprint",
           "compute_shared", "latest_cached", "LOCK_TTL"]

log = logging.getLogger(__name__)
T = TypeVar("T")

cache = Cache()
_MISSING = object()


def cache_config(settings: Settings) -> dict[str, Any]:
    """flask-caching configuration for these settings."""
    config: dict[str, Any] = {
        "CACHE_DEFAULT_TIMEOUT": settings.cache_timeout,
        "CACHE_KEY_PREFIX": "nf:",
    }
    if settings.redis_url:
        config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=settings.redis_url)
    else:
        settings.cache_dir.mkdir(parents=True, exist_ok=True)
        config.update(
            CACHE_TYPE="FileSystemCache", CACHE_DIR=str(settings.cache_dir), CACHE_THRESHOLD=5000
        )
    return config


def init_cache(server: Flask, settings: Settings) -> None:
    """Bind the shared cache to the Flask server (also usable outside a request)."""
    cache.init_app(server, config=cache_config(settings))
    # Background jobs run outside any request or app context; let them find the server.
    cache.app = server
    log.info("results cache: %s", cache_config(settings)["CACHE_TYPE"])


_ROOT = Path(__file__).resolve().parents[1]
_COMPUTING_PACKAGES = ("analytics", "core", "data")


@functools.cache
def code_fingerprint() -> str:
    """A short hash of every module that computes cached results (``analytics/``, ``core/``, ``data/``)."""
    digest = hashlib.sha256()
    for path in sorted(p for package in _COMPUTING_PACKAGES for p in (_ROOT / package).rglob("*.py")):
        digest.update(str(path.relative_to(_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def cache_key(fn: Callable[..., Any], version: int, params: dict[str, Any]) -> str:
    """A stable key from the function's qualified name, the code fingerprint, the dataset version and the
    parameters."""
    blob = json.dumps(params, sort_keys=True, default=str)
    digest = hashlib.sha256(blob.encode()).hexdigest()[:24]
    return f"{fn.__module__}.{fn.__qualname__}:c{code_fingerprint()}:v{version}:{digest}"


def cached_call(
    fn: Callable[..., T], version: int, *args: Any, refresh: bool = False, **params: Any
) -> T:
    """Return ``fn(*args, **params)`` from the cache, computing and storing it on a miss.

    ``args`` are not part of the key (use them for the engine or a progress
    callback); ``params`` are. ``refresh=True`` recomputes and overwrites.
    """
    key = cache_key(fn, version, params)
    value = _MISSING if refresh else cache.get(key)
    if value is _MISSING or value is None:
        value = fn(*args, **params)
        cache.set(key, value)
    return value


def cached_value(fn: Callable[..., T], version: int, **params: Any) -> T | None:
    """What ``cached_call(fn, version, ..., **params)`` stored, or None when it is not cached (never computes)."""
    return cache.get(cache_key(fn, version, params))


# --- Computing a result once for every viewer -------------------------------------------------------------------
LOCK_TTL = 90  # seconds a computation may go without reporting progress before another process takes over
_POLL_SECONDS = 0.5


def _lock_key(key: str) -> str:
    return f"{key}:lock"


def _progress_key(key: str) -> str:
    return f"{key}:progress"


def compute_shared(
    fn: Callable[..., T], version: int, *args: Any, report: Callable[[int, int, str], None] | None = None,
    refresh: bool = False, **params: Any,
) -> tuple[T, str]:
    """``fn(*args, progress, **params)`` computed once however many viewers and workers ask for it.

    The first caller takes a lock in the shared cache and computes, publishing its progress; every other
    caller of the same key waits for that result and relays the same progress to ``report``, so two viewers
    opening a page at once both see it fill and neither fits twice. A computation that stops reporting for
    ``LOCK_TTL`` seconds (its process was killed) is taken over. Returns ``(value, how)`` with ``how`` one of
    ``"cache"``, ``"computed"`` or ``"shared"`` (another process computed it while this one waited).
    """
    key = cache_key(fn, version, params)
    if not refresh:
        value = cache.get(key)
        if value is not None:
            return value, "cache"
    report = report or (lambda *_: None)
    waited = False
    while True:
        token = uuid.uuid4().hex
        if cache.add(_lock_key(key), token, timeout=LOCK_TTL):
            return _compute_under_lock(fn, key, token, args, params, report), "shared" if waited else "computed"
        waited = True
        value = _wait_for(key, report)
        if value is not None:
            return value, "shared"


def _compute_under_lock(fn, key: str, token: str, args, params, report) -> Any:
    def relay(done: int, total: int, message: str) -> None:
        cache.set(_progress_key(key), (done, total, message), timeout=LOCK_TTL)
        cache.set(_lock_key(key), token, timeout=LOCK_TTL)  # heartbeat
        report(done, total, message)

    try:
        value = fn(*args, relay, **params)
        cache.set(key, value)
        return value
    finally:
        if cache.get(_lock_key(key)) == token:
            cache.delete(_lock_key(key))
        cache.delete(_progress_key(key))


def _wait_for(key: str, report) -> Any:
    """Wait while another process holds the lock; the value it stored, or None when it gave up."""
    while cache.get(_lock_key(key)) is not None:
        progress = cache.get(_progress_key(key))
        if progress:
            report(*progress)
        time.sleep(_POLL_SECONDS)
    return cache.get(key)


def latest_cached(fn: Callable[..., T], version: int, lookback: int, **params: Any) -> tuple[int, T] | None:
    """The newest cached result of ``fn(**params)`` among dataset versions ``version`` down to
    ``version - lookback`` (what a page shows while the newest one is computed), or None."""
    for candidate in range(version, max(0, version - lookback) - 1, -1):
        value = cached_value(fn, candidate, **params)
        if value is not None:
            return candidate, value
    return None
