"""How long customers stay: a survival table, Kaplan–Meier curves with a log-rank test, and a Cox model.

The clock is tenure: days from signup to cancellation (an event) or to ``as_of`` (censored).
**Left truncation.** The store's orders and tickets start on the first day of its data window, and a
customer who signed up earlier is only in the data because they were still active on that day. Such
customers enter the risk set late: ``entry`` is the number of days from signup to the window start (0 for
customers who signed up inside it), and both the Kaplan–Meier estimator and the Cox model get it as delayed
entry, so long-lived early customers do not flatter the early part of the curves. (lifelines'
``multivariate_logrank_test`` has no delayed entry: the log-rank test compares the groups' full tenures.)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test, proportional_hazard_test

from analytics._checks import require_columns, where
from analytics.retention.facts import RetentionFacts

__all__ = ["KMResult", "CoxResult", "survival_table", "kaplan_meier", "cox_hazards", "REFERENCE_LEVELS",
           "DEFAULT_COVARIATES"]

TABLE_COLUMNS = ["customer_id", "duration_days", "churned", "entry", "region", "channel", "segment", "plan",
                 "tickets_per_year", "orders_per_year", "log_orders_per_year", "log_engagement"]
CATEGORICALS = ("region", "channel", "segment", "plan")
REFERENCE_LEVELS = {"segment": "Consumer", "plan": "Basic"}
DEFAULT_COVARIATES = ["segment", "plan", "region", "channel", "tickets_per_year", "log_engagement"]
PRIOR_YEARS = 1.0  # one year of average behaviour shrinks the rates of customers seen for a short while


@dataclass(frozen=True)
class KMResult:
    """Kaplan–Meier curves.

    Attributes
    ----------
    curves : pd.DataFrame
        ``group, timeline_days, survival, lower, upper`` (group ``"All"`` when ungrouped).
    medians : dict
        Group -> median survival in days (``inf`` when the curve never drops to 0.5).
    logrank : dict or None
        ``statistic, p_value, dof`` of the multivariate log-rank test; None when ungrouped or one group.
    """

    curves: pd.DataFrame
    medians: dict
    logrank: dict | None


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox proportional hazards model.

    Attributes
    ----------
    hazard_ratios : pd.DataFrame
        ``covariate, hazard_ratio, lower, upper, p_value`` (95% intervals).
    concordance : float
    ph_test : pd.DataFrame
        ``covariate, statistic, p_value, violated`` (Schoenfeld-residual test on rank time, 5% level).
        lifelines has no residuals with delayed entry, so with left truncation the test is run on a refit
        over the customers observed from signup (``entry == 0``).
    n, events : int
    references : dict
        Categorical column -> its reference level.
    """

    hazard_ratios: pd.DataFrame
    concordance: float
    ph_test: pd.DataFrame
    n: int
    events: int
    references: dict


def _shrunk_rate(counts: pd.Series, years: pd.Series, expected_per_year: pd.Series) -> pd.Series:
    return (counts + PRIOR_YEARS * expected_per_year) / (years + PRIOR_YEARS)


def survival_table(facts: RetentionFacts, window_start=None) -> pd.DataFrame:
    """One row per customer: tenure, churn flag, delayed entry, attributes and behaviour rates.

    Parameters
    ----------
    facts : RetentionFacts
    window_start : date-like, optional
        First day of the order and ticket history (default: the first order date).

    Returns
    -------
    pd.DataFrame
        ``customer_id, duration_days, churned, entry, region, channel, segment, plan, tickets_per_year,
        orders_per_year, log_orders_per_year, log_engagement``. Rates are counted over the observable tenure
        (from ``max(signup, window_start)`` to the end) and shrunk towards the average with one year of prior
        exposure (``(count + avg_rate) / (years + 1)``), so a customer seen for three days does not get 100
        tickets a year. ``log_engagement`` is the log of orders per year relative to the average of the
        customer's segment and plan (their own order-rate multiplier). Cancellations after ``as_of`` are
        censored at ``as_of``.
    """
    customers = facts.customers
    as_of = pd.Timestamp(facts.as_of)
    start = facts.orders["order_date"].min() if window_start is None else pd.Timestamp(window_start)
    churned = customers["cancel_date"].notna() & (customers["cancel_date"] <= as_of)
    end = customers["cancel_date"].where(churned, as_of)
    years = (end - customers["signup_date"].clip(lower=start)).dt.days.clip(lower=0) / 365.25
    return pd.DataFrame({
        "customer_id": customers["customer_id"],
        "duration_days": (end - customers["signup_date"]).dt.days.clip(lower=0),
        "churned": churned.astype(bool), "entry": (start - customers["signup_date"]).dt.days.clip(lower=0),
        **{c: customers[c].astype(str) for c in CATEGORICALS}, **_behaviour_rates(facts, years),
    }).reset_index(drop=True)


def _behaviour_rates(facts: RetentionFacts, years: pd.Series) -> dict[str, pd.Series]:
    """Tickets and orders per observable year, shrunk, and orders relative to the segment and plan's rate."""
    customers = facts.customers
    ids = customers["customer_id"]
    tickets = ids.map(facts.tickets["customer_id"].value_counts()).fillna(0)
    orders = ids.map(facts.orders["customer_id"].value_counts()).fillna(0)
    orders_per_year = _shrunk_rate(orders, years, orders.sum() / max(years.sum(), 1e-9))
    groups = [customers["segment"], customers["plan"]]
    group_rate = orders.groupby(groups).transform("sum") / years.groupby(groups).transform("sum").clip(lower=1e-9)
    engagement = _shrunk_rate(orders, years, group_rate) / group_rate.where(group_rate > 0)
    return {"tickets_per_year": _shrunk_rate(tickets, years, tickets.sum() / max(years.sum(), 1e-9)),
            "orders_per_year": orders_per_year, "log_orders_per_year": np.log1p(orders_per_year),
            "log_engagement": np.log(engagement.fillna(1.0))}


def _check_table(table: pd.DataFrame, columns) -> None:
    require_columns(table, ["duration_days", "churned", *columns], "the survival table",
                    "build it with survival_table(facts)")
    if table.empty:
        raise ValueError("the survival table is empty; survival needs at least one customer")
    negative = (table["duration_days"] < 0).to_numpy()
    if negative.any():
        raise ValueError(f"`duration_days` is negative in {where(negative, table.index.to_numpy())}; fix the dates")


def _entry(table: pd.DataFrame) -> pd.Series | None:
    return table["entry"] if "entry" in table.columns and (table["entry"] > 0).any() else None


def kaplan_meier(table: pd.DataFrame, by: str | None = None, alpha: float = 0.05) -> KMResult:
    """Kaplan–Meier survival curves with (1 - alpha) bands, overall or per group of column ``by``.

    A group of one customer works: its curve steps to 0 at its event (bands may be NaN) or stays at 1.
    ``entry`` (delayed entry) is used when the table has it.
    """
    _check_table(table, [] if by is None else [by])
    groups = pd.Series("All", index=table.index) if by is None else table[by].astype(str)
    curves, medians = [], {}
    for name in sorted(groups.unique()):
        part = table[groups == name]
        entry = _entry(part)
        entry = None if entry is None else entry.clip(upper=part["duration_days"])
        kmf = KaplanMeierFitter(alpha=alpha).fit(part["duration_days"], part["churned"].astype(bool), entry=entry)
        bands = kmf.confidence_interval_survival_function_
        curves.append(pd.DataFrame({"group": name, "timeline_days": kmf.timeline,
                                    "survival": kmf.survival_function_.iloc[:, 0].to_numpy(),
                                    "lower": bands.iloc[:, 0].to_numpy(), "upper": bands.iloc[:, 1].to_numpy()}))
        medians[name] = float(kmf.median_survival_time_)
    logrank = None
    if by is not None and groups.nunique() > 1:
        test = multivariate_logrank_test(table["duration_days"], groups, table["churned"].astype(bool))
        logrank = {"statistic": float(test.test_statistic), "p_value": float(test.p_value),
                   "dof": int(test.degrees_of_freedom)}
    return KMResult(pd.concat(curves, ignore_index=True), medians, logrank)


def _reference(column: str, levels: list[str]) -> str:
    preferred = REFERENCE_LEVELS.get(column)
    if preferred in levels:
        return preferred
    return "Nothing" if "Nothing" in levels else sorted(levels)[0]


def _design(table: pd.DataFrame, covariates: list[str]) -> tuple[pd.DataFrame, dict]:
    columns, references = {}, {}
    for covariate in covariates:
        values = table[covariate]
        if covariate in CATEGORICALS or not pd.api.types.is_numeric_dtype(values):
            levels = sorted(values.astype(str).unique())
            references[covariate] = _reference(covariate, levels)
            for level in levels:
                if level != references[covariate]:
                    columns[f"{covariate}: {level}"] = (values.astype(str) == level).astype(float)
        else:
            columns[covariate] = values.astype(float)
    design = pd.DataFrame(columns, index=table.index)
    return design.loc[:, design.std() > 0], references


def _ph_test(cph: CoxPHFitter, frame: pd.DataFrame, penalizer: float) -> pd.DataFrame:
    # lifelines has no Schoenfeld residuals with delayed entry: test the customers observed from signup
    if "_entry" in frame.columns:
        fresh = frame[frame["_entry"] <= 0].drop(columns="_entry")
        fresh = fresh.loc[:, [c for c in fresh.columns if c.startswith("_") or fresh[c].std() > 0]]
        cph = CoxPHFitter(penalizer=penalizer).fit(fresh, "_duration", "_event")
        frame = fresh
    return proportional_hazard_test(cph, frame, time_transform="rank").summary


def cox_hazards(table: pd.DataFrame, covariates: list[str] | None = None, penalizer: float = 0.01) -> CoxResult:
    """Cox proportional hazards on tenure with delayed entry; hazard ratios with 95% intervals.

    Parameters
    ----------
    table : pd.DataFrame
        A :func:`survival_table` (or any frame with ``duration_days``, ``churned``, optional ``entry`` and
        the covariates).
    covariates : list of str, optional
        Default :data:`DEFAULT_COVARIATES`. Text columns are one-hot encoded against a reference level:
        segment Consumer, plan Basic, otherwise "Nothing" or the first level alphabetically; dummies are
        named ``"segment: SMB"``. Constant columns are dropped.
    penalizer : float
        L2 penalty (lifelines' ``penalizer``), which keeps sparse dummies finite.

    Returns
    -------
    CoxResult
    """
    covariates = list(DEFAULT_COVARIATES if covariates is None else covariates)
    _check_table(table, covariates)
    design, references = _design(table, covariates)
    if design.empty:
        raise ValueError(f"covariates {covariates} are all constant; a Cox model needs variation")
    frame = design.assign(_duration=table["duration_days"].clip(lower=0.5).astype(float),
                          _event=table["churned"].astype(bool))
    entry = _entry(table)
    if entry is not None:
        frame["_entry"] = np.minimum(entry.astype(float), frame["_duration"] - 0.25)
    cph = CoxPHFitter(penalizer=penalizer).fit(frame, "_duration", "_event",
                                               entry_col=None if entry is None else "_entry")
    summary = cph.summary
    ratios = pd.DataFrame({"covariate": summary.index, "hazard_ratio": summary["exp(coef)"].to_numpy(),
                           "lower": summary["exp(coef) lower 95%"].to_numpy(),
                           "upper": summary["exp(coef) upper 95%"].to_numpy(), "p_value": summary["p"].to_numpy()})
    test = _ph_test(cph, frame, penalizer)
    ph = pd.DataFrame({"covariate": test.index, "statistic": test["test_statistic"].to_numpy(),
                       "p_value": test["p"].to_numpy()}).assign(violated=lambda f: f["p_value"] < 0.05)
    return CoxResult(ratios.reset_index(drop=True), float(cph.concordance_index_), ph.reset_index(drop=True),
                     int(len(frame)), int(frame["_event"].sum()), references)
