"""Revenue from customers not there yet: expected signups times what a new customer spends in their first days.

- **Signups.** A Poisson regression (scikit-learn's ``PoissonRegressor``) of daily signups over the last two
  years on a linear trend, weekday, yearly Fourier terms (with two years of history), the calendar's event
  columns (Black Friday brings signups too) and marketing spend (the trailing week's mean, in log;
  held at its mean of the last 28 days over the horizon, as the demand forecast holds it).
- **Early revenue.** ``early[k]``: the mean revenue on the k-th day after signup per customer who signed up in
  the last year (every customer counted whose k-th day has been seen, cancelled or not), each order divided
  by the calendar index of its day and smoothed over a week. So it already holds early cancellations,
  customers who never buy and the first purchases' pace.
- **Revenue** on future day d: ``index(d) * sum_{j <= d} signups(j) * early[d - j]``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import PoissonRegressor

from analytics.forecasting.demand_inputs import spend_regressor

__all__ = ["NewCustomers", "fit_new"]

FIT_DAYS = 730
COHORT_DAYS = 365
SMOOTH_DAYS = 7
FOURIER_TERMS = 2
YEAR = 365.25


@dataclass(frozen=True)
class NewCustomers:
    """Expected signups per future day, the early revenue curve and the calendar index of the horizon."""

    signups: np.ndarray  # (h,)
    early: np.ndarray  # (h,) revenue on day k after signup per new customer, index-free
    index: np.ndarray  # (h,)

    def revenue(self, volume: float = 1.0, aov: float = 1.0) -> np.ndarray:
        """Expected revenue per future day with ``volume`` times the signups and ``aov`` times the spend."""
        h = self.signups.size
        spread = np.convolve(self.signups * volume, self.early)[:h]
        return spread * self.index * aov


def _features(days: pd.DatetimeIndex, n_history: int, events: np.ndarray, spend: np.ndarray) -> np.ndarray:
    trend = (np.arange(days.size) - (n_history - 1)) / YEAR
    weekday = days.dayofweek.to_numpy()
    angle = 2 * np.pi * days.dayofyear.to_numpy() / YEAR
    columns = [trend, np.log1p(spend)] + [(weekday == k).astype(float) for k in range(1, 7)]
    columns += [f(k * angle) for k in range(1, FOURIER_TERMS + 1) for f in (np.sin, np.cos)]
    return np.column_stack([*columns, events])


def _signups(signup_days: pd.Series, days: pd.DatetimeIndex, n_history: int, events: np.ndarray,
             spend: pd.DataFrame) -> np.ndarray:
    """Expected signups on each of the days after the history."""
    history = days[:n_history]
    counts = signup_days.dt.normalize().value_counts().reindex(history, fill_value=0).to_numpy(dtype=float)
    spend_k, _held = spend_regressor(spend, days, days[n_history - 1])
    X = _features(days, n_history, events, spend_k)
    start = max(n_history - FIT_DAYS, 0)
    if counts[start:].sum() == 0:
        return np.zeros(days.size - n_history)
    if n_history - start < 2 * 365:
        X[:, 8:8 + 2 * FOURIER_TERMS] = 0.0  # a yearly season is not learnt from less than two years
    keep = X[start:n_history].std(axis=0) > 0
    model = PoissonRegressor(alpha=1e-4, solver="newton-cholesky", max_iter=300).fit(X[start:n_history][:, keep], counts[start:])
    return model.predict(X[n_history:][:, keep])


def _early_revenue(facts, cutoff: pd.Timestamp, start: pd.Timestamp, index: np.ndarray, h: int) -> np.ndarray:
    """Revenue on day k after signup per recent signup (index-free), k = 0..h-1, smoothed over a week."""
    customers = facts.customers
    recent = customers[(customers["signup_date"] > max(cutoff - pd.Timedelta(days=COHORT_DAYS), start))]
    if recent.empty:
        return np.zeros(h)
    signup = recent.set_index("customer_id")["signup_date"]
    orders = facts.orders[facts.orders["customer_id"].isin(signup.index)]
    k = (orders["order_date"].dt.normalize() - orders["customer_id"].map(signup)).dt.days.to_numpy()
    day = (orders["order_date"].dt.normalize() - start).dt.days.to_numpy()
    inside = k < h
    total = np.bincount(k[inside], weights=orders["revenue"].to_numpy()[inside] / index[day[inside]], minlength=h)
    seen_days = (cutoff - signup).dt.days.to_numpy()
    exposed = np.array([(seen_days >= j).sum() for j in range(h)], dtype=float)
    per_customer = np.divide(total[:h], exposed, out=np.zeros(h), where=exposed > 0)
    return pd.Series(per_customer).rolling(SMOOTH_DAYS, center=True, min_periods=1).mean().to_numpy()


def fit_new(facts, cutoff: pd.Timestamp, start: pd.Timestamp, days: pd.DatetimeIndex, n_history: int, h: int,
            index: np.ndarray, events: np.ndarray, spend: pd.DataFrame) -> NewCustomers:
    """:class:`NewCustomers` from the facts known at ``cutoff`` (``days`` from ``start``: history then horizon)."""
    signups = _signups(facts.customers["signup_date"], days, n_history, events, spend)
    early = _early_revenue(facts, cutoff, start, index, h)
    return NewCustomers(signups[:h], early, index[n_history:n_history + h])
