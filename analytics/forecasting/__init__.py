"""Demand forecasting: base models, a backtested ensemble and a batch API on long frames.

Data contract everywhere: long frames with columns ``unique_id, ds, y``; forecasts come
back long with ``unique_id, ds, mean, lo-80, hi-80, lo-95, hi-95, model``.
"""
from analytics.forecasting._checks import NotFittedError, validate_long
from analytics.forecasting.api import backtest, forecast
from analytics.forecasting.ensemble import EnsembleForecaster, PrecomputedForecaster, default_members, global_members
from analytics.forecasting.gbm import GBMForecaster
from analytics.forecasting.models import ETS, MSTLForecaster, Naive2, SeasonalNaive, Theta

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
]
