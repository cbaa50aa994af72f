"""Browser fixtures: a seeded sample store and the real app served to headless Chromium."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from sqlalchemy import create_engine

SAMPLE_CUSTOMERS = 1500
SAMPLE_SEED = 7


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _require_chromium():
    if not (shutil.which("chromedriver") and (shutil.which("chromium") or shutil.which("chromium-browser"))):
        pytest.skip("Chromium and chromedriver are not installed; `make test` as root installs them")


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory):
    """A small sample company (fixed seed) in its own SQLite file; returns (url, instance dir)."""
    instance = tmp_path_factory.mktemp("instance")
    url = f"sqlite:///{instance / 'foresight.db'}"
    subprocess.run(
        [sys.executable, "-m", "data", "sample", "--customers", str(SAMPLE_CUSTOMERS),
         "--seed", str(SAMPLE_SEED), "--database-url", url],
        check=True, capture_output=True, text=True,
    )
    return url, instance


@pytest.fixture(scope="session")
def store_engine(sample_store):
    """A plain engine on the sample store, for the tests' own SQL."""
    engine = create_engine(sample_store[0])
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def nf_app(sample_store):
    """The app exactly as gunicorn loads it (``app:app``), configured by environment variables."""
    url, instance = sample_store
    os.environ.update(
        FORESIGHT_DATABASE_URL=url,
        FORESIGHT_INSTANCE_DIR=str(instance),
        FORESIGHT_SECRET_KEY="browser-tests-only",
    )
    import app as app_module

    return app_module.app
