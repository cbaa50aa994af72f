"""Churn answers from the fitted RetentionAnalyzer the Retention page shows: the observed churn rate, the churn
model's base rate and out-of-time AUC, its strongest drivers, the customers most at risk, one customer's SHAP
reasons, and the Cox model's hazard ratios."""
from __future__ import annotations

import datetime as dt

import numpy as np

from analytics.chat.answers.common import Gathered, NoData, cite, fact, filters_of, first, period_of, unsupported
from analytics.chat.facts import Parse
from analytics.chat.links import retention_href

__all__ = ["CHURN_PERIOD_DAYS", "DEFAULT_TOP_N", "auc_reason", "feature_label", "gather_churn", "gather_customer",
           "gather_drivers", "churn_model_name"]

CHURN_PERIOD_DAYS = 90  # the churn model's horizon: the observed rate over the same span compares with its base rate
DEFAULT_TOP_N = 5
_FILTER_KEYS = ("segment", "region", "channel")
_FEATURE_WORDS = {"tenure_days": "tenure", "orders_90d": "orders in the last 90 days",
                  "orders_365d": "orders in the last year", "revenue_90d": "spend in the last 90 days",
                  "revenue_365d": "spend in the last year", "days_since_last_order": "days since the last order",
                  "orders_per_year": "orders per year", "avg_order_value": "average order value",
                  "tickets_365d": "support tickets in the last year", "tickets_per_year": "support tickets per year",
                  "high_priority_tickets_365d": "high-priority tickets in the last year",
                  "mean_satisfaction": "support satisfaction", "satisfaction_missing": "no satisfaction survey"}


def feature_label(feature: str) -> str:
    """A churn feature in words ("days since the last order", "plan Premium")."""
    if feature in _FEATURE_WORDS:
        return _FEATURE_WORDS[feature]
    column, _, level = feature.partition("_")
    return f"{column} {level}" if level else feature.replace("_", " ")


def churn_model_name(analyzer) -> str:
    return f"churn model ({analyzer.churn_.horizon_days}-day horizon)"


def _model_version(analyzer) -> str:
    return f"trained through {analyzer.churn_.cutoff_test:%Y-%m-%d}, scored at {analyzer.churn_.as_of:%Y-%m-%d}"


def auc_reason(analyzer) -> tuple[str, float]:
    """The churn model's out-of-time AUC as a confidence reason (0.5 is a coin toss)."""
    auc = float(analyzer.churn_.auc)
    return (f"the churn model's out-of-time AUC is {auc:.2f}", float(np.clip((0.85 - auc) * 1.5, 0.0, 0.6)))


def _model_facts(analyzer) -> list:
    churn = analyzer.churn_
    return [fact("churn model AUC", float(churn.auc), "score"),
            fact("churn model base rate", float(churn.base_rate), "percent"),
            fact("churn model horizon", int(churn.horizon_days), "days")]


def _citation(results, analyzer, section: str, period=None, customer: int | None = None, by: str | None = None):
    return cite(results, "Retention", section, retention_href(by=by, customer=customer), period,
                model=churn_model_name(analyzer), model_version=_model_version(analyzer))


def _at_risk(analyzer, n: int, period) -> tuple[tuple[dict, ...], list]:
    top = analyzer.top_at_risk(n)
    rows, facts = [], []
    for row in top.itertuples(index=False):
        rows.append({"customer": int(row.customer_id), "segment": str(row.segment), "region": str(row.region),
                     "churn probability": round(float(row.churn_probability), 4), "risk": str(row.risk),
                     "top reason": str(row.top_reason)})
        facts.append(fact(f"churn probability · customer {int(row.customer_id)}", float(row.churn_probability),
                          "percent", period, {"customer_id": str(int(row.customer_id))}))
    return tuple(rows), facts


def gather_churn(parse: Parse, results) -> Gathered:
    """The observed churn rate over the question's period (default: the model's horizon up to the last day),
    the model's base rate and AUC, its three strongest drivers, and the top-N at-risk table when asked."""
    analyzer = results.retention()
    as_of = f"{analyzer.facts_.as_of:%Y-%m-%d}"
    start, end = period_of(parse, min(results.through or as_of, as_of), CHURN_PERIOD_DAYS)
    filters = filters_of(parse, _FILTER_KEYS)
    before = (dt.date.fromisoformat(start) - dt.timedelta(days=1)).isoformat()  # active when the period starts
    try:
        rate = analyzer.churn_rate(before, end, **filters)
    except ValueError as error:
        raise NoData(str(error)) from None
    period = (start, end)
    facts = [fact("churn rate", rate, "percent", period, filters), *_model_facts(analyzer)]
    importance = analyzer.churn_.importance.sort_values("importance", ascending=False).head(3)
    drivers = [feature_label(f) for f in importance["feature"]]
    facts.extend(fact(f"churn driver {i + 1}", label, "text") for i, label in enumerate(drivers))
    table: tuple = ()
    wants_list = parse.entities.get("top_n") or "risk" in (parse.text or "").lower()
    if wants_list:
        n = int(parse.entities.get("top_n") or DEFAULT_TOP_N)
        table, rows = _at_risk(analyzer, max(1, min(n, 50)), (as_of, as_of))
        facts.extend(rows)
    citations = [_citation(results, analyzer, "Churn rate and model", period)]
    if table:
        citations.append(_citation(results, analyzer, "At-risk customers", (as_of, as_of)))
    return Gathered(facts=tuple(facts), citations=tuple(citations), reasons=(auc_reason(analyzer),), table=table,
                    notice=unsupported(parse, _FILTER_KEYS, "The churn rate"),
                    extra={"drivers": drivers, "top_n": len(table)})


def gather_customer(parse: Parse, results) -> Gathered:
    """Why one customer's churn risk is what it is: their probability, risk level and SHAP reasons."""
    analyzer = results.retention()
    customer_id = int(first(parse.entities["customer_id"]))
    try:
        profile = analyzer.customer(customer_id)
    except KeyError:
        raise NoData(f"customer {customer_id} is not in this dataset; check the id on the Retention page") from None
    info, as_of = profile.info, f"{analyzer.facts_.as_of:%Y-%m-%d}"
    scope = {"customer_id": str(customer_id)}
    facts = [fact("customer", customer_id, "text", None, scope, shown=str(customer_id)),
             fact("status", info["status"], "text", None, scope)]
    if info.get("churn_probability") is not None:
        facts.append(fact("churn probability", info["churn_probability"], "percent", (as_of, as_of), scope))
        risk = analyzer.churn_.scores.set_index("customer_id")["risk"].get(customer_id)
        if risk is not None:
            facts.append(fact("risk", str(risk), "text", (as_of, as_of), scope))
        facts.append(fact("churn model base rate", float(analyzer.churn_.base_rate), "percent"))
    for key in ("segment", "region", "plan"):
        facts.append(fact(key, str(info[key]), "text", None, scope))
    reasons = profile.reasons.sort_values("shap", key=np.abs, ascending=False).head(4)
    for i, row in enumerate(reasons.itertuples(index=False)):
        facts.append(fact(f"reason {i + 1}", str(row.reason), "text", None, scope))
    citation = _citation(results, analyzer, "Customer profile", (as_of, as_of), customer=customer_id)
    table = tuple({"reason": str(r.reason), "direction": str(r.direction), "SHAP": round(float(r.shap), 4)}
                  for r in reasons.itertuples(index=False))
    return Gathered(facts=tuple(facts), citations=(citation,), reasons=(auc_reason(analyzer),), table=table,
                    extra={"customer_id": customer_id})


def gather_drivers(parse: Parse, results) -> Gathered:
    """What drives churn: the churn model's mean |SHAP| ranking and the Cox model's significant hazard ratios."""
    analyzer = results.retention()
    importance = analyzer.churn_.importance.sort_values("importance", ascending=False).head(5)
    facts = [fact(f"churn driver {i + 1}", feature_label(f), "text") for i, f in enumerate(importance["feature"])]
    cox = analyzer.cox_.hazard_ratios
    significant = cox[cox["p_value"] < 0.05].copy()
    significant = significant.reindex(np.log(significant["hazard_ratio"]).abs().sort_values(ascending=False).index)
    table = []
    for row in significant.head(4).itertuples(index=False):
        label = feature_label(str(row.covariate))
        facts.append(fact(f"hazard ratio · {label}", float(row.hazard_ratio), "score"))
        table.append({"covariate": label, "hazard ratio": round(float(row.hazard_ratio), 3),
                      "95% interval": f"{row.lower:.2f}–{row.upper:.2f}", "p": round(float(row.p_value), 4)})
    facts.extend(_model_facts(analyzer))
    citations = (_citation(results, analyzer, "Churn drivers (SHAP)"),
                 cite(results, "Retention", "Cox hazard ratios", retention_href(), None,
                      model="Cox proportional hazards",
                      model_version=f"concordance {analyzer.cox_.concordance:.3f}"))
    return Gathered(facts=tuple(facts), citations=citations, reasons=(auc_reason(analyzer),), table=tuple(table),
                    extra={"drivers": [f.value for f in facts if f.name.startswith("churn driver")]})
