"""The background-callback manager follows REDIS_URL."""
from __future__ import annotations

from dash import CeleryManager, DiskcacheManager

from core.jobs import create_background_manager
from core.settings import Settings


def test_diskcache_by_default(tmp_path):
    manager, celery = create_background_manager(Settings.from_env({"FORESIGHT_INSTANCE_DIR": str(tmp_path)}))
    assert isinstance(manager, DiskcacheManager) and celery is None
    assert (tmp_path / "jobs").is_dir()


def test_celery_on_redis_when_redis_url_is_set(tmp_path, clean_redis):
    settings = Settings.from_env({"FORESIGHT_INSTANCE_DIR": str(tmp_path), "REDIS_URL": clean_redis})
    manager, celery = create_background_manager(settings)
    assert isinstance(manager, CeleryManager)
    assert celery.conf.broker_url == clean_redis
    with celery.connection_for_write() as connection:  # the broker really answers
        connection.ensure_connection(max_retries=1)
