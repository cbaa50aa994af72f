"""Monthly acquisition cohorts: who keeps buying, and how much, k months after they arrived.

:func:`cohort_retention` works on any transactions table with a customer id, a date and an amount.
A customer's cohort is the calendar month of their first transaction, or of the date given in
``first_dates`` (e.g. signup dates: then customers who never bought still count in their cohort's size).
Period ``k`` is the number of calendar months between the cohort month and the transaction month.

For the store's facts use :func:`cohorts_from_facts`: orders only exist from the first day of the data
window, so only customers who signed up inside the window have their whole history; it keeps those and
uses their signup dates as ``first_dates``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics._checks import check_order_log, where
from analytics.retention.facts import RetentionFacts

__all__ = ["CohortTable", "cohort_retention", "cohorts_from_facts"]


@dataclass(frozen=True)
class CohortTable:
    """Cohort matrices; rows are cohort labels ``"YYYY-MM"``, columns are periods ``0..N`` (months).

    Attributes
    ----------
    customers : pd.DataFrame
        Share of the cohort's customers with at least one transaction in period k (NaN: not observed yet).
    revenue : pd.DataFrame
        Cohort revenue in period k divided by its revenue in period 0 (NaN when period 0 had no revenue).
    sizes : pd.Series
        Customers per cohort.
    counts : pd.DataFrame
        Active customers per cohort and period (NaN: not observed yet).
    """

    customers: pd.DataFrame
    revenue: pd.DataFrame
    sizes: pd.Series
    counts: pd.DataFrame

    def at(self, period: int) -> pd.Series:
        """Share of each cohort active ``period`` months after acquisition (NaN where not observed yet)."""
        period = _period(period)
        if period in self.customers.columns:
            return self.customers[period].rename(f"month {period}")
        return pd.Series(np.nan, index=self.customers.index, name=f"month {period}")

    def average(self, period: int) -> float:
        """Size-weighted retention at ``period`` over the cohorts observed that far (NaN when none is)."""
        period = _period(period)
        if period not in self.counts.columns:
            return float("nan")
        observed = self.counts[period].notna()
        if not observed.any():
            return float("nan")
        return float(self.counts.loc[observed, period].sum() / self.sizes[observed].sum())


def _period(period) -> int:
    if isinstance(period, bool) or not float(period).is_integer() or period < 0:
        raise ValueError(f"period={period!r}; use a whole number of months >= 0 (0 is the acquisition month)")
    return int(period)


def _first_dates(frame: pd.DataFrame, customer: str, date: str, first_dates: pd.Series | None) -> pd.Series:
    if first_dates is None:
        return frame.groupby(customer)[date].min()
    first = pd.to_datetime(pd.Series(first_dates))
    if first.isna().any() or first.index.has_duplicates:
        raise ValueError("first_dates must map each customer id (index) to one date, without gaps or duplicates")
    unknown = ~frame[customer].isin(first.index).to_numpy()
    if unknown.any():
        raise ValueError(f"customers in {where(unknown, frame.index.to_numpy())} of transactions have no entry in "
                         "first_dates; add their first dates or drop their transactions")
    early = (frame[date] < frame[customer].map(first)).to_numpy()
    if early.any():
        raise ValueError(f"transactions in {where(early, frame.index.to_numpy())} are dated before the customer's "
                         "first_dates; fix the first dates or drop transactions before them")
    return first


def _months(dates: pd.Series) -> np.ndarray:
    return (dates.dt.year * 12 + dates.dt.month - 1).to_numpy()


def cohort_retention(transactions: pd.DataFrame, customer: str = "customer_id", date: str = "order_date",
                     amount: str = "revenue", first_dates: pd.Series | None = None,
                     max_periods: int | None = None) -> CohortTable:
    """Customer and revenue retention of monthly acquisition cohorts.

    Parameters
    ----------
    transactions : pd.DataFrame
        One row per transaction, in any order: ``customer``, ``date`` (dates or strings), ``amount`` (>= 0).
    customer, date, amount : str
        Column names.
    first_dates : pd.Series, optional
        Customer id -> acquisition date (e.g. signup). Every customer in ``transactions`` must have one and
        no transaction may precede it. Default: each customer's first transaction date.
    max_periods : int, optional
        Keep periods ``0..max_periods`` only.

    Returns
    -------
    CohortTable
        Period ``k`` of a cohort is observed when its month is not after the month of the newest transaction
        (the newest month may be partial).

    Raises
    ------
    ValueError
        Missing columns, no rows, empty cells, negative amounts, or transactions before ``first_dates``.
    """
    frame = check_order_log(transactions, customer, date, amount, name="transactions", parse_dates=True)
    first = _first_dates(frame, customer, date, first_dates)
    cohort_month = pd.Series(_months(first), index=first.index)
    start = frame[customer].map(cohort_month).to_numpy()
    frame = frame.assign(_cohort=start, _period=_months(frame[date]) - start)
    sizes = cohort_month.value_counts().sort_index()
    last = _months(frame[date]).max()
    horizon = int(last - sizes.index.min())
    periods = range((horizon if max_periods is None else min(horizon, int(max_periods))) + 1)
    cells = frame.groupby(["_cohort", "_period"])
    return _table(_matrix(cells[customer].nunique(), sizes, periods, last),
                  _matrix(cells[amount].sum(), sizes, periods, last), sizes)


def _matrix(cells: pd.Series, sizes: pd.Series, periods: range, last_month: int) -> pd.DataFrame:
    """Cohort x period values, 0 where nothing happened and NaN where the period has not come yet."""
    matrix = cells.unstack().reindex(index=sizes.index, columns=periods).fillna(0.0)
    unseen = np.asarray(sizes.index)[:, None] + np.asarray(periods)[None, :] > last_month
    return matrix.mask(unseen)


def _table(counts: pd.DataFrame, money: pd.DataFrame, sizes: pd.Series) -> CohortTable:
    """Active counts and revenue as shares of the cohort's size and of its period-0 revenue, labelled."""
    labels = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in sizes.index]
    base = money[0].where(money[0] > 0)
    index, columns = pd.Index(labels, name="cohort"), pd.Index(list(counts.columns), name="period")
    tables = [counts.div(sizes, axis=0), money.div(base, axis=0), counts]
    for table in tables:
        table.index, table.columns = index, columns
    return CohortTable(customers=tables[0], revenue=tables[1], counts=tables[2],
                       sizes=pd.Series(sizes.to_numpy(), index=tables[0].index, name="customers"))


def cohorts_from_facts(facts: RetentionFacts, since=None, max_periods: int | None = None) -> CohortTable:
    """Signup cohorts of the customers who signed up on or after ``since`` (default: the first order date).

    Before the store's first order there is no purchase history, so older customers would look inactive
    in their early months; they are left out. Signup dates are the ``first_dates``.
    """
    start = facts.orders["order_date"].min() if since is None else pd.Timestamp(since)
    customers = facts.customers[facts.customers["signup_date"] >= start]
    if customers.empty:
        raise ValueError(f"no customer signed up on or after {start.date()}; pass an earlier since=")
    first = customers.set_index("customer_id")["signup_date"]
    orders = facts.orders[facts.orders["customer_id"].isin(first.index)]
    return cohort_retention(orders, first_dates=first, max_periods=max_periods)
