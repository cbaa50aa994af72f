"""The customer model at one cutoff (existing base + new customers) and the demand model at the same cutoff."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone

from analytics.forecasting.customers._existing import ExistingBase, fit_existing
from analytics.forecasting.customers._index import calendar_index, event_columns
from analytics.forecasting.customers._inputs import IntegratedInputs, active_mask, as_of_cutoff, daily_revenue
from analytics.forecasting.customers._new import NewCustomers, fit_new
from analytics.forecasting.demand_calendar import node_calendars
from analytics.forecasting.demand_inputs import demand_history
from analytics.forecasting.demand_nodes import NodeTask, fit_node
from analytics.forecasting.hierarchy import TOTAL

__all__ = ["CustomerModel", "fit_customer_model", "demand_at", "history_at", "PARTS"]

PARTS = ("existing", "new")
INTERVAL_COLUMNS = ["mean", "lo-80", "hi-80", "lo-95", "hi-95"]


@dataclass(frozen=True)
class CustomerModel:
    """The two parts at one cutoff, their horizon days and the revenue history they were fitted on."""

    cutoff: pd.Timestamp
    days: pd.DatetimeIndex  # the horizon
    existing: ExistingBase
    new: NewCustomers
    history: np.ndarray  # daily revenue from the first day of the order history to the cutoff

    def parts(self) -> dict[str, np.ndarray]:
        """Expected revenue per horizon day of ``existing``, ``new`` and their ``total``."""
        out = {"existing": self.existing.revenue(), "new": self.new.revenue()}
        out["total"] = out["existing"] + out["new"]
        return out


def _active_counts(customers: pd.DataFrame, days: pd.DatetimeIndex) -> np.ndarray:
    """Customers active on each day: signed up on or before it, not cancelled on or before it."""
    ups = customers["signup_date"].dt.normalize().value_counts().reindex(days, fill_value=0)
    before = int((customers["signup_date"] < days[0]).sum())
    gone = customers["cancel_date"].dropna().dt.normalize()
    downs = gone.value_counts().reindex(days, fill_value=0)
    gone_before = int((gone < days[0]).sum())
    return (before + ups.cumsum() - gone_before - downs.cumsum()).to_numpy(dtype=float)


def history_at(inputs: IntegratedInputs, cutoff: pd.Timestamp) -> np.ndarray:
    """Daily revenue from the first day of the order history up to ``cutoff``."""
    days = pd.date_range(inputs.window_start, cutoff, freq="D")
    return daily_revenue(inputs.facts.orders, days)


def fit_customer_model(inputs: IntegratedInputs, cutoff: pd.Timestamp, h: int) -> CustomerModel:
    """Fit both parts on what was known at the end of ``cutoff`` and forecast the ``h`` days after it."""
    start = inputs.window_start
    known = as_of_cutoff(inputs, cutoff)
    facts = known.facts
    active = active_mask(facts.customers, cutoff)
    if not active.any():
        raise ValueError(f"no customer is active at {cutoff.date()}: all {len(facts.customers)} customers who had "
                         "signed up by then had cancelled; the customer forecast needs an active base, so pick a "
                         "later date or load customers without a cancel_date")
    days = pd.date_range(start, cutoff + pd.Timedelta(days=h), freq="D")
    n_history = days.size - h
    revenue = daily_revenue(facts.orders, days[:n_history])
    index = calendar_index(revenue, _active_counts(facts.customers, days[:n_history]), known.demand, days, n_history)
    events, _offset = event_columns(known.demand, days, cutoff)
    existing = fit_existing(facts, cutoff, start, index, n_history, h, active)
    new = fit_new(facts, cutoff, start, days, n_history, h, index, events, known.demand.spend)
    return CustomerModel(cutoff, days[n_history:], existing, new, revenue)


def demand_at(inputs: IntegratedInputs, cutoff: pd.Timestamp, h: int, model) -> pd.DataFrame:
    """The demand forecast of total revenue made at ``cutoff``: ``mean, lo-80, hi-80, lo-95, hi-95``.

    ``model="ensemble"`` is the Forecast page's model for the business total (the calendar-aware ensemble of
    :mod:`analytics.forecasting.demand_nodes`, before reconciliation); otherwise any forecaster of
    :mod:`analytics.forecasting` fitted on the daily total alone.
    """
    known = as_of_cutoff(inputs, cutoff).demand
    history, _hierarchy = demand_history(known.sales, "revenue")
    total = history[history["unique_id"] == TOTAL]
    y = total["y"].to_numpy(dtype=float)
    if isinstance(model, str):
        ds = pd.DatetimeIndex(total["ds"])
        days = pd.date_range(ds[0], ds[-1] + pd.Timedelta(days=h), freq="D")
        calendar = node_calendars([TOTAL], days, ds[-1], known, known.countries)[TOTAL]
        fit = fit_node(NodeTask(TOTAL, ds, y, calendar.X[:y.size], calendar.X[y.size:], calendar), h)
        frame = fit.forecast
    else:
        frame = clone(model).fit(y).predict(h, level=(80, 95))
    return frame[INTERVAL_COLUMNS].clip(lower=0.0).reset_index(drop=True)
