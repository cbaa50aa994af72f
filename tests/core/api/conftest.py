"""The API on a plain Flask app over a small seeded sample store, with the access guard, users and their tokens.

The app has only what the API needs (settings, the results cache, access control, the API), so these tests run
without Dash's page scanner and each module gets its own store and cache.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

import core.auth  # noqa: F401  (core.settings and core.auth import each other; core.auth first)
from core.api import init_api
from core.auth.accounts import create_user
from core.auth.guard import init_access
from core.auth.tokens import create_token
from core.cache import init_cache
from core.runtime import SETTINGS_KEY
from core.settings import Settings
from data import store
from data.sample import SampleConfig
from tests.sample_stores import copy_store, write_template

COMPANY = SampleConfig(customers=300, seed=5, years=1)
PASSWORDS = {"admin": "neon-root-key-4711", "analyst": "chart-reader-key-4712", "viewer": "glass-window-key-4713"}
SECRET = "api-tests-only-secret-key-0123456789abcdef"


@dataclass
class Api:
    """The app, its settings and store engine, and a bearer token per user."""

    app: Flask
    settings: Settings
    engine: object
    tokens: dict[str, str]

    def client(self):
        return self.app.test_client()

    def headers(self, user: str = "viewer", **more) -> dict:
        return {"Authorization": f"Bearer {self.tokens[user]}", **more}

    def get(self, path: str, user: str = "viewer", **headers):
        return self.client().get(path, headers=self.headers(user, **headers))


def build_api(url: str, instance: Path, **env) -> Api:
    """The API app on the store at ``url`` with users admin, analyst and viewer and a token each."""
    settings = Settings.from_env({"FORESIGHT_DATABASE_URL": url, "FORESIGHT_INSTANCE_DIR": str(instance),
                                  "FORESIGHT_SECRET_KEY": SECRET, "FORESIGHT_API_RATE_LIMIT": "100000/minute", **env})
    engine = store.get_engine(url)
    tokens = {}
    for name, password in PASSWORDS.items():
        create_user(engine, name, name, password, actor="tests")
        tokens[name] = create_token(engine, name, "tests", days=1, actor="tests")[1]
    app = Flask("api-tests")
    app.config.update(SECRET_KEY=SECRET, **{SETTINGS_KEY: settings})
    init_cache(app, settings)
    init_api(app, settings)
    init_access(app, settings)
    return Api(app, settings, engine, tokens)


@pytest.fixture(scope="session")
def api_template(tmp_path_factory) -> Path:
    """The small sample company, written once per test process."""
    return write_template(tmp_path_factory.mktemp("api-company"), COMPANY)


@pytest.fixture(scope="module")
def api(api_template, tmp_path_factory) -> Api:
    """A module's API app on its own copy of the sample store (reads only: writing tests use ``fresh_api``)."""
    folder = tmp_path_factory.mktemp("api")
    return build_api(copy_store(api_template, folder), folder)


@pytest.fixture
def fresh_api(api_template, tmp_path) -> Api:
    """An API app on a private copy of the store, for a test that writes."""
    return build_api(copy_store(api_template, tmp_path), tmp_path)
