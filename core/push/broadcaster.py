"""One broadcaster per process: reads every source once per tick and fans the changes out to every open stream.

Streams never query the store: they wait on the broadcaster's condition and take what changed since the last
sequence number they saw. The reading thread starts with the first stream in this process (after gunicorn forks)
and idles, without reading anything, while no stream is open.
"""
from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext

from core.auth import Permission
from core.push.events import Event, Source

__all__ = ["Broadcaster"]

log = logging.getLogger(__name__)
Allowed = Callable[[Permission], bool]

# Background callbacks without Redis run in processes forked from this one. A fork while the reading thread is inside
# a store query copies the database library's locks held, and the child hangs on its first query for ever (seen as a
# job that never finished and a test process that never exited). Reads hold this lock; a fork waits for it.
# Each forking thread releases its own acquisition (a list shared by every thread paired one thread's release with
# another's timeout and could leave the guard held for ever, stopping every read).
_FORK_GUARD = threading.Lock()
_FORKING = threading.local()
_GUARD_WAIT_S = 5.0  # a read waits this long for a fork in flight, then reads anyway (push must not stop)


def _before_fork() -> None:
    _FORKING.held = _FORK_GUARD.acquire(timeout=30)


def _after_fork_in_parent() -> None:
    if getattr(_FORKING, "held", False):
        _FORKING.held = False
        _FORK_GUARD.release()


def _after_fork_in_child() -> None:
    global _FORK_GUARD
    _FORKING.held = False
    _FORK_GUARD = threading.Lock()


os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                    after_in_child=_after_fork_in_child)


class Broadcaster:
    """Fan-out of server state changes to the streams of this process, with a cap on open streams."""

    def __init__(self, sources: Iterable[Source], *, tick_seconds: float = 1.0, max_streams: int = 64,
                 backlog: int = 512, context: Callable[[], AbstractContextManager] = nullcontext):
        self.sources = list(sources)
        self._context = context  # entered around each tick (the Flask app context: the job registry's cache)
        self.tick_seconds = tick_seconds
        self.max_streams = max_streams
        self._changed = threading.Condition()
        self._state: dict[tuple[str, str], tuple[Event, Permission]] = {}
        self._log: deque[tuple[int, Event, Permission]] = deque(maxlen=backlog)
        self._seq = 0
        self.ticks = 0
        self.streams = 0
        self.closed = False  # set by close(): open streams end now, new ones are refused
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._thread_pid: int | None = None
        self._failing: dict[str, str] = {}

    # --- streams -------------------------------------------------------------------------------------------------
    def join(self) -> bool:
        """Take a stream slot (False when ``max_streams`` are open); starts the reading thread if needed."""
        with self._changed:
            if self.closed or self.streams >= self.max_streams:
                return False
            self.streams += 1
            if self._thread is None or self._thread_pid != os.getpid() or not self._thread.is_alive():
                self._thread_pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="push-broadcaster", daemon=True)
                self._thread.start()
            self._changed.notify_all()
            return True

    def leave(self) -> None:
        """Give a stream slot back."""
        with self._changed:
            self.streams = max(0, self.streams - 1)

    def snapshot(self, allowed: Allowed, timeout: float = 10.0) -> tuple[int, list[Event]]:
        """The current state (after the first tick) as events, and the sequence number it stands for."""
        with self._changed:
            self._changed.wait_for(lambda: self.ticks > 0, timeout)
            return self._seq, [event for event, permission in self._state.values() if allowed(permission)]

    def wait(self, seq: int, allowed: Allowed, timeout: float) -> tuple[int, list[Event]]:
        """What changed after ``seq`` (waiting up to ``timeout`` seconds for something); a stream that fell
        further behind than the backlog gets the whole current state instead."""
        with self._changed:
            self._changed.wait_for(lambda: self._seq > seq or self.closed, timeout)
            if self._seq == seq:
                return seq, []
            if not self._log or self._log[0][0] > seq + 1:
                return self._seq, [event for event, permission in self._state.values() if allowed(permission)]
            return self._seq, [event for number, event, permission in self._log
                               if number > seq and allowed(permission)]

    # --- producing -----------------------------------------------------------------------------------------------
    def publish(self, name: str, data: Mapping, permission: Permission = Permission.VIEW) -> None:
        """Send an event produced by a request (not read from state) to every open stream of this process."""
        with self._changed:
            self._append(Event(name, dict(data)), permission)

    def tick(self) -> None:
        """Read every source once and announce what changed."""
        readings = [(source, self._read(source)) for source in self.sources]
        finals = []
        with self._changed:
            for source, current in readings:
                if current is None:
                    continue
                finals += self._apply(source, current)
        for source, key in finals:  # a vanished item's last state, read outside the lock
            data = source.final(key)
            if data is not None:
                self.publish(source.event, data, source.permission)
        with self._changed:
            self.ticks += 1
            self._changed.notify_all()

    def _apply(self, source: Source, current: Mapping[str, Mapping]) -> list[tuple[Source, str]]:
        """Record a source's new state (caller holds the lock); returns the vanished keys that want a final event."""
        for key, data in current.items():
            known = self._state.get((source.event, key))
            if known is None or known[0].data != data:
                event = Event(source.event, dict(data))
                self._state[(source.event, key)] = (event, source.permission)
                self._append(event, source.permission)
        gone = [key for event_name, key in self._state if event_name == source.event and key not in current]
        for key in gone:
            del self._state[(source.event, key)]
        return [(source, key) for key in gone] if source.final else []

    def _append(self, event: Event, permission: Permission) -> None:
        self._seq += 1
        self._log.append((self._seq, event, permission))
        self._changed.notify_all()

    def _read(self, source: Source) -> Mapping[str, Mapping] | None:
        """One source's state, or None (logged once per distinct failure) when it cannot be read this tick."""
        guard = _FORK_GUARD
        guarded = guard.acquire(timeout=_GUARD_WAIT_S)
        if not guarded:
            log.warning("push: a fork has held the store-read guard for %.0f s; reading without it", _GUARD_WAIT_S)
        try:
            current = source.read()
        except Exception as exc:  # noqa: BLE001 - one failing source must not stop the others or the thread
            if self._failing.get(source.event) != str(exc):
                log.warning("push: cannot read %s: %s", source.event, exc)
            self._failing[source.event] = str(exc)
            return None
        finally:
            if guarded:
                guard.release()
        self._failing.pop(source.event, None)
        return current

    def _run(self) -> None:
        """Read until stopped. dash.testing stops a test server by raising SystemExit in every thread started since
        the server began, this one included; the broadcaster belongs to the app, which the next test server serves
        again, so it carries on (returning here left a stream opened meanwhile without ticks for its whole life)."""
        while not self._stop.is_set():
            try:
                self._loop()
            except SystemExit:
                continue

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._changed:
                self._changed.wait_for(lambda: self.streams > 0 or self._stop.is_set())
            if self._stop.is_set():
                return
            with self._context():
                self.tick()
            self._stop.wait(self.tick_seconds)

    def wait_ticks(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` more ticks have run (tests and benchmarks); False on timeout."""
        with self._changed:
            target = self.ticks + count
            return self._changed.wait_for(lambda: self.ticks >= target, timeout)

    def close(self) -> None:
        """End every open stream now (a worker that stops: gunicorn.conf.py) and stop reading."""
        with self._changed:
            self.closed = True
        self.stop()

    def stop(self) -> None:
        """Stop the reading thread (tests; a process that ends simply drops the daemon thread)."""
        self._stop.set()
        with self._changed:
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
