"""What the Insights feed is made of: one ``Finding`` per event, with its evidence, size, confidence and link.

A finding carries everything the page shows and nothing it has to compute: the sentence (written from
``facts`` by :mod:`analytics.insights.language`), the evidence as plain data for a chart, the impact in money
or customers, the confidence in words and numbers, and the link that opens the page filtered where the event
can be seen. ``facts`` are the chat assistant's :class:`~analytics.chat.Fact` records, so the same number guard
checks a finding's sentence (and any rephrasing of it) against them.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from analytics.chat import Confidence, Fact

__all__ = ["KINDS", "Confidence", "Evidence", "Fact", "Finding", "Impact", "confidence_of", "usual_change"]

KINDS: tuple[str, ...] = ("kpi_change", "anomaly", "pattern", "forecast_risk", "retention_shift")
_LEVELS = (("high", 0.75), ("medium", 0.5))  # the chat assistant's cut-offs, so "high" means the same everywhere


@dataclass(frozen=True)
class Evidence:
    """A chart's data: ``x`` (ISO dates or member names), one or more named ``series`` of values over ``x``, the
    ``highlight`` to mark (an ``(start, end)`` date span on a line chart, or member names on a bar chart) and the
    values' ``unit`` (``currency``, ``count``, ``percent`` or ``score``)."""

    chart: str  # "line" | "bar"
    x: tuple[str, ...]
    series: dict[str, tuple[float, ...]]
    unit: str
    highlight: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.chart not in ("line", "bar"):
            raise ValueError(f"chart must be 'line' or 'bar', got {self.chart!r}")
        for name, values in self.series.items():
            if len(values) != len(self.x):
                raise ValueError(f"series {name!r} has {len(values)} values for {len(self.x)} x positions; "
                                 "give one value per x")


@dataclass(frozen=True)
class Impact:
    """How big a finding is: ``value`` in ``unit`` (``currency``, ``customers``, ``orders``), as ``display``
    writes it, and ``money``, the same size in the currency, which the ranking compares across kinds
    (customers are valued at their lifetime value, orders at the period's average order value)."""

    value: float
    unit: str
    display: str
    money: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", float(self.value))  # numpy scalars in, plain floats out
        object.__setattr__(self, "money", float(self.money))


@dataclass(frozen=True)
class Finding:
    """One event in the feed.

    ``kind`` is one of :data:`KINDS`; ``title`` one or two sentences; ``link`` a page path with the query that
    filters it to the event; ``key`` the deduplication key (findings about the same event share it);
    ``period`` the ISO dates (both included) the finding is about; ``metric`` and ``scope`` what and where.
    """

    kind: str
    title: str
    evidence: Evidence
    impact: Impact
    confidence: Confidence
    link: str
    facts: tuple[Fact, ...]
    key: str
    period: tuple[str, str]
    metric: str = ""  # the metric the finding is about (revenue, orders, active_customers, aov, churn_rate, clv)
    scope: dict[str, str] = field(default_factory=dict)  # where it can be seen: {} or e.g. {"region": "EMEA"}
    related: tuple[str, ...] = ()  # titles of findings about the same event, merged into this one

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} is not a finding kind; use one of {list(KINDS)}")

    @property
    def rank_score(self) -> float:
        """What the feed is sorted by: the impact in money times the confidence score."""
        size = abs(self.impact.money)
        return size * self.confidence.score if math.isfinite(size) else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the CLI's ``feed --json`` shape)."""
        data = asdict(self)
        data["rank_score"] = self.rank_score
        return _plain(data)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def confidence_of(score: float, reason: str) -> Confidence:
    """A :class:`Confidence` from a score in 0..1 (clipped) and the reason in words."""
    score = round(min(max(float(score), 0.0), 1.0), 3) if math.isfinite(score) else 0.0
    level = next((name for name, cut in _LEVELS if score >= cut), "low")
    return Confidence(level=level, score=score, reasons=(reason,))


def usual_change(history, what: str) -> Confidence:
    """How unusual the last step of ``history`` (one value per period, oldest first) is against the steps before
    it: the last relative change over the median absolute relative change of the earlier periods.

    Twice the usual movement scores about 0.63 (medium), three times 0.78 (high): ``1 - exp(-ratio / 2)``.
    With fewer than three earlier steps the score is halved (little history to judge by).
    """
    values = [float(v) for v in history]
    steps = [(b - a) / abs(a) for a, b in zip(values, values[1:]) if a and math.isfinite(a) and math.isfinite(b)]
    if not steps:
        return confidence_of(0.0, f"{what} had no earlier value to compare with")
    last, earlier = steps[-1], sorted(abs(s) for s in steps[:-1])
    if not earlier:
        return confidence_of(0.25, f"only one earlier period of {what} to compare with")
    usual = earlier[len(earlier) // 2] if len(earlier) % 2 else sum(earlier[len(earlier) // 2 - 1:][:2]) / 2
    ratio = abs(last) / max(usual, 1e-4)
    score = 1.0 - math.exp(-ratio / 2.0)
    reason = (f"a {abs(last):.1%} move in {what} is {ratio:.1f} times its usual change between periods "
              f"({usual:.1%}, the median over the previous {len(earlier)})")
    if len(earlier) < 3:
        score, reason = score / 2, reason + "; little history to judge by"
    return confidence_of(score, reason)
