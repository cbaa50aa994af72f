"""Forecast-risk findings from a demand forecast (:class:`analytics.forecasting.DemandForecast`), never fitted
here: nodes whose forecast for the next ``RISK_DAYS`` days falls below the same days last year, and nodes whose
80% interval widened against the previous dataset version's forecast.

- **Below last year**: the forecast's sum over the next ``RISK_DAYS`` days against the history's sum over the
  same weekdays 364 days earlier. How sure: the chance that the days' total ends below last year's, reading
  the summed 80% bounds as a normal interval (a sum of bounds is wider than the bound of a sum, so this is
  cautious). The reason: an event of last year's days that is not in this year's calendar, else the last 90
  days' run against the same days a year before.
- **Wider intervals**: the mean 80% interval width relative to the mean, over the days both forecasts cover,
  at least ``WIDER_RATIO`` times the previous forecast's; the reason is the backtest error (MASE) when it rose.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import norm

from analytics.chat import forecast_horizon, forecast_href
from analytics.insights import language as lang
from analytics.insights.findings import Evidence, Finding, Impact, confidence_of

__all__ = ["RISK_DAYS", "WIDER_RATIO", "forecast_risk_findings"]

RISK_DAYS, YEAR_DAYS, RECENT_DAYS = 30, 364, 90
MIN_DROP = 0.03  # a forecast less than 3% below last year is noise, not a risk
WIDER_RATIO = 1.25
_Z80 = float(norm.ppf(0.9))
_TOTAL = "total"


def _scope(node: str) -> dict[str, str]:
    if node == _TOTAL:
        return {}
    region, _, category = node.partition("/")
    return {"region": region, **({"category": category} if category else {})}


def _name(node: str) -> str:
    return lang.named(_scope(node))


def _day(value) -> str:
    return pd.Timestamp(value).date().isoformat()


def _check(forecast) -> None:
    missing = [name for name in ("history", "forecast", "nodes", "as_of", "metric") if not hasattr(forecast, name)]
    if missing:
        raise TypeError(f"forecast lacks {missing}; pass the DemandForecast that "
                        "analytics.forecasting.store_demand_forecast returns")


def forecast_risk_findings(forecast, previous=None, unit_value: float = 1.0) -> list[Finding]:
    """Forecast risks of ``forecast`` (and, given the previous dataset version's ``previous``, widened
    intervals). ``unit_value`` is the money per unit of the forecast's metric (1 for revenue)."""
    _check(forecast)
    findings = [f for node in forecast.nodes if (f := _below_last_year(forecast, node, unit_value)) is not None]
    if previous is not None:
        _check(previous)
        findings += [f for node in forecast.nodes if node in previous.nodes
                     and (f := _wider(forecast, previous, node, unit_value)) is not None]
    return findings


def _ahead(forecast, node: str) -> pd.DataFrame:
    part = forecast.forecast[forecast.forecast["unique_id"] == node].sort_values("ds")
    return part[part["ds"] > forecast.as_of].head(RISK_DAYS)


def _history(forecast, node: str) -> pd.Series:
    part = forecast.history[forecast.history["unique_id"] == node]
    return part.set_index("ds")["y"].sort_index()


def _below_last_year(forecast, node: str, unit_value: float) -> Finding | None:
    ahead, history = _ahead(forecast, node), _history(forecast, node)
    if ahead.empty:
        return None
    before = history.reindex(ahead["ds"] - pd.Timedelta(days=YEAR_DAYS))
    if before.isna().any() or before.sum() <= 0:
        return None
    mean, last_year = float(ahead["mean"].sum()), float(before.sum())
    change = mean / last_year - 1.0
    if change > -MIN_DROP:
        return None
    sd = max(float(ahead["hi-80"].sum() - ahead["lo-80"].sum()) / (2 * _Z80), 1e-9)
    chance = float(norm.cdf((last_year - mean) / sd))
    period = (_day(ahead["ds"].iloc[0]), _day(ahead["ds"].iloc[-1]))
    ly_period = (_day(before.index[0]), _day(before.index[-1]))
    currency = forecast.metric == "revenue"
    gap = mean - last_year
    shown = lang.signed_money(gap) if currency else lang.signed(lang.quantity(abs(gap), "unit"), gap)
    facts = {"days": lang.fact("forecast days", len(ahead), "days", period, _scope(node),
                               shown=lang.quantity(len(ahead), "day")),
             "change": lang.fact(f"{forecast.metric} forecast change", change, "percent", period, _scope(node),
                                 shown=lang.percent_change(change)),
             "gap": lang.fact(f"{forecast.metric} forecast against last year", gap, "currency" if currency
                              else "count", period, _scope(node), shown=shown),
             "node": lang.fact("node", _name(node), "text", period, _scope(node))}
    reason = _reason(forecast, node, ahead, history, ly_period, facts)
    title = lang.write("The {metric} forecast for {node} over the next {days} is {change} below the same days "
                       "last year ({gap}): " + reason + ".", facts, metric=forecast.metric)
    series = {"forecast": tuple(map(float, ahead["mean"])), "lo-80": tuple(map(float, ahead["lo-80"])),
              "hi-80": tuple(map(float, ahead["hi-80"])), "last year": tuple(map(float, before))}
    evidence = Evidence("line", tuple(_day(d) for d in ahead["ds"]), series,
                        "currency" if currency else "count", period)
    return Finding(kind="forecast_risk", title=title, evidence=evidence,
                   impact=Impact(gap, "currency" if currency else "units", shown, gap * unit_value),
                   confidence=confidence_of(chance, f"a {chance:.0%} chance the days' total ends below last year's, "
                                                    "from the forecast's 80% intervals"),
                   link=forecast_href(metric=forecast.metric, h=forecast_horizon(len(ahead)), node=node),
                   facts=tuple(facts.values()), key=f"forecast_risk:below_last_year:{node}", period=period,
                   metric=forecast.metric, scope=_scope(node))


def _reason(forecast, node: str, ahead: pd.DataFrame, history: pd.Series, ly_period, facts: dict) -> str:
    """Why, as a template (its names and numbers added to ``facts``): an event of last year's days missing
    from this year's, else the recent run against last year."""
    events = getattr(forecast, "events", None)
    if events is not None and len(events):
        mine = events[events["unique_id"] == node]
        then = mine[(mine["ds"] >= ly_period[0]) & (mine["ds"] <= ly_period[1])]["name"]
        now = set(mine[mine["ds"].isin(ahead["ds"])]["name"])
        missing = sorted(set(then) - now)
        if missing:
            facts["event"] = lang.fact("missing event", missing[0], "text", ly_period, _scope(node))
            return "last year's days had {event}, which is not in this year's calendar"
    recent = history.iloc[-RECENT_DAYS:]
    year_before = history.reindex(recent.index - pd.Timedelta(days=YEAR_DAYS))
    if year_before.notna().all() and year_before.sum() > 0 and recent.sum() < year_before.sum():
        run = float(recent.sum() / year_before.sum() - 1)
        facts["recent days"] = lang.fact("recent days", len(recent), "days", shown=lang.quantity(len(recent), "day"))
        facts["recent"] = lang.fact("recent run against a year before", run, "percent",
                                    (_day(recent.index[0]), _day(recent.index[-1])), _scope(node),
                                    shown=lang.percent_change(run))
        return "the last {recent days} already ran {recent} below the same days a year before"
    return "the forecast's trend and season point lower than last year's level"


def _width(forecast, node: str, days: pd.Index) -> float:
    part = forecast.forecast[(forecast.forecast["unique_id"] == node) & forecast.forecast["ds"].isin(days)]
    mean = part["mean"].to_numpy(dtype=float)
    keep = mean > 0
    if not keep.any():
        return math.nan
    return float(np.mean((part["hi-80"].to_numpy()[keep] - part["lo-80"].to_numpy()[keep]) / mean[keep]))


def _wider(forecast, previous, node: str, unit_value: float) -> Finding | None:
    ahead = _ahead(forecast, node)
    common = pd.Index(ahead["ds"]).intersection(pd.Index(previous.forecast["ds"].unique()))
    now, before = _width(forecast, node, common), _width(previous, node, common)
    if not (np.isfinite(now) and np.isfinite(before)) or before <= 0 or now < WIDER_RATIO * before:
        return None
    period = (_day(common.min()), _day(common.max()))
    facts = {"node": lang.fact("node", _name(node), "text", period, _scope(node)),
             "now": lang.fact("80% interval width, relative to the forecast", now / 2, "percent", period,
                              _scope(node), shown="±" + lang.percent_change(now / 2)),
             "before": lang.fact("previous 80% interval width, relative to the forecast", before / 2, "percent",
                                 period, _scope(node), shown="±" + lang.percent_change(before / 2))}
    title = lang.write("The {metric} forecast for {node} is less certain than the previous dataset version's: its "
                       "80% interval widened from {before} to {now} of the forecast{reason}.", facts,
                       metric=forecast.metric, reason=_mase_reason(forecast, previous, node, facts))
    part = ahead[ahead["ds"].isin(common)]
    extra = float((part["hi-80"] - part["lo-80"]).sum()) * (1 - before / now) / 2
    ratio = now / before
    return Finding(kind="forecast_risk", title=title,
                   evidence=Evidence("line", tuple(_day(d) for d in part["ds"]),
                                     {"forecast": tuple(map(float, part["mean"])),
                                      "lo-80": tuple(map(float, part["lo-80"])),
                                      "hi-80": tuple(map(float, part["hi-80"]))}, "currency", period),
                   impact=Impact(extra, "currency", lang.money(extra), extra * unit_value),
                   confidence=confidence_of(1 - math.exp(-2 * (ratio - 1)), f"the interval is {ratio:.2f} times "
                                                                            "as wide as before"),
                   link=forecast_href(metric=forecast.metric, h=forecast_horizon(len(part)), node=node),
                   facts=tuple(facts.values()), key=f"forecast_risk:wider:{node}", period=period,
                   metric=forecast.metric, scope=_scope(node))


def _mase_reason(forecast, previous, node: str, facts: dict) -> str:
    def mase(result) -> float:
        table = getattr(result, "backtest", None)
        if table is None or not len(table):
            return math.nan
        rows = table[(table["unique_id"] == node) & (table["model"] == "ensemble")]["mase"]
        return float(rows.iloc[0]) if len(rows) else math.nan
    now, before = mase(forecast), mase(previous)
    if np.isfinite(now) and np.isfinite(before) and now > before:
        facts["mase"] = lang.fact("backtest MASE", now, "score")
        facts["mase before"] = lang.fact("previous backtest MASE", before, "score")
        return lang.write(", because its backtest error rose (MASE {mase before} to {mase})", facts)
    return ""
