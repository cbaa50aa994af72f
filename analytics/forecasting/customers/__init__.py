"""The customer-driven revenue forecast, next to and combined with the demand forecast.

:class:`IntegratedForecastingEngine` forecasts daily revenue for the next ``h`` days (90 by default) from the
customers instead of from the revenue series:

- **existing** customers, active at the cutoff: BG/NBD expected purchases (with P(alive)), Gamma-Gamma spend
  per purchase, a Weibull proportional-hazards survival to each day for subscription cancellations, and a
  calendar index for weekday, season, promotions and holidays (:mod:`._existing`, :mod:`._index`);
- **new** customers: expected signups from a Poisson regression on trend, calendar and marketing spend, times
  the revenue a new customer brings in each of their first days (:mod:`._new`).

It is backtested on ``n_windows`` past cutoffs ``h`` days apart, like the demand forecast, next to the demand
forecast made at the same cutoffs (MASE with the weekly seasonal-naive scale, 80/95% coverage); intervals are
conformal on the backtests' relative errors; the combined forecast weights the two by inverse backtest MASE
(:mod:`._backtest`, :mod:`._intervals`). :meth:`IntegratedForecastingEngine.what_if` changes churn in a group,
new-customer volume or average order value and returns the change with intervals (:mod:`._whatif`).

Data contract: :class:`IntegratedInputs` (``load_integrated_inputs(engine)``): the retention facts
(``customers, orders, tickets``) and the demand inputs (sales, spend, promotions, calendar events).
"""
from __future__ import annotations

from analytics.forecasting.customers._backtest import BACKTEST_COLUMNS
from analytics.forecasting.customers._engine import FORECAST_COLUMNS, MIN_HISTORY_DAYS, IntegratedForecastingEngine
from analytics.forecasting.customers._inputs import IntegratedInputs, as_of_cutoff, load_integrated_inputs, revenue_by_part
from analytics.forecasting.customers._model import PARTS, CustomerModel
from analytics.forecasting.customers._store import GAP_COLUMNS, gap_by_part, recent_split, store_customer_forecast
from analytics.forecasting.customers._whatif import WHATIF_COLUMNS, WhatIf

__all__ = ["IntegratedForecastingEngine", "IntegratedInputs", "CustomerModel", "WhatIf", "load_integrated_inputs",
           "as_of_cutoff", "revenue_by_part", "BACKTEST_COLUMNS", "FORECAST_COLUMNS", "WHATIF_COLUMNS", "PARTS", "MIN_HISTORY_DAYS",
           "store_customer_forecast", "gap_by_part", "recent_split", "GAP_COLUMNS"]
