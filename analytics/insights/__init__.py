"""Insights: the ranked feed of written findings — KPI changes with their drivers, anomalies, patterns, forecast
risks and retention shifts — each with its evidence, size, confidence and link (:func:`build_feed`), and the
language its sentences are written in (:mod:`analytics.insights.language`)."""
from __future__ import annotations

from analytics.insights.findings import KINDS, Confidence, Evidence, Fact, Finding, Impact
from analytics.insights.feed import build_feed, deduplicate, rank

__all__ = ["KINDS", "Confidence", "Evidence", "Fact", "Finding", "Impact", "build_feed", "deduplicate", "rank"]
