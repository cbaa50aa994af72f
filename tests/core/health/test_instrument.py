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

from sqlalchemy import func, select

from core.health import _instrument
from core.health._instrument import MAX_CALLBACK_LABELS, _CountingCache, instrument_server, web_totals
from data.schema import health_leases, health_metrics
from data.store import get_engine, upgrade
from tests.services import free_port, start_server, stop

SECRET = "health-instrument-tests"


def make_app() -> Flask:
    """The app gunicorn serves in the multiprocess test: /hit answers its worker's pid; init_health adds /metrics
    (every worker's values) and the monitor."""
    from core.health import init_health
    from core.runtime import SETTINGS_KEY
    from core.settings import Settings

    settings = Settings.from_env()
    server = Flask("instrument-test")
    server.config.update(SECRET_KEY=SECRET, **{SETTINGS_KEY: settings})  # gunicorn.conf.py checks the key
    server.add_url_rule("/hit/<int:number>", "hit", lambda number: str(os.getpid()))
    init_health(server, settings)
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
    port, instance = free_port(), tmp_path_factory.mktemp("instance")
    engine = get_engine(f"sqlite:///{instance / 'foresight.db'}")
    upgrade(engine)
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("FORESIGHT_", "PROMETHEUS_"))}
    environ.update(FORESIGHT_INSTANCE_DIR=str(instance), FORESIGHT_SECRET_KEY=SECRET, HOST="127.0.0.1",
                   PORT=str(port), WEB_CONCURRENCY="2", FORESIGHT_CHAT_MODEL="none", FORESIGHT_HEALTH_INTERVAL="1",
                   HOME=str(tmp_path_factory.mktemp("home")))
    server = start_server([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
                           "tests.core.health.test_instrument:make_app()"], "Booting worker", environ)
    try:
        yield port, engine, server.pid
    finally:
        stop(server)
        engine.dispose()


def test_metrics_count_the_requests_of_every_gunicorn_worker(two_workers):
    port, _engine, _master = two_workers
    pids, sent, deadline = set(), 0, time.monotonic() + 30
    while (len(pids) < 2 or sent < 20) and time.monotonic() < deadline:
        try:  # a new connection each time: the kernel spreads them over both workers
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/hit/{sent}", timeout=10) as answer:
                pids.add(answer.read().decode())
            sent += 1
        except OSError:  # the second worker may still be booting
            continue
    assert len(pids) == 2, "both workers answered"
    for _ in range(4):  # whichever worker answers /metrics counts them all
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
            counted = _samples(answer.read().decode(), "foresight_http_requests_total")
        assert counted[(("method", "GET"), ("route", "/hit/<int:number>"), ("status", "2xx"))] == sent


def test_one_forked_worker_holds_the_monitor_lease_and_collects(two_workers):
    import psutil

    port, engine, master = two_workers
    for number in range(6):  # the first request of each worker starts its monitor thread (after the fork)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/hit/{number}", timeout=10) as answer:
            answer.read()
    deadline, ticks = time.monotonic() + 20, 0
    while ticks < 3 and time.monotonic() < deadline:
        with engine.connect() as connection:
            ticks = connection.execute(select(func.count(func.distinct(health_metrics.c.at)))).scalar()
        time.sleep(0.05)  # the poll's pace; the deadline bounds it
    assert ticks >= 3
    with engine.connect() as connection:
        holders = connection.execute(select(health_leases.c.holder)).scalars().all()
    workers = {str(child.pid) for child in psutil.Process(master).children()}
    assert len(holders) == 1 and holders[0].split(":")[1] in workers  # a worker's pid, never the master's
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        gauges = _samples(answer.read().decode(), "foresight_health")
    assert gauges[(("component", "web"), ("metric", "up"))] == 1.0  # the holder's gauge, read by any worker



def test_the_first_use_from_many_threads_at_once_creates_the_metrics_once():
    """The first request's statements and the monitor's thread (which that request starts) may both create the
    metrics first; a second registration of the same names raised and answered the first request with a 500."""
    code = ("import threading\n"
            "from core.health import _instrument\n"
            "barrier, failures = threading.Barrier(8), []\n"
            "def first():\n"
            "    barrier.wait()\n"
            "    try:\n"
            "        _instrument.metrics()\n"
            "    except Exception as error:\n"
            "        failures.append(repr(error))\n"
            "threads = [threading.Thread(target=first) for _ in range(8)]\n"
            "[thread.start() for thread in threads]\n"
            "[thread.join() for thread in threads]\n"
            "assert not failures, failures\n"
            "assert len({id(_instrument.metrics()) for _ in range(3)}) == 1\n")
    import subprocess

    environ = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    done = subprocess.run([sys.executable, "-c", code], cwd=os.getcwd(), env=environ, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
