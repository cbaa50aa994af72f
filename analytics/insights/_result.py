"""``DetectedAnomaly``: one event in the store's daily orders or revenue, as the detector reports it."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["KINDS", "DetectedAnomaly"]

KINDS = ("spike", "drop", "level_shift")


@dataclass(frozen=True)
class DetectedAnomaly:
    """One anomaly: an event judged against a baseline that knows the weekday, season, holidays and promotions.

    Attributes
    ----------
    metric : str
        ``"orders"`` or ``"revenue"``: the metric where the event is clearest (the other metric of the same
        scope, when it also showed the event, is in ``related``).
    scope : dict
        ``{}`` for the company, else one dimension and its value: ``{"region": "APAC"}``,
        ``{"channel": "Web"}``, ``{"category": "Home"}``. The narrowest scope that explains the event (see
        :func:`analytics.insights.detect_anomalies`).
    kind : str
        ``"spike"``, ``"drop"`` or ``"level_shift"``.
    start_date, end_date : str
        ISO dates of the first and last day (inclusive); a level shift still in force ends on the last
        complete day.
    size : float
        Actual minus expected over the event's days, in the metric's units (orders, or revenue in the
        store's currency); negative for drops and downward shifts.
    relative : float
        ``size`` over the expected total of those days (-0.65 = 65% below the baseline); infinite (None in
        ``to_dict``) when the baseline expected nothing.
    expected : float
        The baseline's total over the event's days.
    score : float
        How far the event is from the baseline, in standard errors: for a spike or a drop the combined z of
        its days (``|sum z| / sqrt(days)``, each day's residual on the square-root scale over its local robust
        spread), for a level shift the t statistic of the step (its long-run standard error allows for
        autocorrelated residuals). Higher is more anomalous; below about 5 noise can reach it on a store of a
        few thousand customers.
    related : tuple of dict
        The same event seen in other series (``metric``, ``scope``, ``score``, ``size``): the wider or
        narrower scopes and the other metric it was folded from (one event, one anomaly).
    """

    metric: str
    scope: dict[str, str]
    kind: str
    start_date: str
    end_date: str
    size: float
    relative: float
    expected: float
    score: float
    related: tuple[dict[str, Any], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (sizes rounded to cents, scores to 0.01)."""
        return {
            "metric": self.metric,
            "scope": dict(self.scope),
            "kind": self.kind,
            "start_date": self.start_date,
            "end_date": self.end_date,
            "score": round(self.score, 2),
            "size": round(self.size, 2),
            "relative": round(self.relative, 4) if math.isfinite(self.relative) else None,  # nothing expected
            "expected": round(self.expected, 2),
            "related": [dict(item) for item in self.related],
        }
