"""Settings come from the environment, with safe local defaults and clear errors."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from core import settings
from core.settings import Settings
from data import default_database_url
from data.ingest import IngestLimits


def test_defaults_are_local_and_safe(tmp_path):
    s = Settings.from_env({"FORESIGHT_INSTANCE_DIR": str(tmp_path)})
    assert s.debug is False
    assert s.frame_ancestors == ("'self'",)
    assert s.redis_url is None
    assert s.cache_dir == tmp_path / "cache"
    assert s.port == 8050 and s.host == "127.0.0.1"
    assert s.secret_key_generated and len(s.secret_key) == 64
    assert s.database_url.startswith("sqlite:///")


def test_environment_overrides_everything(tmp_path):
    env = {
        "FORESIGHT_DATABASE_URL": "postgresql://u@127.0.0.1/nf",
        "FORESIGHT_INSTANCE_DIR": str(tmp_path),
        "FORESIGHT_CACHE_DIR": str(tmp_path / "c"),
        "FORESIGHT_CACHE_TIMEOUT": "60",
        "REDIS_URL": "redis://127.0.0.1:6390/0",
        "FORESIGHT_SECRET_KEY": "s3cret",
        "FORESIGHT_FRAME_ANCESTORS": "'self' https://intranet.example.com",
        "FORESIGHT_DEBUG": "yes",
        "PORT": "9000",
    }
    s = Settings.from_env(env)
    assert s.database_url == env["FORESIGHT_DATABASE_URL"]
    assert s.redis_url == env["REDIS_URL"]
    assert s.cache_dir == Path(tmp_path / "c") and s.cache_timeout == 60
    assert s.secret_key == "s3cret" and not s.secret_key_generated
    assert s.frame_ancestors == ("'self'", "https://intranet.example.com")
    assert s.debug is True and s.port == 9000


@pytest.mark.parametrize(
    "env, message",
    [
        ({"FORESIGHT_DEBUG": "maybe"}, "FORESIGHT_DEBUG='maybe' is not a boolean"),
        ({"PORT": "eighty"}, "PORT='eighty' is not a whole number"),
        ({"PORT": "0"}, "PORT=0 is below the minimum of 1"),
        ({"FORESIGHT_FRAME_ANCESTORS": "  "}, "FORESIGHT_FRAME_ANCESTORS is empty"),
        ({"FORESIGHT_DATABASE_URL": "mysql://u@h/db"}, "FORESIGHT_DATABASE_URL: database 'mysql' in mysql://u@h/db "
                                                       "is not supported; use postgresql://"),
        ({"FORESIGHT_DATABASE_URL": "instance/foresight.db"}, "FORESIGHT_DATABASE_URL: 'instance/foresight.db' is "
                                                              "not a database URL"),
    ],
)
def test_invalid_values_are_named(env, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_env(env)


def test_settings_are_frozen():
    s = Settings.from_env({})
    with pytest.raises(AttributeError):
        s.debug = True  # type: ignore[misc]


def test_missing_secret_key_is_logged(caplog):
    with caplog.at_level(logging.WARNING):
        Settings.from_env({}).warn_about_defaults()
    assert "FORESIGHT_SECRET_KEY is not set" in caplog.text


def test_complete_through_is_an_iso_date_or_unset(tmp_path):
    import datetime as dt

    base = {"FORESIGHT_INSTANCE_DIR": str(tmp_path)}
    assert Settings.from_env(base).complete_through is None
    assert Settings.from_env({**base, "FORESIGHT_COMPLETE_THROUGH": " "}).complete_through is None
    assert Settings.from_env({**base, "FORESIGHT_COMPLETE_THROUGH": "2026-12-05"}).complete_through == dt.date(
        2026, 12, 5)
    with pytest.raises(ValueError, match=r"FORESIGHT_COMPLETE_THROUGH='05/12/2026' is not a date; use YYYY-MM-DD"):
        Settings.from_env({**base, "FORESIGHT_COMPLETE_THROUGH": "05/12/2026"})


def test_store_and_stream_settings_come_from_the_environment():
    assert settings.database_url({}) == default_database_url()
    assert settings.database_url({"FORESIGHT_DATABASE_URL": "  "}) == default_database_url()
    assert settings.database_url({"FORESIGHT_DATABASE_URL": "postgresql://u@127.0.0.1/nf"}) == "postgresql://u@127.0.0.1/nf"
    assert settings.redis_url({"REDIS_URL": " "}) is None
    assert settings.datasets_folder({}) is None
    assert settings.datasets_folder({"FORESIGHT_DATASETS": "/srv/datasets"}) == Path("/srv/datasets")


def test_source_priority_from_the_environment():
    assert settings.source_priority({"FORESIGHT_SOURCE_PRIORITY": "upload,erp"}).order == ("upload", "erp")
    assert settings.source_priority({}).order == ("erp", "crm", "marketing", "stream", "upload", "*", "sample")
    with pytest.raises(ValueError, match="FORESIGHT_SOURCE_PRIORITY: .*names no source"):
        settings.source_priority({"FORESIGHT_SOURCE_PRIORITY": " , "})
    assert Settings.from_env({"FORESIGHT_SOURCE_PRIORITY": "crm"}).source_priority.order == ("crm",)


def test_ingest_limits_from_the_environment():
    assert settings.ingest_limits({}) == IngestLimits(50 * 1024 * 1024, 2_000_000)
    limits = settings.ingest_limits({"FORESIGHT_MAX_FILE_MB": "1.5", "FORESIGHT_MAX_ROWS": "10"})
    assert limits == IngestLimits(max_bytes=1572864, max_rows=10)
    for env, name in (({"FORESIGHT_MAX_FILE_MB": "lots"}, "FORESIGHT_MAX_FILE_MB"),
                      ({"FORESIGHT_MAX_ROWS": "-5"}, "FORESIGHT_MAX_ROWS"),
                      ({"FORESIGHT_MAX_ROWS": "1.5"}, "FORESIGHT_MAX_ROWS"),
                      ({"FORESIGHT_MAX_FILE_MB": "inf"}, "FORESIGHT_MAX_FILE_MB"),
                      ({"FORESIGHT_MAX_FILE_MB": "nan"}, "FORESIGHT_MAX_FILE_MB")):
        with pytest.raises(ValueError, match=f"{name}=.* is not valid; set it to a positive"):
            settings.ingest_limits(env)


def test_web_concurrency_for_gunicorn():
    assert Settings.from_env({}).web_concurrency == 2
    assert Settings.from_env({"WEB_CONCURRENCY": "4"}).web_concurrency == 4
    with pytest.raises(ValueError, match="WEB_CONCURRENCY=0 is below the minimum of 1"):
        Settings.from_env({"WEB_CONCURRENCY": "0"})


@pytest.mark.parametrize("value", [
    "'self'; script-src 'unsafe-inline'",  # a `;` would add a directive to the policy
    "'self' https://portal.example.com;",
    "'self' javascript:alert(1)",
    "https://portal.example.com/path?x=1",
    "'none' 'self'",  # 'none' only alone
    "self",  # unquoted keyword
    "https://exa mple.com,https://b.example.com",
    "'unsafe-inline'",
])
def test_frame_ancestors_accept_only_origins_self_or_none(value):
    with pytest.raises(ValueError, match=r"FORESIGHT_FRAME_ANCESTORS: .* is not a frame-ancestors source; use 'self', "
                                         r"'none' \(alone\) or origins such as https://intranet.example.com"):
        Settings.from_env({"FORESIGHT_FRAME_ANCESTORS": value})


def test_frame_ancestors_valid_sources_are_kept():
    value = "'self' https://intranet.example.com http://127.0.0.1:8080 https://*.portal.example.org:443"
    assert Settings.from_env({"FORESIGHT_FRAME_ANCESTORS": value}).frame_ancestors == tuple(value.split())
    assert Settings.from_env({"FORESIGHT_FRAME_ANCESTORS": "'none'"}).frame_ancestors == ("'none'",)


def test_the_store_follows_the_instance_dir_unless_a_database_url_is_set(tmp_path):
    moved = Settings.from_env({"FORESIGHT_INSTANCE_DIR": str(tmp_path)})
    assert moved.database_url == f"sqlite:///{tmp_path / 'foresight.db'}"
    assert settings.database_url({"FORESIGHT_INSTANCE_DIR": str(tmp_path)}) == moved.database_url  # python -m data
    assert settings.database_url({}) == default_database_url()
    pinned = {"FORESIGHT_INSTANCE_DIR": str(tmp_path), "FORESIGHT_DATABASE_URL": "postgresql://u@127.0.0.1/nf"}
    assert Settings.from_env(pinned).database_url == "postgresql://u@127.0.0.1/nf"


def test_upload_quota_from_the_environment():
    from data.ingest import UploadQuota

    mb = 1024 * 1024
    assert Settings.from_env({}).upload_quota == UploadQuota(total_bytes=1024 * mb, session_bytes=256 * mb,
                                                             keep_seconds=24 * 3600)
    env = {"FORESIGHT_UPLOAD_QUOTA_MB": "300", "FORESIGHT_UPLOAD_SESSION_QUOTA_MB": "60",
           "FORESIGHT_UPLOAD_KEEP_HOURS": "2", "FORESIGHT_MAX_FILE_MB": "60"}
    assert Settings.from_env(env).upload_quota == UploadQuota(300 * mb, 60 * mb, 2 * 3600)
    with pytest.raises(ValueError, match=r"FORESIGHT_UPLOAD_SESSION_QUOTA_MB=40 is below the largest file "
                                         r"\(FORESIGHT_MAX_FILE_MB=50\)"):
        Settings.from_env({"FORESIGHT_UPLOAD_SESSION_QUOTA_MB": "40"})
    with pytest.raises(ValueError, match=r"FORESIGHT_UPLOAD_QUOTA_MB=100 is below the per-session quota "
                                         r"\(FORESIGHT_UPLOAD_SESSION_QUOTA_MB=256\)"):
        Settings.from_env({"FORESIGHT_UPLOAD_QUOTA_MB": "100"})
    with pytest.raises(ValueError, match="FORESIGHT_UPLOAD_KEEP_HOURS='soon' is not valid"):
        Settings.from_env({"FORESIGHT_UPLOAD_KEEP_HOURS": "soon"})


def test_the_request_limit_fits_the_largest_upload():
    mb = 1024 * 1024
    # base64 makes a 50 MB file 66.7 MB of JSON; 2 MB more for the rest of the callback's request
    assert Settings.from_env({}).max_request_bytes == 50 * mb * 4 // 3 + 2 * mb
    assert Settings.from_env({"FORESIGHT_MAX_FILE_MB": "3"}).max_request_bytes == 6 * mb
    assert Settings.from_env({"FORESIGHT_MAX_REQUEST_MB": "100"}).max_request_bytes == 100 * mb
    with pytest.raises(ValueError, match=r"FORESIGHT_MAX_REQUEST_MB=20 is too small for an upload of "
                                         r"FORESIGHT_MAX_FILE_MB=50: .* at least 69 MB"):
        Settings.from_env({"FORESIGHT_MAX_REQUEST_MB": "20"})
