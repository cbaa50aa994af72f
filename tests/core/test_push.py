"""The push channel over HTTP (Flask test client on a real SQLite store): what a stream sends, its bounded life,
the cap on open streams, and one store read per broadcaster tick however many streams are open."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pandas as pd
import pytest
from flask import Flask
from sqlalchemy import event

from core.auth import create_token, create_user, get_user
from core.auth.guard import init_access
from core.push import EVENTS_PATH, PushLimits, init_push
from core.settings import Settings
from data import store

FAST = PushLimits(max_streams=3, stream_seconds=20, heartbeat_seconds=5, retry_ms=1500, tick_seconds=0.05)


def _customers(first: int) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": [first], "name": [f"Customer {first}"], "email": [f"c{first}@example.com"],
                         "signup_date": pd.to_datetime(["2025-01-02"]), "segment": "SMB", "region": "EMEA",
                         "channel": "Web", "plan": "Basic", "cancel_date": [pd.NaT]})


@pytest.fixture
def engine(tmp_path):
    engine = store.get_engine(f"sqlite:///{tmp_path / 'store.db'}")
    store.upgrade(engine)
    store.write_frames(engine, {"customers": _customers(1)}, source="crm", description="first")
    return engine


def _served(engine, tmp_path, limits: PushLimits):
    """A Flask server with the real request guard and the push channel, and a test client signed in by an API
    token of a viewer."""
    server = Flask(__name__)
    server.config["SECRET_KEY"] = "push-tests-only"
    settings = Settings.from_env({"FORESIGHT_DATABASE_URL": str(engine.url), "FORESIGHT_INSTANCE_DIR": str(tmp_path)})
    init_access(server, settings)
    broadcaster = init_push(server, settings, limits)
    if get_user(engine, username="viewer") is None:
        create_user(engine, "viewer", "viewer", actor="test")
    _, token = create_token(engine, "viewer", "push", days=1, actor="test")
    client = server.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client, broadcaster


@pytest.fixture
def push(engine, tmp_path):
    client, broadcaster = _served(engine, tmp_path, FAST)
    yield client, broadcaster
    broadcaster.stop()


class Stream:
    """An open event stream read chunk by chunk, parsed into (event, data) pairs."""

    def __init__(self, response):
        self.response = response
        self.chunks = iter(response.response)

    def next(self) -> tuple[str, dict | int]:
        text = next(self.chunks).decode()
        if text.startswith("retry:"):
            return "retry", int(text.split(":")[1])
        fields = dict(line.split(": ", 1) for line in text.strip().splitlines())
        return fields["event"], json.loads(fields["data"])

    def until(self, name: str) -> dict:
        while True:
            kind, data = self.next()
            if kind == name:
                return data

    def close(self):
        self.response.close()


def _open(client) -> Stream:
    response = client.get(EVENTS_PATH, buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    assert response.headers["X-Accel-Buffering"] == "no" and "no-cache" in response.headers["Cache-Control"]
    return Stream(response)


def test_an_anonymous_caller_is_refused_by_the_guard(push):
    client, broadcaster = push
    client.environ_base.pop("HTTP_AUTHORIZATION")
    refused = client.get(EVENTS_PATH)
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert broadcaster.streams == 0


def test_a_stream_opens_with_retry_and_the_current_version_then_pushes_a_new_one(push, engine):
    client, _ = push
    stream = _open(client)
    assert stream.next() == ("retry", 1500)
    kind, opening = stream.next()
    assert kind == "dataset-version" and opening["version"] == store.current_version(engine).version == 1
    assert isinstance(opening["changed_at"], int)
    store.write_frames(engine, {"customers": _customers(2)}, source="crm", description="second")
    pushed = stream.until("dataset-version")
    assert pushed["version"] == 2 and pushed["changed_at"] >= opening["changed_at"]
    stream.close()


def test_a_stream_ends_after_its_bounded_life_with_heartbeats_and_frees_its_slot(engine, tmp_path):
    limits = PushLimits(max_streams=1, stream_seconds=0.6, heartbeat_seconds=0.15, retry_ms=700, tick_seconds=0.05)
    client, broadcaster = _served(engine, tmp_path, limits)
    stream = _open(client)
    received = []
    for chunk in stream.chunks:  # ends by itself: the server closes the stream
        received.append(chunk.decode())
    stream.close()
    assert received[0] == "retry: 700\n\n" and "event: dataset-version" in received[1]
    assert any(chunk.startswith("event: heartbeat") for chunk in received)
    assert received[-1] == 'event: stream-end\ndata: {"reconnect_ms":700}\n\n'
    assert broadcaster.streams == 0
    _open(client).close()  # the only slot is free again
    broadcaster.stop()


def test_job_progress_of_the_api_job_registry_is_pushed_until_the_job_ends(engine, tmp_path):
    """core.api.jobs for real: a job started through it reports progress, then finishes."""
    from core.api import jobs
    from core.cache import init_cache

    client, broadcaster = _served(engine, tmp_path, FAST)
    server = client.application
    init_cache(server, Settings.from_env({"FORESIGHT_DATABASE_URL": str(engine.url),
                                          "FORESIGHT_INSTANCE_DIR": str(tmp_path)}))
    gate = threading.Event()

    def run(report):
        report(1, 3, "fitting node 1 of 3")
        gate.wait(10)
        return {"fitted": 3}

    stream = _open(client)
    with server.app_context():
        job_id = jobs.start("retrain", run, app=server)
    progress = stream.until("job-progress")
    while progress["progress"] != 1:
        progress = stream.until("job-progress")
    assert progress == {"id": job_id, "kind": "retrain", "state": "running", "progress": 1, "total": 3,
                        "label": "fitting node 1 of 3"}
    gate.set()
    while progress["state"] != "done":
        progress = stream.until("job-progress")
    assert progress["id"] == job_id
    stream.close()
    broadcaster.stop()


def test_past_the_cap_a_stream_is_refused_with_503_and_retry_after(push):
    client, broadcaster = push
    streams = [_open(client) for _ in range(FAST.max_streams)]
    refused = client.get(EVENTS_PATH)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "20"
    body = refused.get_json()
    assert refused.mimetype == "application/problem+json" and body["status"] == 503
    assert "already serves 3 live-update streams; reconnect after 20 s" in body["detail"]
    streams.pop().close()
    streams.append(_open(client))
    assert broadcaster.streams == FAST.max_streams
    for stream in streams:
        stream.close()
    assert broadcaster.streams == 0


def test_closing_the_broadcaster_ends_open_streams_at_once_and_refuses_new_ones(push):
    """What a gunicorn worker does on a graceful stop (gunicorn.conf.py): tabs reconnect to a running worker."""
    client, broadcaster = push
    stream = _open(client)
    stream.until("dataset-version")
    closed_at = time.monotonic()
    broadcaster.close()
    rest = [chunk.decode() for chunk in stream.chunks]
    assert rest[-1].startswith("event: stream-end") and time.monotonic() - closed_at < FAST.stream_seconds / 4
    stream.close()
    assert client.get(EVENTS_PATH).status_code == 503


@contextmanager
def _version_reads(engine) -> Iterator[list[str]]:
    """Every SELECT on dataset_versions the engine runs meanwhile (a real SQLAlchemy event listener)."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT") and "dataset_versions" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize("clients", [1, 3])
def test_the_broadcaster_reads_the_store_once_per_tick_whatever_the_number_of_streams(push, engine, clients):
    client, broadcaster = push
    streams = [_open(client) for _ in range(clients)]
    with ThreadPoolExecutor(clients) as pool:  # every stream is being read, as browsers would
        readers = [pool.submit(stream.until, "dataset-version") for stream in streams]
        assert [reader.result(timeout=10)["version"] for reader in readers] == [1] * clients
        with _version_reads(engine) as reads:
            before = broadcaster.ticks
            assert broadcaster.wait_ticks(10, timeout=10)
            ticks = broadcaster.ticks - before
        # the tick in progress at either end may add one read: per-stream reads would be ``clients`` times more
        assert ticks >= 10 and ticks - 1 <= len(reads) <= ticks + 1
    for stream in streams:
        stream.close()


def test_the_broadcaster_outlives_a_test_server_stopping_its_threads():
    """dash.testing stops a test server by raising SystemExit in every thread started since it began; the app (and its
    broadcaster) is served again by the next test server, whose open stream must keep getting ticks."""
    import ctypes

    from core.push.broadcaster import Broadcaster

    broadcaster = Broadcaster([], tick_seconds=0.05)
    try:
        assert broadcaster.join()
        assert broadcaster.wait_ticks(2, timeout=10)
        thread = broadcaster._thread
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_long(thread.ident), ctypes.py_object(SystemExit))
        assert broadcaster.wait_ticks(5, timeout=10), "the reading thread ended: an open stream gets no more events"
        assert thread.is_alive()
    finally:
        broadcaster.stop()


def test_a_fork_waits_for_a_store_read_in_flight():
    """A background job forked while the reading thread queries the store would inherit the database library's locks
    held and hang; the fork waits for the read instead."""
    import os

    from core.push import broadcaster as module
    from core.push.events import Source

    entered, release = threading.Event(), threading.Event()

    def slow_read() -> dict:
        entered.set()
        release.wait(10)
        return {"": {"version": 1}}

    reader = threading.Thread(target=module.Broadcaster([])._read, args=(Source("dataset-version", slow_read),))
    reader.start()
    assert entered.wait(10)
    timer = threading.Timer(0.3, release.set)
    timer.start()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    assert release.is_set(), "the fork happened in the middle of the read"
    os.waitpid(pid, 0)
    reader.join(10)
    timer.join()


def test_a_guard_left_held_by_another_thread_slows_reads_but_never_stops_them(monkeypatch):
    """Before: a read waited for the guard for ever, so one acquisition never released (a fork's timeout paired with
    another thread's release) stopped every push event for the life of the process."""
    from core.push import broadcaster as module
    from core.push.events import Source

    monkeypatch.setattr(module, "_GUARD_WAIT_S", 0.2)
    stuck = threading.Thread(target=module._FORK_GUARD.acquire)  # held and never released by its thread
    stuck.start()
    stuck.join()
    try:
        outcome = []
        reader = threading.Thread(target=lambda: outcome.append(
            module.Broadcaster([])._read(Source("dataset-version", lambda: {"": {"version": 2}}))))
        reader.start()
        reader.join(10)
        assert outcome == [{"": {"version": 2}}]
    finally:
        module._FORK_GUARD.release()
