"""The Insights page's cached loader: the ranked feed of one period for one dataset version.

``load_insight_feed`` is what the page's background job computes and ``python -m core.warm`` fills for the default
30 days. With ``models`` it hands the feed the demand forecast and the fitted retention models through the same
results-cache entries the Forecast and Retention pages (and ``core.warm``) use, so forecast risks and retention
drivers are part of the feed without fitting anything twice; the forecast's ``through`` and ``countries`` are
parameters, so they are part of the cache key like every page's.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from analytics.forecasting import DEFAULT_HORIZON, DEFAULT_METRIC, store_demand_forecast
from analytics.insights import Finding, build_feed
from analytics.retention import load_retention_analyzer
from core.cache import cached_call
from data.store import current_version

__all__ = ["DEFAULT_PERIOD_DAYS", "load_insight_feed"]

DEFAULT_PERIOD_DAYS = 30
Progress = Callable[[int, int, str], None]
_STEPS = 3  # the forecast, the retention models, the feed itself


def load_insight_feed(engine: Engine, progress: Progress | None = None, *, period_days: int = DEFAULT_PERIOD_DAYS,
                      end: str, models: bool = True, countries: str = "US") -> list[Finding]:
    """The ranked findings of the ``period_days`` days ending on ``end`` (ISO date, included).

    ``models``: pass the store's demand forecast (the Forecast page's default metric and horizon, through ``end``)
    and fitted retention models to the feed, from the results cache or fitted into it.
    """
    report = progress or (lambda done, total, message: None)
    forecast = retention = None
    version = current_version(engine) if models else None
    if version is not None:
        report(0, _STEPS, "Reading the demand forecast")
        forecast = cached_call(store_demand_forecast, version.version, engine, metric=DEFAULT_METRIC,
                               h=DEFAULT_HORIZON, through=end, countries=countries)
        report(1, _STEPS, "Reading the retention models")
        retention = cached_call(load_retention_analyzer, version.version, engine)
    report(2, _STEPS, "Writing the findings")
    return build_feed(engine, period_days=period_days, end=end, forecast=forecast, retention=retention)
