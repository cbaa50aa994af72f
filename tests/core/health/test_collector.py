"""The collector on a real SQLite store and a real Redis: host and process metrics, the store's size and quarantine
rate (known answer), rates from the app's instrumentation between two collections, the stream's lag and dead
letters, and failing soft when Redis is down or a reader breaks."""
from __future__ import annotations

import datetime as dt
import os

import pytest
from flask import Flask

from core.health import Collector, METRICS
from core.health._collector import _p95_ms
from core.health._instrument import instrument_server
from core.settings import Settings
from data.schema import ingest_runs
from data.store import get_engine, upgrade
from data.stream.broker import DEFAULT_GROUP, DEFAULT_STREAM, dead_letter_stream
from tests.services import free_port

NOW = dt.datetime(2026, 12, 7, 12, 0, 0)


def _settings(folder, **env) -> Settings:
    return Settings.from_env({"FORESIGHT_INSTANCE_DIR": str(folder), "FORESIGHT_SECRET_KEY": "health-tests",
                              "FORESIGHT_CHAT_MODEL": "none", "FORESIGHT_HEALTH_PROBE_TIMEOUT": "0.5", **env})


def _store(settings: Settings):
    engine = get_engine(settings.database_url)
    upgrade(engine)
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    return engine


def _by_name(points) -> dict[str, float]:
    return {f"{point.component}.{point.metric}": point.value for point in points}


def _run(engine, run_id: str, read: int, quarantined: int, finished: dt.datetime) -> None:
    with engine.begin() as connection:
        connection.execute(ingest_runs.insert().values(
            run_id=run_id, entity="orders", source_name="test.csv", started_at=finished, finished_at=finished,
            status="partial", rows_read=read, accepted=read - quarantined, quarantined=quarantined, duplicates=0,
            conflicts=0))


def test_one_collection_without_redis(tmp_path):
    settings = _settings(tmp_path)
    engine = _store(settings)
    recent = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(minutes=5)
    _run(engine, "recent", 200, 10, recent)
    _run(engine, "old", 100, 100, recent - dt.timedelta(hours=2))  # outside the last hour
    collector = Collector(engine, settings)
    points = collector.collect_once(NOW)
    values = _by_name(points)
    assert {point.at for point in points} == {NOW}
    assert all(f"{point.component}" in METRICS and point.metric in METRICS[point.component] for point in points)
    assert 0 <= values["host.cpu_percent"] <= 100 and 0 < values["host.memory_percent"] < 100
    assert values["host.disk_free_bytes"] > 0 and values["host.up"] == 1.0
    assert values["web.processes"] >= 1 and values["web.rss_bytes"] > 10e6 and values["web.threads"] >= 1
    assert values["store.size_bytes"] == os.path.getsize(tmp_path / "foresight.db") + (
        os.path.getsize(tmp_path / "foresight.db-wal") if (tmp_path / "foresight.db-wal").exists() else 0)
    assert values["store.quarantine_rate"] == pytest.approx(10 / 200)
    assert values["store.up"] == 1.0 and values["cache.up"] == 1.0
    assert not any(name.startswith(("redis.", "stream.", "model.")) for name in values)  # not configured
    assert collector.status["redis"] == "not_configured" and collector.status["store"] == "ok"
    assert "host.disk_read_bytes_s" not in values  # a rate needs a previous collection


def test_rates_come_from_the_instrumentation_between_two_collections(tmp_path):
    settings = _settings(tmp_path)
    collector = Collector(_store(settings), settings)
    app = Flask("collector-test")
    app.add_url_rule("/ok", "ok", lambda: "fine")
    app.add_url_rule("/boom", "boom", lambda: ("broken", 500))
    app.add_url_rule("/readyz", "readyz", lambda: ("store down", 503))
    instrument_server(app)
    collector.collect_once(NOW)
    client = app.test_client()
    for path in ("/ok", "/ok", "/ok", "/boom") + ("/readyz",) * 5:  # probes are not the web failing its users
        client.get(path)
    values = _by_name(collector.collect_once(NOW + dt.timedelta(seconds=10)))
    assert values["web.request_error_rate"] == pytest.approx(0.25)
    assert values["web.request_rate"] > 0 and values["web.request_p95_ms"] > 0
    assert values["host.disk_read_bytes_s"] >= 0 and values["host.net_recv_bytes_s"] >= 0
    assert values["store.query_ms"] > 0  # the collector's own statements are timed too


def test_stream_lag_dead_letters_and_celery_queue_with_redis(tmp_path, clean_redis):
    import redis

    # A database of its own: the session's Celery worker (the scaled-out browser tests) consumes the queue in db 0.
    clean_redis = clean_redis.rsplit("/", 1)[0] + "/7"
    client = redis.Redis.from_url(clean_redis)
    client.flushdb()
    for number in range(3):
        client.xadd(DEFAULT_STREAM, {"n": number})
    client.xgroup_create(DEFAULT_STREAM, DEFAULT_GROUP, id="0")
    client.xadd(dead_letter_stream(DEFAULT_STREAM), {"n": 1})
    client.xadd(dead_letter_stream(DEFAULT_STREAM), {"n": 2})
    client.rpush("celery", "job-1", "job-2")
    settings = _settings(tmp_path, REDIS_URL=clean_redis)
    collector = Collector(_store(settings), settings)
    values = _by_name(collector.collect_once(NOW))
    assert values["stream.lag"] == 3.0 and values["stream.dead_letters"] == 2.0
    assert values["worker.queue_length"] >= 2.0
    assert values["redis.up"] == 1.0 and values["redis.probe_ms"] >= 0
    assert values["worker.up"] == 0.0  # Redis answers, but no Celery worker does
    assert values["worker.processes"] == 0.0 and values["stream.up"] == 0.0  # events wait, no processor runs
    assert collector.status["redis"] == "ok" and collector.status["worker"] == "down"
    assert collector.status["stream"] == "down"


def test_with_redis_an_unused_stream_is_not_configured(tmp_path, clean_redis):
    """The stream processor is optional (the Procfile runs none): without one and with nothing waiting for it, the
    stream is not part of this deployment, so it is neither down nor an incident."""
    settings = _settings(tmp_path, REDIS_URL=clean_redis)
    collector = Collector(_store(settings), settings)
    values = _by_name(collector.collect_once(NOW))
    assert "stream.up" not in values and "stream.processes" not in values
    assert values["stream.lag"] == 0.0 and collector.status["stream"] == "not_configured"


def test_redis_down_and_a_broken_reader_fail_soft(tmp_path):
    settings = _settings(tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
                         FORESIGHT_HEALTH_PROBE_TIMEOUT="0.2")
    engine = _store(settings)
    collector = Collector(engine, settings)
    values = _by_name(collector.collect_once(NOW))  # no exception
    assert values["redis.up"] == 0.0 and values["cache.up"] == 0.0 and values["store.up"] == 1.0
    assert collector.status["redis"] == "down"
    broken = Collector(engine, Settings(**{**vars(settings), "health": type(settings.health)(
        disk_path=tmp_path / "missing", probe_timeout_s=0.2)}))
    values = _by_name(broken.collect_once(NOW))
    assert "host.disk_percent" not in values and values["store.up"] == 1.0  # the host reader failed alone


def test_p95_is_interpolated_inside_its_bucket():
    before = {0.01: 0.0, 0.1: 0.0, 1.0: 0.0, float("inf"): 0.0}
    now = {0.01: 50.0, 0.1: 90.0, 1.0: 100.0, float("inf"): 100.0}  # cumulative: 50 <= 10 ms, 40 more <= 100 ms
    assert _p95_ms(now, before) == pytest.approx((0.1 + 0.5 * 0.9) * 1000)  # 95th of 100 is halfway into (0.1, 1]
    assert _p95_ms(now, now) is None


def test_the_model_process_counts_once_it_has_answered(tmp_path):
    """The chat's model process is optional and slow to load: never started (or loading) it records nothing, so no
    incident opens; once it has answered, its going away is a model down."""
    from tests.core.health.test_ready import _model_server

    server, url = _model_server({"loaded": True})
    settings = _settings(tmp_path, FORESIGHT_CHAT_MODEL="smollm2", FORESIGHT_CHAT_MODEL_URL=url)
    engine = _store(settings)
    never = Collector(engine, _settings(tmp_path, FORESIGHT_CHAT_MODEL="smollm2",
                                        FORESIGHT_CHAT_MODEL_URL=f"http://127.0.0.1:{free_port()}"))
    values = _by_name(never.collect_once(NOW))
    assert "model.up" not in values and never.status["model"] == "not_configured"
    collector = Collector(engine, settings)
    assert _by_name(collector.collect_once(NOW))["model.up"] == 1.0
    server.shutdown()
    server.server_close()
    assert _by_name(collector.collect_once(NOW))["model.up"] == 0.0 and collector.status["model"] == "down"


def test_processes_of_another_deployment_on_the_host_are_not_counted(tmp_path):
    """Two Celery workers of the app run on this host, one per store: the collector of each deployment counts and
    sums only its own, so the other's memory or death never moves its numbers."""
    import subprocess
    import sys

    import psutil

    from core.health._proc_usage import ProcessTable

    settings = _settings(tmp_path)
    code = "import sys; big = bytes(int(sys.argv[1])) + b'x'; print('ready', flush=True); sys.stdin.read()"

    def start(size: int, url: str):
        return subprocess.Popen([sys.executable, "-c", code, str(size), "celery", "-A", "app:celery_app", "worker"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                env={**os.environ, "FORESIGHT_DATABASE_URL": url})

    ours, theirs = start(1_000_000, settings.database_url), start(200_000_000, f"sqlite:///{tmp_path / 'other.db'}")
    try:
        assert [process.stdout.readline().strip() for process in (ours, theirs)] == ["ready", "ready"]
        table = ProcessTable(settings.database_url)
        mine, everyone = table.usage()["worker"], ProcessTable().usage()["worker"]
        assert table.usage()["worker"]["processes"] == 1.0  # a second tick decides from its remembered reading
        ours_rss = psutil.Process(ours.pid).memory_info().rss
    finally:
        for process in (ours, theirs):
            process.stdin.close()
            process.wait(timeout=30)
    assert mine["processes"] == 1.0 and mine["rss_bytes"] < 100_000_000
    assert abs(mine["rss_bytes"] - ours_rss) < 20_000_000
    assert everyone["processes"] >= 2.0 and everyone["rss_bytes"] > 150_000_000
