"""SQLite takes no global lock per allocation once the store layer is loaded, so forked background jobs cannot
inherit one held by another thread (they hung for ever in sqlite3Malloc)."""
from __future__ import annotations

import subprocess
import sys

from data import repo_root

_PROBE = """
import ctypes, ctypes.util, sqlite3
import data.store  # noqa: F401 - what the app and every entry point import first
lib = ctypes.CDLL(ctypes.util.find_library("sqlite3"))
lib.sqlite3_memory_used.restype = ctypes.c_int64
connection = sqlite3.connect(":memory:")
connection.execute("CREATE TABLE t (x TEXT)")
connection.executemany("INSERT INTO t VALUES (?)", [("x" * 100,)] * 1000)
print(lib.sqlite3_memory_used())
"""


def test_the_store_layer_switches_sqlites_memory_statistics_and_their_lock_off():
    """Before: 29 kB counted under the global mutex for one small connection; the count stays 0 when it is off."""
    done = subprocess.run([sys.executable, "-c", _PROBE], cwd=repo_root(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) == 0
