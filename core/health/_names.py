"""The health vocabulary every part of ``core.health`` shares: the components, their metrics and what each
component depends on (the graph root-cause analysis walks). Constants only; nothing here does I/O."""
from __future__ import annotations

__all__ = [
    "COMPONENTS", "PROCESS_KINDS", "DEPENDENCIES", "METRICS", "PROCESS_METRICS", "HOST_METRICS", "PROBE_METRICS",
    "RESOLUTIONS", "dependents", "metric_names",
]

# Every component the health monitor watches, in the order the service map shows them.
COMPONENTS: tuple[str, ...] = ("host", "web", "worker", "store", "redis", "stream", "model", "cache")

# Components that are operating-system processes (their resource use is collected per kind).
PROCESS_KINDS: tuple[str, ...] = ("web", "worker", "stream", "model")

# A component depends on the components listed: when one of those fails, it is a likely cause.
DEPENDENCIES: dict[str, tuple[str, ...]] = {
    "host": (),
    "web": ("store", "cache", "redis", "model", "host"),
    "worker": ("store", "redis", "host"),
    "stream": ("redis", "store", "host"),
    "model": ("host",),
    "store": ("host",),
    "cache": ("host",),
    "redis": ("host",),
}

HOST_METRICS: tuple[str, ...] = (
    "cpu_percent", "memory_percent", "swap_percent", "disk_percent", "disk_free_bytes", "disk_read_bytes_s",
    "disk_write_bytes_s", "net_sent_bytes_s", "net_recv_bytes_s", "load1",
)
PROCESS_METRICS: tuple[str, ...] = ("rss_bytes", "cpu_percent", "open_files", "threads", "processes")
# From the readiness probe, for every component: up is 1 or 0, probe_ms the probe's latency.
PROBE_METRICS: tuple[str, ...] = ("up", "probe_ms")

# component -> the metrics collected for it (each a float). Readers not configured add nothing.
METRICS: dict[str, tuple[str, ...]] = {
    "host": HOST_METRICS + PROBE_METRICS,
    "web": PROCESS_METRICS + ("request_rate", "request_p95_ms", "request_error_rate", "callback_p95_ms")
    + PROBE_METRICS,
    "worker": PROCESS_METRICS + ("queue_length", "job_wait_s", "job_run_s") + PROBE_METRICS,
    "store": ("query_ms", "size_bytes", "quarantine_rate") + PROBE_METRICS,
    "redis": PROBE_METRICS,
    "stream": PROCESS_METRICS + ("lag", "dead_letters") + PROBE_METRICS,
    "model": PROCESS_METRICS + PROBE_METRICS,
    "cache": ("hit_rate",) + PROBE_METRICS,
}

# Stored resolutions, finest first: (name, bucket width in seconds (raw: 0), how long points are kept in seconds).
RESOLUTIONS: tuple[tuple[str, int, int], ...] = (
    ("raw", 0, 2 * 86400),
    ("1m", 60, 30 * 86400),
    ("1h", 3600, 365 * 86400),
)


def dependents(component: str) -> tuple[str, ...]:
    """The components that depend on ``component`` directly (those its failure can explain)."""
    if component not in DEPENDENCIES:
        raise ValueError(f"unknown component {component!r}; use one of {', '.join(COMPONENTS)}")
    return tuple(name for name in COMPONENTS if component in DEPENDENCIES[name])


def metric_names() -> tuple[str, ...]:
    """Every ``component.metric`` name, in component order."""
    return tuple(f"{component}.{metric}" for component in COMPONENTS for metric in METRICS[component])
