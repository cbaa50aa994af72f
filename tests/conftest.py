"""Shared fixtures: real services (Redis) started on 127.0.0.1 for the test session."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading

import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A private redis-server on 127.0.0.1 (installed by deploy/install-system-packages.sh)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed; run `make test` as root or apt-get install redis-server")
    import redis

    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        # Block on the server's own log until it says it is ready (no polling, no sleeps).
        for line in process.stdout:
            if "Ready to accept connections" in line:
                break
        else:
            pytest.fail(f"redis-server exited with code {process.wait()} before it was ready")
        # Keep draining its log so a full pipe never blocks the server.
        threading.Thread(target=process.stdout.read, daemon=True).start()
        assert redis.Redis(host="127.0.0.1", port=port).ping()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def clean_redis(redis_url):
    """The session Redis, emptied before the test."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    return redis_url


def pytest_setup_options():
    """Chromium flags for dash_duo: headless, and no traffic to anything but the app."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--enable-unsafe-swiftshader", "--window-size=1400,1000"):
        options.add_argument(flag)
    for binary in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.path.exists(binary):
            options.binary_location = binary
            break
    return options
