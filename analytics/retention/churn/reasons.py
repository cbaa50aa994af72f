"""Churn reasons in plain words: one phrasing for every feature :func:`churn_features` can emit.

A SHAP reason is a feature, the customer's value of it and a direction. ``reason_text`` turns it into a sentence
an analyst can act on ("3 support tickets in the last year raises risk", "on the Plus plan lowers risk"), never
``plan_Plus = 1``. A feature without a phrasing raises ``KeyError`` so that a new feature cannot reach the page
unworded (the tests phrase every feature of the sample company).
"""
from __future__ import annotations

import math
from collections.abc import Callable

from analytics.retention.churn.features import NEUTRAL_SATISFACTION, RECENCY_CAP_DAYS

__all__ = ["feature_phrase", "reason_text", "PHRASED_FEATURES"]

Phrase = Callable[[float], str]


def _plural(count: float, noun: str) -> str:
    whole = round(count)
    return f"{whole:,} {noun}" + ("" if whole == 1 else "s")


def _counted(noun: str, when: str) -> Phrase:
    return lambda value: f"no {noun}s {when}" if round(value) == 0 else f"{_plural(value, noun)} {when}"


def _money(value: float) -> str:
    return f"${value:,.0f}"


def _spent(when: str) -> Phrase:
    return lambda value: f"nothing spent {when}" if value <= 0 else f"{_money(value)} spent {when}"


def _rate(noun: str, none: str) -> Phrase:
    def phrase(value: float) -> str:
        if value <= 0:
            return none
        shown = f"{value:.1f}".rstrip("0").rstrip(".")
        return f"about {shown} {noun}{'' if shown == '1' else 's'} a year"
    return phrase


def _tenure(days: float) -> str:
    if days < 60:
        return f"a customer for {_plural(days, 'day')}"
    if days < 730:
        return f"a customer for {_plural(days / 30.44, 'month')}"
    return f"a customer for {days / 365.25:.1f} years"


def _recency(days: float) -> str:
    if days >= RECENCY_CAP_DAYS:
        return "no order for a year or more"
    return "ordered today" if round(days) == 0 else f"no order for {_plural(days, 'day')}"


def _satisfaction(score: float) -> str:
    if math.isclose(score, NEUTRAL_SATISFACTION):
        return f"a neutral or unknown support satisfaction ({score:.0f} of 5)"
    return f"an average support satisfaction of {score:.1f} of 5"


_PHRASES: dict[str, Phrase] = {
    "tenure_days": _tenure,
    "orders_90d": _counted("order", "in the last 90 days"),
    "orders_365d": _counted("order", "in the last year"),
    "revenue_90d": _spent("in the last 90 days"),
    "revenue_365d": _spent("in the last year"),
    "days_since_last_order": _recency,
    "orders_per_year": _rate("order", "no orders yet"),
    "avg_order_value": lambda value: "no orders yet" if value <= 0 else f"{_money(value)} per order on average",
    "tickets_365d": _counted("support ticket", "in the last year"),
    "tickets_per_year": _rate("support ticket", "no support tickets so far"),
    "high_priority_tickets_365d": _counted("high-priority ticket", "in the last year"),
    "mean_satisfaction": _satisfaction,
    "satisfaction_missing": lambda value: ("no answered satisfaction survey yet" if value
                                           else "has answered a satisfaction survey"),
}
# one-hot columns "<column>_<level>": (wording when the customer has the level, when not)
_LEVELS = {"segment": ("in the {} segment", "not in the {} segment"), "plan": ("on the {} plan", "not on the {} plan"),
           "region": ("in {}", "not in {}"), "channel": ("acquired through {}", "not acquired through {}")}
PHRASED_FEATURES = tuple(_PHRASES) + tuple(f"{column}_<level>" for column in _LEVELS)


def feature_phrase(feature: str, value: float) -> str:
    """What ``feature = value`` says about the customer, in words ("no orders yet", "on the Plus plan").

    Raises
    ------
    KeyError
        For a feature without a phrasing (the message lists the phrased ones).
    """
    if feature in _PHRASES:
        return _PHRASES[feature](float(value))
    column, _, level = feature.partition("_")
    if column in _LEVELS and level:
        has, lacks = _LEVELS[column]
        return (has if float(value) >= 0.5 else lacks).format(level)
    raise KeyError(f"no plain-words phrasing for churn feature {feature!r}; add one to analytics.retention.churn.reasons "
                   f"(phrased: {', '.join(PHRASED_FEATURES)})")


def reason_text(feature: str, value: float, direction: str) -> str:
    """A reason as a sentence: "3 support tickets in the last year raises risk" (first letter capitalised)."""
    sentence = f"{feature_phrase(feature, value)} {direction}"
    return sentence[0].upper() + sentence[1:]
