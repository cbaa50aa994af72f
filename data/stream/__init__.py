"""The live event stream: apply events from a Redis Stream to the store, and replay the sample company.

``StreamingDataProcessor`` reads events (format in ``docs/streaming.md``) through a consumer
group, validates each micro-batch like any other batch (``data.ingest.ingest_frame``: coercion,
quarantine, conflict rules) and commits it together with the ids of its events. Only then are
the entries acknowledged: delivery is at least once, and an event whose id the store already
holds is skipped, so every event takes effect once. Entries that can never be applied go to the
dead-letter stream ``<stream>:dead`` with their reason, are acknowledged, and processing goes on.

``replay`` draws the sample company's following days (``data.sample.replay``) and publishes
them as events, paced or as fast as possible.

Command lines (dispatched by ``python -m data``)::

    python -m data stream [--redis-url URL] [--database-url URL] [--max-events N] [--idle-exit-s S] ...
    python -m data replay [--days N] [--rate EVENTS_PER_S | --as-fast-as-possible] [--seed S] ...
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from data.stream.apply import BatchOutcome, apply_events
from data.stream.events import EVENT_TYPES, encode_event, events_from_frames, parse_event
from data.stream.processor import (
    DEFAULT_GROUP,
    DEFAULT_STREAM,
    StreamingDataProcessor,
    StreamMetrics,
    dead_letter_stream,
    redis_url_or_default,
)

__all__ = [
    "DEFAULT_STREAM",
    "DEFAULT_GROUP",
    "EVENT_TYPES",
    "events_from_frames",
    "encode_event",
    "parse_event",
    "BatchOutcome",
    "apply_events",
    "ReplaySummary",
    "StreamMetrics",
    "StreamingDataProcessor",
    "dead_letter_stream",
    "publish_events",
    "replay",
    "main_stream",
    "main_replay",
]

log = logging.getLogger(__name__)

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


# --- command lines ----------------------------------------------------------------------------
def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def _connection_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--redis-url", default=None,
                        help="Redis URL (default: $REDIS_URL, else redis://127.0.0.1:6379/0)")
    parser.add_argument("--database-url", default=None,
                        help="SQLAlchemy URL of the store (default: $FORESIGHT_DATABASE_URL or instance/foresight.db)")
    parser.add_argument("--stream", default=DEFAULT_STREAM, help="stream name (default %(default)s)")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON line")


def _stream_parser() -> argparse.ArgumentParser:
    defaults = StreamingDataProcessor()
    parser = argparse.ArgumentParser(prog="python -m data stream",
                                     description="Apply events from a Redis Stream to the store.")
    _connection_args(parser)
    parser.add_argument("--group", default=defaults.group, help="consumer group (default %(default)s)")
    parser.add_argument("--consumer", default=None, help="consumer name (default: <host>-<pid>)")
    for name, help_text in (("batch_size", "most events per transaction"),
                            ("block_ms", "wait for the first event of a batch, ms"),
                            ("linger_ms", "keep filling a batch this long, ms"),
                            ("claim_idle_ms", "claim other consumers' entries pending this long, ms"),
                            ("max_deliveries", "dead-letter an entry delivered this often without a commit")):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name),
                            help=f"{help_text} (default %(default)s)")
    parser.add_argument("--max-events", type=_positive_int, default=None, help="stop after N entries")
    parser.add_argument("--idle-exit-s", type=float, default=None,
                        help="stop when nothing arrived for S seconds (default: run until interrupted)")
    parser.add_argument("--today", type=_date, default=None,
                        help="the validator's today for future-date checks (default: the current date)")
    return parser


def _print_summary(summary: dict[str, Any], as_json: bool, text: str) -> None:
    sys.stdout.write((json.dumps(summary) if as_json else text) + "\n")


def main_stream(argv: list[str], *, database_url: str | None = None, redis_url: str | None = None,
                source_priority: str | None = None) -> int:
    """``python -m data stream``: 0 when it stopped by itself (or Ctrl-C), 1 when Redis or the store failed.

    ``database_url``, ``redis_url`` and ``source_priority`` are the configured defaults (``core.settings``);
    ``--database-url`` and ``--redis-url`` override them.
    """
    import redis
    from sqlalchemy.exc import SQLAlchemyError

    parser = _stream_parser()
    args = parser.parse_args(argv)
    processor = StreamingDataProcessor(
        redis_url=args.redis_url or redis_url, database_url=args.database_url or database_url, stream=args.stream,
        group=args.group, source_priority=source_priority,
        consumer=args.consumer, batch_size=args.batch_size, block_ms=args.block_ms, linger_ms=args.linger_ms,
        claim_idle_ms=args.claim_idle_ms, max_deliveries=args.max_deliveries, today=args.today,
    )
    try:
        processor.start()
        metrics = processor.run(max_events=args.max_events, idle_exit_s=args.idle_exit_s)
    except ValueError as error:
        parser.error(str(error))
    except KeyboardInterrupt:
        metrics = processor.metrics_
    except (redis.RedisError, SQLAlchemyError, OSError) as error:
        sys.stderr.write(f"stream stopped: {type(error).__name__}: {' '.join(str(error).split())[:300]}; "
                         "unacknowledged entries stay pending and are retried on the next start\n")
        return 1
    finally:
        processor.close()
    summary = metrics.summary()
    p50, p95 = summary["latency_p50_ms"], summary["latency_p95_ms"]
    latency = "" if p50 is None else f"; latency p50 {p50:.0f} ms, p95 {p95:.0f} ms"
    _print_summary(summary, args.json, f"processed {metrics.processed} entries in {metrics.batches} batches: "
                   f"{metrics.applied} applied, {metrics.duplicates} already applied, "
                   f"{metrics.dead_lettered} dead-lettered{latency}")
    return 0


def _replay_parser() -> argparse.ArgumentParser:
    from data.sample import SampleConfig

    parser = argparse.ArgumentParser(prog="python -m data replay",
                                     description="Publish the sample company's following days as events.")
    _connection_args(parser)
    parser.add_argument("--days", type=_positive_int, default=1, help="days to replay (default %(default)s)")
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument("--rate", type=_positive_float, default=50.0, help="events per second (default %(default)s)")
    pace.add_argument("--as-fast-as-possible", action="store_true", help="publish without pacing")
    parser.add_argument("--start", type=_date, default=None,
                        help="first day to replay (default: the day after the store's last order)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default %(default)s)")
    parser.add_argument("--customers", type=_positive_int, default=SampleConfig().customers,
                        help="size of the sample company written first when the store is empty (default %(default)s)")
    return parser


def _ensure_sample(engine, customers: int, seed: int) -> None:
    """An empty store gets the sample company first, so a replay always has a past to continue."""
    from data import store
    from data.sample import SampleConfig, generate_sample, write_sample

    store.upgrade(engine)
    if store.current_version(engine) is None:
        log.info("the store is empty: writing the sample company (%d customers, seed %d) first", customers, seed)
        write_sample(engine, generate_sample(SampleConfig(customers=customers, seed=seed)))


def main_replay(argv: list[str], *, database_url: str | None = None, redis_url: str | None = None) -> int:
    """``python -m data replay``: 0 when published, 2 when there is nothing to replay, 1 when Redis failed.

    ``database_url`` and ``redis_url`` are the configured defaults; the options override them.
    """
    import redis

    from data import default_database_url, store

    parser = _replay_parser()
    args = parser.parse_args(argv)
    engine = store.get_engine(args.database_url or database_url or default_database_url())
    client = redis.Redis.from_url(redis_url_or_default(args.redis_url or redis_url))
    try:
        _ensure_sample(engine, args.customers, args.seed)
        summary = replay(engine, client, days=args.days, seed=args.seed, first=args.start,
                         rate=None if args.as_fast_as_possible else args.rate, stream=args.stream)
    except ValueError as error:
        sys.stderr.write(f"replay: {error}\n")
        return 2
    except (redis.RedisError, OSError) as error:
        sys.stderr.write(f"replay: cannot publish to Redis: {' '.join(str(error).split())[:300]}\n")
        return 1
    finally:
        client.close()
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(summary.by_type.items()))
    _print_summary(asdict(summary), args.json, f"published {summary.events} events ({kinds}) for "
                   f"{summary.first_day}..{summary.last_day} to {summary.stream} in {summary.seconds:.1f} s")
    return 0
