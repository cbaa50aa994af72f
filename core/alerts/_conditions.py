"""When a rule holds: the KPI threshold, the change against the previous period, or a recent anomaly.

Each check returns the ``Condition``s that hold now, each with its dedup key: the period for KPI rules (a rule holds
at most once per period however many dataset versions arrive in it), the anomaly itself for anomaly rules (its
metric, scope, kind and start: an anomaly that goes on for days is one alert).
"""
from __future__ import annotations

import datetime as dt
import json
import math
import operator as op
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from analytics.kpis import KPI_DEFINITIONS, KpiModel, kpi_values
from core.alerts._rules import AlertRule

__all__ = ["Condition", "anomaly_conditions", "kpi_condition", "show"]

_COMPARE = {"<": op.lt, "<=": op.le, ">": op.gt, ">=": op.ge}
_WORDS = {"<": "below", "<=": "at or below", ">": "above", ">=": "at or above"}


@dataclass(frozen=True)
class Condition:
    """A rule that holds: what the alert says, the numbers behind it, and its dedup key."""

    dedup_key: str
    title: str
    body: str
    values: dict[str, Any] = field(default_factory=dict)


def show(value: float, unit: str) -> str:
    """A KPI value in its unit, exactly (alerts quote numbers people compare with the pages)."""
    if unit == "currency":
        return f"${value:,.2f}"
    if unit == "percent":
        return f"{value:.2f}%"
    return f"{value:,.0f}"


def _where(scope: dict[str, str]) -> str:
    return " / ".join(scope[key] for key in ("region", "channel", "category") if key in scope) or "the whole company"


def _period(through: dt.date, days: int, back: int = 0) -> tuple[dt.date, dt.date]:
    end = through - dt.timedelta(days=days * back)
    return end - dt.timedelta(days=days - 1), end


def _measured(model: KpiModel, rule: AlertRule) -> tuple[float, float]:
    """The rule's KPI in its scope over the last ``window_days`` and the period before (percent KPIs in percent)."""
    value = next(v for v in kpi_values(model, rule.window_days, rule.scope) if v.key == rule.metric)
    scale = 100.0 if KPI_DEFINITIONS[rule.metric].unit == "percent" else 1.0
    return float(value.value) * scale, float(value.previous) * scale


def kpi_condition(model: KpiModel, rule: AlertRule, through: dt.date) -> Condition | None:
    """A threshold or change rule against the KPI model (built with ``rule.window_days`` among its windows)."""
    value, previous = _measured(model, rule)
    start, end = _period(through, rule.window_days)
    before = _period(through, rule.window_days, back=1)
    unit = KPI_DEFINITIONS[rule.metric].unit
    label = KPI_DEFINITIONS[rule.metric].label
    values = {"metric": rule.metric, "unit": unit, "scope": rule.scope, "value": value, "previous": previous,
              "start": start.isoformat(), "end": end.isoformat(), "previous_start": before[0].isoformat(),
              "previous_end": before[1].isoformat(), "operator": rule.operator, "threshold": rule.threshold}
    if rule.kind == "change":
        if not (math.isfinite(value) and math.isfinite(previous)) or previous == 0:
            return None
        change = (value - previous) / abs(previous) * 100.0
        if not _COMPARE[rule.operator](change, rule.threshold):
            return None
        title = f"{label} in {_where(rule.scope)} changed {change:+.1f}% against the previous {rule.window_days} days"
        body = (f"{label} in {_where(rule.scope)} was {show(value, unit)} from {start} to {end}, against "
                f"{show(previous, unit)} from {before[0]} to {before[1]}: {change:+.1f}%, "
                f"{_WORDS[rule.operator]} the rule's {rule.threshold:+g}% (rule \"{rule.name}\").")
        return Condition(f"change:{start}..{end}", title, body, {**values, "change_pct": change})
    if not math.isfinite(value) or not _COMPARE[rule.operator](value, rule.threshold):
        return None
    title = (f"{label} in {_where(rule.scope)}: {show(value, unit)} over the last {rule.window_days} days, "
             f"{_WORDS[rule.operator]} {show(rule.threshold, unit)}")
    body = (f"{label} in {_where(rule.scope)} was {show(value, unit)} from {start} to {end} "
            f"({show(previous, unit)} in the {rule.window_days} days before), {_WORDS[rule.operator]} the rule's "
            f"threshold of {show(rule.threshold, unit)} (rule \"{rule.name}\").")
    return Condition(f"threshold:{start}..{end}", title, body, values)


def _iso(value: Any) -> str:
    return value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)[:10]


def _matches(rule: AlertRule, anomaly: Any, since: str) -> bool:
    scope = dict(anomaly.scope or {})
    return (float(anomaly.score) > rule.min_score and (rule.metric is None or anomaly.metric == rule.metric)
            and all(scope.get(key) == member for key, member in rule.scope.items())
            and _iso(anomaly.end_date) >= since)


def anomaly_conditions(rule: AlertRule, anomalies: Iterable[Any], through: dt.date) -> list[Condition]:
    """Every anomaly above the rule's score, of its metric and inside its scope, that ended in the rule's window.

    ``anomalies``: objects with ``metric, scope, kind, start_date, end_date, score`` (``analytics.insights``).
    """
    since = _period(through, rule.window_days)[0].isoformat()
    found = []
    for anomaly in anomalies:
        if not _matches(rule, anomaly, since):
            continue
        scope = dict(anomaly.scope or {})
        start, end, score = _iso(anomaly.start_date), _iso(anomaly.end_date), float(anomaly.score)
        key = f"anomaly:{anomaly.metric}:{json.dumps(scope, sort_keys=True)}:{anomaly.kind}:{start}"
        label = KPI_DEFINITIONS.get(anomaly.metric).label if anomaly.metric in KPI_DEFINITIONS else anomaly.metric
        kind = str(anomaly.kind).replace("_", " ")
        dates = start if start == end else f"{start} to {end}"
        title = f"{label} {kind} in {_where(scope)} ({dates}), score {score:.1f}"
        body = (f"An anomaly in daily {str(anomaly.metric).lower()} of {_where(scope)}: a {kind} from {start} to "
                f"{end} with a score of {score:.2f}, above the rule's {rule.min_score:g} (rule \"{rule.name}\").")
        values = {"metric": anomaly.metric, "scope": scope, "kind": anomaly.kind, "start_date": start,
                  "end_date": end, "score": score, "min_score": rule.min_score}
        found.append(Condition(key[:255], title[:200], body, values))
    return found
