"""A stream processor killed with SIGKILL mid-batch and started again, as real processes against a real
Redis: the restarted process resumes its own pending entries before newer ones, so an order and a
cancellation of new customers are applied after the customers' signups.

Synchronised on what the processes show, never on time: the first process's log line for the batch
it read (``--verbose``), then the pending entries list (XPENDING); the store's write lock, held by the
test, keeps that batch from committing before the kill.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys

from data.stream import DEFAULT_GROUP, DEFAULT_STREAM
from tests.data.stream import helpers as h
from tests.services import ROOT

_READING = f"of group {DEFAULT_GROUP} reads {DEFAULT_STREAM}"
_BATCH_READ = "read 2 entries"


def _processor_command(redis_url: str, store_url: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "data", "stream", "--redis-url", redis_url, "--database-url", store_url,
            "--block-ms", "20", "--linger-ms", "0", "--today", h.TODAY.isoformat(), "--verbose", *extra]


def _wait_for_line(process: subprocess.Popen, marker: str) -> list[str]:
    """Read the process's log until a line holds ``marker``; fails with the log when it exits first."""
    seen = []
    for line in process.stderr:
        seen.append(line)
        if marker in line:
            return seen
    raise AssertionError(f"the processor exited with {process.wait()} before logging {marker!r}:\n{''.join(seen)}")


def _kill_mid_batch(redis_url: str, store_url: str, client, *events: dict) -> str:
    """Start a processor with the default consumer name; once it reads, take the store's write lock and
    publish ``events``; when it has read them (its batch cannot commit), SIGKILL it. Returns the
    consumer that holds the entries."""
    process = subprocess.Popen(_processor_command(redis_url, store_url), cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    lock = sqlite3.connect(store_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        _wait_for_line(process, _READING)
        lock.execute("BEGIN IMMEDIATE")
        with client.pipeline(transaction=True) as both:  # one MULTI: the processor reads them as one batch
            for fields in events:
                both.xadd(DEFAULT_STREAM, fields)
            both.execute()
        _wait_for_line(process, _BATCH_READ)
        [holder] = client.xpending(DEFAULT_STREAM, DEFAULT_GROUP)["consumers"]
        assert holder["pending"] == 2, holder
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()
        lock.rollback()
        lock.close()
    assert process.returncode == -signal.SIGKILL
    return holder["name"].decode()


def test_a_processor_killed_mid_batch_resumes_its_own_pending_entries_first(client, store_url, clean_redis):
    """Before: the restarted process had another name (``<host>-<pid>``), read the newer order and
    cancellation first and dead-lettered both; the signups waited 30 s for XAUTOCLAIM."""
    ids = h.next_ids(store_url)
    ada, bea = ids["customer"], ids["customer"] + 1
    signups = (h.event("signup-ada", "signup", h.signup(ada)),
               h.event("signup-bea", "signup", h.signup(bea, email=f"bea{bea}@example.com")))

    holder = _kill_mid_batch(clean_redis, store_url, client, *signups)
    assert holder == socket.gethostname(), "the default consumer name is stable: the host name, no pid"
    h.publish(client, h.event("order-ada", "order", h.order(ids["order"], ada, ids["product"])),
              h.event("cancel-bea", "cancellation", {"customer_id": bea, "cancel_date": "2026-11-02"}))

    restarted = subprocess.run(_processor_command(clean_redis, store_url, "--idle-exit-s", "0", "--json"),
                               cwd=ROOT, capture_output=True, text=True, env=dict(os.environ), timeout=120)

    assert restarted.returncode == 0, restarted.stderr
    assert f"consumer {holder} resumes its 2 pending entries" in restarted.stderr
    assert client.xlen(h.DEAD) == 0, client.xrange(h.DEAD)
    assert h.pending(client) == 0
    assert h.scalar(store_url, "SELECT count(*) FROM stream_events WHERE status = 'applied'") == 4
    assert h.scalar(store_url, "SELECT count(*) FROM orders WHERE order_id = :id AND customer_id = :c",
                    id=ids["order"], c=ada) == 1
    assert h.scalar(store_url, "SELECT cancel_date FROM customers WHERE customer_id = :id", id=bea) == "2026-11-02"
