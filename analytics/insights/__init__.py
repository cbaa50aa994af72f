"""Insights: the findings an analyst would otherwise dig for in the store's numbers.

So far: anomalies (``detect_anomalies``) in daily orders and revenue for the company and every region, channel
and category, judged against a baseline that knows the weekday, the season, holidays and promotions. The
command line is ``python -m analytics.insights`` (:mod:`analytics.insights.cli`).
"""
from __future__ import annotations

from analytics.insights._anomalies import DEFAULT_MIN_SCORE, NotEnoughHistory, detect_anomalies
from analytics.insights._result import DetectedAnomaly

__all__ = ["DEFAULT_MIN_SCORE", "DetectedAnomaly", "NotEnoughHistory", "detect_anomalies"]
