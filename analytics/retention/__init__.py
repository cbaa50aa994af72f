"""Retention analytics: cohorts, survival, churn risk, lifetime value and segments, and one object asking them all.

:class:`RetentionAnalyzer` follows scikit-learn's estimator contract: ``fit(facts)`` runs every analysis once
on :class:`RetentionFacts` and keeps frozen results in attributes ending in ``_``; the question methods
(``churn_rate``, ``top_at_risk``, ``clv_by_segment``, ``cohort_retention``, ``kaplan_meier``, ``customer``)
only read them, so every caller asks the same fitted object (the Retention page and ``core.warm`` share
one per dataset version through the results cache).

This module is the package's public face. The churn model and the lifetime-value models are the public
subpackages ``analytics.retention.churn`` and ``analytics.retention.clv``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sqlalchemy import Engine

from analytics._checks import check_fitted
from analytics.retention.churn import churn_rate, top_at_risk, train_churn
from analytics.retention.clv import fit_clv
from analytics.retention.cohorts import CohortTable, cohort_retention, cohorts_from_facts
from analytics.retention.facts import RetentionFacts, facts_from_tables, load_retention_facts
from analytics.retention.segments import CustomerSegmenter, SegmentResult, rfm_scores, segment_customers, segment_points
from analytics.retention.survival import CoxResult, KMResult, cox_hazards, kaplan_meier, survival_table

__all__ = ["RetentionAnalyzer", "CustomerProfile", "AT_RISK_COLUMNS", "KM_GROUPS", "load_retention_analyzer",
           "RetentionFacts", "facts_from_tables", "load_retention_facts",
           "CohortTable", "cohort_retention", "cohorts_from_facts",
           "KMResult", "CoxResult", "survival_table", "kaplan_meier", "cox_hazards",
           "CustomerSegmenter", "SegmentResult", "rfm_scores", "segment_customers", "segment_points"]

AT_RISK_COLUMNS = ("customer_id", "segment", "region", "plan", "orders", "churn_probability", "risk", "retention_score",
                   "clv", "value_at_risk", "top_reason")
KM_GROUPS = {"segment": "Segment", "region": "Region", "channel": "Acquisition channel", "plan": "Plan"}
Progress = Callable[[int, int, str], None]
_STEPS = ("cohorts", "survival curves and Cox model", "churn model and SHAP reasons", "lifetime value",
          "RFM segments")


@dataclass(frozen=True)
class CustomerProfile:
    """One customer: who they are, what they bought, and why their churn risk is what it is."""

    info: dict
    history: pd.DataFrame
    reasons: pd.DataFrame


class RetentionAnalyzer(BaseEstimator):
    """Fit cohorts, survival, churn, CLV and segments on the same facts, then answer questions.

    Parameters
    ----------
    horizon_days : int
        Churn is predicted over the next ``horizon_days``.
    clv_horizon_days : int
        Lifetime value is the discounted expected spend over this many days.
    discount_rate_annual : float
        Yearly discount rate for CLV.
    random_state : int
        Seed of the churn model and the segments.

    Attributes
    ----------
    cohorts_ : CohortTable
        Signup cohorts of the customers who signed up inside the data window (:func:`cohorts_from_facts`).
    survival_table_ : pandas.DataFrame
    cox_ : CoxResult
    churn_ : analytics.retention.churn.ChurnResult
    clv_ : analytics.retention.clv.CLVResult
    rfm_ : pandas.DataFrame
    segments_ : SegmentResult
    facts_ : RetentionFacts
        The facts fitted on.
    """

    def __init__(self, horizon_days: int = 90, clv_horizon_days: int = 365, discount_rate_annual: float = 0.10,
                 random_state: int = 0):
        self.horizon_days = horizon_days
        self.clv_horizon_days = clv_horizon_days
        self.discount_rate_annual = discount_rate_annual
        self.random_state = random_state

    def fit(self, facts: RetentionFacts, progress: Progress | None = None) -> "RetentionAnalyzer":
        """Run every analysis on ``facts``; ``progress(done, total, message)`` follows the steps."""
        report = progress or (lambda *_: None)
        total = len(_STEPS)
        report(0, total, _STEPS[0])
        self.cohorts_ = cohorts_from_facts(facts)
        report(1, total, _STEPS[1])
        self.survival_table_ = survival_table(facts)
        self.cox_ = cox_hazards(self.survival_table_)
        report(2, total, _STEPS[2])
        self.churn_ = train_churn(facts, horizon_days=self.horizon_days, random_state=self.random_state)
        report(3, total, _STEPS[3])
        self.clv_ = fit_clv(facts.orders, facts.as_of, horizon_days=self.clv_horizon_days,
                            discount_rate_annual=self.discount_rate_annual)
        report(4, total, _STEPS[4])
        churned = facts.customers.set_index("customer_id")["cancel_date"].notna()
        self.rfm_ = rfm_scores(facts.orders, facts.as_of)
        self.segments_ = segment_customers(self.rfm_, random_state=self.random_state, churned=churned)
        self.facts_ = facts
        report(total, total, "done")
        return self

    def _check(self) -> None:
        check_fitted(self, "facts_", "fit(facts)")

    def _customer_table(self) -> pd.DataFrame:
        """Customers with their RFM segment and value. BG/NBD sees orders only; a customer whose subscription
        is cancelled by ``as_of`` is known to be gone, so their P(alive), expected purchases and CLV are 0."""
        customers = self.facts_.customers.set_index("customer_id")
        segments = self.segments_.assignments.set_index("customer_id")["segment"]
        clv = self.clv_.customers.set_index("customer_id").reindex(customers.index)
        gone = customers["cancel_date"].notna() & (customers["cancel_date"] <= self.facts_.as_of)
        value = clv[["clv", "p_alive", "expected_purchases"]].copy()
        value.loc[gone.to_numpy()] = 0.0
        return customers.assign(rfm_segment=segments.reindex(customers.index), **value)

    def churn_rate(self, start, end, **filters) -> float:
        """Observed share of customers active at ``start`` (optionally e.g. ``segment="SMB"``) who
        cancelled in ``(start, end]``."""
        self._check()
        return churn_rate(self.facts_, pd.Timestamp(start), pd.Timestamp(end), filters or None)

    def top_at_risk(self, n: int = 50) -> pd.DataFrame:
        """The ``n`` active customers to act on first (``analytics.retention.churn.RANKING_RULE``: likelier than usual
        to churn, most value at risk first), with who they are, their value and their top reason in words:
        ``customer_id, segment, region, plan, orders, churn_probability, risk, retention_score, clv,
        value_at_risk, top_reason``. ``orders`` counts orders to date; ``clv`` and ``value_at_risk`` are NaN
        without purchase history."""
        self._check()
        table = self._customer_table()
        top = top_at_risk(self.churn_, int(n), value=table["clv"])
        orders = self.facts_.orders.groupby("customer_id")["order_id"].nunique()
        ids = top["customer_id"]
        out = top.rename(columns={"value": "clv"}).assign(
            segment=ids.map(table["segment"]), region=ids.map(table["region"]), plan=ids.map(table["plan"]),
            orders=ids.map(orders).fillna(0).astype(int))
        return out[list(AT_RISK_COLUMNS)].reset_index(drop=True)

    def clv_by_segment(self, by: str = "segment") -> pd.DataFrame:
        """Lifetime value per group (``segment``, ``region``, ``plan``, ``channel`` or ``rfm_segment``) over
        active customers: ``<by>, customers, valued, clv_total, clv_mean``, largest total first.

        ``customers`` counts every active customer of the group. A customer who has not ordered yet has no
        purchase history for BG/NBD to extrapolate, so has no CLV: ``valued`` counts those who have one, and
        ``clv_total`` and ``clv_mean`` (per valued customer) are over them. ``clv_mean`` is NaN for a group
        where nobody has ordered yet.
        """
        self._check()
        if by not in ("segment", "region", "plan", "channel", "rfm_segment"):
            raise ValueError(f"by={by!r} is not a grouping; use segment, region, plan, channel or rfm_segment.")
        table = self._customer_table()
        active = table[table["cancel_date"].isna()]
        if by == "rfm_segment":  # customers without orders have no RFM segment either
            active = active.assign(rfm_segment=active["rfm_segment"].astype(object).fillna("No orders yet"))
        out = active.groupby(by, observed=True)["clv"].agg(customers="size", valued="count", clv_total="sum",
                                                          clv_mean="mean")
        return out.reset_index().sort_values("clv_total", ascending=False, ignore_index=True)

    def cohort_retention(self, month: int) -> pd.Series:
        """Share of each signup cohort still buying ``month`` months after signing up."""
        self._check()
        return self.cohorts_.at(int(month))

    def kaplan_meier(self, by: str | None = None):
        """Kaplan–Meier curves (with bands and a log-rank test when grouped) by a customer attribute."""
        self._check()
        if by is not None and by not in KM_GROUPS:
            raise ValueError(f"by={by!r} is not a grouping; use one of {sorted(KM_GROUPS)} or None.")
        return kaplan_meier(self.survival_table_, by=by)

    def customer(self, customer_id: int) -> CustomerProfile:
        """Everything known about one customer (KeyError naming the id when unknown)."""
        self._check()
        table = self._customer_table()
        if customer_id not in table.index:
            raise KeyError(f"customer {customer_id!r} is not in this dataset")
        row = table.loc[customer_id]
        score = self.churn_.scores.set_index("customer_id").reindex([customer_id]).iloc[0]
        cancelled = row["cancel_date"]
        info = {
            "customer_id": int(customer_id), "segment": row["segment"], "region": row["region"],
            "channel": row["channel"], "plan": row["plan"], "signup_date": f"{row['signup_date']:%Y-%m-%d}",
            "status": "active" if pd.isna(cancelled) else f"churned on {cancelled:%Y-%m-%d}",
            "churn_probability": _maybe(score.get("churn_probability")),
            "retention_score": _maybe(score.get("retention_score")),
            "p_alive": _maybe(row["p_alive"]), "clv": _maybe(row["clv"]),
            "expected_purchases": _maybe(row["expected_purchases"]), "rfm_segment": row["rfm_segment"],
        }
        orders = self.facts_.orders
        history = orders[orders["customer_id"] == customer_id][["order_date", "revenue"]].reset_index(drop=True)
        reasons = self.churn_.reasons[self.churn_.reasons["customer_id"] == customer_id]
        return CustomerProfile(info, history, reasons.drop(columns="customer_id").reset_index(drop=True))


def _maybe(value):
    return None if value is None or (isinstance(value, float) and np.isnan(value)) or pd.isna(value) else float(value)


def load_retention_analyzer(engine: Engine, progress: Progress | None = None, *,
                            horizon_days: int = 90) -> RetentionAnalyzer:
    """A fitted analyzer on the store's data (the entry point the results cache keys by version)."""
    return RetentionAnalyzer(horizon_days=horizon_days).fit(load_retention_facts(engine), progress)
