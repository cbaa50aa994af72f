"""The customer-driven forecast of a store, as the Forecast page and the results cache use it, and how its gap to
the demand forecast splits between existing and new customers."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from analytics.forecasting.customers._engine import IntegratedForecastingEngine
from analytics.forecasting.customers._inputs import load_integrated_inputs

__all__ = ["store_customer_forecast", "gap_by_part", "recent_split", "GAP_COLUMNS"]

Progress = Callable[[int, int, str], None]
GAP_COLUMNS = ["part", "customers", "demand", "gap"]


def store_customer_forecast(engine: Engine, progress: Progress | None = None, *, h: int = 90,
                            through: str | None = None, countries: str = "US") -> IntegratedForecastingEngine:
    """:class:`IntegratedForecastingEngine` fitted on the store's data up to the last complete day ``through``
    (ISO date), with the public holidays of ``countries`` (comma-separated codes), next to the same
    calendar-aware demand ensemble as the Forecast page's total. The entry point the results cache keys by dataset
    version and parameters."""
    if progress is not None:
        progress(0, 1, "reading customers, orders, sales and the calendar")
    codes = tuple(code for code in str(countries).split(",") if code)
    inputs = load_integrated_inputs(engine, through, codes)
    return IntegratedForecastingEngine(h=h).fit(inputs, progress=progress)


def recent_split(model: IntegratedForecastingEngine) -> dict[str, float]:
    """The shares of the last ``h`` days' revenue before the forecast from customers signed up before those days
    (``existing``) and from those who signed up during them (``new``)."""
    parts = model.recent_parts_
    total = float(parts["total"].sum())
    if total <= 0:
        return {"existing": 1.0, "new": 0.0}
    return {"existing": float(parts["existing"].sum()) / total, "new": float(parts["new"].sum()) / total}


def gap_by_part(model: IntegratedForecastingEngine) -> pd.DataFrame:
    """The customer forecast minus the demand forecast over the horizon, split into existing and new customers.

    The demand forecast knows no customers, so it is split the way the last ``h`` days' revenue split
    (:func:`recent_split`); a part's gap is the customer forecast of that part minus that share of the demand
    forecast, and the parts' gaps add up to the total's exactly. Rows ``part`` (``existing``, ``new``,
    ``total``) with ``GAP_COLUMNS``; no rows without a demand forecast.
    """
    if model.demand_ is None:
        return pd.DataFrame(columns=GAP_COLUMNS)
    demand_total = float(np.sum(model.demand_["mean"]))
    split = recent_split(model)
    parts = model.model_.parts()
    rows = [{"part": part, "customers": float(parts[part].sum()), "demand": demand_total * split[part]}
            for part in ("existing", "new")]
    rows.append({"part": "total", "customers": float(parts["total"].sum()), "demand": demand_total})
    frame = pd.DataFrame(rows)
    frame["gap"] = frame["customers"] - frame["demand"]
    return frame[GAP_COLUMNS]
