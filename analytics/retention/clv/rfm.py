"""The RFM summary that BG/NBD and Gamma-Gamma fit on, built from an order log (``analytics.retention.clv.rfm_summary``)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics._checks import check_order_log

SUMMARY_COLUMNS = ["frequency", "recency", "T", "monetary_value"]
HOLDOUT_COLUMN = "holdout_frequency"


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

    Orders of one customer on the same calendar day are merged into one transaction (amounts summed).

    Parameters
    ----------
    orders : pandas.DataFrame
        An order log; ``customer``, ``date`` (datetime64) and ``amount`` (>= 0) name its columns. A
        ``ValueError`` names missing columns, other dtypes, empty values or negative amounts.
    calibration_end, observation_end : date-like, optional
        The last day the summary counts (default: the newest order date; customers whose first purchase
        comes later are left out) and the last day of an optional holdout period after it.
    period_days : float
        Length of the time unit in days (7 = weeks).

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (sorted): ``frequency`` (repeat purchase days), ``recency`` (age at the last
        purchase), ``T`` (age at ``calibration_end``), both in periods, ``monetary_value`` (mean amount of
        the repeat purchase days, 0 when frequency is 0) and, with ``observation_end``,
        ``holdout_frequency`` (purchase days after ``calibration_end`` up to ``observation_end``).
    """
    if not period_days > 0:
        raise ValueError(f"period_days must be > 0 (7 for weeks); got {period_days}")
    orders = check_order_log(orders, customer, date, amount)
    days = orders[date].dt.floor("D")
    cal, obs = _ends(days, calibration_end, observation_end)
    daily = (pd.DataFrame({customer: orders[customer].to_numpy(), "day": days.to_numpy(),
                           "amount": orders[amount].to_numpy(dtype=float)})
             .groupby([customer, "day"], sort=True)["amount"].sum().reset_index())
    summary = _calibration_summary(daily[daily["day"] <= cal], customer, cal, period_days)
    if obs is not None:
        holdout = daily[(daily["day"] > cal) & (daily["day"] <= obs)].groupby(customer).size()
        summary[HOLDOUT_COLUMN] = holdout.reindex(summary.index, fill_value=0).astype(np.int64)
    return summary.rename_axis(customer)


def _calibration_summary(calibration: pd.DataFrame, customer: str, cal: pd.Timestamp,
                         period_days: float) -> pd.DataFrame:
    """``frequency, recency, T, monetary_value`` from one row per customer and purchase day."""
    if calibration.empty:
        raise ValueError(f"no orders on or before calibration_end {cal.date()}; pick a later calibration_end")
    grouped = calibration.groupby(customer, sort=True)
    first, last = grouped["day"].min(), grouped["day"].max()
    frequency = grouped.size() - 1
    repeat_total = grouped["amount"].sum() - grouped["amount"].first()
    period = pd.Timedelta(days=1) * period_days
    return pd.DataFrame({
        "frequency": frequency.astype(np.int64),
        "recency": (last - first) / period,
        "T": (cal - first) / period,
        "monetary_value": (repeat_total / frequency.where(frequency > 0)).fillna(0.0),
    })
