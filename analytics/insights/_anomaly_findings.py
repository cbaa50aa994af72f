"""Anomaly findings: the detector's anomalies (any objects with ``metric, scope, kind, start_date, end_date, size,
relative, score``) that touch the period, written as sentences with the daily series around them as evidence.

``size`` is read as the deviation from the baseline summed over the anomaly's days, in the metric's units
(orders, or money for revenue), negative for a drop; orders are valued at the period's average order value.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from analytics.chat import overview_href
from analytics.insights import language as lang
from analytics.insights.findings import Evidence, Finding, Impact, confidence_of

__all__ = ["CONTEXT_DAYS", "anomaly_findings"]

CONTEXT_DAYS = 28  # days of the series shown either side of an anomaly
_VERBS = {"spike": "spiked", "drop": "dropped", "level_shift": "shifted"}
_FIELDS = ("metric", "scope", "kind", "start_date", "end_date", "size", "relative", "score")


def _day(value) -> str:
    return pd.Timestamp(value).date().isoformat()


def _dated(value) -> str:
    day = pd.Timestamp(value)
    return f"{day.day} {day:%b %Y}"


def _check(anomaly) -> None:
    missing = [name for name in _FIELDS if not hasattr(anomaly, name)]
    if missing:
        raise TypeError(f"an anomaly of type {type(anomaly).__name__} lacks {missing}; pass the detector's "
                        f"DetectedAnomaly objects (fields {list(_FIELDS)})")


def anomaly_findings(anomalies: Sequence, *, model, orders: pd.DataFrame, lines: pd.DataFrame,
                     customers: pd.DataFrame, period: tuple[str, str], aov: float) -> list[Finding]:
    """One finding per anomaly whose days overlap ``period`` (an open-ended level shift overlaps from its
    start); ``model`` (the KPI model) and the fact frames give the evidence series."""
    findings = []
    for anomaly in anomalies:
        _check(anomaly)
        start = _day(anomaly.start_date)
        end = _day(anomaly.end_date) if anomaly.end_date is not None else period[1]
        if end < period[0] or start > period[1]:
            continue
        series = _series(anomaly.metric, dict(anomaly.scope or {}), model, orders, lines, customers)
        findings.append(_finding(anomaly, (start, min(end, period[1])), series, aov, anomaly.end_date is None))
    return findings


def _series(metric: str, scope: dict, model, orders, lines, customers) -> pd.Series:
    """The metric per day in the scope, every day of the KPI model."""
    days = pd.date_range(model.cube["date"].min(), model.as_of, freq="D")
    if metric == "revenue":
        cube = model.cube
        for dim, value in scope.items():
            cube = cube[cube[dim].astype(str) == str(value)]
        return cube.groupby("date")["revenue"].sum().reindex(days, fill_value=0.0)
    kept = orders[orders["order_id"].isin(lines["order_id"])]
    if "region" in scope:
        region = customers.set_index("customer_id")["region"].astype(str)
        kept = kept[kept["customer_id"].map(region) == scope["region"]]
    if "channel" in scope:
        kept = kept[kept["channel"].astype(str) == scope["channel"]]
    if "category" in scope:
        kept = kept[kept["order_id"].isin(lines.loc[lines["category"].astype(str) == scope["category"], "order_id"])]
    return kept.groupby("order_date").size().reindex(days, fill_value=0).astype(float)


def _finding(anomaly, span: tuple[str, str], series: pd.Series, aov: float, ongoing: bool) -> Finding:
    metric, scope, kind = str(anomaly.metric), dict(anomaly.scope or {}), str(anomaly.kind)
    size, relative = float(anomaly.size), float(anomaly.relative)
    currency = metric == "revenue"
    shown = lang.signed_money(size) if currency else lang.signed(lang.quantity(abs(size), "order"), size)
    facts = {"relative": lang.fact(f"{metric} against the expected level", relative, "percent", span, scope,
                                   shown=lang.percent_change(relative)),
             "size": lang.fact(f"{metric} anomaly size", size, "currency" if currency else "count", span, scope,
                               shown=shown),
             "score": lang.fact("anomaly score", float(anomaly.score), "score", span, scope),
             "start": lang.fact("anomaly start", _dated(span[0]), "text", span, scope),
             "end": lang.fact("anomaly end", _dated(span[1]), "text", span, scope),
             "where": lang.fact("scope", lang.named(scope), "text", span, scope)}
    when = "since {start}" if ongoing else ("on {start}" if span[0] == span[1] else "from {start} to {end}")
    side = "above" if relative > 0 else "below"
    title = lang.write("{metric} in {where} " + _VERBS.get(kind, "moved") + " {relative} " + side + " the expected "
                       "level " + when + " ({size}); a " + kind.replace("_", " ") + " with score {score}.", facts,
                       metric=metric)
    money = size if currency else size * aov
    first = pd.Timestamp(span[0]) - pd.Timedelta(days=CONTEXT_DAYS)
    shown_days = series.loc[first:pd.Timestamp(span[1]) + pd.Timedelta(days=CONTEXT_DAYS)]
    score = float(anomaly.score)
    return Finding(kind="anomaly", title=title,
                   evidence=Evidence("line", tuple(_day(d) for d in shown_days.index),
                                     {f"daily {metric}": tuple(map(float, shown_days))},
                                     "currency" if currency else "count", span),
                   impact=Impact(size, "currency" if currency else "orders", shown, money),
                   confidence=confidence_of(1 - math.exp(-max(score, 0.0) / 3.0),
                                            f"anomaly score {score:.1f} against a baseline that knows the weekday, "
                                            "season, holidays and promotions"),
                   link=overview_href(start=span[0], end=span[1], filters=scope), facts=tuple(facts.values()),
                   key=f"anomaly:{metric}:{sorted(scope.items())}:{span[0]}", period=span, metric=metric,
                   scope=scope)
