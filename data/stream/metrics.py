"""What a stream processor reports: counters since it started, and recent end-to-end latencies."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

__all__ = ["StreamMetrics"]

_LATENCY_WINDOW = 100_000  # most recent latencies kept for percentiles


@dataclass
class StreamMetrics:
    """Counters of one processor since it started, and recent end-to-end latencies.

    ``processed`` counts every entry taken off the stream and acknowledged: applied, skipped as
    already applied (``duplicates``) or dead-lettered. Latency is from the event's
    ``produced_at`` to the commit that made it visible in the store, in milliseconds.
    """

    processed: int = 0
    applied: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    batches: int = 0
    failed_batches: int = 0
    quarantined_rows: int = 0
    dataset_version: int | None = None
    latencies_ms: deque = field(default_factory=lambda: deque(maxlen=_LATENCY_WINDOW), repr=False)

    def latency_ms(self, percentile: float) -> float | None:
        """A percentile (0-100) of the recorded latencies, None before the first applied event."""
        if not self.latencies_ms:
            return None
        return float(np.percentile(np.fromiter(self.latencies_ms, dtype=float), percentile))

    def summary(self) -> dict[str, object]:
        """The counters and p50 / p95 latency as a JSON-ready dict."""
        return {
            "processed": self.processed,
            "applied": self.applied,
            "duplicates": self.duplicates,
            "dead_lettered": self.dead_lettered,
            "batches": self.batches,
            "failed_batches": self.failed_batches,
            "quarantined_rows": self.quarantined_rows,
            "dataset_version": self.dataset_version,
            "latency_p50_ms": self.latency_ms(50),
            "latency_p95_ms": self.latency_ms(95),
        }
