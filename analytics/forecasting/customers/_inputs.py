"""What the customer-driven forecast reads, and the store's facts as they stood on a past day.

``IntegratedInputs`` pairs the retention facts (customers, orders, tickets) with the demand inputs (sales,
spend, the promotion calendar, calendar events, holiday countries). ``as_of_cutoff`` cuts both back to a day,
so a backtest at that cutoff sees exactly what an analyst saw then: later signups, orders and tickets are
left out and cancellations after the cutoff are not known yet.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from analytics.forecasting.demand_inputs import DemandInputs, complete_days, load_demand_inputs
from analytics.retention import RetentionFacts, load_retention_facts

__all__ = ["IntegratedInputs", "load_integrated_inputs", "as_of_cutoff", "active_mask", "daily_revenue",
           "revenue_by_part"]


@dataclass(frozen=True)
class IntegratedInputs:
    """The retention facts and the demand inputs of one store (see the module docstring)."""

    facts: RetentionFacts
    demand: DemandInputs

    @property
    def window_start(self) -> pd.Timestamp:
        """The first day of the order history (customers who signed up earlier are observed from it)."""
        return pd.Timestamp(self.facts.orders["order_date"].min()).normalize()


def load_integrated_inputs(engine: Engine, through: str | None = None, countries=("US",)) -> IntegratedInputs:
    """The store's facts and demand inputs, up to the last complete day ``through`` (ISO date; None: all)."""
    facts = load_retention_facts(engine)
    demand = load_demand_inputs(engine, through, countries)
    inputs = IntegratedInputs(facts, demand)
    return inputs if through is None else as_of_cutoff(inputs, pd.Timestamp(through))


def active_mask(customers: pd.DataFrame, cutoff: pd.Timestamp) -> np.ndarray:
    """Customers signed up on or before ``cutoff`` and not cancelled by it (cancel dates are exclusive)."""
    return ((customers["signup_date"] <= cutoff)
            & (customers["cancel_date"].isna() | (customers["cancel_date"] > cutoff))).to_numpy()


def as_of_cutoff(inputs: IntegratedInputs, cutoff: pd.Timestamp) -> IntegratedInputs:
    """The inputs as known at the end of ``cutoff``; plans (promotions, calendar events) stay whole."""
    facts = inputs.facts
    customers = facts.customers[facts.customers["signup_date"] <= cutoff]
    customers = customers.assign(cancel_date=customers["cancel_date"].where(customers["cancel_date"] <= cutoff))
    orders = facts.orders[facts.orders["order_date"] <= cutoff]
    tickets = facts.tickets[facts.tickets["opened_date"] <= cutoff]
    tickets = tickets.assign(resolved_date=tickets["resolved_date"].where(tickets["resolved_date"] <= cutoff),
                             satisfaction=tickets["satisfaction"].where(tickets["resolved_date"] <= cutoff))
    known = RetentionFacts(customers.reset_index(drop=True), orders.reset_index(drop=True),
                           tickets.reset_index(drop=True), min(pd.Timestamp(facts.as_of), cutoff))
    return replace(inputs, facts=known, demand=complete_days(inputs.demand, cutoff.date().isoformat()))


def daily_revenue(orders: pd.DataFrame, days: pd.DatetimeIndex) -> np.ndarray:
    """Revenue per day over ``days`` (0 on days without orders)."""
    by_day = orders.groupby(orders["order_date"].dt.normalize())["revenue"].sum()
    return by_day.reindex(days, fill_value=0.0).to_numpy(dtype=float)


def revenue_by_part(facts: RetentionFacts, cutoff: pd.Timestamp, days: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """Actual revenue per day over ``days`` after ``cutoff``: ``existing`` (customers signed up by the cutoff),
    ``new`` (the others) and ``total``."""
    signed = facts.customers.set_index("customer_id")["signup_date"]
    orders = facts.orders[(facts.orders["order_date"] > cutoff) & (facts.orders["order_date"] <= days[-1])]
    new = orders["customer_id"].map(signed).fillna(days[-1]) > cutoff
    parts = {"existing": daily_revenue(orders[~new.to_numpy()], days), "new": daily_revenue(orders[new.to_numpy()], days)}
    parts["total"] = parts["existing"] + parts["new"]
    return parts
