"""Jobs the API starts (a retrain, a forecast nobody computed yet): start, status, cancel, active.

Each job runs on a thread of the web process that started it, inside the Flask app's context, and computes through
the shared results cache (``core.cache.compute_shared``), so the pages and the API never fit the same thing twice.
Its record lives in that same cache (on disk, or Redis with ``REDIS_URL``), so any gunicorn worker answers
``status`` and ``active`` and accepts ``cancel``; the running thread sees a cancellation at its next progress step and
stops there (the computation's lock is released, nothing is cached). A job whose worker died stops reporting and is
shown as ``lost`` after ``LOST_SECONDS`` without news.

Why not Celery when REDIS_URL is set: the page jobs reach Celery through Dash's background-callback manager, which
only runs Dash callbacks; a separate Celery task for the API would need the worker to import the app's settings and
the cache in another way, for jobs that spend their time in the same compute functions. Threads keep one code path;
the cache still shares their state across workers and machines.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

from core.cache import cache
from core.errors import designed, report_unexpected

__all__ = ["JobCancelled", "LOST_SECONDS", "start", "status", "cancel", "active", "wait"]

log = logging.getLogger(__name__)

LOST_SECONDS = 900
_KEEP_SECONDS = 7 * 24 * 3600
_INDEX_KEY = "api-jobs:index"
_INDEX_SIZE = 200
_FINISHED = ("done", "failed", "cancelled")
Report = Callable[[int, int, str], None]
_events: dict[str, threading.Event] = {}  # this process's running jobs, for ``wait`` (tests, benchmarks)


class JobCancelled(Exception):
    """Raised inside a job's progress report once somebody cancelled it."""


def _key(job_id: str) -> str:
    return f"api-job:{job_id}"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _save(record: dict) -> None:
    cache.set(_key(record["id"]), record, timeout=_KEEP_SECONDS)


def _update(job_id: str, **changes: Any) -> dict:
    record = {**(cache.get(_key(job_id)) or {"id": job_id}), **changes, "updated_at": _now()}
    _save(record)
    return record


def start(kind: str, run: Callable[[Report], dict | None], *, params: dict | None = None, actor: str = "",
          app: Flask | None = None) -> str:
    """Start ``run(report)`` on a thread and return the job's id.

    ``run`` gets ``report(done, total, message)`` (which raises ``JobCancelled`` after a cancel) and returns a small
    JSON-able result for ``status``. ``kind`` and ``params`` say what the job does ("retrain", {"target": ...}).
    """
    job_id = uuid.uuid4().hex[:16]
    _save({"id": job_id, "kind": kind, "params": params or {}, "actor": actor, "state": "queued",
           "progress": {"done": 0, "total": 0, "message": "queued"}, "result": None, "error": None,
           "created_at": _now(), "updated_at": _now(), "finished_at": None})
    index = [job_id, *(cache.get(_INDEX_KEY) or [])][:_INDEX_SIZE]
    cache.set(_INDEX_KEY, index, timeout=_KEEP_SECONDS)
    app = app or current_app._get_current_object()
    _events[job_id] = threading.Event()
    threading.Thread(target=_run, args=(app, job_id, run), name=f"api-job-{job_id}", daemon=True).start()
    return job_id


def _run(app: Flask, job_id: str, run: Callable[[Report], dict | None]) -> None:
    with app.app_context():
        try:
            _update(job_id, state="running")

            def report(done: int, total: int, message: str) -> None:
                if cache.get(f"{_key(job_id)}:cancel"):
                    raise JobCancelled(job_id)
                _update(job_id, progress={"done": int(done), "total": int(total), "message": str(message)[:200]})

            report(0, 0, "started")
            result = run(report)
            _update(job_id, state="done", result=result, finished_at=_now())
        except JobCancelled:
            _update(job_id, state="cancelled", finished_at=_now())
        except Exception as exc:  # noqa: BLE001 — a job's failure is its status; unexpected ones get an error id
            message = str(exc) if designed(exc) else (
                f"unexpected error (error id {report_unexpected(exc, f'API job {job_id}')}); details in the server log")
            _update(job_id, state="failed", error=message, finished_at=_now())
        finally:
            _events.pop(job_id, threading.Event()).set()


def status(job_id: str) -> dict | None:
    """The job's record (None when unknown or expired): ``id, kind, params, actor, state, progress, result,
    error, created_at, updated_at, finished_at``; ``state`` is queued, running, done, failed, cancelled or lost."""
    record = cache.get(_key(str(job_id)))
    if record is None:
        return None
    if record["state"] not in _FINISHED:
        updated = dt.datetime.fromisoformat(record["updated_at"])
        if (dt.datetime.now(dt.timezone.utc) - updated).total_seconds() > LOST_SECONDS:
            record = {**record, "state": "lost",
                      "error": f"no progress for {LOST_SECONDS} s: the process running it stopped; start it again"}
    return record


def cancel(job_id: str) -> dict | None:
    """Ask a job to stop at its next progress step; returns its record (None when unknown). A finished job stays
    as it is."""
    record = status(job_id)
    if record is None or record["state"] in (*_FINISHED, "lost"):
        return record
    cache.set(f"{_key(job_id)}:cancel", True, timeout=_KEEP_SECONDS)
    return _update(job_id, cancel_requested=True)


def active() -> list[dict]:
    """Queued and running jobs, newest first (what the push channel relays)."""
    records = (status(job_id) for job_id in cache.get(_INDEX_KEY) or [])
    return [record for record in records if record and record["state"] in ("queued", "running")]


def wait(job_id: str, timeout: float) -> dict | None:
    """Block until a job started by this process ends (or ``timeout`` seconds pass); its record."""
    event = _events.get(job_id)
    if event is not None:
        event.wait(timeout)
    return status(job_id)
