"""Browser uploads as the app keeps them: tied to the browser session (a signed cookie), within the quota, and swept
when the app starts and on the Celery worker's schedule."""
from __future__ import annotations

import os
import time

import pytest
from flask import Flask

from core.settings import Settings
from core.uploads import init_uploads, keep_upload, uploads_dir
from data.ingest import SourceError, upload_path


def _settings(tmp_path, **env) -> Settings:
    return Settings.from_env({"FORESIGHT_INSTANCE_DIR": str(tmp_path), "FORESIGHT_SECRET_KEY": "uploads-tests",
                              "FORESIGHT_MAX_FILE_MB": "0.01", **env})


def _server(settings: Settings) -> Flask:
    server = Flask("uploads-test")
    server.config["SECRET_KEY"] = settings.secret_key
    return server


def test_a_browser_session_keeps_its_uploads_within_its_quota(tmp_path):
    settings = _settings(tmp_path, FORESIGHT_UPLOAD_SESSION_QUOTA_MB="0.02", FORESIGHT_UPLOAD_QUOTA_MB="0.05")
    server = _server(settings)
    content = b"x" * 8 * 1024
    with server.test_request_context("/"):
        first = keep_upload("a.csv", content, settings)
        second = keep_upload("b.csv", content, settings)
        assert first.token[:16] == second.token[:16]  # one session
        with pytest.raises(SourceError, match="over its 20.5 KB quota"):
            keep_upload("c.csv", content, settings)
    with server.test_request_context("/"):  # another browser: a session of its own
        other = keep_upload("c.csv", content, settings)
    assert other.token[:16] != first.token[:16]
    assert upload_path(uploads_dir(settings), other).stat().st_size == len(content)


def test_the_session_tag_survives_the_round_trip_through_the_cookie(tmp_path):
    settings = _settings(tmp_path)
    server = _server(settings)
    server.add_url_rule("/up", "up", lambda: keep_upload("a.csv", b"a\n1\n", settings).token, methods=["POST"])
    client = server.test_client()
    first, second = client.post("/up").text, client.post("/up").text
    assert first[:16] == second[:16] and first != second
    assert server.test_client().post("/up").text[:16] != first[:16]  # a browser without the cookie


def _expired_upload(settings: Settings):
    with _server(settings).test_request_context("/"):
        upload = keep_upload("old.csv", b"a\n1\n", settings)
    path = upload_path(uploads_dir(settings), upload)
    stale = time.time() - settings.upload_quota.keep_seconds - 60
    os.utime(path, (stale, stale))
    return path


def test_the_app_sweeps_expired_uploads_when_it_starts(tmp_path):
    settings = _settings(tmp_path)
    path = _expired_upload(settings)
    init_uploads(settings, None)
    assert not path.exists()


def test_the_celery_beat_sweeps_expired_uploads_every_hour(tmp_path):
    from celery import Celery

    settings = _settings(tmp_path)
    celery = Celery("uploads-test", broker="memory://", backend="cache+memory://")
    init_uploads(settings, celery)
    path = _expired_upload(settings)
    entry = celery.conf.beat_schedule["sweep-expired-uploads"]
    assert entry["schedule"] == 3600
    assert str(tmp_path) in celery.conf.beat_schedule_filename
    assert celery.tasks[entry["task"]].apply().get() == 1  # the task the beat sends, run as the worker runs it
    assert not path.exists()
