"""Readiness probes against real components: a migrated and an unmigrated SQLite store, a real Redis and a port
nothing listens on, a stand-in model process that is loaded, loading, or hangs (cut off at the timeout)."""
from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from core.health import check_readiness
from core.settings import Settings
from data.store import get_engine, upgrade
from tests.services import free_port


def _settings(folder, **env) -> Settings:
    return Settings.from_env({"FORESIGHT_INSTANCE_DIR": str(folder), "FORESIGHT_SECRET_KEY": "health-tests",
                              "FORESIGHT_CHAT_MODEL": "none", "FORESIGHT_HEALTH_PROBE_TIMEOUT": "0.5", **env})


@pytest.fixture
def ready_folder(tmp_path):
    upgrade(get_engine(f"sqlite:///{tmp_path / 'foresight.db'}"))
    (tmp_path / "cache").mkdir()
    return tmp_path


def _model_server(body: dict) -> tuple[http.server.HTTPServer, str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def test_a_migrated_store_and_its_cache_are_ready(ready_folder):
    readiness = check_readiness(_settings(ready_folder))
    assert readiness.ready and readiness.to_dict()["status"] == "ok"
    statuses = {name: probe.status for name, probe in readiness.components.items()}
    assert statuses == {"store": "ok", "cache": "ok", "redis": "not_configured", "worker": "not_configured",
                        "model": "not_configured"}
    assert all(probe.latency_ms >= 0 for probe in readiness.components.values() if probe.status == "ok")


def test_an_unmigrated_store_is_not_ready_and_says_what_to_run(tmp_path):
    readiness = check_readiness(_settings(tmp_path))
    assert not readiness.ready and readiness.to_dict()["status"] == "unavailable"
    assert "python -m data upgrade" in readiness.components["store"].detail
    assert "does not exist" in readiness.components["cache"].detail


def test_redis_up_then_down(ready_folder, redis_url):
    up = check_readiness(_settings(ready_folder, REDIS_URL=redis_url))
    assert up.components["redis"].status == "ok" and up.components["cache"].status == "ok"
    assert up.components["worker"].status == "down"  # Redis answers, no Celery worker does
    assert not up.ready  # a configured component is down
    started = time.monotonic()
    down = check_readiness(_settings(ready_folder, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"))
    assert time.monotonic() - started < 1.5
    assert down.components["redis"].status == "down" and "Connection" in down.components["redis"].detail
    assert down.components["worker"].detail.startswith("Redis, the workers' broker, does not answer")
    assert down.components["store"].status == "ok" and not down.ready



def test_a_celery_worker_answers_only_its_own_deployments_ping(ready_folder, redis_url):
    """A real Celery worker on one database of a Redis makes its deployment ready; a deployment on another database
    of the same server is not served by it, and its probe says so."""
    from tests.services import start_server, stop

    server = redis_url.rsplit("/", 1)[0]
    env = {**os.environ, "FORESIGHT_INSTANCE_DIR": str(ready_folder), "FORESIGHT_SECRET_KEY": "health-tests",
           "FORESIGHT_CHAT_MODEL": "none", "REDIS_URL": f"{server}/12", "FORESIGHT_HEALTH_MONITOR": "off"}
    env.pop("FORESIGHT_DATABASE_URL", None)
    worker = start_server([sys.executable, "-m", "celery", "-A", "app:celery_app", "worker", "--pool=solo",
                           "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                          " ready.", env)
    try:
        ours = check_readiness(_settings(ready_folder, REDIS_URL=f"{server}/12",
                                         FORESIGHT_HEALTH_PROBE_TIMEOUT="2"), only=("worker",))
        theirs = check_readiness(_settings(ready_folder, REDIS_URL=f"{server}/13"), only=("worker",))
    finally:
        stop(worker)
    assert ours.components["worker"].status == "ok", ours.components["worker"].detail
    assert theirs.components["worker"].status == "down"
    assert "no Celery worker answered" in theirs.components["worker"].detail


def test_the_model_process_is_reported_but_not_required(ready_folder):
    loaded, loaded_url = _model_server({"loaded": True})
    loading, loading_url = _model_server({"loaded": False})
    try:
        ok = check_readiness(_settings(ready_folder, FORESIGHT_CHAT_MODEL="smollm2",
                                       FORESIGHT_CHAT_MODEL_URL=loaded_url))
        assert ok.components["model"].status == "ok" and ok.ready
        slow = check_readiness(_settings(ready_folder, FORESIGHT_CHAT_MODEL="smollm2",
                                         FORESIGHT_CHAT_MODEL_URL=loading_url))
        assert slow.components["model"].status == "down" and slow.components["model"].detail.endswith("loading")
        assert slow.ready and slow.to_dict()["components"]["model"]["required"] is False
    finally:
        loaded.shutdown()
        loading.shutdown()


def test_a_hanging_component_is_cut_off_at_the_timeout(ready_folder):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts connections into the backlog and never answers
    try:
        started = time.monotonic()
        readiness = check_readiness(_settings(ready_folder, FORESIGHT_CHAT_MODEL="smollm2",
                                              FORESIGHT_HEALTH_PROBE_TIMEOUT="0.3",
                                              FORESIGHT_CHAT_MODEL_URL=f"http://127.0.0.1:"
                                                                       f"{listener.getsockname()[1]}"))
        assert time.monotonic() - started < 1.0
        assert readiness.components["model"].status == "down" and readiness.components["store"].status == "ok"
    finally:
        listener.close()


def test_a_worker_probe_leaves_no_state_that_blocks_a_later_fork(tmp_path, redis_url):
    """Probing the Celery workers must not leave kombu's pools in the process: their after-fork cleanup blocked every
    process forked afterwards (a forecast's process pool hung the page job, and the test run with it)."""
    code = ("import multiprocessing, sys\n"
            "from core.health import check_readiness\n"
            "from core.settings import Settings\n"
            f"settings = Settings.from_env({{'FORESIGHT_INSTANCE_DIR': {str(tmp_path)!r}, 'REDIS_URL': {redis_url!r},\n"
            "    'FORESIGHT_SECRET_KEY': 'fork-test', 'FORESIGHT_CHAT_MODEL': 'none',\n"
            "    'FORESIGHT_HEALTH_PROBE_TIMEOUT': '0.5'})\n"
            "for _ in range(2):\n"
            "    assert check_readiness(settings, only=('worker',)).components['worker'].status == 'down'\n"
            "import gc, multiprocessing.util as util\n"
            "gc.collect()\n"
            "pools = sorted(func.__name__ for _, _, func in list(util._afterfork_registry)\n"
            "               if func.__module__.startswith(('kombu.pools', 'kombu.resource', 'celery')))\n"
            "assert not pools, f'after-fork cleanups of kombu or Celery left in the process: {pools}'\n"
            "child = multiprocessing.get_context('fork').Process(target=sys.exit, args=(0,))\n"
            "child.start()\n"
            "child.join(20)\n"
            "assert child.exitcode == 0, f'the forked child did not finish: {child.exitcode}'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={key: value for key, value in os.environ.items() if not key.startswith("FORESIGHT_")})
    assert done.returncode == 0, done.stderr[-2000:]
