"""Browser uploads as the app keeps them: in the instance folder, tied to the uploader's browser session, within the
quota (``FORESIGHT_UPLOAD_QUOTA_MB``, ``FORESIGHT_UPLOAD_SESSION_QUOTA_MB``), and swept when they expire
(``FORESIGHT_UPLOAD_KEEP_HOURS``): on every upload, when the app starts and, with Celery, hourly by the beat.

A session is a random tag in Flask's signed session cookie: anonymous, but enough to keep one browser from filling
the whole instance quota. Clearing cookies gives a new session; the instance quota still holds.
"""
from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import has_request_context, session

from core.settings import Settings
from data.ingest import Upload, save_upload, sweep_uploads

__all__ = ["init_uploads", "keep_upload", "uploads_dir", "SWEEP_TASK"]

log = logging.getLogger(__name__)

SWEEP_TASK = "neon_foresight.sweep_expired_uploads"
_SESSION_KEY = "upload_session"
_SWEEP_SECONDS = 3600


def uploads_dir(settings: Settings) -> Path:
    """Where browser uploads wait between preview and ingest."""
    return settings.instance_dir / "uploads"


def _session_tag() -> str:
    """This browser session's upload tag (16 hex digits), created on its first upload."""
    tag = session.get(_SESSION_KEY) if has_request_context() else None
    if not (isinstance(tag, str) and len(tag) == 16 and all(c in "0123456789abcdef" for c in tag)):
        tag = secrets.token_hex(8)
        if has_request_context():
            session[_SESSION_KEY] = tag
    return tag


def keep_upload(filename: str, content: bytes, settings: Settings) -> Upload:
    """Keep an upload for this browser session; SourceError says which quota it would exceed."""
    return save_upload(uploads_dir(settings), filename, content, quota=settings.upload_quota, owner=_session_tag())


def _sweep(settings: Settings) -> int:
    removed = sweep_uploads(uploads_dir(settings), settings.upload_quota.keep_seconds)
    if removed:
        log.info("removed %d expired upload(s) from %s", removed, uploads_dir(settings))
    return removed


def init_uploads(settings: Settings, celery_app) -> None:
    """Sweep expired uploads now (the app is starting) and, with Celery, every hour on the worker's beat
    (the Procfile's worker runs with ``--beat``; its schedule file lives in the instance folder)."""
    _sweep(settings)
    if celery_app is None:
        return

    def sweep_expired_uploads() -> int:
        return _sweep(settings)

    celery_app.task(name=SWEEP_TASK)(sweep_expired_uploads)
    celery_app.conf.beat_schedule = {
        **(celery_app.conf.beat_schedule or {}),
        "sweep-expired-uploads": {"task": SWEEP_TASK, "schedule": _SWEEP_SECONDS},
    }
    celery_app.conf.beat_schedule_filename = str(settings.instance_dir / "celerybeat-schedule")
