"""Root-cause ranking of an incident's signals over the component dependency graph.

``rank_signals`` asks ``analytics.health.rank_causes`` when the analytics package has it; otherwise it ranks by
dependencies first: a signalling component whose own dependencies are quiet and that explains the most other
signalling components ranks first, then the earliest to go wrong, then the most severe.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from core.health._names import DEPENDENCIES

__all__ = ["Signal", "depends_on", "graph_for", "linked", "rank_signals"]

Graph = dict[str, tuple[str, ...]]

_SEVERITY = {"critical": 2, "warning": 1}


@dataclass(frozen=True)
class Signal:
    """One abnormal reading: a hard rule that broke (``kind`` down, limit, rate, slow, leak, dead_letters) or an
    anomaly score from the streaming detector (``kind`` anomaly)."""

    component: str
    metric: str
    at: dt.datetime
    value: float
    score: float
    kind: str
    severity: str
    detail: str

    def key(self) -> tuple[str, str]:
        return self.component, self.metric

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["at"] = self.at.isoformat(timespec="seconds")
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Signal:
        return cls(**{**values, "at": dt.datetime.fromisoformat(values["at"])})


def graph_for(settings) -> Graph:
    """The dependency graph of this deployment: ``DEPENDENCIES``, plus cache -> redis when the results cache lives
    in Redis (``REDIS_URL`` set), so a stopped Redis and the cache it takes down are one failure."""
    graph = dict(DEPENDENCIES)
    if getattr(settings, "redis_url", None):
        graph["cache"] = tuple(dict.fromkeys(graph["cache"] + ("redis",)))
    return graph


def depends_on(component: str, other: str, graph: Graph = DEPENDENCIES) -> bool:
    """Whether ``component`` depends on ``other`` directly or through other components."""
    seen, todo = set(), list(graph.get(component, ()))
    while todo:
        current = todo.pop()
        if current == other:
            return True
        if current not in seen:
            seen.add(current)
            todo.extend(graph.get(current, ()))
    return False


def linked(a: str, b: str, graph: Graph = DEPENDENCIES) -> bool:
    """One of the two components depends on the other (or they are the same)."""
    return a == b or depends_on(a, b, graph) or depends_on(b, a, graph)


def _own_ranking(signals: Sequence[Signal], graph: Graph) -> list[dict[str, Any]]:
    components = sorted({signal.component for signal in signals})
    first = {c: min(s.at for s in signals if s.component == c) for c in components}
    worst = {c: max(_SEVERITY.get(s.severity, 0) for s in signals if s.component == c) for c in components}
    ranked = []
    for component in components:
        explains = [other for other in components if other != component and depends_on(other, component, graph)]
        blamed_on = [other for other in components if other != component and depends_on(component, other, graph)]
        metrics = sorted({f"{s.component}.{s.metric} ({s.kind})" for s in signals if s.component == component})
        evidence = [f"abnormal: {', '.join(metrics)}", f"first abnormal at {first[component].isoformat()}"]
        if explains:
            evidence.append(f"{', '.join(explains)} depend(s) on {component} and also went wrong")
        if blamed_on:
            evidence.append(f"depends on {', '.join(blamed_on)}, which went wrong too")
        ranked.append({"component": component, "explains": explains, "blamed_on": blamed_on,
                       "first_at": first[component].isoformat(timespec="seconds"), "evidence": evidence,
                       "_order": (len(blamed_on), -len(explains), first[component], -worst[component])})
    ranked.sort(key=lambda item: item["_order"])
    total = len(ranked)
    for rank, item in enumerate(ranked, start=1):
        del item["_order"]
        item["rank"], item["score"] = rank, round((total - rank + 1) / total, 3)
    return ranked


def _affected(signals: Sequence[Signal], graph: Graph) -> str:
    """The most downstream signalling component: the one that depends on the most other signalling ones."""
    components = sorted({s.component for s in signals})
    return max(components, key=lambda c: (sum(depends_on(c, other, graph) for other in components), c))


def _analytics_ranking(signals: Sequence[Signal], graph: Graph, series=None) -> list[dict[str, Any]] | None:
    try:
        from analytics.health import rank_causes
    except ImportError:
        return None
    import pandas as pd

    anomalies = [{"component": s.component, "metric": s.metric, "first_at": pd.Timestamp(s.at, tz="UTC"),
                  "score": float(s.score)} for s in signals]
    try:
        try:
            causes = rank_causes(_affected(signals, graph), anomalies, graph, series or None)
        except ValueError:  # a series it cannot use: rank on the graph and the order alone
            causes = rank_causes(_affected(signals, graph), anomalies, graph)
    except (TypeError, ValueError):
        return None  # a contract this glue does not know: the dependency-first ranking answers
    return [{"component": cause.component, "rank": rank, "score": round(float(cause.score), 3),
             "relation": cause.relation, "metrics": list(cause.metrics), "evidence": list(cause.evidence),
             "first_at": cause.first_at.isoformat() if cause.first_at is not None else None}
            for rank, cause in enumerate(causes, start=1)]


def rank_signals(signals: Iterable[Signal], graph: Graph = DEPENDENCIES, series=None) -> list[dict[str, Any]]:
    """The likely causes, most likely first: ``{component, rank, score, evidence, ...}`` for each (``analytics.health
    .rank_causes`` when present, else the dependency-first ranking). ``series``: ``(component, metric)`` -> frame
    ``at, value`` of the signalling metrics' recent history, for the correlation evidence."""
    signals = list(signals)
    if not signals:
        return []
    return _analytics_ranking(signals, graph, series) or _own_ranking(signals, graph)
