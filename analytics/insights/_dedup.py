"""One event, one anomaly: folding the candidates of every series into events, and picking the scope.

An outage at the payment provider lowers the company's orders, every region's, channel's and category's, and
revenue with them: 28 candidates, one event. Two candidates belong to the same event when they are of the
same kind and direction and coincide: spikes and drops whose days overlap (or are ``SPIKE_GAP`` days apart),
level shifts that start within ``SHIFT_GAP`` days of each other. Events are the connected groups.

**Scope**: the scopes nest (the company contains every region, channel and category, which split it three
ways), so an event is reported at the narrowest scope that explains it. When the company's series is among
the group, a region, channel or category explains the event when the rest of the company (the company minus
that scope, in the same metric) moved by at most ``REST_RATIO`` of that scope's own relative change: an
outage of the Web checkout takes 90% of Web's orders and leaves the other channels as they were, while a
payment outage takes the same share from every channel, so no channel explains it and it is company-wide. Of
several explaining scopes the one whose rest moved least is reported. Without the company's series in the
group the event is the scope that scores highest. The reported metric is the one where that scope scores
highest; the rest of the group is listed as ``related``.
"""
from __future__ import annotations

import pandas as pd

from analytics.insights._events import Candidate
from analytics.insights._result import DetectedAnomaly
from analytics.insights._series import scope_dict

__all__ = ["REST_RATIO", "SHIFT_GAP", "SPIKE_GAP", "fold_events"]

REST_RATIO = 1 / 3
SPIKE_GAP = 1
SHIFT_GAP = 14


def _same_event(a: Candidate, b: Candidate) -> bool:
    if a.kind != b.kind or a.sign != b.sign:
        return False
    if a.kind == "level_shift":
        return abs(a.first - b.first) <= SHIFT_GAP
    return a.first <= b.last + SPIKE_GAP and b.first <= a.last + SPIKE_GAP


def _groups(candidates: list[Candidate]) -> list[list[Candidate]]:
    """Connected groups of ``_same_event`` (union-find over the pairs)."""
    parent = list(range(len(candidates)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(candidates):
        for j in range(i + 1, len(candidates)):
            if _same_event(a, candidates[j]):
                parent[root(j)] = root(i)
    groups: dict[int, list[Candidate]] = {}
    for i, candidate in enumerate(candidates):
        groups.setdefault(root(i), []).append(candidate)
    return list(groups.values())


def _rest_ratio(child: Candidate, parent: Candidate) -> float:
    """How much the rest of the company moved, relative to ``child``'s own relative change (0: not at all)."""
    rest_expected = parent.expected - child.expected
    if rest_expected <= 0 or child.relative == 0:
        return 0.0
    return ((parent.size - child.size) / rest_expected) / child.relative


def _chosen_scope(members: list[Candidate]):
    company = [m for m in members if not m.scope]
    if not company:
        return max(members, key=lambda m: m.score).scope
    parent = max(company, key=lambda m: m.score)
    ratios = {id(m): _rest_ratio(m, parent) for m in members if m.scope and m.metric == parent.metric}
    explaining = [m for m in members if id(m) in ratios and ratios[id(m)] <= REST_RATIO]
    if not explaining:
        return ()
    return min(explaining, key=lambda m: (ratios[id(m)], -m.score)).scope


def _anomaly(members: list[Candidate], days: pd.DatetimeIndex) -> DetectedAnomaly:
    scope = _chosen_scope(members)
    chosen = max((m for m in members if m.scope == scope), key=lambda m: m.score)
    related = tuple({"metric": m.metric, "scope": scope_dict(m.scope), "score": round(m.score, 2),
                     "size": round(m.size, 2)}
                    for m in sorted(members, key=lambda m: -m.score) if m is not chosen)
    return DetectedAnomaly(chosen.metric, scope_dict(chosen.scope), chosen.kind,
                           days[chosen.first].date().isoformat(), days[chosen.last].date().isoformat(),
                           chosen.size, chosen.relative, chosen.expected, chosen.score, related)


def fold_events(candidates: list[Candidate], days: pd.DatetimeIndex) -> list[DetectedAnomaly]:
    """One ``DetectedAnomaly`` per event, by score (highest first), ties broken by date, metric and scope."""
    anomalies = [_anomaly(group, days) for group in _groups(candidates)]
    return sorted(anomalies, key=lambda a: (-a.score, a.start_date, a.metric, sorted(a.scope.items())))
