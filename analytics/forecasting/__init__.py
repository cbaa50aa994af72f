"""Demand forecasting: base models, a backtested ensemble and a batch API on long frames.

Data contract everywhere: long frames with columns ``unique_id, ds, y``; forecasts come
back long with ``unique_id, ds, mean, lo-80, hi-80, lo-95, hi-95``.
"""
from analytics.forecasting._checks import NotFittedError
from analytics.forecasting.ensemble import EnsembleForecaster
from analytics.forecasting.gbm import GBMForecaster
from analytics.forecasting.models import ETS, MSTLForecaster, Naive2, SeasonalNaive, Theta

__all__ = [
    "NotFittedError",
    "SeasonalNaive",
    "Naive2",
    "ETS",
    "Theta",
    "MSTLForecaster",
    "GBMForecaster",
    "EnsembleForecaster",
]
