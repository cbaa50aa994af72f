"""Health settings: how often the monitor collects, who may scrape ``/metrics`` without a token, whether this process
runs the monitor, and the limits the predictions measure against. Parsed by ``core.settings`` (the only reader of the
environment) onto ``Settings.health``; nothing here imports ``core.settings``."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["HealthLimits", "HealthSettings", "VARIABLES"]

VARIABLES: tuple[str, ...] = (
    "FORESIGHT_HEALTH_INTERVAL", "FORESIGHT_METRICS_ALLOW", "FORESIGHT_HEALTH_MONITOR", "FORESIGHT_HEALTH_DISK_PERCENT",
    "FORESIGHT_HEALTH_MEMORY_PERCENT", "FORESIGHT_HEALTH_STORE_MB", "FORESIGHT_HEALTH_PROBE_TIMEOUT",
    "PROMETHEUS_MULTIPROC_DIR",
)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_LOOPBACK: tuple[Network, ...] = (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("::1/128"))
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
_MB = 1024 * 1024


@dataclass(frozen=True)
class HealthLimits:
    """Where trouble starts: disk and memory use in percent of the host's, the store's size in bytes."""

    disk_percent: float = 90.0
    memory_percent: float = 90.0
    store_bytes: int = 10 * 1024 * _MB


@dataclass(frozen=True)
class HealthSettings:
    """``interval_s``: seconds between two collections; ``metrics_allow``: networks that may read ``/metrics`` without
    an API token; ``monitor``: whether web processes run the health monitor (one holds the lease at a time);
    ``disk_path``: the file system whose space is watched (the instance dir); ``limits``; ``probe_timeout_s``: how long
    one readiness probe may take before its component counts as down; ``metrics_dir``: prometheus_client's
    multiprocess folder (set by gunicorn.conf.py for its workers; None: one process, a plain registry)."""

    interval_s: float = 10.0
    metrics_allow: tuple[Network, ...] = _LOOPBACK
    monitor: bool = True
    disk_path: Path = field(default_factory=Path.cwd)
    limits: HealthLimits = HealthLimits()
    probe_timeout_s: float = 1.0
    metrics_dir: Path | None = None

    def __post_init__(self):
        if not 1 <= self.interval_s <= 3600:
            raise ValueError(f"FORESIGHT_HEALTH_INTERVAL={self.interval_s:g} is out of range; use 1 to 3600 seconds")
        if not 0.05 <= self.probe_timeout_s <= 30:
            raise ValueError(f"FORESIGHT_HEALTH_PROBE_TIMEOUT={self.probe_timeout_s:g} is out of range; use 0.05 to "
                             "30 seconds (/readyz waits at most this long for its slowest probe)")

    @classmethod
    def parse(cls, values: dict[str, str | None], disk_path: Path) -> "HealthSettings":
        """Build from raw strings keyed by environment variable name (missing or empty: the default)."""
        get = {key: (value or "").strip() for key, value in values.items()}
        defaults, limits = cls(disk_path=disk_path), HealthLimits()
        store_mb = _number(get, "FORESIGHT_HEALTH_STORE_MB", limits.store_bytes / _MB, 1, 1e9)
        return cls(
            interval_s=_number(get, "FORESIGHT_HEALTH_INTERVAL", defaults.interval_s, 1, 3600),
            metrics_allow=_networks(get.get("FORESIGHT_METRICS_ALLOW", "")) or defaults.metrics_allow,
            monitor=_flag(get, "FORESIGHT_HEALTH_MONITOR", defaults.monitor),
            disk_path=disk_path,
            limits=HealthLimits(
                disk_percent=_number(get, "FORESIGHT_HEALTH_DISK_PERCENT", limits.disk_percent, 1, 100),
                memory_percent=_number(get, "FORESIGHT_HEALTH_MEMORY_PERCENT", limits.memory_percent, 1, 100),
                store_bytes=int(store_mb * _MB),
            ),
            probe_timeout_s=_number(get, "FORESIGHT_HEALTH_PROBE_TIMEOUT", defaults.probe_timeout_s, 0.05, 30),
            metrics_dir=Path(get["PROMETHEUS_MULTIPROC_DIR"]) if get.get("PROMETHEUS_MULTIPROC_DIR") else None,
        )

    def allows_metrics(self, address: str | None) -> bool:
        """Whether ``address`` (the caller's IP) may read ``/metrics`` without a token."""
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip.version == network.version and ip in network for network in self.metrics_allow)


def _networks(text: str) -> tuple[Network, ...]:
    networks = []
    for part in (item.strip() for item in text.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"FORESIGHT_METRICS_ALLOW: {part!r} is not an address or network; use CIDRs separated "
                             "by commas, e.g. 127.0.0.1/32,::1/128,10.0.0.0/8") from None
    return tuple(networks)


def _flag(get: dict[str, str], name: str, default: bool) -> bool:
    text = get.get(name, "").lower()
    if not text:
        return default
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ValueError(f"{name}={text!r} is not on or off; use one of 1/0, true/false, yes/no, on/off")


def _number(get: dict[str, str], name: str, default: float, low: float, high: float) -> float:
    text = get.get(name, "")
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a number; use a value from {low:g} to {high:g}") from None
    if not low <= value <= high:
        raise ValueError(f"{name}={value:g} is out of range; use a value from {low:g} to {high:g}")
    return value
