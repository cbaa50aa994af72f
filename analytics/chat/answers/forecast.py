"""Forecast answers: the demand forecast of a region and/or category node, its total over the horizon and its
80% and 95% intervals, read from the same forecast the Forecast page shows."""
from __future__ import annotations

import pandas as pd

from analytics.chat.answers.common import Gathered, NoData, cite, fact, filters_of, first, unsupported
from analytics.chat.facts import Parse
from analytics.chat.links import FORECAST_METRICS, forecast_horizon, forecast_href, forecast_node

__all__ = ["DEFAULT_HORIZON_DAYS", "gather_forecast"]

DEFAULT_HORIZON_DAYS = 30
_LEVELS = (80, 95)


def _nodes(result, region: str | None, category: str | None) -> tuple[str, ...]:
    """The hierarchy nodes whose sum is what was asked: one node, or a category across every region."""
    if category and not region:
        return tuple(n for n in result.nodes if n.count("/") == 1 and n.rsplit("/", 1)[1] == category)
    node = forecast_node(region, category)
    return (node,) if node in result.nodes else ()


def _facts(daily, metric: str, days: int, period: tuple[str, str], filters: dict) -> list:
    unit = "currency" if metric == "revenue" else "count"
    facts = [fact(f"forecast {metric} total", float(daily["mean"].sum()), unit, period, filters),
             fact("horizon", days, "days", period, filters)]
    for level in _LEVELS:
        for side, word in (("lo", "lower"), ("hi", "upper")):
            facts.append(fact(f"forecast {metric} total {word} {level}%", float(daily[f"{side}-{level}"].sum()), unit,
                              period, filters))
    facts.append(fact(f"forecast {metric} per day", float(daily["mean"].mean()), unit, period, filters))
    return facts


def _reasons(daily, nodes) -> list[tuple[str, float]]:
    """Confidence from the daily 80% interval's mean width relative to the forecast."""
    width = float(((daily["hi-80"] - daily["lo-80"]) / daily["mean"].where(daily["mean"] > 0)).mean())
    reasons = [(f"the daily 80% interval is {width:.0%} of the forecast on average", min(0.6, width / 2))] \
        if pd.notna(width) else [("the forecast has no interval width to judge", 0.3)]
    if len(nodes) > 1:
        reasons.append((f"summed over {len(nodes)} regions' forecasts", 0.05))
    return reasons


def gather_forecast(parse: Parse, results) -> Gathered:
    """The forecast of revenue or units over ``horizon_days`` (default 30) for the question's node.

    The total is the sum of the daily forecasts. Daily 80%/95% intervals do not add up into an interval of the
    total; the answer states the sums of the daily bounds, a deliberately wide range (it assumes every day errs
    the same way), and uses the mean relative width of the daily 80% interval for its confidence.
    """
    metric = first(parse.entities.get("metric")) or "revenue"
    notice = unsupported(parse, ("region", "category"), "The demand forecast")
    if metric not in FORECAST_METRICS:
        notice = f"The demand forecast covers revenue and units, not {metric}; this is the revenue forecast."
        metric = "revenue"
    days = int(parse.entities.get("horizon_days") or DEFAULT_HORIZON_DAYS)
    h = forecast_horizon(days)
    if days > h:
        notice = f"The forecast looks at most {h} days ahead; this answer covers {h} days."
        days = h
    filters = filters_of(parse, ("region", "category"))
    result = results.forecast(metric, h)
    nodes = _nodes(result, filters.get("region"), filters.get("category"))
    if not nodes:
        raise NoData(f"the forecast has no node for {' / '.join(filters.values())}; ask about a region and "
                     "category that have sales")
    frame = result.forecast[result.forecast["unique_id"].isin(nodes)]
    daily = frame.groupby("ds")[["mean", *[f"{side}-{lvl}" for lvl in _LEVELS for side in ("lo", "hi")]]].sum()
    daily = daily.sort_index().iloc[:days]
    period = (f"{daily.index[0]:%Y-%m-%d}", f"{daily.index[-1]:%Y-%m-%d}")
    facts = _facts(daily, metric, days, period, filters)
    reasons = _reasons(daily, nodes)
    model = str(frame["model"].iloc[0]) if "model" in frame else "ensemble"
    href = forecast_href(metric=metric, h=h, node=nodes[0] if len(nodes) == 1 else "total")
    citation = cite(results, "Forecast", "Forecast chart and intervals", href, period, model=model,
                    model_version=f"fitted through {result.as_of:%Y-%m-%d}")
    series = {"name": f"{metric} forecast", "x": [f"{d:%Y-%m-%d}" for d in daily.index],
              "y": [round(float(v), 2) for v in daily["mean"]],
              "lo": [round(float(v), 2) for v in daily["lo-80"]], "hi": [round(float(v), 2) for v in daily["hi-80"]]}
    return Gathered(facts=tuple(facts), citations=(citation,), reasons=tuple(reasons), series=series, notice=notice,
                    extra={"metric": metric, "nodes": nodes})
