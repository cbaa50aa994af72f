"""Demand forecasting: base models, a backtested ensemble, a batch API, and the business's demand forecasts.

Data contract everywhere: long frames with columns ``unique_id, ds, y``; forecasts come
back long with ``unique_id, ds, mean, lo-80, hi-80, lo-95, hi-95, model``.

The demand forecasts of the business hierarchy (``store_demand_forecast``, ``forecast_demand``) are
built on top, with their page views (``node_view``, ``forecast_table``) and accuracy metrics.
"""
from __future__ import annotations

from analytics.forecasting._checks import NotFittedError, validate_long
from analytics.forecasting.api import backtest, forecast
from analytics.forecasting.ensemble import EnsembleForecaster
from analytics.forecasting.members import PrecomputedForecaster, default_members, global_members
from analytics.forecasting.gbm import GBMForecaster
from analytics.forecasting.models import ETS, MSTLForecaster, Naive2, SeasonalNaive, Theta
from analytics.forecasting.demand import (LEVELS, DemandForecast, forecast_demand, node_label, node_path_label,
                                          store_demand_forecast)
from analytics.forecasting.demand_inputs import (DEFAULT_HORIZON, DEFAULT_METRIC, METRICS, REGRESSORS, DemandInputs,
                                                 complete_days, load_demand_inputs)
from analytics.forecasting.demand_view import NodeView, forecast_table, node_view
from analytics.forecasting.metrics import interval_coverage, mase, mase_scale, owa, smape
from analytics.forecasting.calendar import event_calendar
from analytics.forecasting.demand_inputs import spend_regressor
from analytics.forecasting.events import fit_event_effects, relative_lift
from analytics.forecasting.explain import (ForecastExplanation, UncertaintyNote, describe_day, describe_uncertainty,
                                           explain_node, store_forecast_explanation)

__all__ = [
    "forecast",
    "backtest",
    "validate_long",
    "NotFittedError",
    "SeasonalNaive",
    "Naive2",
    "ETS",
    "Theta",
    "MSTLForecaster",
    "GBMForecaster",
    "EnsembleForecaster",
    "default_members",
    "global_members",
    "PrecomputedForecaster",
    "DEFAULT_HORIZON",
    "DEFAULT_METRIC",
    "LEVELS",
    "METRICS",
    "REGRESSORS",
    "DemandForecast",
    "DemandInputs",
    "NodeView",
    "complete_days",
    "forecast_demand",
    "forecast_table",
    "load_demand_inputs",
    "node_label",
    "node_path_label",
    "node_view",
    "store_demand_forecast",
    "interval_coverage",
    "mase",
    "mase_scale",
    "owa",
    "smape",
    # the calendar, spend and event-effect pieces the insights' baselines and patterns share with the forecasts
    "event_calendar",
    "spend_regressor",
    "fit_event_effects",
    "relative_lift",
    "ForecastExplanation",
    "UncertaintyNote",
    "describe_day",
    "describe_uncertainty",
    "explain_node",
    "store_forecast_explanation",
]
