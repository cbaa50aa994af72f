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
from dataclasses import asdict
from typing import Any

from data.ingest import ValidationRules
from data.stream.apply import BatchOutcome, apply_events
from data.stream.events import EVENT_TYPES, EventLimits, encode_event, parse_event
from data.stream.frames import events_from_frames
from data.stream.publish import ReplaySummary, publish_events, replay
from data.stream.processor import (
    BatchNotCommitted,
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
    "EventLimits",
    "events_from_frames",
    "encode_event",
    "parse_event",
    "BatchNotCommitted",
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
                        help="SQLAlchemy URL of the store (default: $FORESIGHT_DATABASE_URL, else $FORESIGHT_INSTANCE_DIR/foresight.db)")
    parser.add_argument("--stream", default=DEFAULT_STREAM, help="stream name (default %(default)s)")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON line")


def _stream_parser() -> argparse.ArgumentParser:
    defaults = StreamingDataProcessor()
    parser = argparse.ArgumentParser(prog="python -m data stream",
                                     description="Apply events from a Redis Stream to the store.")
    _connection_args(parser)
    parser.add_argument("--group", default=defaults.group, help="consumer group (default %(default)s)")
    parser.add_argument("--consumer", default=None,
                        help="consumer name, stable across restarts (default: the host name; give each "
                             "processor on one machine its own)")
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
    limits = EventLimits()
    for name, help_text in (("max_payload_bytes", "dead-letter a payload over this many bytes"),
                            ("max_keys", "dead-letter a payload or order line with more keys"),
                            ("max_lines", "dead-letter an order with more lines"),
                            ("max_fields", "dead-letter an entry with more fields")):
        parser.add_argument(f"--{name.replace('_', '-')}", type=_positive_int, default=getattr(limits, name),
                            help=f"{help_text} (default %(default)s)")
    parser.add_argument("--verbose", action="store_true", help="log every micro-batch read")
    return parser


def _print_summary(summary: dict[str, Any], as_json: bool, text: str) -> None:
    sys.stdout.write((json.dumps(summary) if as_json else text) + "\n")


def _processor_from(args: argparse.Namespace, *, database_url: str | None, redis_url: str | None,
                    source_priority: str | None, rules: ValidationRules | None) -> StreamingDataProcessor:
    return StreamingDataProcessor(
        redis_url=args.redis_url or redis_url, database_url=args.database_url or database_url, stream=args.stream,
        group=args.group, source_priority=source_priority, rules=rules,
        consumer=args.consumer, batch_size=args.batch_size, block_ms=args.block_ms, linger_ms=args.linger_ms,
        claim_idle_ms=args.claim_idle_ms, max_deliveries=args.max_deliveries, today=args.today,
        event_limits=EventLimits(max_payload_bytes=args.max_payload_bytes, max_keys=args.max_keys,
                                 max_lines=args.max_lines, max_fields=args.max_fields),
    )


def main_stream(argv: list[str], *, database_url: str | None = None, redis_url: str | None = None,
                source_priority: str | None = None, rules: ValidationRules | None = None) -> int:
    """``python -m data stream``: 0 when it stopped by itself (or Ctrl-C), 1 when Redis or the store failed.

    ``database_url``, ``redis_url``, ``source_priority`` and ``rules`` are the configured defaults (``core.settings``);
    ``--database-url`` and ``--redis-url`` override them.
    """
    import redis
    from sqlalchemy.exc import SQLAlchemyError

    parser = _stream_parser()
    args = parser.parse_args(argv)
    processor = _processor_from(args, database_url=database_url, redis_url=redis_url,
                                source_priority=source_priority, rules=rules)
    if args.verbose:
        logging.getLogger("data.stream").setLevel(logging.DEBUG)
    try:
        processor.start()
        metrics = processor.run(max_events=args.max_events, idle_exit_s=args.idle_exit_s)
    except ValueError as error:
        parser.error(str(error))
    except KeyboardInterrupt:
        metrics = processor.metrics_
    except (BatchNotCommitted, redis.RedisError, SQLAlchemyError, OSError) as error:
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
    try:
        engine = store.get_engine(args.database_url or database_url or default_database_url())
        client = redis.Redis.from_url(redis_url_or_default(args.redis_url or redis_url))
    except ValueError as error:  # a database or Redis URL that cannot be used
        sys.stderr.write(f"replay: {error}\n")
        return 2
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
