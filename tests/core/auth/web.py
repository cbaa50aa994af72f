"""A small Flask app behind the real request guard (``init_access``) on its own migrated SQLite store: the
access tests drive it with Flask's test client (no Dash, no browser). Not a test module."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

from flask import Flask, jsonify

from core.auth import Permission, create_user, current_principal, protect_callback
from core.auth.guard import init_access
from core.auth.limits import limiter
from core.runtime import SETTINGS_KEY
from core.settings import Settings
from data.store import get_engine, upgrade
from tests.sample_stores import snapshot_store

PASSWORDS = {"admin": "neon-root-key-5811", "analyst": "chart-reader-key-5812", "viewer": "glass-window-key-5813"}
PROTECTED_OUTPUT = "access-test-upload"  # a callback output registered as needing UPLOAD
HOST = "localhost"  # the test client's host: Origin http://localhost is same-site


_TEMPLATE: list[Path] = []  # one migrated store with the users per test process, copied for each app


def _store_with_users(folder: Path) -> None:
    """Copy the template store (migrated, with the three users: argon2 hashing is slow on purpose) into ``folder``."""
    if not _TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="nf-access-")) / "foresight.db"
        engine = get_engine(f"sqlite:///{template}")
        upgrade(engine)
        for name, password in PASSWORDS.items():
            create_user(engine, name, name, password, actor="tests")
        engine.dispose()
        _TEMPLATE.append(template)
    snapshot_store(_TEMPLATE[0], folder / "foresight.db")


def access_app(folder: Path, **env: str) -> Flask:
    """The guarded app: ``/`` and ``/forecast`` pages, ``/whoami``, ``/api/v1/thing`` and a stand-in for Dash's
    ``/_dash-update-component`` that answers ``ran``; users admin/analyst/viewer (role = name) in its store."""
    settings = Settings.from_env({"FORESIGHT_INSTANCE_DIR": str(folder), "FORESIGHT_SECRET_KEY": "access-tests",
                                  **env})
    _store_with_users(folder)
    server = Flask("access-test")
    server.config.update(SECRET_KEY="access-tests", **{SETTINGS_KEY: settings})
    server.add_url_rule("/", "home", lambda: "home")
    server.add_url_rule("/forecast", "forecast", lambda: "forecast page")
    server.add_url_rule("/whoami", "whoami", lambda: jsonify(vars(current_principal())))
    server.add_url_rule("/api/v1/thing", "thing", lambda: jsonify(ok=True), methods=["GET", "POST"])
    server.add_url_rule("/_dash-update-component", "dash", lambda: "ran", methods=["POST"])
    protect_callback([PROTECTED_OUTPUT], Permission.UPLOAD)
    init_access(server, settings)
    with server.app_context():
        limiter.reset()
    return server


def engine_of(server: Flask):
    return get_engine(server.config[SETTINGS_KEY].database_url)


def csrf(client) -> str:
    """The CSRF token of the sign-in form this client was given."""
    page = client.get("/login").text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def login(client, username: str, password: str | None = None, next_path: str = "/", **request):
    """POST the sign-in form as a browser would; returns the response."""
    form = {"username": username, "password": PASSWORDS.get(username, "") if password is None else password,
            "csrf_token": csrf(client), "next": next_path}
    return client.post("/login", data=form, **request)


def callback_body(output: str) -> dict:
    return {"output": f"{output}.data", "outputs": {"id": output, "property": "data"}, "inputs": [],
            "changedPropIds": []}
