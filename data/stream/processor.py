"""The stream processor: Redis Streams consumer group -> validated micro-batches -> the store.

Private to ``data.stream`` (which documents the behaviour and re-exports the public names).
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from data.ingest import SourcePriority, ValidationRules
from data.stream import apply as _stream_apply
from data.stream.broker import (
    DEFAULT_GROUP,
    DEFAULT_REDIS_URL,
    DEFAULT_STREAM,
    BatchNotCommitted,
    RedisStreamEntries,
    dead_letter_stream,
    default_consumer_name,
    one_line,
    redis_url_or_default,
)
from data.stream.events import DEFAULT_LIMITS, EventLimits, PoisonEvent, parse_event
from data.stream.metrics import StreamMetrics

__all__ = [
    "DEFAULT_STREAM",
    "DEFAULT_GROUP",
    "DEFAULT_REDIS_URL",
    "BatchNotCommitted",
    "dead_letter_stream",
    "default_consumer_name",
    "redis_url_or_default",
    "StreamMetrics",
    "StreamingDataProcessor",
]

log = logging.getLogger(__name__)


class StreamingDataProcessor(RedisStreamEntries):
    """Consume a Redis Stream through a consumer group and apply its events to the store.

    Parameters
    ----------
    redis_url, database_url : str or None
        Where to read and write; None means a local Redis and ``foresight.db`` in the instance folder
        (``python -m data stream`` passes ``$REDIS_URL`` and ``$FORESIGHT_DATABASE_URL`` from ``core.settings``).
    stream, group, consumer : str
        The stream, the consumer group (created with MKSTREAM when absent, reading from the
        stream's beginning) and this consumer's name (default: the host name, so a restart
        resumes its own pending entries first; see ``default_consumer_name``).
    batch_size : int
        Most entries applied in one transaction.
    block_ms : int
        How long one read waits for the first entry of a batch.
    linger_ms : int
        After the first entry, how long to keep reading to fill the batch (0: apply at once).
    claim_idle_ms : int
        Entries pending for longer than this at another consumer (which probably died) are
        claimed with XAUTOCLAIM and applied here.
    max_deliveries : int
        An entry delivered more often than this without a commit is dead-lettered, so one
        entry the store keeps failing on cannot stop the stream forever.
    today : datetime.date or None
        The validator's today for its dates-not-in-the-future check (None: the current date);
        a replay of the sample company's calendar may run ahead of the wall clock.
    source_priority : str or None
        Which source wins a conflict ``updated_at`` cannot decide, as in any ingest
        (comma-separated names; None: the default order).
    rules : ValidationRules or None
        The validation rules of every ingest (plausible dates: FORESIGHT_EARLIEST_DATE,
        FORESIGHT_FUTURE_DAYS), as for files; None: the defaults.
    event_limits : EventLimits or None
        What one event may be (payload size, keys, order lines, entry fields); None: the defaults.

    Attributes (set by ``start``): ``redis_``, ``engine_``, ``consumer_``, ``metrics_``.
    """

    def __init__(
        self,
        *,
        redis_url: str | None = None,
        database_url: str | None = None,
        stream: str = DEFAULT_STREAM,
        group: str = DEFAULT_GROUP,
        consumer: str | None = None,
        batch_size: int = 500,
        block_ms: int = 1000,
        linger_ms: int = 50,
        claim_idle_ms: int = 30_000,
        max_deliveries: int = 5,
        today: dt.date | None = None,
        source_priority: str | None = None,
        rules: ValidationRules | None = None,
        event_limits: EventLimits | None = None,
    ) -> None:
        self.redis_url = redis_url
        self.database_url = database_url
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.linger_ms = linger_ms
        self.claim_idle_ms = claim_idle_ms
        self.max_deliveries = max_deliveries
        self.today = today
        self.source_priority = source_priority
        self.rules = rules
        self.event_limits = event_limits

    # --- lifecycle --------------------------------------------------------------------------
    def _check_params(self) -> None:
        for name in ("batch_size", "block_ms", "max_deliveries"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}={getattr(self, name)}; it must be at least 1")
        for name in ("linger_ms", "claim_idle_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}={getattr(self, name)}; it must be 0 or more")
        if not self.stream or not self.group:
            raise ValueError("stream and group must be non-empty names")

    def start(self) -> StreamingDataProcessor:
        """Validate the settings, connect, migrate the store and create the group; returns self."""
        import redis

        from data import default_database_url, store

        self._check_params()
        self.redis_ = redis.Redis.from_url(redis_url_or_default(self.redis_url))
        self.engine_ = store.get_engine(self.database_url or default_database_url())
        store.upgrade(self.engine_)
        self.consumer_ = self.consumer or default_consumer_name()
        self.metrics_ = StreamMetrics()
        self._own_pending = True  # a restarted consumer first finishes what it had been given
        self._claim_due = True
        self._next_claim = 0.0
        try:
            self.redis_.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._log_start()
        return self

    def _check_started(self) -> None:
        if not hasattr(self, "metrics_"):
            raise RuntimeError("this StreamingDataProcessor is not started; call start() (or run()) first")

    def close(self) -> None:
        """Close the Redis connection (the store's engine is shared per URL and stays open)."""
        if hasattr(self, "redis_"):
            self.redis_.close()

    # --- applying ---------------------------------------------------------------------------
    def _too_often(self, message_id: str, deliveries: int, errors: dict) -> str:
        error = errors.get(message_id.encode())
        why = (f"the last attempt failed with {error.decode(errors='replace')}" if error
               else "the error is in the processor's log")
        return (f"delivered {deliveries} times without a successful commit (max_deliveries="
                f"{self.max_deliveries}); {why}")

    def _parse(self, fields: dict) -> object:
        """The event, or why the entry is dead-lettered (a parser failure is this entry's alone)."""
        try:
            return parse_event(fields, self.event_limits or DEFAULT_LIMITS)
        except PoisonEvent as poison:
            return poison.reason
        except Exception as error:  # noqa: BLE001 - whatever it is, it must not stop the other entries
            log.exception("an entry could not be parsed; it is dead-lettered")
            return f"the entry could not be parsed ({one_line(error)})"

    def _split(self, entries: list, redelivered: bool) -> tuple[list, list]:
        """Parsed events ``(message_id, fields, event)`` and dead letters ``(message_id, fields, reason)``."""
        counts = self._delivery_counts([message_id for message_id, _ in entries]) if redelivered else {}
        errors = self.redis_.hgetall(self._errors_key()) if any(n > self.max_deliveries for n in counts.values()) \
            else {}
        events, dead = [], []
        for message_id, fields in entries:
            deliveries = counts.get(message_id, 1)
            if deliveries > self.max_deliveries:
                dead.append((message_id, fields, self._too_often(message_id, deliveries, errors)))
            elif not fields:  # trimmed from the stream while pending: nothing left to apply
                dead.append((message_id, {}, "the entry was deleted from the stream before it was applied"))
            else:
                parsed = self._parse(fields)
                if isinstance(parsed, str):
                    dead.append((message_id, fields, parsed))
                else:
                    events.append((message_id, fields, parsed))
        return events, dead

    def _handle(self, entries: list, redelivered: bool) -> None:
        events, dead = self._split(entries, redelivered)
        try:
            outcome = _stream_apply.apply_events(
                self.engine_, [(message_id, event) for message_id, _, event in events], stream=self.stream,
                today=self.today, source_priority=SourcePriority.parse(self.source_priority), rules=self.rules,
            )
        except Exception as error:
            self.metrics_.failed_batches += 1
            self._own_pending = True  # a later step() retries these entries first
            log.exception("batch of %d entries not committed; they stay pending and are retried", len(entries))
            self._keep_error([message_id for message_id, _ in entries], error)
            raise BatchNotCommitted(f"a batch of {len(entries)} entries was not committed ({one_line(error)})") \
                from error
        fields_of = {event.event_id: (message_id, fields) for message_id, fields, event in events}
        dead += [(*fields_of[event.event_id], reason) for event, reason in outcome.rejected]
        self._dead_letter_and_ack(dead, [message_id for message_id, _ in entries])
        self._count(len(entries), outcome, len(dead))

    def _count(self, entries: int, outcome: _stream_apply.BatchOutcome, dead: int) -> None:
        metrics = self.metrics_
        metrics.processed += entries
        metrics.batches += 1
        metrics.applied += len(outcome.applied)
        metrics.duplicates += len(outcome.skipped)
        metrics.dead_lettered += dead
        metrics.quarantined_rows += outcome.quarantined_rows
        if outcome.dataset_version is not None:
            metrics.dataset_version = outcome.dataset_version
        metrics.latencies_ms.extend(outcome.latencies_ms)
        if dead:
            log.warning("%d entr%s dead-lettered to %s", dead, "y" if dead == 1 else "ies",
                        dead_letter_stream(self.stream))

    # --- running ----------------------------------------------------------------------------
    def step(self, limit: int | None = None) -> int:
        """Read, apply and acknowledge one micro-batch; returns how many entries it held (0: none came
        within ``block_ms``). Raises whatever the store raised, leaving the batch pending."""
        self._check_started()
        entries, redelivered = self._next_entries(min(limit or self.batch_size, self.batch_size))
        if entries:
            log.debug("consumer %s read %d entries (%s..%s%s)", self.consumer_, len(entries), entries[0][0],
                      entries[-1][0], ", redelivered" if redelivered else "")
            self._handle(entries, redelivered)
        return len(entries)

    def run(self, max_events: int | None = None, idle_exit_s: float | None = None) -> StreamMetrics:
        """Process micro-batches until ``max_events`` entries are done or nothing arrived for
        ``idle_exit_s`` seconds (both None: until interrupted); returns the metrics."""
        if not hasattr(self, "metrics_"):
            self.start()
        done, last_entry = 0, time.monotonic()
        while max_events is None or done < max_events:
            handled = self.step(None if max_events is None else max_events - done)
            done += handled
            now = time.monotonic()
            if handled:
                last_entry = now
            elif idle_exit_s is not None and now - last_entry >= idle_exit_s:
                break
        return self.metrics_
