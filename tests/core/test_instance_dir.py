"""FORESIGHT_INSTANCE_DIR moves the SQLite store for every entry point that reads the settings (unless
FORESIGHT_DATABASE_URL is set): the command line, the cache warmer and the app."""
from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import create_engine, inspect

from core.settings import Settings
from tests.services import ROOT


def _run(module: str, *args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_command_line_and_the_warmer_use_the_store_in_the_instance_dir(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("FORESIGHT_")}
    env["FORESIGHT_INSTANCE_DIR"] = str(tmp_path)
    upgraded = _run("data", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    store = tmp_path / "foresight.db"
    assert "orders" in inspect(create_engine(f"sqlite:///{store}")).get_table_names()
    warmed = _run("core.warm", env=env)  # the repository's own store may hold data: this one is empty
    assert warmed.returncode == 0 and "the store is empty" in warmed.stderr, warmed.stderr
    assert Settings.from_env(env).database_url == f"sqlite:///{store}"  # the app, gunicorn.conf.py and Celery
