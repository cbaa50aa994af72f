"""rank_causes: an injected root (Redis down before web errors, a slow store) ranks first even when a downstream
symptom has a larger anomaly score; the evidence says why."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.health import Anomaly, Cause, rank_causes

GRAPH = {"web": ["store", "cache", "redis", "model", "host"], "worker": ["store", "redis", "host"],
         "stream": ["redis", "store", "host"], "model": ["host"], "store": ["host"], "cache": ["host"],
         "redis": ["host"]}
T = pd.Timestamp("2026-12-07 12:00:00", tz="UTC")
AT = pd.date_range(T - pd.Timedelta("10min"), T + pd.Timedelta("5min"), freq="10s")


def _at(seconds):
    return T + pd.Timedelta(seconds=seconds)


def _redis_incident():
    return [Anomaly("web", "request_error_rate", _at(110), 0.99), Anomaly("redis", "up", _at(70), 0.7),
            Anomaly("stream", "lag", _at(90), 0.95), Anomaly("worker", "queue_length", _at(100), 0.97)]


def _series(seed=0):
    rng = np.random.default_rng(seed)
    down = np.asarray(AT >= _at(70))
    return {("redis", "up"): pd.DataFrame({"at": AT, "value": np.where(down, 0.0, 1.0)}),
            "web.request_error_rate": pd.DataFrame({"at": AT, "value": np.where(AT >= _at(110), 0.3, 0.0)
                                                    + rng.uniform(0, 0.01, AT.size)}),
            "host.cpu_percent": pd.DataFrame({"at": AT, "value": rng.normal(30, 2, AT.size)})}


def test_redis_down_before_web_errors_ranks_first():
    causes = rank_causes("web", _redis_incident(), GRAPH)
    assert all(isinstance(c, Cause) for c in causes)
    assert causes[0].component == "redis" and causes[0].relation == "dependency"
    assert [c.score for c in causes] == sorted((c.score for c in causes), reverse=True)
    assert all(0.0 <= c.score <= 1.0 for c in causes)
    assert "40 s before web.request_error_rate" in causes[0].evidence[0]
    assert "web depends on redis" in causes[0].evidence


def test_series_add_how_metrics_moved_and_correlation():
    causes = rank_causes("web", _redis_incident(), GRAPH, series=_series())
    top = causes[0]
    assert top.component == "redis"
    assert top.evidence[0] == "redis.up dropped to 0 at 12:01:10 (score 0.7), 40 s before web.request_error_rate rose"
    assert any(e.startswith("redis.up moves with web.request_error_rate (correlation") for e in top.evidence)
    host = next(c for c in causes if c.component == "host")
    assert host.score < 0.3 and host.first_at is None  # a dependency with no anomaly and no correlation


def test_slow_store_ranks_above_louder_downstream_symptoms():
    anomalies = pd.DataFrame([
        {"component": "web", "metric": "request_p95_ms", "first_at": _at(30), "score": 0.99},
        {"component": "worker", "metric": "job_run_s", "first_at": _at(20), "score": 0.98},
        {"component": "store", "metric": "query_ms", "first_at": _at(0), "score": 0.6},
    ])
    causes = rank_causes("web", anomalies, GRAPH)
    assert [c.component for c in causes][:1] == ["store"]
    assert causes[0].metrics == ("query_ms",)
    assert next(c for c in causes if c.component == "web").score < causes[0].score


def test_a_dependent_that_fired_first_does_not_outrank_the_dependency():
    # the web errors surface first in the worker (which depends on redis too), redis flagged a bit later
    anomalies = [("worker", "queue_length", _at(0), 0.9), ("redis", "probe_ms", _at(5), 0.5),
                 ("web", "request_error_rate", _at(20), 0.99)]
    causes = rank_causes("redis", anomalies, GRAPH)
    relation = {c.component: c.relation for c in causes}
    assert relation["worker"] == "dependent" and relation["web"] == "dependent"
    assert causes[0].component == "redis"


def test_transitive_dependency_is_named_with_its_path():
    causes = rank_causes("web", [Anomaly("host", "disk_percent", _at(0), 0.8),
                                 Anomaly("web", "request_error_rate", _at(60), 0.9)], {"web": ["store"],
                                                                                        "store": ["host"]})
    assert causes[0].component == "host"
    assert "web depends on host through store" in causes[0].evidence


def test_bad_inputs():
    with pytest.raises(ValueError, match="valid components: "):
        rank_causes("nginx", _redis_incident(), GRAPH)
    with pytest.raises(ValueError, match="anomaly 0 lacks score"):
        rank_causes("web", [{"component": "web", "metric": "up", "first_at": T}], GRAPH)
    with pytest.raises(ValueError, match="anomalies lacks column"):
        rank_causes("web", pd.DataFrame({"component": ["web"]}), GRAPH)
    with pytest.raises(ValueError, match="must name component and metric"):
        rank_causes("web", _redis_incident(), GRAPH, series={"up": _series()[("redis", "up")]})
    with pytest.raises(ValueError, match="first_at"):
        rank_causes("web", [("web", "up", "not a time", 0.5)], GRAPH)


def test_no_anomalies_leaves_the_affected_component_alone():
    causes = rank_causes("store", [], GRAPH)
    assert [c.component for c in causes] == ["store"] and causes[0].first_at is None
