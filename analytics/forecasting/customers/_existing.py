"""Revenue from the customers already there: BG/NBD purchases, Gamma-Gamma spend, survival to each day.

For every customer active at the cutoff (signed up, not cancelled) and every day d of the horizon::

    revenue_i(d) = purchases_i(d) * spend_i * index(d) / mean_index_i * exp(-m_i * H_i(d))

- ``purchases_i(d)``: BG/NBD's expected purchases on day d (the difference of ``E[Y(t) | x, t_x, T]`` at the
  day's end and start), which includes P(alive), the silent drop-out of a customer who stops buying without
  cancelling. The clock starts when the customer is first observed (signup, or the first day of the order
  history for earlier customers): that day counts as a purchase of 0, so customers who have not bought yet
  are in the base too, and a cancelled customer's clock stops at the cancellation (drop-out in BG/NBD is
  what cancellations do not explain).
- ``spend_i``: Gamma-Gamma's expected spend per purchase; customers who have not bought yet get the mean
  spend per purchase day of the last year (see ``_recent_spend`` for why not Gamma-Gamma's population mean).
- ``index(d) / mean_index_i``: the calendar index of the day over its mean over the days the customer was
  observed (:mod:`._index`), so a customer seen only in December is not expected to buy at December's pace.
- ``H_i(d)``: the cumulative hazard of cancelling between the cutoff and day d given the tenure reached, from
  a Weibull proportional-hazards model (lifelines' ``WeibullAFTFitter``; Weibull AFT is also proportional
  hazards) on tenure with delayed entry and the covariates of ``analytics.retention.survival_table``
  (segment, plan, region, tickets and orders per year). ``m_i`` is 1, or a what-if's churn multiplier:
  multiplying a customer's hazard by m raises their survival to the power m.

Stores without cancellations (``cancel_date`` never set) get ``H = 0``: BG/NBD's P(alive) alone then does it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import WeibullAFTFitter
from lifelines.exceptions import ConvergenceError

from analytics.retention import RetentionFacts, survival_table
from analytics.retention.clv import BetaGeoModel, GammaGammaModel, rfm_summary

__all__ = ["ExistingBase", "fit_existing", "ATTRIBUTES"]

ATTRIBUTES = ("region", "segment", "plan", "channel")
PERIOD_DAYS = 7.0
PENALIZER = 0.001  # a whisper of L2 keeps BG/NBD finite when nobody drops out silently (the sample company)
_SURVIVAL_COVARIATES = ["tickets_per_year", "log_engagement"]


@dataclass(frozen=True)
class ExistingBase:
    """The active base at a cutoff: attributes, daily expected purchases and spend, cancellation hazards."""

    customers: pd.DataFrame  # customer_id and ATTRIBUTES, one row per active customer
    purchases: np.ndarray  # (customers, days): expected purchases, calendar-indexed
    spend: np.ndarray  # (customers,)
    hazard: np.ndarray  # (customers, days): cumulative cancellation hazard from the cutoff to each day

    def revenue(self, churn: np.ndarray | None = None, aov: float = 1.0, by: np.ndarray | None = None) -> np.ndarray:
        """Expected revenue per day (summed over customers, or over the rows of mask ``by``)."""
        m = np.ones(len(self.spend)) if churn is None else churn
        each = self.purchases * np.exp(-m[:, None] * self.hazard) * (self.spend * aov)[:, None]
        return (each if by is None else each[by]).sum(axis=0)


def _summary(facts: RetentionFacts, cutoff: pd.Timestamp, start: pd.Timestamp) -> pd.DataFrame:
    """RFM summary in weeks, the clock starting when each customer is first observed (a purchase of 0)."""
    customers = facts.customers
    observed = customers["signup_date"].clip(lower=start)
    first = pd.DataFrame({"customer_id": customers["customer_id"], "order_date": observed, "revenue": 0.0})
    log = pd.concat([first, facts.orders[["customer_id", "order_date", "revenue"]]], ignore_index=True)
    summary = rfm_summary(log, calibration_end=cutoff, period_days=PERIOD_DAYS)
    cancelled = customers.set_index("customer_id")["cancel_date"].reindex(summary.index)
    stopped = ((cancelled - observed.set_axis(customers["customer_id"]).reindex(summary.index))
               / pd.Timedelta(days=PERIOD_DAYS))
    summary["T"] = np.where(cancelled.notna(), np.maximum(stopped.fillna(0.0), summary["recency"]), summary["T"])
    return summary


def _recent_spend(facts: RetentionFacts, cutoff: pd.Timestamp) -> float:
    """Mean revenue per customer and purchase day over the last year: the spend of a first purchase.

    Gamma-Gamma gives customers without repeat purchases its population mean ``p gamma / (q - 1)``, which
    heavy-tailed spend makes unstable (q = 1.04 on the sample company: a mean ten times the observed one).
    """
    orders = facts.orders[facts.orders["order_date"] > cutoff - pd.Timedelta(days=365)]
    days = orders.groupby(["customer_id", orders["order_date"].dt.normalize()])["revenue"].sum()
    return float(days.mean()) if len(days) else 0.0


def _spend(model: GammaGammaModel, rows: pd.DataFrame, first_purchase: float) -> np.ndarray:
    """Gamma-Gamma's E[Z | x, zbar] for customers with repeat purchases, ``first_purchase`` for the others.

    The conditional mean ``p (gamma + x zbar) / (p x + q - 1)`` is finite for x >= 1 even when q <= 1 (20,000
    sample customers fit q = 0.99), where ``GammaGammaModel.expected_spend`` refuses the infinite population mean.
    """
    x, zbar = rows["frequency"].to_numpy(dtype=float), rows["monetary_value"].to_numpy(dtype=float)
    repeat = x > 0
    spend = np.full(x.size, first_purchase)
    if repeat.any():
        spend[repeat] = model.repeat_spend(x[repeat], zbar[repeat])
    return spend


def _daily_purchases(bg: BetaGeoModel, summary: pd.DataFrame, h: int) -> np.ndarray:
    x, t_x, age = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    cumulative = np.stack([bg.expected_purchases(k / PERIOD_DAYS, x, t_x, age) for k in range(h + 1)], axis=1)
    return np.clip(np.diff(cumulative, axis=1), 0.0, None)


def _hazards(facts: RetentionFacts, active_ids: pd.Index, start: pd.Timestamp, h: int) -> np.ndarray:
    """Cumulative cancellation hazard of each active customer from the cutoff to each of the next ``h`` days."""
    table = survival_table(facts, window_start=start)
    if not table["churned"].any():
        return np.zeros((len(active_ids), h))
    design = pd.get_dummies(table[["segment", "plan", "region"]], drop_first=True, dtype=float)
    frame = pd.concat([design, table[_SURVIVAL_COVARIATES].astype(float)], axis=1)
    frame = frame.loc[:, frame.std() > 0]
    duration = table["duration_days"].clip(lower=0.5).astype(float)
    frame = frame.assign(_duration=duration, _event=table["churned"].astype(bool),
                         _entry=np.minimum(table["entry"].astype(float), duration - 0.25))
    try:
        model = WeibullAFTFitter(penalizer=0.01).fit(frame, "_duration", "_event", entry_col="_entry")
    except ConvergenceError as error:
        raise ValueError(f"the cancellation model did not converge on {len(frame)} customers with "
                         f"{int(frame['_event'].sum())} cancellations: too few or too uniform tenures; use a later "
                         "cutoff or more customers") from error
    rows = frame.set_index(table["customer_id"]).loc[active_ids]
    tenure = rows["_duration"].to_numpy()
    cumulative = model.predict_cumulative_hazard(rows.drop(columns=["_duration", "_event", "_entry"]),
                                                 times=np.arange(1, h + 1, dtype=float), conditional_after=tenure)
    return np.asarray(cumulative, dtype=float).T


def fit_existing(facts: RetentionFacts, cutoff: pd.Timestamp, start: pd.Timestamp, index: np.ndarray,
                 n_history: int, h: int, active: np.ndarray) -> ExistingBase:
    """The :class:`ExistingBase` of the customers flagged ``active`` (facts as known at ``cutoff``).

    ``index`` is the calendar index over history (its first ``n_history`` entries, from ``start``) and horizon.
    """
    summary = _summary(facts, cutoff, start)
    x, t_x, age = (summary[c] for c in ("frequency", "recency", "T"))
    bg = BetaGeoModel(penalizer=PENALIZER).fit(x, t_x, age)
    spend_model = GammaGammaModel(penalizer=PENALIZER).fit(x, summary["monetary_value"])
    customers = facts.customers[active].reset_index(drop=True)
    ids = pd.Index(customers["customer_id"])
    rows = summary.loc[ids]
    spend = _spend(spend_model, rows, _recent_spend(facts, cutoff))
    cumulative_index = np.concatenate([[0.0], np.cumsum(index[:n_history])])
    first = ((customers["signup_date"].clip(lower=start) - start).dt.days).to_numpy()
    mean_index = (cumulative_index[n_history] - cumulative_index[first]) / np.maximum(n_history - first, 1)
    purchases = _daily_purchases(bg, rows, h) * index[n_history:n_history + h] / mean_index[:, None]
    hazard = _hazards(facts, ids, start, h)
    return ExistingBase(customers[["customer_id", *ATTRIBUTES]], purchases, np.asarray(spend, dtype=float), hazard)
