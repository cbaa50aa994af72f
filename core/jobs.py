"""The background-callback manager: diskcache on one machine, Celery over Redis to scale out."""
from __future__ import annotations

import logging

from core.settings import Settings

__all__ = ["create_background_manager"]

log = logging.getLogger(__name__)


def create_background_manager(settings: Settings):
    """Return ``(manager, celery_app)``; ``celery_app`` is None without REDIS_URL."""
    if settings.redis_url:
        from celery import Celery
        from dash import CeleryManager

        celery_app = Celery(
            "neon_foresight", broker=settings.redis_url, backend=settings.redis_url
        )
        log.info("background callbacks run on Celery workers via %s", settings.redis_url)
        return CeleryManager(celery_app), celery_app

    import diskcache
    from dash import DiskcacheManager

    jobs_dir = settings.instance_dir / "jobs"
    jobs_dir.mkdir(parents=True, exist_ok=True)
    return DiskcacheManager(diskcache.Cache(str(jobs_dir))), None
