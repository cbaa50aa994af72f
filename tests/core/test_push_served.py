"""The push channel under a real gunicorn with gunicorn.conf.py (gthread workers): a stream is served, and a graceful
stop (SIGTERM, as a deploy sends) ends it at once with `stream-end` instead of holding the worker for the stream's
45 s life (longer than gunicorn's 30 s graceful timeout)."""
from __future__ import annotations

import os
import signal
import sys
import time
import urllib.request

import pandas as pd

from core.auth import create_token, create_user
from data.store import get_engine, upgrade, write_frames
from tests.services import ROOT, free_port, start_server, stop


def _store_with_token(folder) -> tuple[str, str]:
    url = f"sqlite:///{folder / 'foresight.db'}"
    engine = get_engine(url)
    upgrade(engine)
    write_frames(engine, {"customers": pd.DataFrame({
        "customer_id": [1], "name": ["Customer 1"], "email": ["c1@example.com"],
        "signup_date": pd.to_datetime(["2025-01-02"]), "segment": "SMB", "region": "EMEA", "channel": "Web",
        "plan": "Basic", "cancel_date": [pd.NaT]})}, source="crm", description="first")
    create_user(engine, "viewer", "viewer", actor="test")
    return url, create_token(engine, "viewer", "push", days=1, actor="test")[1]


def test_gunicorn_serves_a_stream_and_a_graceful_stop_ends_it_at_once(tmp_path):
    url, token = _store_with_token(tmp_path)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("FORESIGHT_")}
    env.update(FORESIGHT_DATABASE_URL=url, FORESIGHT_INSTANCE_DIR=str(tmp_path), FORESIGHT_SECRET_KEY="push-served",
               HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="1", PYTHONUNBUFFERED="1", HOME=str(tmp_path))
    server = start_server([sys.executable, "-m", "gunicorn", "app:server", "--config", str(ROOT / "gunicorn.conf.py")],
                          "results cache:", env)
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/events",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=60) as stream:
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            assert stream.readline() == b"retry: 2000\n"
            while not (line := stream.readline()).startswith(b"data: "):
                pass
            assert line.startswith(b'data: {"version":1,')
            asked = time.monotonic()
            server.send_signal(signal.SIGTERM)
            rest = stream.read().decode()  # returns when the server closes the stream
            took = time.monotonic() - asked
        assert rest.rstrip("\n").endswith('event: stream-end\ndata: {"reconnect_ms":2000}'), rest
        assert took < 10, f"the stream ended {took:.1f} s after SIGTERM"
        assert server.wait(timeout=30) == 0
    finally:
        stop(server)
