"""Precompute the Overview's KPI model, the Forecast page's default forecast and the retention models for the current dataset version.

``make run`` calls ``python -m core.warm`` after preparing the sample data, so the first
visitor does not wait for the model to be built. Safe to run any time: it only fills
the same cache entry the app would.
"""
from __future__ import annotations

import logging
import sys
import time

from flask import Flask

from analytics.forecasting import DEFAULT_HORIZON, DEFAULT_METRIC, store_demand_forecast
from analytics.kpis import load_kpi_model
from analytics.retention import load_retention_analyzer
from core.cache import cached_call, init_cache
from core.settings import Settings
from data.store import current_version, get_engine
from data.watermark import complete_through

log = logging.getLogger("core.warm")


def main() -> int:
    """Build and cache the KPI model and the default forecast; exit 0 (also when the store is empty)."""
    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    init_cache(Flask(__name__), settings)
    engine = get_engine(settings.database_url)
    version = current_version(engine)
    if version is None:
        log.warning("the store is empty; nothing to precompute (run `python -m data sample` first)")
        return 0
    started = time.perf_counter()
    watermark = complete_through(engine, settings.complete_through)
    cached_call(load_kpi_model, version.version, engine, through=watermark.iso)
    log.info("KPI model for dataset v%d through %s (%s) ready in %.1f s", version.version, watermark.iso,
             watermark.source, time.perf_counter() - started)
    started = time.perf_counter()
    cached_call(store_demand_forecast, version.version, engine, metric=DEFAULT_METRIC, h=DEFAULT_HORIZON,
                through=watermark.iso)  # the same parameters as the Forecast page's job, so the same cache key
    log.info("forecast for dataset v%d ready in %.1f s", version.version, time.perf_counter() - started)
    started = time.perf_counter()
    cached_call(load_retention_analyzer, version.version, engine)
    log.info("retention models for dataset v%d ready in %.1f s", version.version, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
