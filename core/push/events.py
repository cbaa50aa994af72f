"""What the push channel carries: events in server-sent-events wire format, and the sources the broadcaster reads.

Adding an event type that follows server state is one function: a ``read`` that returns the current state keyed
by what identifies one item (``{"": {...}}`` for a single value), registered in :func:`default_sources`. An event
produced by a request instead (a chat token) is one :meth:`Broadcaster.publish` call.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import Engine

from core.auth import Permission
from data.store import current_version

__all__ = ["Event", "Source", "dataset_version_source", "job_progress_source", "default_sources",
           "DATASET_VERSION", "JOB_PROGRESS", "HEARTBEAT", "STREAM_END"]

DATASET_VERSION = "dataset-version"
JOB_PROGRESS = "job-progress"
HEARTBEAT = "heartbeat"
STREAM_END = "stream-end"  # sent right before the server closes a stream at the end of its bounded life


@dataclass(frozen=True)
class Event:
    """One server-sent event: its type (``event:``) and a JSON object (``data:``)."""

    name: str
    data: Mapping

    def encode(self) -> bytes:
        """The event on the wire (one ``data:`` line: the JSON has no newline)."""
        return f"event: {self.name}\ndata: {json.dumps(self.data, separators=(',', ':'), default=str)}\n\n".encode()


@dataclass(frozen=True)
class Source:
    """A kind of server state the broadcaster reads once per tick and fans out when it changes.

    ``read()`` returns the current state as ``{key: data}``; a key that disappears is announced once with
    ``final(key)`` when given (a finished job's last state). ``permission`` is what a stream's principal needs.
    """

    event: str
    read: Callable[[], Mapping[str, Mapping]]
    final: Callable[[str], Mapping | None] | None = None
    permission: Permission = Permission.VIEW


def _epoch_ms(moment: dt.datetime | None) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # the store keeps UTC without a zone on SQLite
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return int(moment.timestamp() * 1000)


def dataset_version_source(engine: Engine) -> Source:
    """The store's newest dataset version: ``{"version", "changed_at"}`` (epoch ms of its commit; both None
    while the store is empty or not migrated)."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    def read() -> dict[str, dict]:
        try:
            version = current_version(engine)
        except (OperationalError, ProgrammingError):
            version = None
        return {"": {"version": version.version if version else None,
                     "changed_at": _epoch_ms(version.created_at) if version else None}}

    return Source(DATASET_VERSION, read)


def _job_fields(job: Mapping) -> dict:
    """A job record of core.api.jobs (``progress: {done, total, message}``) as a ``job-progress`` event."""
    progress = job.get("progress") or {}
    return {"id": job["id"], "kind": job.get("kind"), "state": job.get("state"), "progress": progress.get("done"),
            "total": progress.get("total"), "label": progress.get("message")}


def job_progress_source(jobs) -> Source:
    """Progress of the API's jobs (``core.api.jobs``: ``active()`` and ``status(job_id)``), one event per change;
    a job that left ``active()`` is announced once more in its final state (done, failed, cancelled)."""

    def read() -> dict[str, dict]:
        return {str(job["id"]): _job_fields(job) for job in jobs.active()}

    def final(job_id: str) -> dict | None:
        job = jobs.status(job_id)
        return _job_fields(job) if job else None

    return Source(JOB_PROGRESS, read, final)


def default_sources(engine: Engine) -> list[Source]:
    """The dataset version, the system's health (core/health/_push.py), and job progress once the API's job
    registry is installed (core/api/jobs.py)."""
    from core.health import health_source

    sources = [dataset_version_source(engine), health_source(engine)]
    try:
        from core.api import jobs
    except ImportError:  # the REST API's job registry is not part of this build: no job-progress events
        return sources
    return sources + [job_progress_source(jobs)]
