"""Copying a live store for a test must not break the test process's own connections to it."""
from __future__ import annotations

import subprocess
import sys

from sqlalchemy import text

from data.store import get_engine
from tests.sample_stores import snapshot_store

_WRITE = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('INSERT INTO t VALUES (2)'); c.commit();"
          " c.close()")


def test_a_snapshot_of_an_open_store_keeps_its_wal_and_sees_what_another_process_writes_next(tmp_path):
    """Before: the browser fixtures copied the open sample store with shutil.copy. Closing the copied file dropped
    the test process's SQLite locks, so the next process to close the store (an ingest run) deleted its WAL and
    shared memory under the app's open connections: the app never saw the new dataset version (the push tests
    waited for LIVE in vain) and later tests got "disk I/O error"."""
    path = tmp_path / "live.db"
    engine = get_engine(f"sqlite:///{path}")  # WAL, as the app opens it
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
    with engine.connect() as connection:  # the pooled connection now holds its shared lock, as the app's do
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 1
    wal = path.with_name("live.db-wal")
    before = wal.stat().st_ino

    copy = get_engine(snapshot_store(path, tmp_path / "copy.db"))
    subprocess.run([sys.executable, "-c", _WRITE, str(path)], check=True)

    assert wal.exists() and wal.stat().st_ino == before, "another process deleted the WAL under open connections"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 2
    with copy.connect() as connection:
        assert connection.execute(text("SELECT x FROM t")).scalars().all() == [1]
    engine.dispose()
    copy.dispose()
