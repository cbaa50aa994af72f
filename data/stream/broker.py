"""The Redis Streams side of the stream processor: reading micro-batches through a consumer group,
delivery counters, dead letters and acknowledgements, and the last error of entries not committed.

Private to ``data.stream``; ``StreamingDataProcessor`` inherits it, so everything broker-specific
sits in these methods (``docs/streaming.md`` maps them to Kafka).
"""

from __future__ import annotations

import logging
import socket
import time

from data.stream.events import REASON_LIMIT

__all__ = ["DEFAULT_STREAM", "DEFAULT_GROUP", "DEFAULT_REDIS_URL", "BatchNotCommitted", "RedisStreamEntries",
           "dead_letter_stream", "default_consumer_name", "one_line", "redis_url_or_default"]

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


def default_consumer_name() -> str:
    """This machine's host name: stable across restarts, so a restarted processor finds its own
    pending entries (give each processor on one machine its own ``consumer`` name)."""
    return socket.gethostname() or "foresight-stream"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def one_line(error: BaseException, limit: int = 300) -> str:
    """An error as one short line: its type and its message."""
    return f"{type(error).__name__}: {' '.join(str(error).split())}"[:limit]


class BatchNotCommitted(RuntimeError):
    """A micro-batch the store did not take as a whole (the original error is the cause); its entries
    stay pending, and the error is kept as their last one."""


class RedisStreamEntries:
    """Mixin: the Redis Streams calls of ``StreamingDataProcessor`` (``redis_``, ``stream``, ``group``,
    ``consumer_``, ``claim_idle_ms``, ``linger_ms``, ``block_ms`` come from the processor)."""

    def _log_start(self) -> None:
        """Say who reads what, and how many entries this consumer left pending (it applies them first)."""
        summary = self.redis_.xpending(self.stream, self.group)
        mine = {consumer["name"].decode(): consumer["pending"] for consumer in summary.get("consumers") or []}
        if mine.get(self.consumer_):
            log.info("consumer %s resumes its %d pending entries of %s first", self.consumer_,
                     mine[self.consumer_], self.stream)
        log.info("consumer %s of group %s reads %s", self.consumer_, self.group, self.stream)

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

    def _delivery_counts(self, message_ids: list[str]) -> dict[str, int]:
        pipe = self.redis_.pipeline(transaction=False)
        for message_id in message_ids:
            pipe.xpending_range(self.stream, self.group, min=message_id, max=message_id, count=1)
        return {
            row["message_id"].decode(): row["times_delivered"] for rows in pipe.execute() for row in rows
        }

    def _errors_key(self) -> str:
        """A hash: message id -> the error of the last attempt that did not commit it."""
        return f"{self.stream}:{self.group}:last-error"

    def _dead_letter_and_ack(self, dead: list, message_ids: list[str]) -> None:
        """Dead letters and the acknowledgement of the whole batch in one MULTI/EXEC."""
        pipe = self.redis_.pipeline(transaction=True)
        failed_at = str(_now_ms())
        for message_id, fields, reason in dead:
            letter = {**fields, "dead_reason": reason[:REASON_LIMIT], "dead_message_id": message_id,
                      "dead_stream": self.stream, "dead_group": self.group, "dead_consumer": self.consumer_, "dead_at": failed_at}
            pipe.xadd(dead_letter_stream(self.stream), letter)
        pipe.xack(self.stream, self.group, *message_ids)
        pipe.hdel(self._errors_key(), *message_ids)
        pipe.execute()

    def _keep_error(self, message_ids: list[str], error: BaseException) -> None:
        """Remember why these entries were not committed, for their reason if they reach max_deliveries."""
        try:
            self.redis_.hset(self._errors_key(), mapping=dict.fromkeys(message_ids, one_line(error)))
        except Exception:  # noqa: BLE001 - the store error is what matters; Redis may be what failed
            log.warning("could not keep the last error of %d entries in Redis", len(message_ids))

