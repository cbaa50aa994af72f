"""Shared fixtures: real Redis and PostgreSQL servers on 127.0.0.1, and Chromium's options."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from tests.services import as_postgres_user, free_port, postgres_binary, start_server, stop

# The apps the tests build in this process run no health monitor: it would collect this machine's real load every
# 10 s and could open incidents (and alerts) in the middle of unrelated tests. The monitor's own tests turn it on
# explicitly, and the served apps (`make serve`, gunicorn with the environment cleaned) run it as deployed.
os.environ.setdefault("FORESIGHT_HEALTH_MONITOR", "off")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A private redis-server (installed by deploy/install-system-packages.sh)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed; run `make test` as root or apt-get install redis-server")
    import redis

    port = free_port()
    process = start_server(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path_factory.mktemp("redis"))],
        "Ready to accept connections",
    )
    try:
        assert redis.Redis(host="127.0.0.1", port=port).ping()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)


@pytest.fixture
def clean_redis(redis_url):
    """The session Redis, emptied before the test."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    return redis_url


@pytest.fixture(scope="session")
def postgres_url():
    """A private PostgreSQL server for the session (skipped only when it is not installed), as the
    documented plain ``postgresql://`` URL (data.store picks the driver)."""
    initdb, server = postgres_binary("initdb"), postgres_binary("postgres")
    if initdb is None or server is None:
        pytest.skip("PostgreSQL is not installed; run `make test` as root or apt-get install postgresql")
    # Not under pytest's tmp folder: its parents are private to root, and the server runs as `postgres`.
    workdir = Path(tempfile.mkdtemp(prefix="nf-postgres-"))
    if os.geteuid() == 0:
        try:
            shutil.chown(workdir, user="postgres")
        except LookupError:
            shutil.rmtree(workdir)
            pytest.skip("running as root without a `postgres` account to run the server as")
    datadir = workdir / "data"
    subprocess.run(
        as_postgres_user([initdb, "-D", str(datadir), "-U", "foresight", "--auth=trust", "-E", "UTF8"]),
        check=True, capture_output=True,
    )
    port = free_port()
    process = start_server(
        as_postgres_user([server, "-D", str(datadir), "-p", str(port), "-k", str(workdir),
                          "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]),
        "ready to accept connections",
    )
    try:
        yield f"postgresql://foresight@127.0.0.1:{port}/postgres"
    finally:
        stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def postgres_database(postgres_url):
    """The plain URL of a throwaway database of its own on the session's PostgreSQL, dropped afterwards."""
    from sqlalchemy import create_engine

    from data.store import engine_url

    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(engine_url(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    finally:  # FORCE ends connections a test's engine still holds
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


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


def pytest_sessionfinish(session, exitstatus):
    """Stop what the suite left running in this process's children (a background job a test started and did not
    wait for, a forked job of a test server), so the run ends when the tests do instead of waiting on them at exit;
    each one is named, since a test that leaves work running is a bug worth seeing."""
    import psutil

    leftovers = [child for child in psutil.Process().children(recursive=True) if child.is_running()]
    for child in leftovers:
        try:
            print(f"\nstopping a process the tests left running: {child.pid} {' '.join(child.cmdline())[:160]}")
            child.terminate()
        except psutil.Error:
            continue
    _, alive = psutil.wait_procs(leftovers, timeout=10)
    for child in alive:
        try:
            child.kill()
        except psutil.Error:  # it ended meanwhile
            continue
