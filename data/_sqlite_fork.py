"""SQLite in processes that fork: no global mutex around every allocation.

Background jobs without Redis run in processes forked from a web worker that has many threads (gthread workers,
the push broadcaster, the test server). A fork while another thread is inside SQLite copies SQLite's global
memory-statistics mutex held, and the child hangs for ever on its first allocation: jobs never finished, pages
waited for them, and a test process waited at exit (gdb on such a child: a futex wait in ``sqlite3Malloc``, from
``sqlite3.connect``). SQLite takes that mutex only to count memory (``SQLITE_CONFIG_MEMSTATUS``); with the count
off, allocations take no lock. It can only be switched off before SQLite has allocated anything, so it is done
once, when the store layer is imported, and never while a connection may be open.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging

__all__ = ["disable_memory_statistics"]

log = logging.getLogger(__name__)
_SQLITE_CONFIG_MEMSTATUS = 9
_DONE: list[bool] = []


def disable_memory_statistics() -> bool:
    """Switch SQLite's memory statistics off in this process (once); True when they are off."""
    if _DONE:
        return _DONE[0]
    _DONE.append(False)
    name = ctypes.util.find_library("sqlite3")
    try:
        library = ctypes.CDLL(name) if name else None
    except OSError:
        library = None
    if library is None:
        return False
    library.sqlite3_memory_used.restype = ctypes.c_int64
    if library.sqlite3_memory_used() != 0:  # something is open: reconfiguring SQLite now would be unsafe
        log.info("SQLite was in use before the store layer loaded; its memory statistics stay on")
        return False
    if library.sqlite3_shutdown() != 0:
        return False
    _DONE[0] = library.sqlite3_config(_SQLITE_CONFIG_MEMSTATUS, ctypes.c_int(0)) == 0
    library.sqlite3_initialize()
    return _DONE[0]
