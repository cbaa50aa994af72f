"""KPI-change findings: revenue, orders, active customers and average order value against the previous period,
with the members that drove the change.

Every number is the KPI engine's (:mod:`analytics.kpis`): the period is the model's trailing window 0 and the
comparison its window 1. The drivers come from exact additive splits, so the members' changes add up to the
whole change with no residual:

- revenue: :func:`analytics.kpis.decompose_change` on the daily cube, by region, category, channel and every
  pair of them; the driver's change is further split into volume and order value,
  ``Δrevenue = Δorders × AOV_before + orders_now × ΔAOV`` (both parts shown where both matter);
- orders: additive over region and sales channel (an order has one of each), active customers over region
  (a customer has one); the KPI table holds every member's count;
- average order value, a ratio: ``ΔAOV = Σ (w_now − w_before) × AOV_before`` (mix: orders moving between
  regions) ``+ Σ w_now × ΔAOV_region`` (rate: order values changing within regions), ``w`` each region's share
  of orders.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from analytics.chat import overview_href
from analytics.insights import language as lang
from analytics.insights.findings import Evidence, Finding, Impact, usual_change
from analytics.kpis import ALL, DIMENSIONS, KpiModel, decompose_change, kpi_values

__all__ = ["KPI_METRICS", "kpi_change_findings", "member_changes"]

KPI_METRICS: tuple[str, ...] = ("revenue", "orders", "active_customers", "aov")
_WORDS = {"revenue": "revenue", "orders": "orders", "active_customers": "active customers",
          "aov": "average order value"}
_UNITS = {"revenue": "currency", "orders": "count", "active_customers": "count", "aov": "currency"}
_ADDITIVE = {"orders": ("region", "channel"), "active_customers": ("region",)}
_PAIR_PREFERENCE = 0.75  # a pair of members is named when it explains at least this much of its best single's share
_MIN_PART = 0.1  # volume and order value are both named when each is at least this share of the driver's change


def _periods(model: KpiModel, window: int) -> tuple[tuple[str, str], tuple[str, str]]:
    end = model.as_of.normalize()
    day = pd.Timedelta(days=1)
    start, before_end = end - (window - 1) * day, end - window * day
    return ((start.date().isoformat(), end.date().isoformat()),
            ((before_end - (window - 1) * day).date().isoformat(), before_end.date().isoformat()))


def _table(model: KpiModel, window: int) -> pd.DataFrame:
    return model.table.xs(window, level="window").reset_index()


def _grouped(table: pd.DataFrame, metric: str, dims: tuple[str, ...]) -> pd.DataFrame:
    """``metric`` in periods 0 and 1 for every member of the grouping set ``dims`` (other dimensions All)."""
    mask = np.ones(len(table), dtype=bool)
    for dim in DIMENSIONS:
        mask &= (table[dim] != ALL).to_numpy() if dim in dims else (table[dim] == ALL).to_numpy()
    rows = table[mask & table["period"].isin([0, 1]).to_numpy()]
    wide = rows.pivot_table(index=list(dims), columns="period", values=metric, aggfunc="sum").reindex(columns=[0, 1])
    return wide.fillna(0.0).rename(columns={0: "current", 1: "previous"}).reset_index()


def member_changes(model: KpiModel, window: int, metric: str) -> pd.DataFrame:
    """Every member and pair of members of the dimensions ``metric`` is additive over, with ``current``,
    ``previous``, ``change`` and ``share`` (of the whole change) and ``filters`` (dict) and ``label``.

    Single dimensions' changes add up exactly to the whole change (revenue: over region, category and
    channel; orders: region and channel; active customers: region)."""
    if metric == "revenue":
        period, previous = _periods(model, window)
        result = decompose_change(model.cube, *period, previous=previous)
        groups = {(dim,): frame for dim, frame in result.by.items()}
        for pair in itertools.combinations(DIMENSIONS, 2):
            groups[pair] = result.cells.groupby(list(pair), observed=True)[["current", "previous"]].sum().reset_index()
        total = result.change
    elif metric in _ADDITIVE:
        table = _table(model, window)
        dims = _ADDITIVE[metric]
        groups = {g: _grouped(table, metric, g) for k in (1, 2) for g in itertools.combinations(dims, k)}
        first = groups[(dims[0],)]
        total = float(first["current"].sum() - first["previous"].sum())
    else:
        raise ValueError(f"metric {metric!r} has no additive split; use one of ['revenue', *{list(_ADDITIVE)}]")
    frames = []
    for dims, frame in groups.items():
        filters = [{d: str(v) for d, v in zip(dims, values)} for values in frame[list(dims)].itertuples(index=False)]
        frames.append(pd.DataFrame({"filters": filters, "label": [lang.named(f) for f in filters],
                                    "size": len(dims), "current": frame["current"].to_numpy(dtype=float),
                                    "previous": frame["previous"].to_numpy(dtype=float)}))
    members = pd.concat(frames, ignore_index=True)
    members["change"] = members["current"] - members["previous"]
    members["share"] = members["change"] / total if total else np.nan
    return members


def _driver(members: pd.DataFrame) -> pd.Series | None:
    """The member that explains most of the change in its direction; a pair of members when it explains nearly
    as much as the best single member (it says more). Ties go to the label, alphabetically."""
    moved = members[members["share"] > 0].sort_values(["share", "label"], ascending=[False, True], kind="stable")
    singles, pairs = moved[moved["size"] == 1], moved[moved["size"] == 2]
    if singles.empty:
        return None
    best = singles.iloc[0]
    if not pairs.empty and pairs.iloc[0]["share"] >= _PAIR_PREFERENCE * best["share"]:
        return pairs.iloc[0]
    return best


def _row(table: pd.DataFrame, filters: dict, period: int, metric: str) -> float:
    mask = (table["period"] == period).to_numpy()
    for dim in DIMENSIONS:
        mask &= (table[dim] == filters.get(dim, ALL)).to_numpy()
    values = table.loc[mask, metric]
    return float(values.iloc[0]) if len(values) else 0.0


def _sparkline(table: pd.DataFrame, filters: dict, metric: str, n: int) -> tuple[float, ...]:
    return tuple(_row(table, filters, period, metric) for period in reversed(range(n)))


def kpi_change_findings(model: KpiModel, window: int) -> list[Finding]:
    """One finding per KPI of :data:`KPI_METRICS` whose value changed between the model's last two ``window``-day
    periods, with its driver (see the module docstring).

    Raises
    ------
    ValueError
        When ``window`` is not one of the model's windows.
    """
    if window not in model.windows:
        raise ValueError(f"the KPI model has windows {list(model.windows)}; build it with window {window} "
                         "(analytics.kpis.build_kpi_model(..., windows=(window,)))")
    values = {v.key: v for v in kpi_values(model, window)}
    table = _table(model, window)
    findings = []
    for metric in KPI_METRICS:
        value = values[metric]
        if not (np.isfinite(value.value) and np.isfinite(value.previous)) or value.value == value.previous:
            continue
        findings.append(_finding(model, window, table, metric, value))
    return findings


def _finding(model: KpiModel, window: int, table: pd.DataFrame, metric: str, value) -> Finding:
    period, previous = _periods(model, window)
    word, unit = _WORDS[metric], _UNITS[metric]
    change = value.value - value.previous
    facts = {"metric": lang.fact(word, value.value, unit, period),
             "before": lang.fact(f"{word} (previous period)", value.previous, unit, previous),
             "change": lang.fact(f"{word} change", change, unit, period,
                                 shown=lang.signed_money(change) if unit == "currency" else lang.signed(
                                     lang.quantity(abs(change), "order" if metric == "orders" else "customer"),
                                     change)),
             "days": lang.fact("period length", window, "days", shown=lang.quantity(window, "day"))}
    if value.previous:
        facts["change %"] = lang.fact(f"{word} change %", change / value.previous, "percent", period,
                                      shown=lang.percent_change(change / value.previous))
    sentence = "{metric word} {verb} {change %} ({change}) against the previous {days}" if "change %" in facts else \
        "{metric word} {verb} by {change} against the previous {days}"
    words = {"metric word": word, "verb": lang.change_verb(change)}
    if metric == "aov":
        extra, filters = _aov_split(table, period, facts)
    else:
        extra, filters = _driver_sentence(model, window, table, metric, facts, change)
    title = lang.write(sentence + extra + ".", facts, **words)
    n = len(value.sparkline)
    series = {f"{word} (all)": value.sparkline}
    if filters and metric != "aov":
        series[f"{word} ({lang.named(filters)})"] = _sparkline(table, filters, metric, n)
    x = tuple((model.as_of.normalize() - pd.Timedelta(days=window * k)).date().isoformat() for k in reversed(range(n)))
    return Finding(kind="kpi_change", title=title,
                   evidence=Evidence("line", x, series, "currency" if unit == "currency" else "count", period),
                   impact=_impact(metric, change, value, table), confidence=usual_change(value.sparkline, word),
                   link=overview_href(start=period[0], end=period[1], filters=filters), facts=tuple(facts.values()),
                   key=f"kpi_change:{metric}:{period[0]}:{period[1]}", period=period, metric=metric,
                   scope=dict(filters))


def _driver_sentence(model, window, table, metric, facts, change) -> tuple[str, dict]:
    members = member_changes(model, window, metric)
    driver = _driver(members)
    if driver is None:
        return "", {}
    filters, label, word = driver["filters"], driver["label"], _WORDS[metric]
    facts["driver change"] = lang.fact(f"{word} change · {label}", driver["change"], _UNITS[metric],
                                       facts["metric"].period, filters,
                                       shown=lang.signed_money(driver["change"]) if metric == "revenue" else None)
    facts["driver share"] = lang.fact(f"share of the change · {label}", driver["share"], "percent",
                                      facts["metric"].period, filters, shown=lang.percent_change(driver["share"]))
    facts["driver"] = lang.fact("driver", label, "text", facts["metric"].period, filters)
    noun = "rise" if change > 0 else "fall"
    text = f"; {{driver}} explains {{driver share}} of the {noun}"
    if metric == "revenue":
        text += _volume_value(table, filters, facts, label)
    return text, filters


def _volume_value(table, filters, facts, label) -> str:
    """The revenue driver's change split into fewer/more orders and a lower/higher order value."""
    n0, n1 = _row(table, filters, 1, "orders"), _row(table, filters, 0, "orders")
    r0, r1 = _row(table, filters, 1, "revenue"), _row(table, filters, 0, "revenue")
    if not (n0 and n1):
        return ""
    aov0, aov1 = r0 / n0, r1 / n1
    volume, rate = (n1 - n0) * aov0, n1 * (aov1 - aov0)
    total = abs(volume) + abs(rate)
    if not total or min(abs(volume), abs(rate)) < _MIN_PART * total:
        return ""
    period = facts["metric"].period
    facts["volume"] = lang.fact(f"revenue change from orders · {label}", volume, "currency", period, filters,
                                shown=lang.signed_money(volume))
    facts["value"] = lang.fact(f"revenue change from order value · {label}", rate, "currency", period, filters,
                               shown=lang.signed_money(rate))
    more = "more orders" if volume > 0 else "fewer orders"
    higher = "a higher order value" if rate > 0 else "a lower order value"
    return f". In {{driver}}, {more} account for {{volume}} and {higher} for {{value}}"


def _aov_split(table: pd.DataFrame, period, facts) -> tuple[str, dict]:
    """Average order value's change as mix (orders moving between regions) and rate (within regions)."""
    revenue, orders = _grouped(table, "revenue", ("region",)), _grouped(table, "orders", ("region",))
    n0, n1 = orders["previous"].to_numpy(), orders["current"].to_numpy()
    if not (n0.sum() and n1.sum()):
        return "", {}
    with np.errstate(invalid="ignore", divide="ignore"):
        a0 = np.where(n0 > 0, revenue["previous"].to_numpy() / n0, 0.0)
        a1 = np.where(n1 > 0, revenue["current"].to_numpy() / n1, a0)
    w0, w1 = n0 / n0.sum(), n1 / n1.sum()
    mix, rate = (w1 - w0) * a0, w1 * (a1 - a0)
    top = int(np.lexsort((orders["region"].astype(str).to_numpy(), -np.abs(rate)))[0])
    region = str(orders["region"].iloc[top])
    facts["rate"] = lang.fact("average order value change within regions", float(rate.sum()), "currency", period,
                              shown=lang.signed_money(rate.sum()))
    facts["rate top"] = lang.fact(f"average order value change within {region}", float(rate[top]), "currency",
                                  period, {"region": region}, shown=lang.signed_money(rate[top]))
    facts["rate region"] = lang.fact("region", region, "text", period, {"region": region})
    facts["mix"] = lang.fact("average order value change from the regions' mix", float(mix.sum()), "currency",
                             period, shown=lang.signed_money(mix.sum()))
    return ("; order values within regions explain {rate} ({rate region} {rate top}), the shift of orders "
            "between regions {mix}"), {"region": region} if abs(rate[top]) >= abs(mix.sum()) else {}


def _impact(metric: str, change: float, value, table: pd.DataFrame) -> Impact:
    """The change in money: revenue as is, orders at the previous period's average order value, active
    customers at the previous period's revenue per active customer, order value times this period's orders."""
    revenue = _row(table, {}, 1, "revenue")
    if metric == "revenue":
        money = change
    elif metric == "aov":
        money = change * _row(table, {}, 0, "orders")
    else:
        base = _row(table, {}, 1, metric)
        money = change * (revenue / base if base else 0.0)
    if metric in ("revenue", "aov"):
        return Impact(money, "currency", lang.signed_money(money), money)
    noun = "order" if metric == "orders" else "customer"
    return Impact(change, "orders" if metric == "orders" else "customers",
                  lang.signed(lang.quantity(abs(change), noun), change), money)
