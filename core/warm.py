"""Precompute the Overview's KPI model, the Forecast page's default forecast and its explanation, the retention
models and the Insights page's default 30-day feed for the current dataset version.

``make run`` calls ``python -m core.warm`` after preparing the sample data, so the first
visitor does not wait for the models to be built. Safe to run any time: it only fills
the cache entries the pages' jobs look up first (``warm_entries``).
"""
from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable

from flask import Flask

from analytics.forecasting import DEFAULT_HORIZON, DEFAULT_METRIC, store_demand_forecast, store_forecast_explanation
from analytics.kpis import load_kpi_model
from analytics.retention import load_retention_analyzer
from core.cache import cached_call, init_cache
from core.insight_feed import DEFAULT_PERIOD_DAYS, load_insight_feed
from core.settings import settings_or_exit
from data.store import current_version, get_engine
from data.watermark import complete_through

log = logging.getLogger("core.warm")


def warm_entries(through: str, countries: str = "US") -> tuple[tuple[Callable, dict], ...]:
    """What ``main`` fills for a dataset version whose last complete day is ``through`` (ISO date): each loader with
    the parameters its page's job asks for first (the Forecast page opens on the default metric and horizon, its
    drivers panel on the whole business, the Insights page on the last 30 days;
    ``countries``: the ``FORESIGHT_HOLIDAY_COUNTRIES`` setting)."""
    return ((load_kpi_model, {"through": through}),
            (store_demand_forecast, {"metric": DEFAULT_METRIC, "h": DEFAULT_HORIZON, "through": through,
                                     "countries": countries}),
            (store_forecast_explanation, {"node": "total", "metric": DEFAULT_METRIC, "h": DEFAULT_HORIZON,
                                          "through": through, "countries": countries}),
            (load_retention_analyzer, {}),
            (load_insight_feed, {"period_days": DEFAULT_PERIOD_DAYS, "end": through, "models": True,
                                 "countries": countries}))  # last: it reads the forecast and models above


def main() -> int:
    """Build and cache every entry of ``warm_entries``; exit 0 (also when the store is empty)."""
    settings = settings_or_exit()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    init_cache(Flask(__name__), settings)
    engine = get_engine(settings.database_url)
    version = current_version(engine)
    if version is None:
        log.warning("the store is empty; nothing to precompute (run `python -m data sample` first)")
        return 0
    watermark = complete_through(engine, settings.complete_through)
    log.info("dataset v%d is complete through %s (%s)", version.version, watermark.iso, watermark.source)
    for loader, params in warm_entries(watermark.iso, settings.holiday_countries):
        started = time.perf_counter()
        cached_call(loader, version.version, engine, **params)
        log.info("%s(%s) for dataset v%d ready in %.1f s", loader.__name__,
                 ", ".join(f"{name}={value}" for name, value in params.items()), version.version,
                 time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
