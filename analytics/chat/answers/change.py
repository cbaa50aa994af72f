""""Why did revenue drop in March?": the change against the previous period, split exactly by region, category
and channel (``analytics.kpis.revenue_change`` on the Overview's daily revenue cube)."""
from __future__ import annotations

from analytics.chat.answers.common import Gathered, NoData, cite, fact, filters_of, first, period_of
from analytics.chat.answers.format import money
from analytics.chat.facts import Parse
from analytics.chat.links import overview_href
from analytics.kpis import revenue_change

__all__ = ["TOP_CONTRIBUTORS", "gather_change"]

TOP_CONTRIBUTORS = 2  # members per dimension named in the answer


def gather_change(parse: Parse, results) -> Gathered:
    """Revenue in the question's period (default: the last 30 complete days) against the previous month (for a
    whole month) or the equally long period before, and each dimension's largest contributions to the change."""
    start, end = period_of(parse, results.through)
    filters = filters_of(parse)
    try:
        result = revenue_change(results.kpi_model(), start, end, filters)
    except ValueError as error:
        raise NoData(str(error)) from None
    notice = None
    metric = first(parse.entities.get("metric"))
    if metric not in (None, "revenue"):
        notice = f"Changes are decomposed for revenue only, not {metric}; this is revenue."
    period, before = result.period, result.previous_period
    facts = [fact("revenue", result.current, "currency", period, filters),
             fact("revenue (previous period)", result.previous, "currency", before, filters),
             fact("revenue change", result.change, "currency", period, filters, shown=_signed(result.change))]
    if result.previous:
        facts.append(fact("revenue change %", result.relative, "percent", period, filters))
    table, contributors = _contributions(result, filters, facts)
    reasons = []
    if result.previous < 1000:
        reasons.append(("little data: the previous period's revenue is small", 0.3))
    citations = (cite(results, "Overview", "Revenue by region, category and channel",
                      overview_href(start=start, end=end, filters=filters), period),
                 cite(results, "Overview", "Previous period", overview_href(start=before[0], end=before[1],
                                                                            filters=filters), before))
    return Gathered(facts=tuple(facts), citations=citations, reasons=tuple(reasons), table=tuple(table), notice=notice,
                    extra={"contributors": contributors})


def _signed(change: float) -> str:
    return ("+" if change > 0 else "") + money(change)


def _contributions(result, filters: dict, facts: list) -> tuple[list, dict]:
    """Each unfiltered dimension's members as table rows; the largest ``TOP_CONTRIBUTORS`` also as facts."""
    period = result.period
    table, contributors = [], {}
    for dim, frame in result.by.items():
        if dim in filters:
            continue
        named = []
        for row in frame.head(TOP_CONTRIBUTORS).itertuples(index=False):
            member = str(getattr(row, dim))
            facts.append(fact(f"revenue change · {member}", float(row.change), "currency", period,
                              {**filters, dim: member}, shown=_signed(float(row.change))))
            named.append(member)
        contributors[dim] = named
        table.extend({"dimension": dim, "member": str(getattr(row, dim)), "current": round(float(row.current), 2),
                      "previous": round(float(row.previous), 2), "change": round(float(row.change), 2)}
                     for row in frame.itertuples(index=False))
    return table, contributors
