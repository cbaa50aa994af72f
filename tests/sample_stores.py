"""A sample company written once per test module, and a private copy of it for each test that writes."""
from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from data import store
from data.sample import SampleConfig, generate_sample, write_sample


def write_template(folder: Path, config: SampleConfig) -> Path:
    """Write the sample company into ``folder/template.db`` (checkpointed, so a file copy is complete)."""
    path = folder / "template.db"
    engine = store.get_engine(f"sqlite:///{path}")
    write_sample(engine, generate_sample(config), path.with_suffix(".json"))
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def snapshot_store(source: Path, target: Path) -> str:
    """A consistent copy of the SQLite store ``source`` (its WAL included) at ``target``, through SQLite's backup
    API; returns the copy's URL.

    Never copy a store's file with plain file I/O in a process that has the store open: closing that file drops
    every POSIX lock this process holds on it, SQLite's included, so the next process to close the store believes
    it is the last one, checkpoints and deletes the WAL and shared-memory files under this process's open
    connections, which then read stale data or fail with "disk I/O error". (A file copy also misses what is
    still in the WAL.)
    """
    with closing(sqlite3.connect(source)) as original, closing(sqlite3.connect(target)) as copy:
        original.backup(copy)
    return f"sqlite:///{target}"


def copy_store(template: Path, folder: Path) -> str:
    """A private copy of the template store in ``folder``; returns its URL."""
    return snapshot_store(template, folder / "store.db")


def store_fixtures(name: str, config: SampleConfig):
    """A module-scoped ``template`` store of ``config`` and a per-test ``engine`` on a private copy of it.

    Use as ``template, engine = store_fixtures("watermark", COMPANY)`` at a test module's top level.
    """
    @pytest.fixture(scope="module")
    def template(tmp_path_factory):
        return write_template(tmp_path_factory.mktemp(name), config)

    @pytest.fixture
    def engine(template, tmp_path):
        return store.get_engine(copy_store(template, tmp_path))

    return template, engine
