"""Comparisons side by side: two regions, categories or channels over one period, or one period against the
one before it, on the KPIs the Overview shows."""
from __future__ import annotations

from analytics.chat.answers.common import DIMENSIONS, Gathered, cite, fact, filters_of, period_of
from analytics.chat.answers.kpi import KPI_FACTS, kpi_snapshot
from analytics.chat.facts import Parse
from analytics.chat.links import overview_href
from analytics.kpis import previous_period

__all__ = ["gather_compare"]


def _sides(parse: Parse, start: str, end: str) -> tuple[list[tuple[str, tuple[str, str], dict]], str | None]:
    """(label, period, filters) per side, and the dimension compared (None: two periods)."""
    filters = filters_of(parse)
    for dim in DIMENSIONS:
        value = parse.entities.get(dim)
        if isinstance(value, (list, tuple)) and len(value) >= 2:
            return [(str(member), (start, end), {**filters, dim: str(member)}) for member in value[:4]], dim
    before = previous_period(start, end)
    return [(f"{start} to {end}", (start, end), filters), (f"{before[0]} to {before[1]}", before, filters)], None


def _metrics(parse: Parse) -> list[str]:
    asked = parse.entities.get("metric")
    asked = asked if isinstance(asked, list) else [asked] if asked else []
    keys = [key for key, (name, _) in KPI_FACTS.items() if name in asked]
    return keys or list(KPI_FACTS)


def gather_compare(parse: Parse, results) -> Gathered:
    """Each asked KPI (default: all of them) for each side, and the first side's difference from the second."""
    start, end = period_of(parse, results.through)
    sides, dimension = _sides(parse, start, end)
    keys = _metrics(parse)
    facts, rows, citations = [], [], []
    snapshots = [kpi_snapshot(results, *period, scope) for _, period, scope in sides]
    for (label, period, scope), values in zip(sides, snapshots):
        row = {"side": label}
        for key in keys:
            name, unit = KPI_FACTS[key]
            facts.append(fact(f"{name} · {label}", values[key].value, unit, period, scope))
            row[name] = round(float(values[key].value), 4)
        rows.append(row)
        citations.append(cite(results, "Overview", f"KPI cards · {label}",
                              overview_href(start=period[0], end=period[1], filters=scope), period))
    first_label, second_label = sides[0][0], sides[1][0]
    for key in keys:
        name, unit = KPI_FACTS[key]
        a, b = snapshots[0][key].value, snapshots[1][key].value
        if b and a == a and b == b:  # both known (NaN != NaN)
            facts.append(fact(f"{name} difference", a / b - 1, "percent", sides[0][1], sides[0][2]))
    little = [label for (label, _, _), values in zip(sides, snapshots) if values["orders"].value < 30]
    reasons = tuple((f"little data: fewer than 30 orders for {label}", 0.3) for label in little)
    return Gathered(facts=tuple(facts), citations=tuple(citations), reasons=reasons, table=tuple(rows),
                    extra={"labels": [s[0] for s in sides], "keys": keys, "dimension": dimension,
                           "pair": (first_label, second_label)})
