"""Leakage-safe churn features and labels at a cutoff, from :class:`analytics.retention.facts.RetentionFacts`.

Everything a feature reads is dated on or before the cutoff; the cancel date is only used to decide who is
active at the cutoff (features) and who cancelled in the horizon after it (labels).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.retention.facts import RetentionFacts, check_facts

__all__ = ["CATEGORICAL_COLUMNS", "churn_features", "churn_labels", "active_customers", "as_timestamp",
           "label_counts_error", "observation_start", "active_count"]

CATEGORICAL_COLUMNS = ("segment", "plan", "region", "channel")
HIGH_PRIORITIES = ("high", "urgent")
RECENCY_CAP_DAYS = 365  # "no order for a year or more" all look alike; keeps new data in the fitted range
MIN_RATE_DAYS = 30  # rates over at least a month, so one order in a customer's first days is not 365 a year
NEUTRAL_SATISFACTION = 3.0  # middle of the 1-5 survey scale, used when a customer has no surveyed ticket
DAYS_PER_YEAR = 365.0


def as_timestamp(value, name: str = "cutoff") -> pd.Timestamp:
    """``value`` as a day-resolution Timestamp; a clear error for things that are not dates."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a date such as '2026-05-01'; got {value!r}") from error
    if pd.isna(stamp):
        raise ValueError(f"{name} must be a date such as '2026-05-01'; got {value!r}")
    return stamp.normalize()


def _active_mask(customers: pd.DataFrame, cutoff: pd.Timestamp) -> pd.Series:
    return (customers["signup_date"] <= cutoff) & (customers["cancel_date"].isna() | (customers["cancel_date"] > cutoff))


def active_customers(facts: RetentionFacts, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Customers signed up on or before ``cutoff`` and not cancelled by it (``cancel_date`` NaT or later).

    Raises
    ------
    ValueError
        When nobody is active at the cutoff (the message gives the signup range to pick a cutoff from).
    """
    check_facts(facts)
    customers = facts.customers
    active = customers[_active_mask(customers, cutoff)]
    if active.empty:
        first, last = customers["signup_date"].min(), customers["signup_date"].max()
        raise ValueError(f"no customer is active at the cutoff {cutoff.date()} ({len(customers)} customers signed "
                         f"up between {first} and {last}); pick a cutoff after a signup and before everyone "
                         "has cancelled")
    return active


def active_count(facts: RetentionFacts, cutoff: pd.Timestamp) -> int:
    """How many customers are active at ``cutoff`` (0 instead of an error)."""
    return int(_active_mask(facts.customers, cutoff).sum())


def observation_start(facts: RetentionFacts) -> pd.Timestamp:
    """First day the store has any order or ticket: history before it is unobserved, not empty."""
    firsts = [facts.orders["order_date"].min(), facts.tickets["opened_date"].min()]
    return min(pd.Timestamp(d) for d in firsts if pd.notna(d)).normalize()


def _order_features(orders: pd.DataFrame, ids: pd.Index, cutoff: pd.Timestamp, observed_days: pd.Series,
                    rate_days: pd.Series) -> pd.DataFrame:
    past = orders[(orders["order_date"] <= cutoff) & orders["customer_id"].isin(ids)]
    age = (cutoff - past["order_date"]).dt.days
    grouped = past.groupby("customer_id")
    count = grouped.size().reindex(ids, fill_value=0)
    revenue = grouped["revenue"].sum().reindex(ids, fill_value=0.0)
    last_age = age.groupby(past["customer_id"]).min().reindex(ids)

    def window(days: int, column: str | None) -> pd.Series:
        recent = past[age < days]
        values = recent.groupby("customer_id").size() if column is None else \
            recent.groupby("customer_id")[column].sum()
        return values.reindex(ids, fill_value=0).astype(float)

    return pd.DataFrame({
        "orders_90d": window(90, None), "orders_365d": window(365, None),
        "revenue_90d": window(90, "revenue"), "revenue_365d": window(365, "revenue"),
        "days_since_last_order": last_age.fillna(observed_days).clip(upper=RECENCY_CAP_DAYS).astype(float),
        "orders_per_year": count / rate_days * DAYS_PER_YEAR,
        "avg_order_value": (revenue / count.where(count > 0)).fillna(0.0),
    }, index=ids)


def _ticket_features(tickets: pd.DataFrame, ids: pd.Index, cutoff: pd.Timestamp,
                     rate_days: pd.Series) -> pd.DataFrame:
    past = tickets[(tickets["opened_date"] <= cutoff) & tickets["customer_id"].isin(ids)]
    recent = past[(cutoff - past["opened_date"]).dt.days < 365]
    count = past.groupby("customer_id").size().reindex(ids, fill_value=0)
    # a satisfaction score is surveyed when the ticket is resolved: unknown at a cutoff before that
    surveyed = past[past["resolved_date"] <= cutoff]
    satisfaction = surveyed.groupby("customer_id")["satisfaction"].mean().reindex(ids)
    high = recent[recent["priority"].astype(str).str.lower().isin(HIGH_PRIORITIES)]
    return pd.DataFrame({
        "tickets_365d": recent.groupby("customer_id").size().reindex(ids, fill_value=0).astype(float),
        "tickets_per_year": count / rate_days * DAYS_PER_YEAR,
        "high_priority_tickets_365d": high.groupby("customer_id").size().reindex(ids, fill_value=0).astype(float),
        "mean_satisfaction": satisfaction.fillna(NEUTRAL_SATISFACTION),
        "satisfaction_missing": satisfaction.isna().astype(float),
    }, index=ids)


def _one_hot(all_customers: pd.DataFrame, active: pd.DataFrame) -> pd.DataFrame:
    """Every level seen in the whole customer table, so columns agree across cutoffs."""
    columns = {}
    for column in CATEGORICAL_COLUMNS:
        values = active[column].astype(str).to_numpy()
        for level in sorted(all_customers[column].astype(str).unique()):
            columns[f"{column}_{level}"] = (values == level).astype(float)
    return pd.DataFrame(columns, index=pd.Index(active["customer_id"], name="customer_id"))


def churn_features(facts: RetentionFacts, cutoff: pd.Timestamp) -> pd.DataFrame:
    """One row of churn features per customer active at ``cutoff``, from data dated on or before it.

    Parameters
    ----------
    facts : RetentionFacts
        Customers, orders and tickets.
    cutoff : pandas.Timestamp
        The day the features describe; customers with ``signup_date <= cutoff`` and no cancellation on or
        before it are included.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``; float columns ``tenure_days``, ``orders_90d``, ``orders_365d``,
        ``revenue_90d``, ``revenue_365d`` (windows end at the cutoff), ``days_since_last_order`` (capped at 365;
        customers with no order count from the later of signup and the first day of store data),
        ``orders_per_year`` and ``tickets_per_year`` (over the observable part of the tenure, at least 30 days:
        the store's history starts at its first order or ticket), ``avg_order_value`` (0 without orders),
        ``tickets_365d``, ``high_priority_tickets_365d`` (high or urgent), ``mean_satisfaction`` (over tickets
        resolved by the cutoff, when the survey is taken; 3 = neutral when none was surveyed, flagged by
        ``satisfaction_missing``), and 0/1 columns
        ``segment_<level>``, ``plan_<level>``, ``region_<level>``, ``channel_<level>``.

    Notes
    -----
    Satisfaction is recorded when a ticket is resolved; the facts do not carry the resolution date, so a
    ticket opened shortly before the cutoff may contribute a score that was only known a few days later.
    """
    cutoff = as_timestamp(cutoff)
    active = active_customers(facts, cutoff)
    ids = pd.Index(active["customer_id"], name="customer_id")
    tenure = pd.Series((cutoff - active["signup_date"]).dt.days.to_numpy(), index=ids).astype(float)
    observed = tenure.clip(upper=max((cutoff - observation_start(facts)).days, 0))
    rate_days = observed.clip(lower=MIN_RATE_DAYS)
    frame = pd.concat([tenure.rename("tenure_days"),
                       _order_features(facts.orders, ids, cutoff, observed, rate_days),
                       _ticket_features(facts.tickets, ids, cutoff, rate_days),
                       _one_hot(facts.customers, active)], axis=1)
    return frame.astype(float)


def label_counts_error(labels: pd.Series, where: str) -> str | None:
    """A message when ``labels`` hold one class only ("all churned" / "no churn"), else None."""
    churned = int(labels.sum())
    if 0 < churned < len(labels):
        return None
    what = "all churned" if churned else "no churn"
    return (f"{where}: {what} ({churned} of {len(labels)} customers cancelled), so churn cannot be learned or "
            "scored; use a longer horizon_days or another cutoff")


def churn_labels(facts: RetentionFacts, cutoff: pd.Timestamp, horizon_days: int) -> pd.Series:
    """1 for customers active at ``cutoff`` who cancel in ``(cutoff, cutoff + horizon_days]``, else 0.

    Parameters
    ----------
    facts : RetentionFacts
        Customers (with ``cancel_date``) and the data's last day ``as_of``.
    cutoff : pandas.Timestamp
        The feature day; the same customers as :func:`churn_features` at that cutoff, in the same order.
    horizon_days : int
        Length of the label window in days; the window must end on or before ``facts.as_of``.

    Returns
    -------
    pandas.Series
        Integer 0/1 named ``churned``, indexed by ``customer_id``.
    """
    cutoff = as_timestamp(cutoff)
    if not (isinstance(horizon_days, (int, np.integer)) and horizon_days > 0):
        raise ValueError(f"horizon_days must be a positive whole number of days; got {horizon_days!r}")
    end = cutoff + pd.Timedelta(days=int(horizon_days))
    if end > facts.as_of:
        raise ValueError(f"the label window ({cutoff.date()}, {end.date()}] ends after the data's last day "
                         f"{facts.as_of.date()}, so later cancellations are unseen; use a cutoff on or before "
                         f"{(facts.as_of - pd.Timedelta(days=int(horizon_days))).date()}")
    active = active_customers(facts, cutoff)
    churned = (active["cancel_date"] > cutoff) & (active["cancel_date"] <= end)
    return pd.Series(churned.astype(int).to_numpy(), index=pd.Index(active["customer_id"], name="customer_id"),
                     name="churned")
