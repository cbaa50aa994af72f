"""Pattern findings: trend changes in weekly revenue and orders, the strength of the weekly and yearly season,
and marketing spend that leads orders.

- **Trend change**: on the log of weekly totals (the yearly season taken out by STL when there are two years),
  a broken line ``a + b·t + c·(t − k)⁺`` is fitted for every candidate week ``k`` of the last year; the week
  whose slope change ``c`` has the largest t-statistic (its standard error inflated for the residuals' lag-1
  autocorrelation) is the change point, reported when ``|t| ≥ TREND_MIN_T``. Its size: what the weeks since
  it sold above or below the old line extended.
- **Seasonality strength**: STL's ``max(0, 1 − Var(remainder) / Var(season + remainder))`` (Wang, Smith and
  Hyndman) of the weekly season on daily revenue and of the yearly season on weekly revenue.
- **Marketing leads orders**: the forecasting's driver regression
  (:func:`analytics.forecasting.events.fit_event_effects`: weekday, yearly season, trend and promotions as
  controls) of daily orders with marketing spend ``L`` days earlier as the extra control, for every lag up to
  ``MAX_LAG``; the lag with the strongest positive t-statistic is the lead, its coefficient the effect.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import kruskal
from statsmodels.tsa.seasonal import STL

from analytics.chat import overview_href
from analytics.forecasting import fit_event_effects, relative_lift
from analytics.insights import language as lang
from analytics.insights.findings import Evidence, Finding, Impact, confidence_of

__all__ = ["MAX_LAG", "TREND_MIN_T", "marketing_lead", "pattern_findings", "seasonality_strength", "trend_change"]

TREND_MIN_T, TREND_SEARCH_WEEKS, TREND_FIT_WEEKS, TREND_MIN_WEEKS = 3.5, 52, 104, 8
MAX_LAG, SPEND_STEP = 14, 100.0
MIN_STRENGTH = 0.15  # seasons weaker than this are not worth a finding
MAX_P_VALUE = 0.05  # a weekly pattern is reported when weekday explains the detrended days at this level
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_Z95 = 1.959963984540054


def _day(value) -> str:
    return pd.Timestamp(value).date().isoformat()


def _dated(value) -> str:
    """A day as the guard reads it back: ``3 Aug 2026``."""
    day = pd.Timestamp(value)
    return f"{day.day} {day:%b %Y}"


def weekly(series: pd.Series) -> pd.Series:
    """Whole weeks ending on the series' last day (the first, partial week left out), indexed by week end."""
    series = series.sort_index()
    n = len(series) // 7 * 7
    tail = series.iloc[len(series) - n:]
    return pd.Series(tail.to_numpy().reshape(-1, 7).sum(axis=1), index=tail.index[6::7])


def _autocorrelation_inflation(resid: np.ndarray) -> float:
    if resid.size < 4 or resid.std() == 0:
        return 1.0
    rho = float(np.clip(np.corrcoef(resid[1:], resid[:-1])[0, 1], 0.0, 0.8))
    return math.sqrt((1 + rho) / (1 - rho))


def trend_change(values: pd.Series) -> dict | None:
    """The strongest slope change in the last ``TREND_SEARCH_WEEKS`` weeks of ``values`` (weekly, positive):
    ``week, k, t, slope_before, slope_after`` (weekly log growth around the week), ``fitted`` and ``old_line``
    (in ``values``' units, over the last ``TREND_FIT_WEEKS``); None when there are fewer than
    ``3 * TREND_MIN_WEEKS`` weeks.

    A quadratic trend is a control, so a smooth bend (growth that slows as a customer base matures) is not a
    change point; only a kink beyond it is.
    """
    values = values[values > 0]
    if len(values) < 3 * TREND_MIN_WEEKS:
        return None
    y = np.log(values.to_numpy(dtype=float))
    season = _season(y, 52) if len(y) >= 2 * 52 + 1 else np.zeros_like(y)
    values, y, season = values.iloc[-TREND_FIT_WEEKS:], y[-TREND_FIT_WEEKS:], season[-TREND_FIT_WEEKS:]
    z, t = y - season, np.arange(len(y), dtype=float) / len(y)
    best = None
    for k in range(max(TREND_MIN_WEEKS, len(y) - TREND_SEARCH_WEEKS), len(y) - TREND_MIN_WEEKS):
        X = np.column_stack([np.ones_like(t), t, t ** 2, np.maximum(t - t[k], 0.0)])
        beta, *_ = np.linalg.lstsq(X, z, rcond=None)
        resid = z - X @ beta
        sigma2 = float(resid @ resid) / max(len(z) - X.shape[1], 1)
        se = math.sqrt(sigma2 * np.linalg.inv(X.T @ X)[3, 3]) * _autocorrelation_inflation(resid)
        stat = beta[3] / se if se > 0 else 0.0
        if best is None or abs(stat) > abs(best[1]):
            best = (k, stat, beta, X)
    k, stat, beta, X = best
    slope = (beta[1] + 2 * beta[2] * t[k]) / len(y)  # per week, just before the change
    return {"week": values.index[k], "k": k, "t": float(stat), "slope_before": float(slope),
            "slope_after": float(slope + beta[3] / len(y)), "fitted": np.exp(X @ beta + season),
            "old_line": np.exp(X[:, :3] @ beta[:3] + season), "weeks": values.index}


def _season(y: np.ndarray, period: int) -> np.ndarray:
    return STL(y, period=period, robust=True).fit().seasonal


def seasonality_strength(values: np.ndarray, period: int) -> tuple[float, np.ndarray, np.ndarray]:
    """STL strength of the season of ``period`` in ``values`` (logged when positive), the season and the
    detrended values (season + remainder)."""
    values = np.asarray(values, dtype=float)
    y = np.log(values) if (values > 0).all() else values
    fit = STL(y, period=period, robust=True).fit()
    remainder, season = np.asarray(fit.resid), np.asarray(fit.seasonal)
    total = np.var(season + remainder)
    return (max(0.0, 1.0 - float(np.var(remainder)) / total) if total > 0 else 0.0), season, season + remainder


def marketing_lead(orders: pd.Series, spend: pd.Series, promotions: pd.DataFrame) -> dict | None:
    """The lag (days) at which marketing spend moves daily ``orders`` most clearly, with its effect.

    Returns ``lag, t, relative, relative_lo, relative_hi`` (orders' relative change per +``SPEND_STEP`` of
    daily spend, 95% interval), ``level`` (mean daily orders over the last year) and the spend series used;
    None when spend does not vary or there is under a quarter of history.
    """
    days = orders.index
    spend = spend.reindex(pd.date_range(days[0] - pd.Timedelta(days=MAX_LAG), days[-1]), fill_value=0.0)
    if len(days) < 90 or np.ptp(spend.to_numpy()) == 0:
        return None
    X = _promotion_columns(days, promotions)
    y = orders.to_numpy(dtype=float)
    best = None
    for lag in range(MAX_LAG + 1):
        shifted = spend.shift(lag).reindex(days).to_numpy(dtype=float) / SPEND_STEP
        fit = fit_event_effects(y, X, extra=shifted.reshape(-1, 1))
        stat = float(fit.extra_coef[0] / fit.extra_se[0]) if fit.extra_se[0] > 0 else 0.0
        if best is None or stat > best[1]:
            best = (lag, stat, fit)
    lag, stat, fit = best
    single = type(fit)(fit.extra_coef[:1], fit.extra_se[:1], fit.multiplicative, fit.level, fit.extra_coef,
                       fit.extra_se)
    relative = [float(relative_lift(single, 1.0, z)[0]) for z in (0.0, -_Z95, _Z95)]
    return {"lag": lag, "t": stat, "relative": relative[0], "relative_lo": relative[1], "relative_hi": relative[2],
            "level": fit.level, "spend": spend.shift(lag).reindex(days)}


def _promotion_columns(days: pd.DatetimeIndex, promotions: pd.DataFrame) -> np.ndarray:
    """Sitewide discount and a category-promotion flag per day, the promotions the driver model controls for."""
    sitewide, category = np.zeros(len(days)), np.zeros(len(days))
    for row in promotions.itertuples(index=False):
        on = (days >= pd.Timestamp(row.start_date)) & (days <= pd.Timestamp(row.end_date))
        if row.category is None or (isinstance(row.category, float) and math.isnan(row.category)):
            sitewide[on] = np.maximum(sitewide[on], float(row.discount))
        else:
            category[on] = 1.0
    columns = [c for c in (sitewide, category) if c.any()]
    return np.column_stack(columns) if columns else np.zeros((len(days), 0))


def pattern_findings(daily: pd.DataFrame, spend: pd.DataFrame, promotions: pd.DataFrame, *,
                     period: tuple[str, str], aov: float) -> list[Finding]:
    """Trend changes, seasons and the marketing lead on the company's ``daily`` ``ds, revenue, orders`` (every
    day up to the period's end), daily ``spend`` (``ds, spend``) and the promotion calendar; ``aov`` values
    orders in money."""
    daily = daily.set_index("ds").sort_index()
    findings = []
    for metric in ("revenue", "orders"):
        finding = _trend_finding(daily[metric], metric, period, aov)
        if finding is not None:
            findings.append(finding)
    findings.extend(_season_findings(daily["revenue"], period))
    lead = _lead_finding(daily["orders"], spend.set_index("ds")["spend"], promotions, period, aov)
    return findings + ([lead] if lead is not None else [])


def _trend_finding(series: pd.Series, metric: str, period, aov: float) -> Finding | None:
    weeks = weekly(series)
    found = trend_change(weeks)
    if found is None or abs(found["t"]) < TREND_MIN_T:
        return None
    k, week_start = found["k"], found["week"] - pd.Timedelta(days=6)
    gap = float((found["fitted"][k:] - found["old_line"][k:]).sum())
    money = gap if metric == "revenue" else gap * aov
    span = (_day(week_start), _day(weeks.index[-1]))
    before, after = math.expm1(found["slope_before"]), math.expm1(found["slope_after"])
    facts = {"before": lang.fact(f"weekly {metric} growth before", before, "percent", span,
                                 shown=lang.signed(lang.percent_change(before), before)),
             "after": lang.fact(f"weekly {metric} growth since", after, "percent", span,
                                shown=lang.signed(lang.percent_change(after), after)),
             "gap": lang.fact(f"{metric} against the old trend", money if metric == "revenue" else gap,
                              "currency" if metric == "revenue" else "count", span,
                              shown=lang.signed_money(gap) if metric == "revenue" else
                              lang.signed(lang.quantity(abs(gap), "order"), gap)),
             "week": lang.fact("week of the change", _dated(week_start), "text", span)}
    title = lang.write("Weekly {metric} changed trend in the week of {week}: from {before} a week before to "
                       "{after} a week since ({gap} against the old trend).", facts, metric=metric)
    score = 1.0 - math.exp(-max(abs(found["t"]) - 2.0, 0.0) / 1.5)
    x = tuple(_day(d) for d in found["weeks"])
    evidence = Evidence("line", x, {f"weekly {metric}": tuple(map(float, weeks.loc[found["weeks"]])),
                                    "trend": tuple(map(float, found["fitted"])),
                                    "old trend": tuple(map(float, found["old_line"]))},
                        "currency" if metric == "revenue" else "count", span)
    impact = Impact(money if metric == "revenue" else gap, "currency" if metric == "revenue" else "orders",
                    facts["gap"].display, money)
    reason = f"slope change t = {found['t']:.1f} (autocorrelation-adjusted) on weekly {metric}"
    return Finding(kind="pattern", title=title, evidence=evidence, impact=impact,
                   confidence=confidence_of(score, reason), link=overview_href(window=90), facts=tuple(facts.values()),
                   key=f"pattern:trend:{metric}", period=span, metric=metric)


def _season_findings(revenue: pd.Series, period) -> list[Finding]:
    findings = []
    recent = revenue.iloc[-364:]
    if len(recent) >= 28 and (recent > 0).all():
        findings.append(_weekly_season(recent, period))
    weeks = weekly(revenue)
    if len(weeks) >= 2 * 52 + 1 and (weeks > 0).all():
        findings.append(_yearly_season(weeks, period))
    return [f for f in findings if f is not None]


def _weekly_season(recent: pd.Series, period) -> Finding | None:
    strength, season, detrended = seasonality_strength(recent.to_numpy(), 7)
    weekday = recent.index.dayofweek
    p_value = float(kruskal(*(detrended[weekday == d] for d in range(7))).pvalue)
    if strength < MIN_STRENGTH or p_value >= MAX_P_VALUE:
        return None
    by_day = pd.Series(np.expm1(season), index=recent.index).groupby(recent.index.dayofweek).mean()
    peak, low = int(by_day.idxmax()), int(by_day.idxmin())
    span = (_day(recent.index[0]), _day(recent.index[-1]))
    last = {d: _day(recent.index[weekday == d][-1]) for d in (peak, low)}  # the weekday names these days
    facts = {"strength": lang.fact("weekly season strength", strength, "score", span),
             "peak day": lang.fact("busiest weekday", _WEEKDAYS[peak], "text", (last[peak], last[peak])),
             "low day": lang.fact("quietest weekday", _WEEKDAYS[low], "text", (last[low], last[low])),
             "peak": lang.fact(f"{_WEEKDAYS[peak]} against the average day", by_day[peak], "percent", span,
                               shown=lang.percent_change(by_day[peak])),
             "low": lang.fact(f"{_WEEKDAYS[low]} against the average day", by_day[low], "percent", span,
                              shown=lang.percent_change(by_day[low]))}
    title = lang.write("Revenue has a {grade} weekly pattern (strength {strength}): {peak day} is the busiest day, "
                       "{peak} above the average day, and {low day} the quietest, {low} below.", facts,
                       grade=_grade(strength))
    # a season is not news: its size is what it moves around within one typical week
    moved = float(np.sum(np.abs(np.expm1(season[-7:])))) * float(recent.iloc[-28:].mean())
    evidence = Evidence("bar", _WEEKDAYS, {"against the average day": tuple(float(by_day.get(d, 0.0))
                                                                               for d in range(7))},
                        "percent", (_WEEKDAYS[peak],))
    return Finding(kind="pattern", title=title, evidence=evidence,
                   impact=Impact(moved, "currency", lang.money(moved), moved),
                   confidence=confidence_of(1.0 - p_value, f"weekday explains the detrended daily revenue of the last "
                                                           f"year (Kruskal–Wallis p = {p_value:.2g})"),
                   link=overview_href(window=90), facts=tuple(facts.values()), key="pattern:season:weekly",
                   period=span, metric="revenue")


def _yearly_season(weeks: pd.Series, period) -> Finding | None:
    strength, season, _ = seasonality_strength(weeks.to_numpy(), 52)
    if strength < MIN_STRENGTH:
        return None
    last_year = pd.Series(np.expm1(season[-52:]), index=weeks.index[-52:])
    peak = last_year.idxmax()
    span = (_day(weeks.index[-52] - pd.Timedelta(days=6)), _day(weeks.index[-1]))
    facts = {"strength": lang.fact("yearly season strength", strength, "score", span),
             "peak": lang.fact("peak week against the average week", float(last_year[peak]), "percent",
                               (_day(peak - pd.Timedelta(days=6)), _day(peak)),
                               shown=lang.percent_change(last_year[peak])),
             "week": lang.fact("peak week", _dated(peak - pd.Timedelta(days=6)), "text",
                               (_day(peak - pd.Timedelta(days=6)), _day(peak)))}
    title = lang.write("Revenue has a {grade} yearly season (strength {strength}); its peak, the week of {week}, "
                       "sells {peak} above the average week.", facts, grade=_grade(strength))
    # its size: what the season adds to or takes from this period against an average one
    level = float(weeks.iloc[-52:].mean()) / 7.0
    in_period = last_year[(last_year.index >= pd.Timestamp(period[0])) & (last_year.index <= pd.Timestamp(period[1]))]
    moved = abs(float(in_period.mean())) * level * _days(period) if len(in_period) else 0.0
    evidence = Evidence("line", tuple(_day(d) for d in last_year.index),
                        {"yearly season": tuple(map(float, last_year))}, "percent", (_day(peak),))
    return Finding(kind="pattern", title=title, evidence=evidence,
                   impact=Impact(moved, "currency", lang.money(moved), moved),
                   confidence=confidence_of(strength, "STL strength of the yearly season on weekly revenue"),
                   link=overview_href(window=90), facts=tuple(facts.values()), key="pattern:season:yearly",
                   period=span, metric="revenue")


def _grade(strength: float) -> str:
    return "strong" if strength >= 0.64 else "moderate" if strength >= 0.4 else "mild"


def _days(period) -> int:
    return (pd.Timestamp(period[1]) - pd.Timestamp(period[0])).days + 1


def _lead_finding(orders: pd.Series, spend: pd.Series, promotions, period, aov: float) -> Finding | None:
    lead = marketing_lead(orders, spend, promotions)
    if lead is None or lead["t"] < 2.0 or lead["relative_lo"] <= 0:
        return None
    start, end = pd.Timestamp(period[0]), pd.Timestamp(period[1])
    window = orders.loc[start:end]
    x = lead["spend"].loc[start:end].to_numpy() / SPEND_STEP
    lift = np.log1p(lead["relative"]) * x
    extra = float((window.to_numpy() * -np.expm1(-lift)).sum())  # orders the spend brought in the period
    facts = {"lag": lang.fact("marketing lead", lead["lag"], "days", period, shown=lang.quantity(lead["lag"], "day")),
             "step": lang.fact("daily spend step", SPEND_STEP, "currency", period),
             "effect": lang.fact("orders per spend step", lead["relative"], "percent", period,
                                 shown=lang.percent_change(lead["relative"])),
             "lo": lang.fact("orders per spend step, lower 95%", lead["relative_lo"], "percent", period,
                             shown=lang.percent_change(lead["relative_lo"])),
             "hi": lang.fact("orders per spend step, upper 95%", lead["relative_hi"], "percent", period,
                             shown=lang.percent_change(lead["relative_hi"])),
             "extra": lang.fact("orders from marketing in the period", extra, "count", period,
                                shown=lang.quantity(extra, "order"))}
    title = lang.write("Marketing spend leads orders by {lag}: each extra {step} of daily spend comes with {effect} "
                       "more orders a day ({lo} to {hi}) {lag} later, about {extra} in this period.", facts)
    score = 1.0 - math.exp(-max(lead["t"] - 1.0, 0.0) / 2.0)
    evidence = Evidence("line", tuple(_day(d) for d in window.index),
                        {"orders": tuple(map(float, window)),
                         f"spend {lead['lag']} days earlier": tuple(map(float, lead["spend"].loc[start:end]))},
                        "count", period)
    return Finding(kind="pattern", title=title, evidence=evidence,
                   impact=Impact(extra, "orders", facts["extra"].display, extra * aov),
                   confidence=confidence_of(score, f"t = {lead['t']:.1f} for spend {lead['lag']} days earlier in the "
                                                   "driver regression (weekday, season, trend and promotions held)"),
                   link=overview_href(start=period[0], end=period[1]), facts=tuple(facts.values()),
                   key="pattern:marketing_lead", period=period, metric="orders")
