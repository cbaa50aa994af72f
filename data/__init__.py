"""The store layer: schema, migrations, atomic batch writes and the sample-company generator.

Importing the package is cheap: no engine, no file access. Submodules are imported explicitly
(``from data import store``).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DATABASE_URL_ENV", "default_database_url", "repo_root"]

DATABASE_URL_ENV = "FORESIGHT_DATABASE_URL"


def repo_root() -> Path:
    """The repository folder (the parent of this package)."""
    return Path(__file__).resolve().parent.parent


def default_database_url() -> str:
    """``$FORESIGHT_DATABASE_URL`` when set, else the git-ignored ``instance/foresight.db`` SQLite file."""
    configured = os.environ.get(DATABASE_URL_ENV, "").strip()
    if configured:
        return configured
    return f"sqlite:///{repo_root() / 'instance' / 'foresight.db'}"
