"""Browser fixtures: a seeded sample store and the real app served to headless Chromium (helpers in helpers.py)."""
from __future__ import annotations

import os
import shutil
import sys
from typing import NamedTuple

import pytest
from sqlalchemy import create_engine

from tests.browser import helpers
from tests.sample_stores import snapshot_store
from tests.services import free_port, start_server, stop


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _require_chromium():
    if not (shutil.which("chromedriver") and (shutil.which("chromium") or shutil.which("chromium-browser"))):
        pytest.skip("Chromium and chromedriver are not installed; `make test` as root installs them")


@pytest.fixture(autouse=True)
def _signed_in(request):
    """Every dash_duo test signs in as ``admin`` when it starts the server (tests/browser/test_login.py signs out)."""
    if "dash_duo" in request.fixturenames:
        helpers.sign_in_on_start(request.getfixturevalue("dash_duo"))


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory):
    """A small sample company (fixed seed) in its own SQLite file; returns (url, instance dir)."""
    return helpers.sample_store(tmp_path_factory)


@pytest.fixture(scope="session")
def store_engine(sample_store):
    """A plain engine on the sample store, for the tests' own SQL."""
    engine = create_engine(sample_store[0])
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def nf_app(sample_store, tmp_path_factory):
    """The app exactly as gunicorn loads it (``app:app``), configured by environment variables."""
    return helpers.gunicorn_app(tmp_path_factory)


@pytest.fixture(scope="module")
def default_forecast(nf_app, sample_store):
    """The Forecast page's default forecast of the store's version when a module starts (earlier tests add data),
    fitted once through the app's cache (as ``python -m core.warm`` does for ``make run``). A test that opens the
    Forecast page or asks the chat about the forecast without it would start that fit in the background, where it
    runs on through the following tests. Its explanation is not cached: the page draws the drivers (and starts
    their fit) only when asked, or when they are cached, so drilling down starts no explanation either."""
    from analytics.forecasting import DEFAULT_HORIZON, DEFAULT_METRIC, store_demand_forecast
    from core.cache import cached_call
    from core.settings import Settings
    from data.store import current_version, get_engine
    from data.watermark import complete_through

    engine = get_engine(sample_store[0])
    version = current_version(engine).version
    params = {"metric": DEFAULT_METRIC, "h": DEFAULT_HORIZON,
              "through": complete_through(engine).iso,  # the page forecasts complete days only
              "countries": Settings.from_env().holiday_countries}  # whose public holidays it knows
    return cached_call(store_demand_forecast, version, engine, **params)


@pytest.fixture(scope="session")
def scaled_out_app(sample_store, redis_url, tmp_path_factory):
    """The Procfile's deployment for real: gunicorn web + a Celery worker, both on Redis. On a database of the
    session's Redis of their own: the worker lives for the rest of the session, and in database 0 it would answer
    the health tests' pings and take their queued jobs."""
    port = free_port()
    env = {**os.environ, "FORESIGHT_DATABASE_URL": sample_store[0], "REDIS_URL": redis_url.rsplit("/", 1)[0] + "/11",
           "FORESIGHT_INSTANCE_DIR": str(tmp_path_factory.mktemp("scaled")),
           "FORESIGHT_SECRET_KEY": "scaled-out-tests-only", "PYTHONUNBUFFERED": "1"}
    worker = start_server(
        [sys.executable, "-m", "celery", "-A", "app:celery_app", "worker", "--pool=solo", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        " ready.", env)
    try:
        web = start_server(
            [sys.executable, "-m", "gunicorn", "app:server", "--config", "gunicorn.conf.py", "--preload", "--workers", "1",
             "--bind", f"127.0.0.1:{port}", "--log-level", "info"],
            "Booting worker", env)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(web)
    finally:
        stop(worker)


class Served(NamedTuple):
    """Where the served app is, its store, and the `make serve` process."""

    base: str
    store: str
    pid: int


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`make serve` on a private copy of a two-year sample store (``helpers.served_store``)."""
    instance = tmp_path_factory.mktemp("served")
    url = snapshot_store(helpers.served_store(tmp_path_factory), instance / "foresight.db")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("FORESIGHT_")}
    env.update(FORESIGHT_DATABASE_URL=url, FORESIGHT_INSTANCE_DIR=str(instance), HOST="127.0.0.1",
               PORT=str(port), PYTHONUNBUFFERED="1")
    server = start_server(["make", "-s", "serve"], "results cache:", env, group=True)
    try:
        yield Served(f"http://127.0.0.1:{port}", url, server.pid)
    finally:
        stop(server)
