"""What is abnormal in one tick of metric points: the hard rules, the leak check and the streaming detector.

The detectors live in memory per store (``Watch``), seeded from the stored raw history the first time a metric is
seen, so a restarted monitor goes on where the stored points leave off.
"""
from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Engine, select

from analytics.health import DETECTOR_DEFAULTS
from core.health._names import PROCESS_KINDS
from core.health._rca import Signal
from data.schema import health_metrics

__all__ = ["Limits", "Watch", "limits_of", "watch_of"]

# The detector and its alarm: ``new_detector`` is the one place it is chosen; these two thresholds belong to it.
ANOMALY_SCORE = DETECTOR_DEFAULTS["alarm"]  # the project's streaming detector raises one alarm per event
ANOMALY_RUN = 2  # ticks the change must last, counting the alarm's (one 10-second spike is not an incident)
MIN_HISTORY = 30  # values a detector must have seen before its scores count
MIN_CHANGE = 0.2  # and the value must differ from the recent mean by this share (a flat series is not news)
SEED_SPAN = dt.timedelta(hours=6)
LEAK_SPAN = dt.timedelta(hours=2)
LEAK_EVERY = dt.timedelta(minutes=1)
DEAD_LETTER_RISE = 5  # dead letters added within one tick that make a poison flood
# Metrics where a fall is the trouble; for every other metric only a rise is (a process using less memory or a
# faster answer is not an incident).
LOW_IS_BAD = frozenset({"hit_rate", "disk_free_bytes", "request_rate"})
# Below these a value is fine however unusual (a probe going from 2 to 4 ms is not news).
NOTICEABLE = {"probe_ms": 100.0, "request_p95_ms": 200.0, "callback_p95_ms": 500.0, "query_ms": 50.0,
              "cpu_percent": 50.0, "memory_percent": 50.0, "swap_percent": 20.0, "load1": 1.0, "job_wait_s": 10.0,
              "job_run_s": 60.0, "request_error_rate": 0.01}


def new_detector(history: list[float]):
    """The streaming detector of one metric, brought up to date on its stored history: ``.update(value) -> score``.

    ``analytics.health.StreamingDetector`` with the settings frozen after tuning on half the NAB corpus
    (``python -m benchmarks.nab``: standard 61.4 on the corpus, 50.5 on the held-out half), except that its scores
    are not damped after an alarm: NAB counts only an event's first alarm, while here an alarm raised while seeding
    or by a passing blip must not hide a real change that follows; ANOMALY_RUN asks the change to last instead."""
    from analytics.health import StreamingDetector

    detector = StreamingDetector(suppressed_factor=1.0)
    for value in history:
        detector.update(value)
    return detector


@dataclass(frozen=True)
class Limits:
    """The bounds of the hard rules (from ``settings.health.limits`` when the settings have them)."""

    disk_percent: float = 90.0
    memory_percent: float = 90.0
    store_bytes: float | None = None
    error_rate: float = 0.05
    probe_slow_ms: float = 1000.0


def limits_of(settings) -> Limits:
    """The limits configured in ``settings.health`` (any missing one keeps its default)."""
    configured = getattr(getattr(settings, "health", None), "limits", None)
    if configured is None:
        return Limits()
    names = {"disk_percent": ("disk_percent", "disk_limit_percent"),
             "memory_percent": ("memory_percent", "memory_limit_percent"),
             "store_bytes": ("store_bytes", "store_size_bytes", "store_limit_bytes"),
             "error_rate": ("error_rate",), "probe_slow_ms": ("probe_slow_ms",)}
    found = {}
    for name, candidates in names.items():
        for candidate in candidates:
            value = configured.get(candidate) if isinstance(configured, dict) else getattr(configured, candidate, None)
            if value is not None:
                found[name] = float(value)
                break
    return Limits(**found)


def _rule(point, limits: Limits, previous: float | None) -> tuple[str, str, str] | None:
    """(kind, severity, detail) when a hard rule breaks on this point."""
    component, metric, value = point.component, point.metric, float(point.value)
    if metric == "up" and value < 0.5:
        return "down", "critical", f"{component} is down (its readiness probe failed)"
    if metric == "probe_ms" and value > limits.probe_slow_ms:
        return "slow", "warning", f"{component} answered its probe in {value:.0f} ms (> {limits.probe_slow_ms:g})"
    if (component, metric) == ("host", "disk_percent") and value >= limits.disk_percent:
        return "limit", "critical", f"disk {value:.1f}% full (limit {limits.disk_percent:g}%)"
    if (component, metric) == ("host", "memory_percent") and value >= limits.memory_percent:
        return "limit", "critical", f"memory {value:.1f}% used (limit {limits.memory_percent:g}%)"
    if (component, metric) == ("store", "size_bytes") and limits.store_bytes and value >= limits.store_bytes:
        return "limit", "warning", f"the store is {value / 1e6:.1f} MB (limit {limits.store_bytes / 1e6:g} MB)"
    if metric == "request_error_rate" and value > limits.error_rate:
        return "rate", "critical", f"{value:.1%} of requests fail (bound {limits.error_rate:.0%})"
    if metric == "dead_letters" and previous is not None and value - previous >= DEAD_LETTER_RISE:
        return "dead_letters", "warning", f"{value - previous:.0f} new dead letters in one tick ({value:.0f} in all)"
    return None


def _leaking(frame) -> tuple[bool, str]:
    """Whether a process kind's RSS series leaks: ``analytics.health.detect_leak`` when present, else a steady
    rise (a linear fit explaining >= 80% of the variance, growing >= 20% over the span)."""
    try:
        from analytics.health import detect_leak
    except ImportError:
        detect_leak = None
    if detect_leak is not None:
        try:
            found = detect_leak(frame)
            return bool(getattr(found, "leaking", False)), str(getattr(found, "sentence", "") or found)
        except (TypeError, ValueError):
            pass  # too little history or a contract this glue does not know: the simple check below answers
    if len(frame) < 10:
        return False, "not enough history yet"
    seconds = (frame["at"] - frame["at"].iloc[0]).dt.total_seconds().to_numpy()
    values = frame["value"].to_numpy(dtype=float)
    slope, intercept = np.polyfit(seconds, values, 1)
    fitted = slope * seconds + intercept
    spread = float(((values - values.mean()) ** 2).sum()) or 1.0
    r2 = 1 - float(((values - fitted) ** 2).sum()) / spread
    growth = (fitted[-1] - fitted[0]) / max(abs(fitted[0]), 1.0)
    return (slope > 0 and r2 >= 0.8 and growth >= 0.2,
            f"RSS grows {slope * 3600 / 1e6:.1f} MB/h (R² {r2:.2f}, +{growth:.0%} over the span)")


@dataclass
class Watch:
    """The streaming state of one store's metrics across ticks."""

    engine: Engine
    detectors: dict = field(default_factory=dict)
    recent: dict = field(default_factory=dict)
    runs: dict = field(default_factory=dict)
    last: dict = field(default_factory=dict)
    leak_checked: dict = field(default_factory=dict)
    leaks: dict = field(default_factory=dict)
    normal_ticks: dict = field(default_factory=dict)

    def _history(self, component: str, metric: str, since: dt.datetime, until: dt.datetime):
        import pandas as pd

        table = health_metrics.c
        query = (select(table.at, table.value).where(table.resolution == "raw", table.component == component,
                                                    table.metric == metric, table.at >= since, table.at < until)
                 .order_by(table.at))
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return pd.DataFrame(rows, columns=["at", "value"])

    def _score(self, point) -> tuple[float, bool]:
        """The detector's score of ``point`` and whether the value is a noticeable change for the worse."""
        key = (point.component, point.metric)
        if key not in self.detectors:
            history = self._history(*key, point.at - SEED_SPAN, point.at)["value"].astype(float).tolist()
            self.detectors[key] = new_detector(history)
            self.recent[key] = deque(history[-200:], maxlen=200)
        recent = self.recent[key]
        score = float(self.detectors[key].update(float(point.value)))
        enough = len(recent) >= MIN_HISTORY
        mean = float(np.mean(recent)) if recent else 0.0
        recent.append(float(point.value))
        change = float(point.value) - mean
        worse = change < 0 if point.metric in LOW_IS_BAD else change > 0
        changed = worse and abs(change) > MIN_CHANGE * max(abs(mean), 1e-9) and \
            (point.metric in LOW_IS_BAD or float(point.value) >= NOTICEABLE.get(point.metric, 0.0))
        return score, enough and changed

    def _anomaly(self, point) -> Signal | None:
        """A signal once the detector has alarmed on a change for the worse that has lasted ANOMALY_RUN ticks."""
        key = (point.component, point.metric)
        score, changed = self._score(point)
        run, peak = self.runs.get(key, (0, 0.0))
        run, peak = (run + 1, max(peak, score)) if changed and (run or score >= ANOMALY_SCORE) else (0, 0.0)
        self.runs[key] = (run, peak)
        if run < ANOMALY_RUN:
            return None
        return Signal(point.component, point.metric, point.at, float(point.value), round(peak, 6), "anomaly",
                      "warning", f"{point.component}.{point.metric} = {point.value:g} is anomalous "
                                 f"(detector score {peak:.2f}, abnormal for {run} ticks)")

    def _leak(self, point) -> Signal | None:
        """The leak verdict of this process kind: checked at most every LEAK_EVERY, the last verdict repeated in
        between (so a leak stays abnormal on every tick, not only on the ticks that check it)."""
        key = point.component
        checked = self.leak_checked.get(key)
        if checked is None or not dt.timedelta(0) <= point.at - checked < LEAK_EVERY:
            self.leak_checked[key] = point.at
            self.leaks[key] = self._leak_check(point)
        why = self.leaks.get(key)
        if why is None:
            return None
        return Signal(point.component, "rss_bytes", point.at, float(point.value), 1.0, "leak", "warning",
                      f"{point.component} memory leak: {why}")

    def _leak_check(self, point) -> str | None:
        """Why ``point.component``'s RSS leaks over the last LEAK_SPAN, or None when it does not."""
        import pandas as pd

        frame = self._history(point.component, "rss_bytes", point.at - LEAK_SPAN, point.at + dt.timedelta(seconds=1))
        if frame.empty:
            return None
        frame["at"] = pd.to_datetime(frame["at"])
        leaking, why = _leaking(frame)
        return why if leaking else None

    def signals(self, points: Iterable, limits: Limits) -> list[Signal]:
        """Every abnormal reading among this tick's points (at most one per component and metric)."""
        found: dict[tuple[str, str], Signal] = {}
        for point in points:
            key = (point.component, point.metric)
            ruled = _rule(point, limits, self.last.get(key))
            self.last[key] = float(point.value)
            if ruled is not None:
                kind, severity, detail = ruled
                found[key] = Signal(point.component, point.metric, point.at, float(point.value), 1.0, kind,
                                    severity, detail)
            elif point.metric not in ("up", "dead_letters"):
                anomaly = self._anomaly(point)
                if anomaly is not None:
                    found[key] = anomaly
            if point.metric == "rss_bytes" and point.component in PROCESS_KINDS and key not in found:
                leak = self._leak(point)
                if leak is not None:
                    found[key] = leak
        return list(found.values())


_WATCHES: dict[str, Watch] = {}


def watch_of(engine: Engine) -> Watch:
    """The in-memory detector state of this store (one per store URL and process)."""
    key = engine.url.render_as_string(hide_password=True)
    if key not in _WATCHES:
        _WATCHES[key] = Watch(engine)
    return _WATCHES[key]
