"""``GET /api/v1/events``: a server-sent-events stream of the broadcaster's events, bounded in life and number.

Each stream holds one gunicorn thread (gthread workers, see gunicorn.conf.py) for at most ``stream_seconds``, then
ends with a ``stream-end`` event; the client reconnects (``retry:`` for any EventSource, assets/push.js does its
own back-off). Past ``max_streams`` open streams in a process the answer is 503 with ``Retry-After``.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Flask, Response

from core.auth import Permission, current_principal
from core.problems import problem
from core.push.broadcaster import Allowed, Broadcaster
from core.push.events import HEARTBEAT, STREAM_END, Event, default_sources
from core.settings import Settings
from data.store import get_engine

__all__ = ["EVENTS_PATH", "BROADCASTER_KEY", "PushLimits", "init_push", "broadcaster_of"]

EVENTS_PATH = "/api/v1/events"
BROADCASTER_KEY = "foresight_push"


@dataclass(frozen=True)
class PushLimits:
    """How long a stream lives, how many a process serves, and how often state is read."""

    max_streams: int = 64  # per process; gunicorn.conf.py gives each worker more threads than this
    stream_seconds: float = 45.0  # then the stream ends and the client reconnects: no thread is held forever
    heartbeat_seconds: float = 15.0  # an event at least this often, so dead connections are noticed
    retry_ms: int = 2000  # the `retry:` field: how long an EventSource waits before reconnecting
    tick_seconds: float = 1.0  # the broadcaster reads the store this often (once per process, not per stream)


def init_push(server: Flask, settings: Settings, limits: PushLimits = PushLimits()) -> Broadcaster:
    """Register ``GET /api/v1/events`` and this process's broadcaster (``server.extensions["foresight_push"]``)."""
    broadcaster = Broadcaster(default_sources(get_engine(settings.database_url)),
                              tick_seconds=limits.tick_seconds, max_streams=limits.max_streams,
                              context=server.app_context)
    server.extensions[BROADCASTER_KEY] = broadcaster

    def push_events() -> Response:  # a named view: Flask-Limiter keys its limits by the view's name
        return _events(broadcaster, limits)

    server.add_url_rule(EVENTS_PATH, "push_events", push_events, methods=["GET"])
    return broadcaster


def broadcaster_of(server: Flask) -> Broadcaster:
    """The broadcaster ``init_push`` installed (to :meth:`Broadcaster.publish` from a request)."""
    return server.extensions[BROADCASTER_KEY]


def _allowed() -> Allowed:
    """What the caller may receive (the guard, core/auth/guard.py, has already refused anonymous requests)."""
    principal = current_principal()
    return lambda permission: principal is not None and principal.can(permission)


def _events(broadcaster: Broadcaster, limits: PushLimits) -> Response:
    """The event stream, or 503 + Retry-After when this process already serves ``max_streams`` streams."""
    allowed = _allowed()
    if not allowed(Permission.VIEW):
        return problem(403, "this account may not receive live updates (it lacks the view permission)")
    if not broadcaster.join():
        wait = int(limits.stream_seconds)
        why = ("is stopping" if broadcaster.closed
               else f"already serves {broadcaster.max_streams} live-update streams")
        return problem(503, f"this server process {why}; reconnect after {wait} s (a stream ends within {wait} s) "
                            "— the page keeps working with slow polling meanwhile", slug="too-many-streams",
                       headers={"Retry-After": str(wait)})
    response = Response(_stream(broadcaster, limits, allowed), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"})
    response.call_on_close(broadcaster.leave)
    return response


def _stream(broadcaster: Broadcaster, limits: PushLimits, allowed: Allowed) -> Iterator[bytes]:
    """``retry:``, the current state, then every change and heartbeats until the stream's life is over."""
    try:
        yield from _events_until_end(broadcaster, limits, allowed)
    except SystemExit:  # a test server stopping its request threads (dash.testing raises SystemExit in each one)
        return


def _events_until_end(broadcaster: Broadcaster, limits: PushLimits, allowed: Allowed) -> Iterator[bytes]:
    yield f"retry: {limits.retry_ms}\n\n".encode()
    seq, events = broadcaster.snapshot(allowed)
    for event in events:
        yield event.encode()
    deadline = time.monotonic() + limits.stream_seconds
    last_sent = time.monotonic()
    while (remaining := deadline - time.monotonic()) > 0 and not broadcaster.closed:
        seq, events = broadcaster.wait(seq, allowed, min(remaining, limits.heartbeat_seconds))
        now = time.monotonic()
        for event in events:
            yield event.encode()
        if events:
            last_sent = now
        elif now - last_sent >= limits.heartbeat_seconds:
            yield Event(HEARTBEAT, {"at": int(time.time() * 1000)}).encode()
            last_sent = now
    yield Event(STREAM_END, {"reconnect_ms": limits.retry_ms}).encode()
