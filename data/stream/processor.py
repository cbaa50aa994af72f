"""The stream processor: Redis Streams consumer group -> validated micro-batches -> the store.

Private to ``data.stream`` (which documents the behaviour and re-exports the public names).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time


from data.ingest import SourcePriority
from data.stream import apply as _stream_apply
from data.stream.metrics import StreamMetrics
from data.stream.events import PoisonEvent, parse_event

__all__ = [
    "DEFAULT_STREAM",
    "DEFAULT_GROUP",
    "DEFAULT_REDIS_URL",
    "dead_letter_stream",
    "redis_url_or_default",
    "StreamMetrics",
    "StreamingDataProcessor",
]

log = logging.getLogger(__name__)

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_STREAM = "foresight:events"
DEFAULT_GROUP = "foresight-store"


def redis_url_or_default(redis_url: str | None) -> str:
    """``redis_url``, else a Redis on this machine's default port."""
    return (redis_url or "").strip() or DEFAULT_REDIS_URL


def dead_letter_stream(stream: str) -> str:
    """Where entries of ``stream`` that cannot be applied go: ``<stream>:dead``."""
    return f"{stream}:dead"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class StreamingDataProcessor:
    """Consume a Redis Stream through a consumer group and apply its events to the store.

    Parameters
    ----------
    redis_url, database_url : str or None
        Where to read and write; None means a local Redis and ``instance/foresight.db``
        (``python -m data stream`` passes ``$REDIS_URL`` and ``$FORESIGHT_DATABASE_URL`` from ``core.settings``).
    stream, group, consumer : str
        The stream, the consumer group (created with MKSTREAM when absent, reading from the
        stream's beginning) and this consumer's name (default ``<host>-<pid>``).
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
        import socket

        import redis

        from data import default_database_url, store

        self._check_params()
        self.redis_ = redis.Redis.from_url(redis_url_or_default(self.redis_url))
        self.engine_ = store.get_engine(self.database_url or default_database_url())
        store.upgrade(self.engine_)
        self.consumer_ = self.consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.metrics_ = StreamMetrics()
        self._own_pending = True  # a restarted consumer first finishes what it had been given
        self._claim_due = True
        self._next_claim = 0.0
        try:
            self.redis_.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        return self

    def _check_started(self) -> None:
        if not hasattr(self, "metrics_"):
            raise RuntimeError("this StreamingDataProcessor is not started; call start() (or run()) first")

    def close(self) -> None:
        """Close the Redis connection (the store's engine is shared per URL and stays open)."""
        if hasattr(self, "redis_"):
            self.redis_.close()

    # --- reading ----------------------------------------------------------------------------
    def _read(self, stream_id: str, count: int, block: int | None) -> list[tuple[str, dict]]:
        reply = self.redis_.xreadgroup(self.group, self.consumer_, {self.stream: stream_id}, count=count, block=block)
        return [(message_id.decode(), fields) for _, items in reply or [] for message_id, fields in items]

    def _claim(self, count: int) -> list[tuple[str, dict]]:
        """Entries another consumer was given but has not acknowledged for ``claim_idle_ms``."""
        self._next_claim = time.monotonic() + max(self.claim_idle_ms, 1000) / 1000
        _, items, _deleted = self.redis_.xautoclaim(
            self.stream, self.group, self.consumer_, self.claim_idle_ms, start_id="0-0", count=count
        )
        return [(message_id.decode(), fields) for message_id, fields in items]

    def _linger(self, entries: list, limit: int) -> list:
        """Keep reading new entries for up to ``linger_ms`` while the batch is not full."""
        deadline = time.monotonic() + self.linger_ms / 1000
        while len(entries) < limit:
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms < 1:  # BLOCK 0 would wait forever
                break
            more = self._read(">", limit - len(entries), remaining_ms)
            if not more:
                break
            entries += more
        return entries

    def _next_entries(self, limit: int) -> tuple[list[tuple[str, dict]], bool]:
        """The next micro-batch and whether it holds redeliveries: this consumer's own pending
        entries first (after a restart), then stale entries of other consumers, then new ones."""
        if self._own_pending:
            entries = self._read("0", limit, None)
            if entries:
                return entries, True
            self._own_pending = False
        if self._claim_due or time.monotonic() >= self._next_claim:
            self._claim_due = False
            entries = self._claim(limit)
            if entries:
                self._claim_due = len(entries) == limit
                return entries, True
        entries = self._read(">", limit, self.block_ms)
        if not entries:
            return [], False
        return self._linger(entries, limit), False

    # --- applying ---------------------------------------------------------------------------
    def _delivery_counts(self, message_ids: list[str]) -> dict[str, int]:
        pipe = self.redis_.pipeline(transaction=False)
        for message_id in message_ids:
            pipe.xpending_range(self.stream, self.group, min=message_id, max=message_id, count=1)
        return {
            row["message_id"].decode(): row["times_delivered"] for rows in pipe.execute() for row in rows
        }

    def _split(self, entries: list, redelivered: bool) -> tuple[list, list]:
        """Parsed events ``(message_id, fields, event)`` and dead letters ``(message_id, fields, reason)``."""
        counts = self._delivery_counts([message_id for message_id, _ in entries]) if redelivered else {}
        events, dead = [], []
        for message_id, fields in entries:
            deliveries = counts.get(message_id, 1)
            if deliveries > self.max_deliveries:
                reason = (f"delivered {deliveries} times without a successful commit (max_deliveries="
                          f"{self.max_deliveries}); see the processor's log for the store error")
                dead.append((message_id, fields, reason))
                continue
            if not fields:  # trimmed from the stream while pending: nothing left to apply
                dead.append((message_id, {}, "the entry was deleted from the stream before it was applied"))
                continue
            try:
                events.append((message_id, fields, parse_event(fields)))
            except PoisonEvent as poison:
                dead.append((message_id, fields, poison.reason))
        return events, dead

    def _dead_letter_and_ack(self, dead: list, message_ids: list[str]) -> None:
        """Dead letters and the acknowledgement of the whole batch in one MULTI/EXEC."""
        pipe = self.redis_.pipeline(transaction=True)
        failed_at = str(_now_ms())
        for message_id, fields, reason in dead:
            letter = {**fields, "dead_reason": reason, "dead_message_id": message_id, "dead_stream": self.stream,
                      "dead_group": self.group, "dead_consumer": self.consumer_, "dead_at": failed_at}
            pipe.xadd(dead_letter_stream(self.stream), letter)
        pipe.xack(self.stream, self.group, *message_ids)
        pipe.execute()

    def _handle(self, entries: list, redelivered: bool) -> None:
        events, dead = self._split(entries, redelivered)
        try:
            outcome = _stream_apply.apply_events(
                self.engine_, [(message_id, event) for message_id, _, event in events], stream=self.stream,
                today=self.today, source_priority=SourcePriority.parse(self.source_priority),
            )
        except Exception:
            self.metrics_.failed_batches += 1
            self._own_pending = True  # a later step() retries these entries first
            log.exception("batch of %d entries not committed; they stay pending and are retried", len(entries))
            raise
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
