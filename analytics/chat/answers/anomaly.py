"""Unusual days, until the anomaly engine (issue 16) lands: days whose revenue falls outside a weekday-adjusted
robust band, a simple computation the answer names.

For each day, the band is the median of the same weekday over the previous ``WEEKS`` weeks, plus or minus
``THRESHOLD`` times their scaled median absolute deviation (1.4826 × MAD, the normal-consistent robust spread).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.chat.answers.common import Gathered, NoData, cite, fact, filters_of, period_of
from analytics.chat.facts import Parse
from analytics.chat.links import overview_href
from analytics.kpis import revenue_trend

__all__ = ["WEEKS", "THRESHOLD", "METHOD", "weekday_band", "gather_anomaly"]

WEEKS, THRESHOLD, MAX_LISTED = 8, 3.0, 5
METHOD = (f"a day is unusual when its revenue is outside the median of the same weekday over the previous {WEEKS} "
          f"weeks ± {THRESHOLD:g} robust standard deviations (a simple check until the anomaly engine is in place)")


def weekday_band(daily: pd.Series, weeks: int = WEEKS, threshold: float = THRESHOLD) -> pd.DataFrame:
    """``value, expected, lower, upper, unusual`` per day of ``daily`` (a gap-free daily series): the band comes
    from the same weekday's previous ``weeks`` values; days with fewer than ``weeks`` of them get no band."""
    values = daily.to_numpy(dtype=float)
    expected = np.full(len(values), np.nan)
    spread = np.full(len(values), np.nan)
    for i in range(7 * weeks, len(values)):
        same = values[i - 7 * weeks:i:7]
        expected[i] = np.median(same)
        spread[i] = 1.4826 * np.median(np.abs(same - expected[i]))
    lower, upper = expected - threshold * spread, expected + threshold * spread
    unusual = (spread > 0) & ((values < lower) | (values > upper))
    return pd.DataFrame({"value": values, "expected": expected, "lower": lower, "upper": upper, "unusual": unusual},
                        index=daily.index)


def gather_anomaly(parse: Parse, results) -> Gathered:
    """The unusual revenue days in the question's period (default: the last 90 complete days) and filters."""
    start, end = period_of(parse, results.through, 90)
    filters = filters_of(parse)
    try:
        trend = revenue_trend(results.kpi_model(), filters)
    except ValueError as error:
        raise NoData(str(error)) from None
    band = weekday_band(trend.set_index("date")["revenue"])
    window = band.loc[pd.Timestamp(start):pd.Timestamp(end)]
    checked = window.dropna(subset=["expected"])
    if checked.empty:
        raise NoData(f"there are fewer than {WEEKS} weeks of history before {start} to judge what is usual")
    found = checked[checked["unusual"]]
    found = found.reindex(found["value"].sub(found["expected"]).abs().sort_values(ascending=False).index)
    period = (f"{checked.index[0]:%Y-%m-%d}", f"{checked.index[-1]:%Y-%m-%d}")
    facts = [fact("unusual days", len(found), "count", period, filters),
             fact("days checked", len(checked), "count", period, filters)]
    table = []
    for day, row in found.head(MAX_LISTED).iterrows():
        iso = f"{day:%Y-%m-%d}"
        facts.append(fact(f"revenue on {iso}", float(row["value"]), "currency", (iso, iso), filters))
        facts.append(fact(f"expected revenue on {iso}", float(row["expected"]), "currency", (iso, iso), filters))
        table.append({"date": iso, "weekday": f"{day:%A}", "revenue": round(float(row["value"]), 2),
                      "expected": round(float(row["expected"]), 2), "low": round(float(row["lower"]), 2),
                      "high": round(float(row["upper"]), 2)})
    citation = cite(results, "Overview", "Revenue trend", overview_href(start=period[0], end=period[1],
                                                                       filters=filters), period)
    series = {"name": "daily revenue", "x": [f"{d:%Y-%m-%d}" for d in window.index],
              "y": [round(float(v), 2) for v in window["value"]],
              "lo": [None if np.isnan(v) else round(float(v), 2) for v in window["lower"]],
              "hi": [None if np.isnan(v) else round(float(v), 2) for v in window["upper"]]}
    return Gathered(facts=tuple(facts), citations=(citation,), table=tuple(table), series=series,
                    reasons=(("unusual days come from a simple weekday-adjusted band, not a trained model", 0.15),),
                    extra={"method": METHOD})
