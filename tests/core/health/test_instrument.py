"""The instrumentation: callback labels stay bounded, the results cache counts hits and misses of results only, and
under a real gunicorn with two workers (gunicorn.conf.py's multiprocess folder) /metrics counts every worker's
requests whichever worker answers it."""
from __future__ import annotations

import os
import sys
import time
import urllib.request

import pytest
from cachelib import SimpleCache
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from core.health import _instrument
from core.health._instrument import MAX_CALLBACK_LABELS, _CountingCache, instrument_server, web_totals
from tests.services import free_port, start_server, stop

SECRET = "health-instrument-tests"


def make_app() -> Flask:
    """The app gunicorn serves in the multiprocess test: /hit answers its worker's pid, /metrics every worker's."""
    from core.health._instrument import metrics_text
    from core.settings import Settings

    settings = Settings.from_env()
    server = Flask("instrument-test")
    server.config["SECRET_KEY"] = SECRET  # gunicorn.conf.py checks every worker has the master's key
    server.add_url_rule("/hit/<int:number>", "hit", lambda number: str(os.getpid()))
    server.add_url_rule("/metrics", "metrics", lambda: metrics_text(settings.health.metrics_dir))
    instrument_server(server)
    return server


def _samples(text: str, name: str) -> dict[tuple, float]:
    return {tuple(sorted(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples if sample.name == name}


def test_callback_labels_are_output_ids_and_bounded(monkeypatch):
    app = Flask("labels-test")
    app.add_url_rule("/_dash-update-component", "dash", lambda: "ran", methods=["POST"])
    instrument_server(app)
    monkeypatch.setattr(_instrument, "_callback_labels", set())
    client = app.test_client()
    bodies = [{"output": "forecast-chart.figure"}, {"output": "..kpi-a.children...kpi-b.children.."},
              {"output": '{"index":7,"type":"insight-card"}.children'}]
    for body in bodies:
        client.post("/_dash-update-component", json=body)
    assert _instrument._callback_labels == {"forecast-chart", "kpi-a", "pattern:insight-card"}
    monkeypatch.setattr(_instrument, "_callback_labels", {f"label-{n}" for n in range(MAX_CALLBACK_LABELS)})
    before = _instrument.metrics().callback_seconds.labels("other")._sum.get()
    client.post("/_dash-update-component", json={"output": "one-more.children"})
    assert "one-more" not in _instrument._callback_labels
    assert _instrument.metrics().callback_seconds.labels("other")._sum.get() > before


def test_the_cache_counts_hits_and_misses_of_results_only():
    backend = _CountingCache(SimpleCache())
    result_key = "analytics.kpis.compute:c0123456789ab:v3:" + "f" * 24
    before = web_totals(None)
    backend.get(result_key)  # miss
    backend.set(result_key, {"value": 1})
    backend.get(result_key)  # hit
    backend.get(result_key + ":lock")  # a lock, not a result
    backend.get("api-jobs:index")
    after = web_totals(None)
    assert (after.cache_hits - before.cache_hits, after.cache_misses - before.cache_misses) == (1.0, 1.0)
    assert backend.get(result_key) == {"value": 1} and backend.has(result_key)  # the backend's own methods pass through


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    port = free_port()
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("FORESIGHT_", "PROMETHEUS_"))}
    environ.update(FORESIGHT_INSTANCE_DIR=str(tmp_path_factory.mktemp("instance")), FORESIGHT_SECRET_KEY=SECRET,
                   HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="2", FORESIGHT_CHAT_MODEL="none",
                   HOME=str(tmp_path_factory.mktemp("home")))
    server = start_server([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
                           "tests.core.health.test_instrument:make_app()"], "Booting worker", environ)
    try:
        yield port
    finally:
        stop(server)


def test_metrics_count_the_requests_of_every_gunicorn_worker(two_workers):
    pids, sent, deadline = set(), 0, time.monotonic() + 30
    while (len(pids) < 2 or sent < 20) and time.monotonic() < deadline:
        try:  # a new connection each time: the kernel spreads them over both workers
            with urllib.request.urlopen(f"http://127.0.0.1:{two_workers}/hit/{sent}", timeout=10) as answer:
                pids.add(answer.read().decode())
            sent += 1
        except OSError:  # the second worker may still be booting
            continue
    assert len(pids) == 2, "both workers answered"
    for _ in range(4):  # whichever worker answers /metrics counts them all
        with urllib.request.urlopen(f"http://127.0.0.1:{two_workers}/metrics", timeout=10) as answer:
            counted = _samples(answer.read().decode(), "foresight_http_requests_total")
        assert counted[(("method", "GET"), ("route", "/hit/<int:number>"), ("status", "2xx"))] == sent
