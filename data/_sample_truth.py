"""Assembling the ground-truth document from the generator's parameters and realised draws."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from data._sample_calendar import Period
from data._sample_catalogue import CATEGORY_PRICE_CHANGE, Catalogue
from data._sample_crm import price_increase_day
from data._sample_demand import Demand
from data._sample_params import CHURN, CUSTOMERS, MARKETING, PROMOTION, SEASONALITY, WEEKDAYS
from data.ground_truth import FORMAT_VERSION
from data.vocabulary import CHANNELS, PLANS, SEGMENTS


def _iso(day: pd.Timestamp | None) -> str | None:
    return None if day is None or pd.isna(day) else pd.Timestamp(day).date().isoformat()


def _churn(period: Period, customers: pd.DataFrame) -> dict[str, Any]:
    drivers = [
        (
            "log_tenure_days",
            round(CHURN.weibull_shape - 1.0, 6),
            "log of days since signup (Weibull baseline: coefficient = shape - 1)",
        ),
        (
            "tickets_per_year",
            CHURN.tickets_per_year,
            "the customer's latent support-ticket rate per year; tickets are a Poisson process at this rate while active",
        ),
        (
            "log_engagement",
            CHURN.log_engagement,
            "log of the customer's order-rate multiplier (mean 1) beyond segment and plan; orders are a Poisson process proportional to it",
        ),
        (
            "plus_after_price_increase",
            CHURN.plus_after_price_increase,
            f"1 on days on or after the {CHURN.price_change_plan} plan price increase for {CHURN.price_change_plan} customers, else 0",
        ),
    ]
    drivers += [
        (f"segment_{name}", CHURN.segment[i], f"1 when segment is {name} (reference: {SEGMENTS[0]})")
        for i, name in enumerate(SEGMENTS)
        if i
    ]
    drivers += [
        (f"plan_{name}", CHURN.plan[i], f"1 when plan is {name} (reference: {PLANS[0]})")
        for i, name in enumerate(PLANS)
        if i
    ]
    churned = int(customers["cancel_date"].notna().sum())
    return {
        "model": "proportional hazards in tenure: h(t) = h0(t) * exp(sum(coefficient * driver))",
        "baseline": {"kind": "weibull", "shape": CHURN.weibull_shape, "scale_days": CHURN.weibull_scale_days},
        "drivers": [{"name": n, "log_hazard_ratio": c, "definition": d} for n, c, d in drivers],
        "pre_window_customers": "customers who signed up before the window are conditioned on being active on its first day",
        "churned_customers": churned,
        "churned_share": round(churned / max(len(customers), 1), 4),
        "cancel_rule": "cancel_date is set only for customers who churned on or before end_date; no orders on or after it",
    }


def _plan_changes(period: Period) -> list[dict[str, Any]]:
    plan = PLANS.index(CHURN.price_change_plan)
    return [
        {
            "plan": CHURN.price_change_plan,
            "effective_date": _iso(period.start + pd.Timedelta(days=price_increase_day(period))),
            "old_monthly_price": CUSTOMERS.plan_monthly_price[plan],
            "new_monthly_price": CHURN.price_change_new_price,
            "churn_log_hazard_ratio": CHURN.plus_after_price_increase,
        }
    ]


def _anomalies(period: Period, demand: Demand) -> list[dict[str, Any]]:
    return [
        {
            "name": item.anomaly.name,
            "kind": item.anomaly.kind,
            "metric": item.anomaly.metric,
            "start_date": _iso(period.start + pd.Timedelta(days=item.first)),
            "end_date": None if item.last is None else _iso(period.start + pd.Timedelta(days=item.last)),
            "magnitude": item.anomaly.magnitude,
            "scope": dict(item.anomaly.scope),
        }
        for item in demand.anomalies
    ]


def _seasonality(demand: Demand) -> dict[str, Any]:
    return {
        "weekly_order_multiplier": dict(zip(WEEKDAYS, SEASONALITY.weekly)),
        "weekly_signup_multiplier": dict(zip(WEEKDAYS, SEASONALITY.signup_weekly)),
        "yearly": {
            "amplitude": SEASONALITY.yearly_amplitude,
            "peak_day_of_year": SEASONALITY.yearly_peak_day,
            "formula": "1 + amplitude * cos(2*pi*(day_of_year - peak_day_of_year) / 365.25)",
        },
        "holidays": [
            {"date": _iso(row.date), "name": row.name, "order_multiplier": row.multiplier}
            for row in demand.holidays.itertuples(index=False)
        ],
        "category_mix": {
            "share": list(SEASONALITY.category_share),
            "amplitude": list(SEASONALITY.category_amplitude),
            "peak_day_of_year": list(SEASONALITY.category_peak_day),
        },
    }


def _marketing(period: Period, grid: np.ndarray, spend: np.ndarray, n_in_window: int) -> dict[str, Any]:
    paid = (
        grid.sum(axis=0) - (1 - MARKETING.signup_share) * np.asarray(CUSTOMERS.channel_mix)
    ) / MARKETING.signup_share
    incremental = MARKETING.signup_share * n_in_window * paid / paid.sum()
    total_spend = spend.sum(axis=1)
    params = {
        k: v
        for k, v in asdict(MARKETING).items()
        if k not in ("cpm", "click_through_rate", "conversion_rate")
    }
    return {
        **params,
        "channels": list(CHANNELS),
        "incremental_signups": dict(zip(CHANNELS, np.round(incremental, 1).tolist())),
        "incremental_signups_per_1000_spend": dict(
            zip(CHANNELS, np.round(1000 * incremental / total_spend, 3).tolist())
        ),
        "adstock_formula": "A[d] = spend[d - lag_days] + adstock_decay * A[d - 1]",
        "signup_formula": "P(day, channel) = (1 - signup_share) * organic + signup_share * efficiency * A / sum(efficiency * A)",
        "order_formula": "orders x (1 + order_lift_at_mean_adstock * A_total[d] / mean(A_total))",
    }


def build_ground_truth(
    config: dict[str, Any],
    period: Period,
    demand: Demand,
    catalogue: Catalogue,
    grid: np.ndarray,
    spend: np.ndarray,
    tables: dict[str, pd.DataFrame],
) -> dict[str, Any]:
    """The ground-truth document (see docs/sample-data.md)."""
    customers = tables["customers"]
    n_in_window = int((customers["signup_date"] >= period.start).sum())
    return {
        "format_version": FORMAT_VERSION,
        "generator": "data.sample",
        **config,
        "start_date": _iso(period.start),
        "end_date": _iso(period.end),
        "rows": {name: len(frame) for name, frame in tables.items()},
        "churn": _churn(period, customers),
        "plan_prices": dict(zip(PLANS, CUSTOMERS.plan_monthly_price)),
        "plan_price_changes": _plan_changes(period),
        "promotions": [
            {
                **{k: row[k] for k in ("promo_id", "name", "discount")},
                "category": row["category"],
                "start_date": _iso(row["start_date"]),
                "end_date": _iso(row["end_date"]),
            }
            for _, row in demand.promotions.iterrows()
        ],
        "promotion_effects": asdict(PROMOTION),
        "price_changes": {
            "rows": len(tables["price_changes"]),
            "category_wide": [
                {
                    **{k: v for k, v in CATEGORY_PRICE_CHANGE.items() if k != "position"},
                    "effective_date": _iso(period.start + pd.Timedelta(days=catalogue.category_change_day)),
                }
            ],
            "unit_price_rule": "order_lines.unit_price is the product's shelf price in effect on order_date",
        },
        "anomalies": _anomalies(period, demand),
        "seasonality": _seasonality(demand),
        "trend": {
            "signup_growth_per_year": CUSTOMERS.signup_growth_per_year,
            "pre_period_share": CUSTOMERS.pre_period_share,
        },
        "customers_model": {
            k: v
            for k, v in asdict(CUSTOMERS).items()
            if k not in ("pre_period_share", "signup_growth_per_year")
        },
        "marketing": _marketing(period, grid, spend, n_in_window),
    }
