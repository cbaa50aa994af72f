"""The facts each intent's answer is built from, one module per intent group; ``gather`` picks the module.

Each ``gather_*`` reads ``Results`` (the same fitted results the pages use) and returns a ``Gathered``: facts,
citations, confidence reasons, and a table, series or navigation where those read better. They raise ``NoData``
when the question is understood but there is nothing to answer from, and let ``NotReady`` through.
"""
from __future__ import annotations

from analytics.chat.answers.anomaly import gather_anomaly
from analytics.chat.answers.change import gather_change
from analytics.chat.answers.churn import gather_churn, gather_customer, gather_drivers
from analytics.chat.answers.compare import gather_compare
from analytics.chat.answers.customers import gather_clv, gather_retention, gather_segment
from analytics.chat.answers.common import Gathered, NoData, confidence
from analytics.chat.answers.forecast import gather_forecast
from analytics.chat.answers.kpi import gather_kpi
from analytics.chat.answers.system import CAPABILITIES, gather_health, gather_help, gather_navigate, suggestions_for
from analytics.chat.facts import Parse

__all__ = ["Gathered", "NoData", "CAPABILITIES", "confidence", "gather", "suggestions_for"]

_GATHER = {"kpi": gather_kpi, "forecast": gather_forecast, "churn": gather_churn, "retention": gather_retention,
           "clv": gather_clv, "segment": gather_segment, "anomaly": gather_anomaly,
           "compare": gather_compare, "health": gather_health, "navigate": gather_navigate, "help": gather_help,
           "unknown": gather_help}


def _explain(parse: Parse, results) -> Gathered:
    """"why is customer 123 high risk" -> SHAP reasons; "what is driving churn" -> Cox and SHAP; otherwise why
    revenue changed (its exact split by region, category and channel)."""
    if parse.entities.get("customer_id") is not None:
        return gather_customer(parse, results)
    metric = parse.entities.get("metric")
    if metric == "churn rate" or (isinstance(metric, list) and "churn rate" in metric):
        return gather_drivers(parse, results)
    return gather_change(parse, results)


_GATHER["explain"] = _explain


def gather(parse: Parse, results) -> Gathered:
    """The facts for ``parse``'s intent (an intent without its own answers yet gets the help)."""
    return _GATHER.get(parse.intent, gather_help)(parse, results)
