"""Fixtures for calling page callbacks as plain functions on a small seeded company (helpers in helpers.py).

The page modules are the ones the real app imports (Dash's page scanner, once per process: see
``tests/browser/helpers.gunicorn_app``). Each test runs inside a Dash app of its own whose settings point at the
test's store, found the way the app's callbacks find theirs (``dash.get_app()``, ``core.runtime``), with its
results cache in the store's instance folder.
"""
from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from data.sample import SampleConfig
from tests.browser.helpers import gunicorn_app
from tests.pages.helpers import PageStore, current, page_store
from tests.sample_stores import copy_store, write_template

COMPANY = SampleConfig(customers=300, seed=3)
PAGES = ("overview", "forecast", "retention", "insights", "data", "not_found_404", "_shell", "_alerts",
         "_alert_rules", "_forecast_customers", "health", "_health_actions", "_health_views")


@pytest.fixture(scope="session")
def pages(tmp_path_factory) -> SimpleNamespace:
    """Every page module (``pages.overview``, …, ``pages.shell``), imported by the real app's page scanner."""
    gunicorn_app(tmp_path_factory)
    return SimpleNamespace(**{name.strip("_"): sys.modules[f"pages.{name}"] for name in PAGES})


@pytest.fixture(scope="session")
def company_template(tmp_path_factory) -> Path:
    return write_template(tmp_path_factory.mktemp("pages-company"), COMPANY)


@pytest.fixture(scope="session")
def shared_company(tmp_path_factory, company_template) -> PageStore:
    """The company store shared by the tests that only read it; enter it with ``current(shared_company)``."""
    folder = tmp_path_factory.mktemp("pages-store")
    return page_store(copy_store(company_template, folder), folder)


@pytest.fixture
def company(pages, shared_company):
    """The shared company store, current for the test (its results cache too: a model is fitted once)."""
    with current(shared_company) as store:
        yield store


@pytest.fixture
def private_company(pages, company_template, tmp_path):
    """A private copy of the company store, for a test that writes to it."""
    with current(page_store(copy_store(company_template, tmp_path), tmp_path)) as store:
        yield store


@pytest.fixture
def unmigrated_store(pages, tmp_path):
    """A store file without any table: as before `python -m data upgrade` or `make run`."""
    with current(page_store(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path)) as store:
        yield store
