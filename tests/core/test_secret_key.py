"""One secret key for every worker: from the setting, Redis, or a file generated once in the instance dir."""
from __future__ import annotations

import multiprocessing
import runpy
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from core.secret_key import REDIS_SECRET_KEY, SECRET_FILE_NAME, key_fingerprint, resolve_secret_key
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _settings(tmp_path, **env) -> Settings:
    return Settings.from_env({"FORESIGHT_INSTANCE_DIR": str(tmp_path), **env})


def test_the_setting_wins(tmp_path):
    shared = resolve_secret_key(_settings(tmp_path, FORESIGHT_SECRET_KEY="operator-key"))
    assert shared.value == "operator-key" and shared.source == "FORESIGHT_SECRET_KEY"
    assert not (tmp_path / SECRET_FILE_NAME).exists()


def test_without_the_setting_one_private_key_file_is_shared(tmp_path):
    first = resolve_secret_key(_settings(tmp_path))
    second = resolve_secret_key(_settings(tmp_path))  # what a second worker (its own random default) gets
    assert first.value == second.value and len(first.value) == 64
    path = tmp_path / SECRET_FILE_NAME
    assert first.source == str(path) and stat.S_IMODE(path.stat().st_mode) == 0o600


def _resolve_into(folder: str, queue) -> None:
    queue.put(resolve_secret_key(_settings(Path(folder))).value)


def test_workers_starting_at_the_same_moment_agree(tmp_path):
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_resolve_into, args=(str(tmp_path), queue)) for _ in range(6)]
    for worker in workers:
        worker.start()
    keys = {queue.get(timeout=30) for _ in workers}
    for worker in workers:
        worker.join(30)
    assert len(keys) == 1


def test_a_damaged_key_file_is_refused_with_the_fix(tmp_path):
    (tmp_path / SECRET_FILE_NAME).write_text("short\n")
    with pytest.raises(RuntimeError, match="delete the file to have a new one generated"):
        resolve_secret_key(_settings(tmp_path))


def test_with_redis_every_machine_shares_the_key_kept_there(tmp_path, clean_redis):
    import redis

    first = resolve_secret_key(_settings(tmp_path / "a", REDIS_URL=clean_redis))
    second = resolve_secret_key(_settings(tmp_path / "b", REDIS_URL=clean_redis))
    assert first.value == second.value == redis.Redis.from_url(clean_redis).get(REDIS_SECRET_KEY).decode()


class _Log:
    def __init__(self):
        self.lines: list[str] = []

    def info(self, message, *args):
        self.lines.append(message % args)


def test_gunicorn_refuses_a_worker_whose_key_differs(tmp_path, monkeypatch):
    monkeypatch.delenv("FORESIGHT_SECRET_KEY", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("FORESIGHT_INSTANCE_DIR", str(tmp_path))
    # on_starting sets the metrics folder in the environment the workers inherit: undone after the test
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "prometheus"))
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    log = _Log()
    config["on_starting"](SimpleNamespace(log=log))
    shared = (tmp_path / SECRET_FILE_NAME).read_text().strip()
    assert log.lines == [f"secret key from {tmp_path / SECRET_FILE_NAME} (fingerprint {key_fingerprint(shared)})",
                         f"Prometheus metrics of every worker shared through {tmp_path / 'prometheus'}"]
    good = SimpleNamespace(pid=1, wsgi=SimpleNamespace(config={"SECRET_KEY": shared}))
    config["post_worker_init"](good)
    bad = SimpleNamespace(pid=2, wsgi=SimpleNamespace(config={"SECRET_KEY": "a-key-of-its-own-0123456789abcdef"}))
    with pytest.raises(RuntimeError, match="every worker must share one key"):
        config["post_worker_init"](bad)
    assert config["control_socket_disable"] is True and config["workers"] == 2
