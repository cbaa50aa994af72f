"""The app as `make serve` runs it (gunicorn with gunicorn.conf.py): oversized request bodies are refused before they
are read, and two servers started from one home directory both serve (no shared control socket). Requests that
reach the app sign in first through /login, as a browser does (the guard refuses anonymous callbacks)."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.services import ROOT, free_port, start_server, stop

ANALYST, PASSWORD = "analyst", "serving-tests-key-4721"

MB = 1024 * 1024
LIMIT = 6 * MB  # FORESIGHT_MAX_FILE_MB=3: 4 MB of base64 and 2 MB for the rest of the request


def _with_analyst(instance: Path) -> None:
    """The store of ``instance``, migrated, with the user ``analyst`` (who may upload)."""
    from core.auth import create_user
    from data.store import get_engine, upgrade

    engine = get_engine(f"sqlite:///{instance / 'foresight.db'}")
    upgrade(engine)
    create_user(engine, ANALYST, "analyst", PASSWORD, actor="tests")


def _signed_in(port: int) -> urllib.request.OpenerDirector:
    """A browser-like client (its own cookie jar) signed in as ``analyst`` through the /login form."""
    import http.cookiejar

    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with browser.open(f"http://127.0.0.1:{port}/login", timeout=60) as page:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode()).group(1)
    form = urllib.parse.urlencode({"username": ANALYST, "password": PASSWORD, "csrf_token": csrf,
                                   "next": "/healthz"}).encode()
    with browser.open(f"http://127.0.0.1:{port}/login", data=form, timeout=60) as landed:
        assert landed.url.endswith("/healthz"), landed.url
    return browser


def _serve(instance: Path, home: Path, **env: str):
    """`make serve` with one worker on a free port; returns (process, port)."""
    _with_analyst(instance)
    port = free_port()
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith("FORESIGHT_") and key != "XDG_RUNTIME_DIR"}
    environ.update(FORESIGHT_INSTANCE_DIR=str(instance), FORESIGHT_SECRET_KEY="serving-tests-only", HOME=str(home),
                   HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="1", PYTHONUNBUFFERED="1", **env)
    return start_server(["make", "-s", "serve"], "results cache:", environ, group=True), port


@pytest.fixture(scope="module")
def small_limit_server(tmp_path_factory):
    instance, home = tmp_path_factory.mktemp("limits"), tmp_path_factory.mktemp("home")
    server, port = _serve(instance, home, FORESIGHT_MAX_FILE_MB="3", FORESIGHT_UPLOAD_SESSION_QUOTA_MB="3",
                          FORESIGHT_UPLOAD_QUOTA_MB="5")
    try:
        yield port
    finally:
        stop(server)


def _response(sock: socket.socket) -> tuple[int, str]:
    """Status code and body of the HTTP response on ``sock`` (the server closes the connection after it)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode(errors="replace")


def _headers(port: int, *extra: str) -> bytes:
    lines = ["POST /_dash-update-component HTTP/1.1", f"Host: 127.0.0.1:{port}", "Content-Type: application/json",
             *extra, "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_a_200_mb_body_gets_413_before_a_byte_of_it_is_read(small_limit_server):
    with socket.create_connection(("127.0.0.1", small_limit_server), timeout=60) as sock:
        sock.sendall(_headers(small_limit_server, f"Content-Length: {200 * MB}"))
        # Not one byte of the body was sent: a server that read it would still be waiting (and time this out).
        status, body = _response(sock)
    assert status == 413
    assert "a request body of 200 MB is larger than the 6 MB this server accepts (FORESIGHT_MAX_REQUEST_MB)" in body


def test_a_chunked_body_without_a_length_is_cut_off_at_the_limit(small_limit_server):
    with socket.create_connection(("127.0.0.1", small_limit_server), timeout=60) as sock:
        sock.sendall(_headers(small_limit_server, "Transfer-Encoding: chunked"))
        chunk = b"%x\r\n%s\r\n" % (256 * 1024, b" " * 256 * 1024)

        def send() -> None:
            try:
                for _ in range(LIMIT // (256 * 1024) + 8):  # 2 MB over the limit
                    sock.sendall(chunk)
                sock.sendall(b"0\r\n\r\n")
            except OSError:
                pass  # the server answered and closed: the rest is never read

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        status, body = _response(sock)
        sender.join()
    assert status == 413
    assert "larger than the 6 MB this server accepts (FORESIGHT_MAX_REQUEST_MB)" in body


def test_a_body_within_the_limit_reaches_the_app(small_limit_server):
    payload = b'{"output": "nothing", "padding": "' + b" " * (LIMIT - MB) + b'"}'
    request = urllib.request.Request(f"http://127.0.0.1:{small_limit_server}/_dash-update-component", data=payload,
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:  # Dash refuses the made-up callback, having read it
        _signed_in(small_limit_server).open(request, timeout=60)
    assert refused.value.code != 413


def _upload(browser, port: int, name: str, size: int) -> str:
    """The Data page's upload callback as the browser calls it; returns what the page shows (token or message)."""
    import base64
    import json

    contents = "data:text/csv;base64," + base64.b64encode(b"a\n" + b"1\n" * (size // 2)).decode()
    body = {"output": "..data-upload-token.data...data-upload-status.children..",
            "outputs": [{"id": "data-upload-token", "property": "data"},
                        {"id": "data-upload-status", "property": "children"}],
            "inputs": [{"id": "data-upload", "property": "contents", "value": contents}],
            "state": [{"id": "data-upload", "property": "filename", "value": name}],
            "changedPropIds": ["data-upload.contents"]}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/_dash-update-component",
                                     data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with browser.open(request, timeout=60) as response:
        return response.read().decode()


def test_uploads_are_bounded_per_browser_session_and_per_instance(small_limit_server):
    def browser():
        return _signed_in(small_limit_server)

    first, second, third = browser(), browser(), browser()
    size = int(1.2 * MB)
    assert '"token"' in _upload(first, small_limit_server, "a.csv", size)
    assert '"token"' in _upload(first, small_limit_server, "b.csv", size)
    refused = _upload(first, small_limit_server, "c.csv", size)
    assert "over its 3 MB quota (FORESIGHT_UPLOAD_SESSION_QUOTA_MB)" in refused and '"token"' not in refused
    assert '"token"' in _upload(second, small_limit_server, "d.csv", size)  # another browser session: 3.6 MB in all
    full = _upload(third, small_limit_server, "e.csv", 2 * size)
    assert "the server's space for uploads is full: 3.6 MB of its 5 MB quota (FORESIGHT_UPLOAD_QUOTA_MB)" in full


def test_two_servers_from_one_home_directory_both_serve(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    first, first_port = _serve(tmp_path / "a", home)
    try:
        second, second_port = _serve(tmp_path / "b", home)
        try:
            for port in (first_port, second_port):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60) as response:
                    assert response.status == 200
        finally:
            stop(second)
    finally:
        stop(first)
    assert not (home / ".gunicorn").exists(), "a gunicorn control socket was created under HOME"


def test_make_serve_and_the_procfile_run_gunicorn_with_its_config():
    serve = re.search(r"^serve:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.MULTILINE).group(1)
    procfile = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    for command in (serve, procfile["web"]):
        assert "gunicorn app:server --config gunicorn.conf.py" in command
    assert "--beat" in procfile["worker"]  # the hourly sweep of expired uploads (core.uploads)


@pytest.mark.parametrize("command", [["make", "-s", "serve"], [sys.executable, "-m", "core.warm"],
                                     [sys.executable, "app.py"]])
def test_an_invalid_setting_stops_every_entry_point_with_its_message_not_a_traceback(tmp_path, command):
    env = {key: value for key, value in os.environ.items() if not key.startswith("FORESIGHT_")}
    env.update(FORESIGHT_INSTANCE_DIR=str(tmp_path), FORESIGHT_FRAME_ANCESTORS="'self'; script-src *",
               PORT=str(free_port()))
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "invalid setting: FORESIGHT_FRAME_ANCESTORS: \"'self';\" is not a frame-ancestors source" in output
    assert "Traceback" not in output
