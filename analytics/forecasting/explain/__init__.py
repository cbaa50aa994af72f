"""Explaining demand forecasts: what drives each day's forecast, the members' components, the uncertainty in words.

- :func:`explain_node` (:func:`store_forecast_explanation` on the store) refits one node's members exactly as the
  demand forecast does and takes them apart: the gradient-boosted member's value on every day split into readable
  drivers (SHAP values of its trees grouped as recent demand, weekday, time of year, nearby major events, marketing
  spend; the calendar's named promotions, holidays and events), a global importance table, and the statistical
  members' level, trend and seasons. Shares are of the day's forecast: "+23% from Spring Sitewide Sale 2026"
  means that promotion accounts for 23% of the member's forecast that day (a lift L is a share L / (1 + L)).
- :func:`describe_day` says one day's drivers in a sentence; :func:`describe_uncertainty` a node's intervals,
  backtest error and what widens them.
"""
from __future__ import annotations

import pandas as pd

from analytics.forecasting.explain._components import COMPONENT_COLUMNS, EVENTS
from analytics.forecasting.explain._drivers import CONTRIBUTION_COLUMNS, DAY_COLUMNS
from analytics.forecasting.explain._explanation import (IMPORTANCE_COLUMNS, ForecastExplanation, explain_node,
                                                        store_forecast_explanation)
from analytics.forecasting.explain._parts import EXPECTED, LEVEL, NEARBY, RECENT, SPEND, TREND, TYPICAL, WEEKDAY, \
    YEAR
from analytics.forecasting.explain._uncertainty import UncertaintyNote, describe_uncertainty

__all__ = ["COMPONENT_COLUMNS", "CONTRIBUTION_COLUMNS", "DAY_COLUMNS", "DRIVER_GROUPS", "EVENTS", "IMPORTANCE_COLUMNS",
           "ForecastExplanation", "UncertaintyNote", "describe_day", "describe_uncertainty", "explain_node",
           "store_forecast_explanation"]

# the drivers that are not calendar events (those are named after the event type: "Sitewide promotion", ...)
DRIVER_GROUPS = (RECENT, WEEKDAY, YEAR, NEARBY, SPEND, EXPECTED, LEVEL, TREND, TYPICAL)


def describe_day(explanation: ForecastExplanation, ds, top: int = 3) -> str:
    """One forecast day's largest drivers in a sentence, e.g. ``"Sat 14 Mar 2026: +23% from Spring Sitewide Sale
    2026, +9% from weekday, −4% from recent demand (shares of the day's forecast)."``"""
    if top < 1:
        raise ValueError(f"top={top!r}: name at least one driver (top >= 1).")
    day = pd.Timestamp(ds)
    drivers = explanation.day(day).dropna(subset=["share"]).head(top)
    if drivers.empty:
        return f"{day:%a %d %b %Y}: no driver moves the forecast away from its typical level."
    said = [f"{share:+.0%} from {name.lower() if group in DRIVER_GROUPS else name}".replace("-", "−", 1)
            for name, group, share in zip(drivers["driver"], drivers["group"], drivers["share"])]
    return f"{day:%a %d %b %Y}: {', '.join(said)} (shares of the day's forecast)."
