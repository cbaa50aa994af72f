"""Publishing events to a stream: paced or as fast as possible, and the sample company's replay.

Private to ``data.stream`` (which re-exports the public names).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from data.stream.broker import DEFAULT_STREAM
from data.stream.events import encode_event

__all__ = ["ReplaySummary", "publish_events", "replay"]

_FAST_CHUNK = 500  # events per pipelined round trip when publishing as fast as possible
_PACED_TICKS_PER_S = 20


def publish_events(client, events: Sequence[tuple[str, str, dict[str, Any]]], *, stream: str = DEFAULT_STREAM,
                   rate: float | None = None) -> int:
    """XADD ``(event_id, type, payload)`` events, stamping ``produced_at`` as each chunk is sent.

    ``rate`` is events per second (None: as fast as possible, in pipelined chunks). Pacing
    sends small chunks on a fixed schedule, so a slow round trip does not lower the rate.
    """
    if rate is not None and rate <= 0:
        raise ValueError(f"rate={rate}; give a positive number of events per second")
    chunk = _FAST_CHUNK if rate is None else max(1, int(rate / _PACED_TICKS_PER_S))
    started = time.monotonic()
    for start in range(0, len(events), chunk):
        if rate is not None:
            delay = started + start / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        produced_at = time.time_ns() // 1_000_000
        pipe = client.pipeline(transaction=False)
        for event_id, event_type, payload in events[start : start + chunk]:
            pipe.xadd(stream, encode_event(event_id, event_type, payload, produced_at))
        pipe.execute()
    return len(events)


@dataclass(frozen=True)
class ReplaySummary:
    """What one replay published."""

    first_day: str
    last_day: str
    events: int
    by_type: dict[str, int]
    stream: str
    seconds: float


def replay(engine, client, *, days: int = 1, seed: int = 42, first: dt.date | None = None,
           rate: float | None = None, stream: str = DEFAULT_STREAM) -> ReplaySummary:
    """Draw ``days`` days after the store's last order date and publish them as events.

    Raises ValueError when the store holds nothing to continue from or ``days`` < 1.
    """
    from data.sample import following_days, replay_events

    started = time.perf_counter()
    drawn = following_days(engine, days=days, seed=seed, first=first)
    events = replay_events(drawn, seed)
    publish_events(client, events, stream=stream, rate=rate)
    return ReplaySummary(
        first_day=drawn.first.isoformat(),
        last_day=drawn.last.isoformat(),
        events=len(events),
        by_type=dict(Counter(event_type for _, event_type, _ in events)),
        stream=stream,
        seconds=round(time.perf_counter() - started, 3),
    )
