"""Customer answers from the fitted RetentionAnalyzer the Retention page shows: cohort retention and survival,
lifetime value by group, and the RFM segments."""
from __future__ import annotations

import math
import re

from analytics.chat.answers.common import Gathered, NoData, cite, fact, filters_of
from analytics.chat.facts import Parse
from analytics.chat.links import retention_href

__all__ = ["RETENTION_MONTHS", "gather_retention", "gather_clv", "gather_segment"]

RETENTION_MONTHS = (1, 3, 12)
_GROUPS = ("segment", "region", "channel", "plan")
_BY = re.compile(r"\b(?:by|per|across|each)\s+(segment|region|channel|plan|rfm)s?\b", re.IGNORECASE)


def _as_of(analyzer) -> str:
    return f"{analyzer.facts_.as_of:%Y-%m-%d}"


def _group(parse: Parse, default: str | None) -> tuple[str | None, str | None]:
    """(grouping, member): the member a question names ("SMB"), else the grouping it asks by ("by region")."""
    named = filters_of(parse, _GROUPS[:3])
    if named:
        key = next(iter(named))
        return key, named[key]
    match = _BY.search(parse.text or "")
    if match:
        return ("rfm_segment" if match.group(1).lower() == "rfm" else match.group(1).lower()), None
    return default, None


def gather_retention(parse: Parse, results) -> Gathered:
    """Size-weighted cohort retention after 1, 3 and 12 months, and the Kaplan–Meier median lifetime and one-year
    survival (overall, or of the segment/region/channel the question names)."""
    analyzer = results.retention()
    as_of = _as_of(analyzer)
    facts = []
    for month in RETENTION_MONTHS:
        share = analyzer.cohorts_.average(month)
        if not math.isnan(share):
            facts.append(fact(f"retention after {month} month{'s' if month > 1 else ''}", share, "percent"))
    by, member = _group(parse, None)
    km = analyzer.kaplan_meier(by if member else None)
    label = member or "All"
    if label not in km.medians:
        raise NoData(f"there is no survival curve for {member!r}; pick one of {sorted(map(str, km.medians))}")
    scope = {by: member} if member else {}
    median = km.medians[label]
    facts.append(fact("median customer lifetime", median if math.isfinite(median) else "beyond the data",
                      "days" if math.isfinite(median) else "text", None, scope))
    curve = km.curves[(km.curves["group"] == label) & (km.curves["timeline_days"] <= 365)]
    if len(curve):
        facts.append(fact("survival after one year", float(curve["survival"].iloc[-1]), "percent", None, scope))
    citations = (cite(results, "Retention", "Cohorts", retention_href(), (as_of, as_of)),
                 cite(results, "Retention", "Survival curves", retention_href(by=by if member else None),
                      (as_of, as_of), model="Kaplan–Meier"))
    return Gathered(facts=tuple(facts), citations=citations, extra={"member": member})


def gather_clv(parse: Parse, results) -> Gathered:
    """Lifetime value of active customers per segment (or region, channel, plan; or the one group named)."""
    analyzer = results.retention()
    by, member = _group(parse, "segment")
    frame = analyzer.clv_by_segment(by)
    if member is not None:
        frame = frame[frame[by].astype(str) == member]
        if frame.empty:
            raise NoData(f"no active customer is in {by} {member}")
    facts, table = [], []
    horizon = analyzer.clv_.horizon_days
    for row in frame.itertuples(index=False):
        name, scope = str(getattr(row, by)), {by: str(getattr(row, by))}
        facts.append(fact(f"total CLV · {name}", float(row.clv_total), "currency", None, scope))
        if not math.isnan(row.clv_mean):
            facts.append(fact(f"average CLV · {name}", float(row.clv_mean), "currency", None, scope))
        facts.append(fact(f"active customers · {name}", int(row.customers), "count", None, scope))
        table.append({by: name, "customers": int(row.customers), "valued": int(row.valued),
                      "total CLV": round(float(row.clv_total), 2),
                      "average CLV": None if math.isnan(row.clv_mean) else round(float(row.clv_mean), 2)})
    facts.append(fact("CLV horizon", horizon, "days"))
    citation = cite(results, "Retention", "Lifetime value", retention_href(by=by if by in _GROUPS else None),
                    (_as_of(analyzer), _as_of(analyzer)), model="BG/NBD + Gamma-Gamma",
                    model_version=f"{horizon}-day horizon, fitted through {_as_of(analyzer)}")
    return Gathered(facts=tuple(facts), citations=(citation,), table=tuple(table), extra={"by": by})


def gather_segment(parse: Parse, results) -> Gathered:
    """The RFM segments: each one's size, share of customers and of value, and churn rate."""
    analyzer = results.retention()
    profiles = analyzer.segments_.profiles
    facts, table = [], []
    for row in profiles.itertuples(index=False):
        name = str(row.segment)
        facts.append(fact(f"customers · {name}", int(row.size), "count"))
        facts.append(fact(f"share of customers · {name}", float(row.share), "percent"))
        facts.append(fact(f"share of value · {name}", float(row.value_share), "percent"))
        if not math.isnan(row.churn_rate):
            facts.append(fact(f"churn rate · {name}", float(row.churn_rate), "percent"))
        table.append({"segment": name, "customers": int(row.size), "share": round(float(row.share), 4),
                      "value share": round(float(row.value_share), 4), "description": str(row.description)})
    citation = cite(results, "Retention", "RFM segments", retention_href(), (_as_of(analyzer), _as_of(analyzer)),
                    model=f"KMeans RFM segments (k={analyzer.segments_.k})",
                    model_version=f"fitted through {_as_of(analyzer)}")
    return Gathered(facts=tuple(facts), citations=(citation,), table=tuple(table),
                    extra={"segments": [row["segment"] for row in table]})
