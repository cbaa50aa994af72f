"""Readiness: can this deployment serve? One probe per component, run side by side, each cut off after
``settings.health.probe_timeout_s`` so ``/readyz`` answers quickly even when a component hangs.

- store: connects and is migrated to the code's newest revision (else: run ``python -m data upgrade``);
- cache: Redis answers (with ``REDIS_URL``), else the cache folder exists and is writable;
- redis and worker: only with ``REDIS_URL``: Redis answers PING, a Celery worker answers a ping;
- model: only when the chat uses a model process (``FORESIGHT_CHAT_MODEL`` not ``none``): its ``/health`` says loaded.

Ready means every configured component is ``ok``, except the model: without it the chat answers from templates, so
it is reported (``required: false``) but does not take the web workers out of a load balancer.
"""
from __future__ import annotations

import functools
import http.client
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:  # core.settings imports core.health.config: no import of it at run time
    from core.settings import Settings

__all__ = ["Probe", "Readiness", "check_readiness", "PROBES"]

OK, DOWN, NOT_CONFIGURED = "ok", "down", "not_configured"


@dataclass(frozen=True)
class Probe:
    """One component's readiness: ``status`` ok, down or not_configured; how long the probe took; why it is down."""

    status: str
    latency_ms: float | None = None
    detail: str = ""
    required: bool = True


@dataclass(frozen=True)
class Readiness:
    """Every component's probe; ``ready`` when each configured, required component is ok."""

    components: dict[str, Probe] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return all(probe.status != DOWN or not probe.required for probe in self.components.values())

    def to_dict(self) -> dict:
        """``/readyz``' JSON: ``status`` ok or unavailable, ``ready`` and each component's probe."""
        return {"status": OK if self.ready else "unavailable", "ready": self.ready,
                "components": {name: asdict(probe) for name, probe in self.components.items()}}


@functools.lru_cache(maxsize=1)
def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    import data

    return ScriptDirectory(str(Path(data.__file__).parent / "migrations")).get_current_head()


def _probe_store(settings: "Settings") -> str | None:
    """None when the store answers and is migrated to the newest revision, else what is wrong. Reads Alembic's
    version table itself: a MigrationContext would log two lines at every probe."""
    from sqlalchemy import inspect, text

    from data.store import get_engine

    with get_engine(settings.database_url).connect() as connection:
        current = None
        if inspect(connection).has_table("alembic_version"):
            current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    head = _head_revision()
    if current != head:
        return f"the store is at revision {current}, the code needs {head}; run `python -m data upgrade`"
    return None


@functools.lru_cache(maxsize=4)
def _redis_client(url: str, timeout_s: float):
    import redis

    return redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)


def _probe_redis(settings: "Settings") -> str | None:
    _redis_client(settings.redis_url, settings.health.probe_timeout_s).ping()
    return None


def _probe_cache(settings: "Settings") -> str | None:
    if settings.redis_url:
        return _probe_redis(settings)
    folder = settings.cache_dir
    if not folder.is_dir():
        return f"the cache folder {folder} does not exist; create it or set FORESIGHT_CACHE_DIR"
    if not os.access(folder, os.W_OK):
        return f"the cache folder {folder} is not writable by this process"
    return None


_PING_LOCK = threading.Lock()


def _ping_workers(url: str, timeout: float) -> list:
    """Celery's ``ping`` broadcast on the workers' control mailbox, over a connection of its own that is closed
    after the ping. Not ``celery_app.control.ping``: that leaves kombu's connection and producer pools in this
    process, and their after-fork cleanup blocks every process forked later (a forecast's process pool) on a read
    of the pooled reply channel."""
    from kombu import Connection
    from kombu.pidbox import Mailbox

    mailbox = Mailbox("celery", type="fanout", accept=["json"], serializer="json")
    with Connection(url, connect_timeout=timeout, transport_options={"socket_timeout": timeout}) as connection:
        return mailbox(connection)._broadcast("ping", reply=True, timeout=timeout, limit=1) or []


def _probe_worker(settings: "Settings") -> str | None:
    try:  # a ping through a Redis that is down would retry until the timeout
        _probe_redis(settings)
    except Exception as error:  # noqa: BLE001 — the broker's failure is the reason
        return f"Redis, the workers' broker, does not answer ({type(error).__name__})"
    timeout = settings.health.probe_timeout_s
    if not _PING_LOCK.acquire(timeout=timeout):
        return "another ping of the Celery workers is still waiting"
    try:
        replies = _ping_workers(settings.redis_url, timeout / 2)  # half: connecting to the broker takes some
    finally:
        _PING_LOCK.release()
    return None if replies else "no Celery worker answered a ping; start one (the Procfile's worker)"


def _probe_model(settings: "Settings") -> str | None:
    parts = urlsplit(settings.chat.model_url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname, parts.port, timeout=settings.health.probe_timeout_s)
    try:
        connection.request("GET", "/health")
        response = connection.getresponse()
        body = json.loads(response.read() or b"{}")
    finally:
        connection.close()
    if response.status != 200:
        return f"the model process answered {response.status}"
    if not body.get("loaded"):
        return f"the model process is {'failing: ' + str(body['error']) if body.get('error') else 'still loading'}"
    return None


# name -> (is it configured for these settings, the probe, whether readiness needs it)
PROBES: dict[str, tuple[Callable[["Settings"], bool], Callable[["Settings"], str | None], bool]] = {
    "store": (lambda settings: True, _probe_store, True),
    "cache": (lambda settings: True, _probe_cache, True),
    "redis": (lambda settings: bool(settings.redis_url), _probe_redis, True),
    "worker": (lambda settings: bool(settings.redis_url), _probe_worker, True),
    "model": (lambda settings: settings.chat.model != "none", _probe_model, False),
}


def _run(probe: Callable, settings: "Settings", required: bool, out: dict, name: str) -> None:
    started = time.perf_counter()
    try:
        problem = probe(settings)
    except Exception as error:  # noqa: BLE001 — a probe reports any failure as its component being down
        problem = f"{type(error).__name__}: {str(error)[:200]}"
    elapsed = round((time.perf_counter() - started) * 1000, 2)
    out[name] = Probe(OK if problem is None else DOWN, elapsed, problem or "", required)


def check_readiness(settings: "Settings", only: tuple[str, ...] | None = None) -> Readiness:
    """Probe every component (or ``only`` those) at once; a probe still running after the timeout counts as down."""
    timeout = settings.health.probe_timeout_s
    results: dict[str, Probe] = {}
    threads: dict[str, tuple[threading.Thread, bool]] = {}
    for name, (configured, probe, required) in PROBES.items():
        if only is not None and name not in only:
            continue
        if not configured(settings):
            results[name] = Probe(NOT_CONFIGURED, None, "", required)
            continue
        thread = threading.Thread(target=_run, args=(probe, settings, required, results, name),
                                  name=f"probe-{name}", daemon=True)
        thread.start()
        threads[name] = (thread, required)
    deadline = time.monotonic() + timeout + 0.05
    for name, (thread, required) in threads.items():
        thread.join(max(0.0, deadline - time.monotonic()))
        if name not in results:
            results[name] = Probe(DOWN, round(timeout * 1000, 2), f"no answer within {timeout:g} s", required)
    return Readiness({name: results[name] for name in PROBES if name in results})
