"""The results cache: keys by function, dataset version and parameters; disk and Redis backends."""
from __future__ import annotations

import subprocess
import sys

import pytest
from flask import Flask

from core import cache as cache_module
from core.cache import cache_config, cache_key, cached_call, init_cache
from core.settings import Settings


def _double(x: int) -> int:
    return 2 * x


def _triple(x: int) -> int:
    return 3 * x


def test_key_depends_on_function_version_and_params():
    base = cache_key(_double, 1, {"x": 1})
    assert base == cache_key(_double, 1, {"x": 1})
    assert base != cache_key(_double, 2, {"x": 1})
    assert base != cache_key(_double, 1, {"x": 2})
    assert base != cache_key(_triple, 1, {"x": 1})
    assert cache_key(_double, 1, {"a": 1, "b": 2}) == cache_key(_double, 1, {"b": 2, "a": 1})
    assert "v1" in base and "_double" in base


def test_key_changes_when_the_computing_code_changes(tmp_path, monkeypatch):
    import core.cache as cache_module

    for package in ("analytics", "core", "data"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "m.py").write_text("X = 1\n")
    monkeypatch.setattr(cache_module, "_ROOT", tmp_path)
    cache_module.code_fingerprint.cache_clear()
    try:
        before = cache_key(_double, 1, {"x": 1})
        assert f"c{cache_module.code_fingerprint()}:" in before
        (tmp_path / "analytics" / "m.py").write_text("X = 2\n")
        cache_module.code_fingerprint.cache_clear()
        assert cache_key(_double, 1, {"x": 1}) != before
        (tmp_path / "pages").mkdir()  # layout code does not compute cached results
        (tmp_path / "pages" / "p.py").write_text("Y = 1\n")
        after = cache_key(_double, 1, {"x": 1})
        cache_module.code_fingerprint.cache_clear()
        assert cache_key(_double, 1, {"x": 1}) == after
    finally:
        cache_module.code_fingerprint.cache_clear()


def test_disk_backend_by_default(tmp_path):
    s = Settings.from_env({"FORESIGHT_INSTANCE_DIR": str(tmp_path)})
    config = cache_config(s)
    assert config["CACHE_TYPE"] == "FileSystemCache"
    assert config["CACHE_DIR"] == str(tmp_path / "cache")


def test_redis_backend_when_redis_url_is_set(tmp_path):
    s = Settings.from_env({"FORESIGHT_INSTANCE_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:1/0"})
    config = cache_config(s)
    assert config["CACHE_TYPE"] == "RedisCache" and config["CACHE_REDIS_URL"] == s.redis_url


def _exercise(settings: Settings) -> None:
    calls = []

    def compute(x: int) -> dict:
        calls.append(x)
        return {"value": x * 10}

    init_cache(Flask("cache-test"), settings)
    # No app or request context: background jobs call it like this.
    assert cached_call(compute, 7, x=1) == {"value": 10}
    assert cached_call(compute, 7, x=1) == {"value": 10}
    assert calls == [1]
    cached_call(compute, 8, x=1)  # a new dataset version is a miss
    assert calls == [1, 1]
    cached_call(compute, 8, refresh=True, x=1)
    assert calls == [1, 1, 1]


def test_cached_call_on_disk_is_shared_across_app_instances(tmp_path):
    settings = Settings.from_env({"FORESIGHT_INSTANCE_DIR": str(tmp_path)})
    _exercise(settings)
    # A second "worker" with its own Flask app sees the same entries.
    init_cache(Flask("other-worker"), settings)
    key = cache_key(_double, 1, {"x": 4})
    cache_module.cache.set(key, 8)
    init_cache(Flask("third-worker"), settings)
    assert cache_module.cache.get(key) == 8


def test_cached_call_on_real_redis(clean_redis, tmp_path):
    _exercise(Settings.from_env({"FORESIGHT_INSTANCE_DIR": str(tmp_path), "REDIS_URL": clean_redis}))


@pytest.mark.slow  # fits the default forecast and the retention models of a small company
def test_warm_fills_the_entry_the_app_reads(tmp_path):
    from analytics.forecasting import (DEFAULT_HORIZON, DEFAULT_METRIC, DemandForecast, ForecastExplanation,
                                       store_demand_forecast, store_forecast_explanation)
    from analytics.kpis import KpiModel, load_kpi_model
    from analytics.retention import RetentionAnalyzer, load_retention_analyzer
    from analytics.insights import Finding
    from core.insight_feed import load_insight_feed
    from core.warm import warm_entries
    from data.sample import SampleConfig, generate_sample, write_sample
    from data.store import get_engine
    from data.watermark import complete_through

    url = f"sqlite:///{tmp_path / 'store.db'}"
    # two years of history: the fits are what it waits on, the cache keys and types what it checks
    version = write_sample(get_engine(url), generate_sample(SampleConfig(customers=300, seed=3, years=2)))
    env = {"FORESIGHT_DATABASE_URL": url, "FORESIGHT_INSTANCE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "core.warm"], env=env, check=True, capture_output=True)
    init_cache(Flask("reader"), Settings.from_env(env))
    through = complete_through(get_engine(url)).iso
    # The keys the Overview, Forecast, Retention and Insights pages' jobs look up first (tests/pages: the pages' side).
    entries = warm_entries(through)
    assert entries == ((load_kpi_model, {"through": through}),
                       (store_demand_forecast, {"metric": DEFAULT_METRIC, "h": DEFAULT_HORIZON, "through": through,
                                                "countries": "US"}),
                       (store_forecast_explanation, {"node": "total", "metric": DEFAULT_METRIC, "h": DEFAULT_HORIZON,
                                                     "through": through, "countries": "US"}),
                       (load_retention_analyzer, {}),
                       (load_insight_feed, {"period_days": 30, "end": through, "models": True, "countries": "US"}))
    cached = [cache_module.cache.get(cache_key(loader, version.version, params)) for loader, params in entries]
    kpis, forecast, explanation, retention, findings = cached
    assert isinstance(findings, list) and all(isinstance(finding, Finding) for finding in findings)
    assert isinstance(explanation, ForecastExplanation) and explanation.node == "total"
    assert isinstance(kpis, KpiModel) and not kpis.table.empty
    assert isinstance(forecast, DemandForecast) and forecast.h == DEFAULT_HORIZON and forecast.metric == DEFAULT_METRIC
    assert str(forecast.as_of.date()) == through
    assert isinstance(retention, RetentionAnalyzer) and not retention.top_at_risk(5).empty
