"""Plain-words definitions of the analyst's terms and ``term``: a label that explains itself on hover or focus.

A term renders as a focusable span with a dotted underline and a bootstrap-icons info icon (served
locally, unlike the "ⓘ" glyph that many Linux fonts lack). The definition is in the span's native
``title`` (read by screen readers as its description) and in a CSS tooltip that opens on hover and on
keyboard focus (``.nf-term`` in ``assets/20-components.css``).
"""
from __future__ import annotations

import re

from dash import html

__all__ = ["DEFINITIONS", "definition", "info_icon", "term"]

DEFINITIONS: dict[str, str] = {
    "mase": "Mean absolute scaled error: the forecast's average miss divided by the miss of a seasonal-naive "
            "forecast (same weekday last week). Below 1 beats that baseline; 0.8 means 20% smaller errors.",
    "smape": "Symmetric mean absolute percentage error: the average miss as a percentage of the average of actual "
             "and forecast. 0% is perfect, 200% the worst; it is unstable when values are near zero.",
    "shap": "SHAP values split one prediction into additive contributions per input: how much each feature pushed "
            "this customer's score up or down from the average.",
    "brier": "Brier score: the mean squared gap between predicted probabilities and what happened (1 or 0). "
             "Lower is better; always guessing 50% scores 0.25.",
    "clv": "Customer lifetime value: the revenue a customer is expected to bring from now on, from their purchase "
           "frequency, recency and order value.",
    "p_alive": "P(alive): the probability that a customer is still active (will buy again), given how often they "
               "bought and how long it has been since their last purchase.",
    "auc": "Area under the ROC curve: the chance that a randomly picked churner is scored riskier than a randomly "
           "picked stayer. 0.5 is guessing, 1.0 is perfect ranking.",
    "calibration": "Calibration: whether predicted probabilities match observed rates; of customers given 30% "
                   "risk, about 30% should churn. A calibrated curve follows the diagonal.",
    "hazard_ratio": "Hazard ratio: how much a factor multiplies the instantaneous risk of churning. 2 doubles the "
                    "risk at every point in time, 0.5 halves it, 1 means no effect.",
    "mint": "MinT (minimum trace) reconciliation: adjusts the forecasts of every level so regions add up to the "
            "total and categories to their region, moving most the series whose past errors were largest.",
    "conformal_interval": "Conformal interval: a prediction interval whose width comes from the model's own past "
                          "errors in backtests, so it covers the stated share of outcomes without assuming a "
                          "distribution.",
    "prediction_interval": "Prediction interval: the range the actual value should fall in with the stated "
                           "probability; an 80% interval should contain about 4 of 5 future days.",
    "backtest": "Backtest: the model is refitted as of earlier dates and scored on the days that followed, which "
                "shows how well it would have forecast data it had not seen.",
    "ensemble_weight": "Ensemble weight: each model's share in the combined forecast, larger for models with smaller "
                       "backtest errors. The ensemble row holds their total, 100%.",
    "ensemble": "Ensemble: a weighted average of several forecasting models; it is usually more accurate and more "
                "stable than any single member.",
    "seasonal_naive": "Seasonal naive: the simplest benchmark forecast, repeating the value of the same weekday one "
                      "week earlier. MASE compares every model with it.",
    "churn": "Churn: a customer cancelling their subscription (or, for non-subscribers, not buying again). The churn "
             "rate is the share of customers at the start of a period who cancel during it.",
    "aov": "Average order value (AOV): revenue divided by the number of orders in the period.",
    "active_customer": "Active customer: a customer who placed at least one order in the period.",
    "revenue": "Revenue: quantity × unit price × (1 − discount), summed over the order lines dated in the period.",
    "kaplan_meier": "Kaplan–Meier curve: the share of customers still subscribed after each number of days since "
                    "sign-up, counting customers who are still active correctly (censored).",
    "log_rank": "Log-rank test: whether survival curves of groups differ more than chance explains; a p-value "
                "below 0.05 says they very likely do.",
    "cohort": "Cohort: the customers who signed up in the same month, followed together over time.",
    "rfm": "RFM: recency (days since the last order), frequency (number of orders) and monetary value (spend), the "
           "three numbers that segment customers by buying behaviour.",
    "driver_effect": "Driver effect: how much the forecast moves per unit of a driver (a promotion day, +100 daily "
                     "marketing spend), measured by the model that sees the drivers, all else equal.",
    "bg_nbd": "BG/NBD (beta-geometric / negative binomial): a model of how often each customer buys and of the "
              "chance they still buy at all, learnt from every customer's purchase history.",
}

_ALIASES = {"hr": "hazard_ratio", "averageordervalue": "aov", "avgordervalue": "aov",
            "activecustomers": "active_customer", "churnrate": "churn", "conformal": "conformal_interval",
            "interval": "prediction_interval", "intervals": "prediction_interval",
            "predictionintervals": "prediction_interval", "weight": "ensemble_weight", "weights": "ensemble_weight",
            "ensembleweights": "ensemble_weight", "shapvalues": "shap", "rocauc": "auc"}


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


_INDEX = {**{_norm(key): key for key in DEFINITIONS}, **_ALIASES}


def definition(key: str) -> str:
    """The definition of ``key`` (any spelling: "P(alive)", "p_alive" and "p alive" are the same term)."""
    found = _INDEX.get(_norm(key))
    if found is None:
        raise KeyError(f"no definition for {key!r}; terms are {', '.join(sorted(DEFINITIONS))} "
                       "(add one to components.glossary.DEFINITIONS)")
    return DEFINITIONS[found]


def info_icon(className: str = "") -> html.I:
    """The info-circle icon from the locally served bootstrap-icons font, hidden from screen readers."""
    return html.I(className=f"bi bi-info-circle nf-info-icon {className}".strip(), **{"aria-hidden": "true"})


def term(label: str, key: str | None = None, text: str | None = None) -> html.Span:
    """``label`` with a dotted underline and an info icon; hover or focus shows its definition.

    ``key`` picks the definition (defaults to ``label``); ``text`` overrides it.
    """
    meaning = text if text is not None else definition(key or label)
    return html.Span(
        [label, info_icon(), html.Span(meaning, className="nf-term-tip", role="tooltip")],
        className="nf-term", tabIndex="0", title=meaning,
    )
