"""Retention-shift findings: segments, regions and plans whose churn rate in the period left its usual range.

The churn rate of a group in a period is the retention analytics' own
(:func:`analytics.retention.churn.churn_rate`: customers active at the period's start who cancelled in it). The
usual range is the ``LOW_Q``–``HIGH_Q`` quantile band of the group's previous ``HISTORY`` periods of the same
length; a rate outside it is a shift when it is also more than ``MIN_Z`` binomial standard errors from the
band's median (a group of 40 customers moves by chance). A shift that disappears without the customers of a
larger shift in another dimension is that shift seen again, and is not reported twice. With a fitted
:class:`~analytics.retention.RetentionAnalyzer` the finding names the churn model's drivers that moved most for
the group's customers (mean SHAP contribution at the period's start against the previous period's start), the
group's Cox hazard ratio, and values the extra churned customers at the group's mean lifetime value; without
one, at their revenue over the last year.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analytics.chat import retention_href
from analytics.insights import language as lang
from analytics.insights.findings import Evidence, Finding, Impact, confidence_of
from analytics.retention.churn import churn_features, churn_rate

__all__ = ["GROUPS", "HISTORY", "retention_shift_findings"]

GROUPS: tuple[str, ...] = ("segment", "region", "plan")
HISTORY, LOW_Q, HIGH_Q, MIN_Z = 12, 0.10, 0.90, 3.0


def _day(value) -> str:
    return pd.Timestamp(value).date().isoformat()


def _rates(facts, by: str, value: str, ends: list[pd.Timestamp], window: int) -> tuple[np.ndarray, np.ndarray]:
    """The group's churn rate and active count at the start of each period ending on ``ends``."""
    customers = facts.customers
    member = customers[customers[by].astype(str) == value]
    rates, active = [], []
    for end in ends:
        start = end - pd.Timedelta(days=window)
        alive = ((member["signup_date"] <= start) & ~(member["cancel_date"] <= start)).sum()
        rates.append(churn_rate(facts, start, end, {by: value}) if alive else np.nan)
        active.append(int(alive))
    return np.array(rates, dtype=float), np.array(active)


def retention_shift_findings(facts, *, end, window: int, analyzer=None) -> list[Finding]:
    """Churn-rate shifts of every segment, region and plan in the ``window`` days ending on ``end``.

    ``facts`` are :class:`analytics.retention.RetentionFacts`; ``analyzer`` an optional fitted
    :class:`analytics.retention.RetentionAnalyzer` on the same facts (drivers, hazard ratios, CLV).
    """
    end = min(pd.Timestamp(end).normalize(), pd.Timestamp(facts.as_of).normalize())
    ends = [end - pd.Timedelta(days=k * window) for k in range(HISTORY + 1)]
    shifts = []
    for by in GROUPS:
        for value in sorted(facts.customers[by].astype(str).unique()):
            rates, active = _rates(facts, by, value, ends, window)
            shift = _shift(rates, active)
            if shift is not None:
                shifts.append((by, value, rates, active, shift))
    return [_finding(facts, by, value, ends, window, rates, active, shift, analyzer)
            for by, value, rates, active, shift in _distinct(facts, shifts, ends[0], window)]


def _distinct(facts, shifts: list, end: pd.Timestamp, window: int) -> list:
    """One shift per event: a group whose rate is back in its range without the customers of a larger shift in
    another dimension (SMB churn up only because EMEA's is) is that shift seen again, and is left out."""
    kept: list = []
    customers = facts.customers
    start = end - pd.Timedelta(days=window)
    for shift in sorted(shifts, key=lambda s: (-abs((s[2][0] - s[4]["usual"]) * s[3][0]), s[0], s[1])):
        by, value = shift[0], shift[1]
        others = [k for k in kept if k[0] != by]
        mask = customers[by].astype(str) == value
        for other in others:
            mask &= customers[other[0]].astype(str) != other[1]
        rest = customers[mask & (customers["signup_date"] <= start) & ~(customers["cancel_date"] <= start)]
        rate = float(((rest["cancel_date"] > start) & (rest["cancel_date"] <= end)).mean()) if len(rest) else 0.0
        usual = shift[4]["usual"]
        z = (rate - usual) / math.sqrt(max(usual * (1 - usual), 1e-6) / max(len(rest), 1))
        if not others or (not shift[4]["low"] <= rate <= shift[4]["high"] and abs(z) >= MIN_Z):
            kept.append(shift)
    return kept


def _shift(rates: np.ndarray, active: np.ndarray) -> dict | None:
    now, past = rates[0], rates[1:][np.isfinite(rates[1:])]
    if not np.isfinite(now) or len(past) < 4 or active[0] == 0:
        return None
    low, high, usual = (float(np.quantile(past, q)) for q in (LOW_Q, HIGH_Q, 0.5))
    se = math.sqrt(max(usual * (1 - usual), 1e-6) / active[0])
    z = (now - usual) / se
    if low <= now <= high or abs(z) < MIN_Z:
        return None
    return {"low": low, "high": high, "usual": usual, "z": z}


def _finding(facts, by, value, ends, window, rates, active, shift, analyzer) -> Finding:
    scope = {by: value}
    period = (_day(ends[0] - pd.Timedelta(days=window - 1)), _day(ends[0]))
    now, usual = float(rates[0]), shift["usual"]
    extra = (now - usual) * active[0]
    facts_ = {"group": lang.fact(by, value, "text", period, scope),
              "rate": lang.fact(f"churn rate · {value}", now, "percent", period, scope),
              "low": lang.fact("usual churn rate, low", shift["low"], "percent", period, scope),
              "high": lang.fact("usual churn rate, high", shift["high"], "percent", period, scope),
              "periods": lang.fact("earlier periods", HISTORY, "count", shown=lang.quantity(HISTORY, "period")),
              "extra": lang.fact(f"customers lost against the usual churn · {value}", extra, "count", period, scope,
                                 shown=lang.signed(lang.quantity(abs(extra), "customer"), extra))}
    direction = "above" if now > shift["high"] else "below"
    template = ("Churn in the {group} " + by + " was {rate} in the period, " + direction + " its usual range of "
                "{low} to {high} over the previous {periods} ({extra} against the usual rate)")
    template += _drivers(analyzer, facts, by, value, ends, window, facts_, period, scope, now > usual)
    title = lang.write(template + ".", facts_)
    value_each = _customer_value(facts, analyzer, by, value, ends[0])
    x = tuple(_day(e) for e in reversed(ends))
    evidence = Evidence("line", x, {f"churn rate · {value}": tuple(float(r) for r in rates[::-1])}, "percent",
                        period)
    return Finding(kind="retention_shift", title=title, evidence=evidence,
                   impact=Impact(extra, "customers", facts_["extra"].display, extra * value_each),
                   confidence=confidence_of(1 - math.exp(-max(abs(shift["z"]) - 1.0, 0.0) / 1.5),
                                            f"{abs(shift['z']):.1f} binomial standard errors from the usual rate "
                                            f"among {int(active[0])} customers"),
                   link=retention_href(by=by), facts=tuple(facts_.values()),
                   key=f"retention_shift:churn_rate:{by}:{value}", period=period, metric="churn_rate", scope=scope)


def _customer_value(facts, analyzer, by: str, value: str, end: pd.Timestamp) -> float:
    """Money per customer lost: the group's mean lifetime value, else its revenue per customer over a year."""
    if analyzer is not None:
        table = analyzer.clv_by_segment(by)
        row = table[table[by].astype(str) == value]
        if len(row) and np.isfinite(row["clv_mean"].iloc[0]):
            return float(row["clv_mean"].iloc[0])
    orders = facts.orders[(facts.orders["order_date"] > end - pd.Timedelta(days=365))
                          & (facts.orders["order_date"] <= end)]
    members = facts.customers.loc[facts.customers[by].astype(str) == value, "customer_id"]
    for spent in (orders[orders["customer_id"].isin(members)], orders):  # the group's, else everyone's
        buyers = spent["customer_id"].nunique()
        if buyers:
            return float(spent["revenue"].sum() / buyers)
    return 0.0


def _drivers(analyzer, facts, by, value, ends, window, facts_, period, scope, rising: bool) -> str:
    """The churn model's feature whose mean SHAP contribution for the group moved most in the shift's
    direction between the previous period's start and this one's, and the group's Cox hazard ratio."""
    if analyzer is None:
        return ""
    text = ""
    moved = _shap_moves(analyzer, facts, by, value, ends, window)
    if moved is not None and (moved[1] > 0) == rising:
        facts_["driver"] = lang.fact("churn driver that moved", moved[0].replace("_", " "), "text", period, scope)
        text += "; the churn model's driver that moved most is {driver}"
    ratios = analyzer.cox_.hazard_ratios
    row = ratios[ratios["covariate"] == f"{by}: {value}"]
    if len(row):
        facts_["hazard"] = lang.fact(f"Cox hazard ratio · {value}", float(row["hazard_ratio"].iloc[0]), "score",
                                     filters=scope)
        text += " (Cox hazard ratio {hazard})"
    return text


def _shap_moves(analyzer, facts, by, value, ends, window) -> tuple[str, float] | None:
    model = analyzer.churn_.model
    means = []
    for end in ends[:2]:
        cutoff = end - pd.Timedelta(days=window)
        features = churn_features(facts, cutoff)
        ids = facts.customers.loc[facts.customers[by].astype(str) == value, "customer_id"]
        features = features[features.index.isin(ids)]
        if features.empty:
            return None
        reasons = model.explain(features, top=features.shape[1])
        means.append(reasons.groupby("feature")["shap"].sum() / len(features))
    change = means[0].sub(means[1], fill_value=0.0).sort_index()
    feature = change.abs().idxmax()
    return str(feature), float(change[feature])
