"""The store layer: schema, migrations, atomic batch writes and the sample-company generator.

Importing the package is cheap: no engine, no file access. Submodules are imported explicitly
(``from data import store``).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["default_database_url", "repo_root"]


def repo_root() -> Path:
    """The repository folder (the parent of this package)."""
    return Path(__file__).resolve().parent.parent


def default_database_url() -> str:
    """The store used when no URL is configured: the git-ignored ``instance/foresight.db`` SQLite file."""
    return f"sqlite:///{repo_root() / 'instance' / 'foresight.db'}"
