"""The Insights feed: every kind of finding for one period, one finding per event, ranked by impact × confidence.

:func:`build_feed` reads the store once (orders, lines, customers, marketing spend, promotions, retention
facts), builds the KPI model for the period's window, and gathers the findings of each kind; detected
anomalies, a demand forecast and a fitted retention analyzer are inputs (computed and cached elsewhere per
dataset version), so the feed never fits a forecast itself.

**One event, one finding.** Findings about the same event are merged into the best ranked of them (the others'
titles go to its ``related``): anomalies whose dates overlap in nested scopes (a company-wide drop seen again
in every region, an orders drop seen in revenue too); a KPI change and an anomaly inside its period, in a
related metric and a nested scope, that accounts for at least ``EXPLAINS`` of the change in the same
direction; forecast risks of the same kind on nested nodes.

**Stable.** The order is by rank score, then kind, key and title, so the same input always gives the same feed.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

import pandas as pd
from sqlalchemy import Engine

from analytics.insights._anomalies import NotEnoughHistory, detect_anomalies
from analytics.insights._anomaly_findings import anomaly_findings
from analytics.insights._forecast_risks import forecast_risk_findings
from analytics.insights._kpi_changes import kpi_change_findings
from analytics.insights._patterns import pattern_findings
from analytics.insights._retention_shifts import retention_shift_findings
from analytics.insights.findings import KINDS, Finding
from analytics.kpis import build_kpi_model, kpi_values, revenue_trend
from analytics.retention import load_retention_facts
from data import queries
from data.watermark import complete_through

__all__ = ["EXPLAINS", "build_feed", "deduplicate", "rank"]

EXPLAINS = 0.5
_RELATED = {"orders": {"orders", "revenue", "active_customers"}, "revenue": {"revenue", "aov"}}


def rank(findings: Iterable[Finding]) -> list[Finding]:
    """Findings by impact × confidence, largest first; ties by kind (in ``KINDS`` order), key, then title."""
    return sorted(findings, key=lambda f: (-round(f.rank_score, 6), KINDS.index(f.kind), f.key, f.title))


def _nested(a: dict, b: dict) -> bool:
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return all(large.get(k) == v for k, v in small.items())


def _overlap(a: tuple[str, str], b: tuple[str, str]) -> float:
    """Days of ``a`` inside ``b`` as a share of ``a``'s days."""
    start, end = max(a[0], b[0]), min(a[1], b[1])
    if start > end:
        return 0.0
    days = (pd.Timestamp(end) - pd.Timestamp(start)).days + 1
    return days / ((pd.Timestamp(a[1]) - pd.Timestamp(a[0])).days + 1)


def _same_event(a: Finding, b: Finding) -> bool:
    if a.kind == b.kind == "anomaly":
        return _overlap(a.period, b.period) > 0 and _nested(a.scope, b.scope)
    if {a.kind, b.kind} == {"kpi_change", "anomaly"}:
        change, anomaly = (a, b) if a.kind == "kpi_change" else (b, a)
        if change.metric not in _RELATED.get(anomaly.metric, ()) or not _nested(change.scope, anomaly.scope):
            return False
        inside = anomaly.impact.money * _overlap(anomaly.period, change.period)
        return inside * change.impact.money > 0 and abs(inside) >= EXPLAINS * abs(change.impact.money)
    if a.kind == b.kind == "forecast_risk":
        return a.key.split(":")[1] == b.key.split(":")[1] and _nested(a.scope, b.scope) and a.metric == b.metric
    return False


def deduplicate(findings: Sequence[Finding]) -> list[Finding]:
    """One finding per event (see the module docstring): each group of findings about the same event becomes
    its best ranked member, with the others' titles in ``related``."""
    ordered = rank(findings)
    parent = list(range(len(ordered)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(ordered)):
        for j in range(i + 1, len(ordered)):
            if _same_event(ordered[i], ordered[j]):
                parent[max(root(i), root(j))] = min(root(i), root(j))
    groups: dict[int, list[Finding]] = {}
    for i, finding in enumerate(ordered):
        groups.setdefault(root(i), []).append(finding)
    merged = []
    for members in groups.values():
        head = members[0]
        related = tuple(head.related) + tuple(m.title for m in members[1:])
        merged.append(head if not related else replace(head, related=related))
    return rank(merged)


def _default_anomalies(engine: Engine, end: pd.Timestamp) -> list:
    """The anomaly detector's findings up to ``end``; none while the store holds too little history for its
    baseline (the other findings still stand)."""
    try:
        return list(detect_anomalies(engine, through=end.date()))
    except NotEnoughHistory:
        return []


def _daily(orders: pd.DataFrame, lines: pd.DataFrame, model) -> pd.DataFrame:
    """The company's daily revenue (the KPI model's) and orders with lines, every day to the model's end."""
    trend = revenue_trend(model)
    sold = orders[orders["order_id"].isin(lines["order_id"]) & (orders["order_date"] <= model.as_of)]
    counts = sold.groupby("order_date").size().reindex(trend["date"], fill_value=0)
    return pd.DataFrame({"ds": trend["date"], "revenue": trend["revenue"], "orders": counts.to_numpy(dtype=float)})


def build_feed(engine: Engine, *, period_days: int = 30, end=None,
               anomalies: Sequence | Callable[[Engine], Sequence] | None = None, forecast=None,
               retention=None, previous_forecast=None) -> list[Finding]:
    """The ranked, deduplicated findings of the ``period_days`` days ending on ``end``.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store.
    period_days : int
        Length of the period (compared with the equally long period before it).
    end : date-like, optional
        The period's last day; default the store's last complete day (``data.watermark``).
    anomalies : sequence or callable, optional
        Detected anomalies (objects with ``metric, scope, kind, start_date, end_date, size, relative, score``;
        ``size`` the deviation from the baseline summed over the days, in the metric's units), or a function
        of the engine returning them; default the package's ``detect_anomalies`` when there is one.
    forecast, previous_forecast : DemandForecast, optional
        The current dataset version's demand forecast and the previous version's (for widened intervals).
    retention : RetentionAnalyzer or RetentionFacts, optional
        A fitted analyzer (drivers, hazard ratios and CLV for retention shifts), or just the facts; default the
        store's facts.

    Returns
    -------
    list of Finding
        Largest impact × confidence first.
    """
    if isinstance(period_days, bool) or not isinstance(period_days, int) or not 1 <= period_days <= 366:
        raise ValueError(f"period_days={period_days!r}; use a whole number of days from 1 to 366 (7, 30 or 90)")
    if end is None:
        through = complete_through(engine).through
        if through is None:
            raise ValueError("the store has no orders yet; load data first (python -m data sample)")
        end = through
    end = pd.Timestamp(end).normalize()
    orders, lines, customers = queries.order_facts(engine), queries.order_line_revenue(engine), \
        queries.customer_facts(engine)
    model = build_kpi_model(orders, lines, customers, as_of=end, windows=(period_days,))
    findings = kpi_change_findings(model, period_days)
    values = {v.key: v for v in kpi_values(model, period_days)}
    aov = values["aov"].value if math.isfinite(values["aov"].value) else 0.0
    period = ((end - pd.Timedelta(days=period_days - 1)).date().isoformat(), end.date().isoformat())
    findings += pattern_findings(_daily(orders, lines, model), queries.daily_marketing_spend(engine, through=end),
                                 queries.promotion_calendar(engine), period=period, aov=aov)
    detected = anomalies(engine) if callable(anomalies) else (
        _default_anomalies(engine, end) if anomalies is None else anomalies)
    findings += anomaly_findings(detected, model=model, orders=orders, lines=lines, customers=customers,
                                 period=period, aov=aov)
    if forecast is not None:
        findings += forecast_risk_findings(forecast, previous_forecast, 1.0 if forecast.metric == "revenue" else 0.0)
    facts, analyzer = _retention(engine, retention)
    findings += retention_shift_findings(facts, end=end, window=period_days, analyzer=analyzer)
    return deduplicate(findings)


def _retention(engine: Engine, retention):
    if retention is None:
        return load_retention_facts(engine), None
    if hasattr(retention, "facts_"):
        return retention.facts_, retention
    if hasattr(retention, "customers") and hasattr(retention, "as_of"):
        return retention, None
    raise TypeError(f"retention is a {type(retention).__name__}; pass a fitted RetentionAnalyzer, RetentionFacts "
                    "or None")
