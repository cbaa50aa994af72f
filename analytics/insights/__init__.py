"""Insights: the findings an analyst would otherwise dig for in the store's numbers.

- Anomalies (:func:`detect_anomalies`) in daily orders and revenue for the company and every region, channel and
  category, judged against a baseline that knows the weekday, the season, holidays and promotions.
- The ranked feed of written findings (:func:`build_feed`): KPI changes with their drivers, anomalies, patterns,
  forecast risks and retention shifts, each with its evidence, size, confidence and link, in sentences written
  from the facts (:mod:`analytics.insights.language`).

The command line is ``python -m analytics.insights`` (:mod:`analytics.insights.cli`).
"""
from __future__ import annotations

from analytics.insights._anomalies import DEFAULT_MIN_SCORE, NotEnoughHistory, detect_anomalies, detect_in_series
from analytics.insights._result import DetectedAnomaly
from analytics.insights._series import StoreSeries, load_series
from analytics.insights.feed import build_feed, deduplicate, rank
from analytics.insights.findings import KINDS, Confidence, Evidence, Fact, Finding, Impact

__all__ = ["DEFAULT_MIN_SCORE", "DetectedAnomaly", "NotEnoughHistory", "detect_anomalies",
           "StoreSeries", "load_series", "detect_in_series",  # load once, scan many times (benchmarks/insights.py)
           "KINDS", "Confidence", "Evidence", "Fact", "Finding", "Impact", "build_feed", "deduplicate", "rank"]
