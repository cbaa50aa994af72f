"""The RFM summary that BG/NBD and Gamma-Gamma fit on, built from an order log (``analytics.retention.clv.rfm_summary``)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics._checks import where

SUMMARY_COLUMNS = ["frequency", "recency", "T", "monetary_value"]
HOLDOUT_COLUMN = "holdout_frequency"


def _checked_orders(orders: pd.DataFrame, customer: str, date: str, amount: str) -> pd.DataFrame:
    if not isinstance(orders, pd.DataFrame):
        raise TypeError(f"orders must be a pandas DataFrame with columns {customer!r}, {date!r}, {amount!r}; "
                        f"got {type(orders).__name__}")
    missing = [c for c in (customer, date, amount) if c not in orders.columns]
    if missing:
        raise ValueError(f"orders lack columns {missing}; found {list(orders.columns)}; pass the right names "
                         "with customer=, date= and amount=")
    if not pd.api.types.is_datetime64_any_dtype(orders[date]):
        raise ValueError(f"column `{date}` has dtype {orders[date].dtype}, not datetime; convert it first with "
                         f"orders[{date!r}] = pd.to_datetime(orders[{date!r}])")
    if not pd.api.types.is_numeric_dtype(orders[amount]):
        raise ValueError(f"column `{amount}` has dtype {orders[amount].dtype}, not numeric; convert it with "
                         f"pd.to_numeric(orders[{amount!r}])")
    labels = orders.index.to_numpy()
    for column in (customer, date, amount):
        empty = orders[column].isna().to_numpy()
        if empty.any():
            raise ValueError(f"column `{column}` is empty in {where(empty, labels)}; drop or fill those orders")
    negative = (orders[amount] < 0).to_numpy()
    if negative.any():
        raise ValueError(f"column `{amount}` has negative values in {where(negative, labels)}; spend must be "
                         ">= 0: filter refunds and returns out of the orders first")
    return orders


def _ends(days: pd.Series, calibration_end, observation_end) -> tuple[pd.Timestamp, pd.Timestamp | None]:
    tz = days.dt.tz
    def stamp(value):
        value = pd.Timestamp(value)
        if tz is not None and value.tzinfo is None:
            value = value.tz_localize(tz)
        return value.floor("D")
    cal = days.max() if calibration_end is None else stamp(calibration_end)
    obs = None if observation_end is None else stamp(observation_end)
    if obs is not None and obs <= cal:
        raise ValueError(f"observation_end {obs.date()} is not after calibration_end {cal.date()}; the holdout "
                         "period runs from the day after calibration_end up to observation_end")
    return cal, obs


def rfm_summary(orders: pd.DataFrame, customer: str = "customer_id", date: str = "order_date",
                amount: str = "revenue", calibration_end=None, observation_end=None,
                period_days: float = 7.0) -> pd.DataFrame:
    """Frequency, recency, age and mean repeat spend per customer, the lifetimes way.

    Orders of one customer on the same calendar day are merged into one transaction (their amounts
    summed). Only transactions up to and including ``calibration_end`` count towards the summary;
    customers whose first purchase comes later are left out.

    Parameters
    ----------
    orders : pandas.DataFrame
        One row per order with a customer id, a datetime64 date and a non-negative amount.
    customer, date, amount : str
        Column names (defaults follow ``analytics.retention.facts``: customer_id, order_date, revenue).
    calibration_end : date-like, optional
        Last day of the calibration period; the newest order date when omitted.
    observation_end : date-like, optional
        Last day of a holdout period; adds ``holdout_frequency``.
    period_days : float
        Length of the time unit in days (7 = weeks).

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (sorted), columns ``frequency`` (repeat purchase days), ``recency`` (age at
        the last purchase, periods), ``T`` (age at ``calibration_end``, periods), ``monetary_value`` (mean
        amount of the repeat purchase days, 0 when frequency is 0) and, with ``observation_end``,
        ``holdout_frequency`` (purchase days after ``calibration_end`` up to ``observation_end``).

    Raises
    ------
    ValueError
        When columns are missing, dates are not datetime64, values are empty or amounts negative.
    """
    if not period_days > 0:
        raise ValueError(f"period_days must be > 0 (7 for weeks); got {period_days}")
    orders = _checked_orders(orders, customer, date, amount)
    days = orders[date].dt.floor("D")
    cal, obs = _ends(days, calibration_end, observation_end)
    daily = (pd.DataFrame({customer: orders[customer].to_numpy(), "day": days.to_numpy(),
                           "amount": orders[amount].to_numpy(dtype=float)})
             .groupby([customer, "day"], sort=True)["amount"].sum().reset_index())
    calibration = daily[daily["day"] <= cal]
    if calibration.empty:
        raise ValueError(f"no orders on or before calibration_end {cal.date()}; pick a later calibration_end")
    grouped = calibration.groupby(customer, sort=True)
    first, last = grouped["day"].min(), grouped["day"].max()
    frequency = grouped.size() - 1
    first_amount = grouped["amount"].first()
    repeat_total = grouped["amount"].sum() - first_amount
    period = pd.Timedelta(days=1) * period_days
    summary = pd.DataFrame({
        "frequency": frequency.astype(np.int64),
        "recency": (last - first) / period,
        "T": (cal - first) / period,
        "monetary_value": (repeat_total / frequency.where(frequency > 0)).fillna(0.0),
    })
    if obs is not None:
        holdout = daily[(daily["day"] > cal) & (daily["day"] <= obs)].groupby(customer).size()
        summary[HOLDOUT_COLUMN] = holdout.reindex(summary.index, fill_value=0).astype(np.int64)
    summary.index.name = customer
    return summary
