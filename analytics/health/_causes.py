"""Root-cause ranking for an incident: which component most likely broke first and took the affected one along.

Every candidate (the affected component, every component with an anomaly, and the affected component's
dependencies whose series are given) gets a score in [0, 1], a weighted mean of four features:

- dependency (weight 0.35): 1 for a component the affected one depends on, directly or transitively; 0.5 for
  the affected component itself; 0.25 unrelated; 0 for a component that depends on the affected one (a
  downstream symptom cannot be its cause);
- order (0.35): how early its first anomaly came, 1 for the earliest component down to 0 for the latest;
- strength (0.1): its largest anomaly score over the largest of all (kept small: the loudest symptom is often
  downstream);
- correlation (0.2, only when ``series`` is given): the largest absolute correlation of its metrics with the
  affected component's symptom series, on a common grid.

A candidate without any anomaly has its score halved, and so has a dependent of the affected component, so that
the dependencies rank above the dependents even when a dependent's symptom was flagged first. Without ``series``
the other weights are rescaled to sum to 1. Each cause carries its evidence as sentences.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.health._series import check_series, grid_step

_WEIGHTS = {"dependency": 0.35, "order": 0.35, "strength": 0.1, "correlation": 0.2}
_RELATION = {"dependency": 1.0, "affected": 0.5, "unrelated": 0.25, "dependent": 0.0}
_FIELDS = ("component", "metric", "first_at", "score")


@dataclass(frozen=True)
class Anomaly:
    """An anomalous metric: ``component.metric`` first flagged at ``first_at`` (UTC) with detector ``score``."""

    component: str
    metric: str
    first_at: pd.Timestamp
    score: float


@dataclass(frozen=True)
class Cause:
    """A candidate cause: its ``score`` in [0, 1], how it relates to the affected component (``relation``:
    ``"dependency"``, ``"affected"``, ``"dependent"`` or ``"unrelated"``), its first anomaly and the evidence."""

    component: str
    score: float
    relation: str
    first_at: pd.Timestamp | None
    metrics: tuple[str, ...]
    evidence: tuple[str, ...]


def _as_anomaly(record, i: int) -> Anomaly:
    if isinstance(record, Mapping):
        missing = [f for f in _FIELDS if f not in record]
        if missing:
            raise ValueError(f"anomaly {i} lacks {', '.join(missing)}; each anomaly needs component, metric, "
                             "first_at and score.")
        values = [record[f] for f in _FIELDS]
    elif isinstance(record, tuple) and not hasattr(record, "component") and len(record) == 4:
        values = list(record)
    else:
        try:
            values = [getattr(record, f) for f in _FIELDS]
        except AttributeError as exc:
            raise ValueError(f"anomaly {i} ({record!r}) is not a record with component, metric, first_at and score; "
                             "pass Anomaly(...) objects, dicts or a DataFrame with those columns.") from exc
    component, metric, first_at, score = values
    try:
        ts = pd.Timestamp(first_at)
        score = float(score)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"anomaly {i}: first_at {first_at!r} must be a timestamp and score {score!r} a number."
                         ) from exc
    if pd.isna(ts) or not np.isfinite(score):
        raise ValueError(f"anomaly {i}: first_at is missing or score is NaN; drop incomplete anomalies first.")
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return Anomaly(str(component), str(metric), ts, max(score, 0.0))


def _anomalies(anomalies) -> list[Anomaly]:
    if isinstance(anomalies, pd.DataFrame):
        missing = [f for f in _FIELDS if f not in anomalies.columns]
        if missing:
            raise ValueError(f"anomalies lacks column(s) {', '.join(f'`{c}`' for c in missing)}; it needs "
                             "component, metric, first_at and score.")
        anomalies = anomalies[list(_FIELDS)].to_dict("records")
    return [_as_anomaly(r, i) for i, r in enumerate(anomalies)]


def _paths(graph: Mapping[str, Iterable[str]], start: str) -> dict[str, list[str]]:
    """Shortest dependency path from ``start`` to every component it depends on (transitively)."""
    paths, queue = {start: [start]}, deque([start])
    while queue:
        node = queue.popleft()
        for dep in graph.get(node, ()):
            if dep not in paths:
                paths[dep] = paths[node] + [dep]
                queue.append(dep)
    return paths


def _relation(graph, affected: str, candidate: str) -> tuple[str, str]:
    if candidate == affected:
        return "affected", f"{affected} is the affected component itself"
    down = _paths(graph, affected)
    if candidate in down:
        via = down[candidate][1:-1]
        return "dependency", f"{affected} depends on {candidate}" + (f" through {', '.join(via)}" if via else "")
    up = _paths(graph, candidate)
    if affected in up:
        return "dependent", f"{candidate} depends on {affected}, so it is more likely a symptom than a cause"
    return "unrelated", f"{candidate} and {affected} do not depend on each other"


def _series_map(series) -> dict[str, pd.DataFrame]:
    out = {}
    for key, frame in (series or {}).items():
        name = ".".join(key) if isinstance(key, tuple) else str(key)
        if "." not in name:
            raise ValueError(f"series key {key!r} must name component and metric, as ('web', 'request_p95_ms') or "
                             "'web.request_p95_ms'.")
        out[name] = check_series(frame, f"series[{name!r}]")
    return out


def _correlation(a: pd.DataFrame, b: pd.DataFrame) -> float:
    start, end = max(a["at"].iloc[0], b["at"].iloc[0]), min(a["at"].iloc[-1], b["at"].iloc[-1])
    if not start < end:
        return 0.0
    step = grid_step(end - start, 500)
    x = a.set_index("at")["value"].resample(step).mean()
    y = b.set_index("at")["value"].resample(step).mean()
    both = pd.concat([x, y], axis=1, join="inner").dropna()
    if len(both) < 5 or both.iloc[:, 0].std() == 0 or both.iloc[:, 1].std() == 0:
        return 0.0
    return float(abs(np.corrcoef(both.iloc[:, 0], both.iloc[:, 1])[0, 1]))


def _best_correlation(component: str, frames: dict, symptoms: list[str]) -> tuple[float, tuple | None]:
    """The largest absolute correlation of ``component``'s series with a symptom series, and which pair."""
    best, pair = 0.0, None
    for own in (n for n in frames if n.split(".", 1)[0] == component):
        for sym in symptoms:
            c = _correlation(frames[own], frames[sym])
            if c > best:
                best, pair = c, (own, sym)
    return best, pair


def _move(frame: pd.DataFrame | None, at: pd.Timestamp, metric: str, default: str) -> str:
    """'dropped to 0' / 'rose to 850' from the series around ``at``; ``default`` without a series."""
    if frame is None:
        return default
    before, after = frame[frame["at"] < at]["value"], frame[frame["at"] >= at]["value"]
    if before.empty or after.empty:
        return default
    base, now = float(before.median()), float(after.iloc[: max(3, len(after) // 10)].median())
    if now == base:
        return default
    return f"{'rose' if now > base else 'dropped'} to {now:.3g}"


def _gap(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def _order_sentence(first: Anomaly, symptom: Anomaly | None, frames: dict) -> str:
    name = f"{first.component}.{first.metric}"
    what = f"{name} {_move(frames.get(name), first.first_at, name, 'turned anomalous')}"
    what += f" at {first.first_at.strftime('%H:%M:%S')} (score {first.score:.2g})"
    if symptom is None or symptom is first:
        return what
    sym = f"{symptom.component}.{symptom.metric}"
    sym += f" {_move(frames.get(sym), symptom.first_at, sym, 'turned anomalous').split(' to ')[0]}"
    gap = (symptom.first_at - first.first_at).total_seconds()
    if gap == 0:
        return f"{what}, at the same time as {sym}"
    return f"{what}, {_gap(gap)} {'before' if gap > 0 else 'after'} {sym}"


def _symptoms(affected: str, records: list[Anomaly], frames: dict) -> list[str]:
    """The affected component's series that are anomalous (all of its series when none is)."""
    own = [n for n in frames if n.split(".", 1)[0] == affected]
    flagged = {f"{r.component}.{r.metric}" for r in records}
    return [n for n in own if n in flagged] or own


@dataclass(frozen=True)
class _Incident:
    """What every candidate is scored against: the anomalies, their order, the symptoms, the weights in use."""

    affected: str
    graph: Mapping[str, Iterable[str]]
    records: list[Anomaly]
    frames: dict
    firsts: dict
    order: list
    top: float
    symptoms: list[str]
    weights: dict

    @classmethod
    def of(cls, affected, records, graph, frames) -> "_Incident":
        firsts: dict[str, Anomaly] = {}
        for r in sorted(records, key=lambda r: (r.first_at, -r.score)):
            firsts.setdefault(r.component, r)
        weights = dict(_WEIGHTS) if frames else {k: v for k, v in _WEIGHTS.items() if k != "correlation"}
        return cls(affected, graph, records, frames, firsts, sorted({r.first_at for r in firsts.values()}),
                   max((r.score for r in records), default=0.0) or 1.0, _symptoms(affected, records, frames),
                   weights)

    def cause(self, comp: str) -> Cause:
        relation, dep_sentence = _relation(self.graph, self.affected, comp)
        first = self.firsts.get(comp)
        earlier = 0.0 if first is None else self.order.index(first.first_at) / max(len(self.order) - 1, 1)
        feats = {"dependency": _RELATION[relation], "order": 0.0 if first is None else 1.0 - earlier,
                 "strength": max((r.score for r in self.records if r.component == comp), default=0.0) / self.top}
        evidence = [] if first is None else [_order_sentence(first, self.firsts.get(self.affected), self.frames)]
        evidence.append(dep_sentence)
        if "correlation" in self.weights:
            feats["correlation"], pair = ((0.0, None) if comp == self.affected
                                          else _best_correlation(comp, self.frames, self.symptoms))
            if pair is not None and feats["correlation"] >= 0.5:
                evidence.append(f"{pair[0]} moves with {pair[1]} (correlation {feats['correlation']:.2f})")
        penalty = (0.5 if first is None else 1.0) * (0.5 if relation == "dependent" else 1.0)
        score = sum(self.weights[k] * feats[k] for k in self.weights) / sum(self.weights.values()) * penalty
        metrics = tuple(sorted({r.metric for r in self.records if r.component == comp}))
        return Cause(comp, float(np.clip(score, 0.0, 1.0)), relation, None if first is None else first.first_at,
                     metrics, tuple(evidence))


def rank_causes(affected: str, anomalies, graph: Mapping[str, Iterable[str]], series=None) -> list[Cause]:
    """Rank the likely causes of an incident on ``affected``, most likely first.

    Parameters
    ----------
    affected : str
        The component showing the incident (e.g. ``"web"``).
    anomalies : iterable of records or DataFrame
        Each with ``component, metric, first_at, score`` (:class:`Anomaly`, dicts, 4-tuples or frame rows).
    graph : mapping
        Component -> the components it depends on (e.g. ``{"web": ["store", "redis", "host"], ...}``).
    series : mapping, optional
        ``(component, metric)`` or ``"component.metric"`` -> frame ``at, value``; adds the correlation feature
        and lets the evidence say how a metric moved.

    Returns
    -------
    list of Cause
        Sorted by score (ties: earlier first anomaly, then name).
    """
    if not isinstance(affected, str) or not affected:
        raise ValueError(f"affected must be a component name such as 'web', got {affected!r}.")
    if not isinstance(graph, Mapping):
        raise ValueError(f"graph must map each component to the components it depends on, got {type(graph).__name__}.")
    records, frames = _anomalies(anomalies), _series_map(series)
    known = set(graph) | {d for deps in graph.values() for d in deps} | {r.component for r in records}
    if affected not in known:
        raise ValueError(f"affected component {affected!r} is neither in the graph nor among the anomalies; "
                         f"valid components: {', '.join(sorted(known))}.")
    incident = _Incident.of(affected, records, graph, frames)
    candidates = ({affected} | set(incident.firsts)
                  | {n.split(".", 1)[0] for n in frames if n.split(".", 1)[0] in _paths(graph, affected)})
    far = pd.Timestamp.max.tz_localize("UTC")
    return sorted((incident.cause(c) for c in candidates), key=lambda c: (-c.score, c.first_at or far, c.component))
