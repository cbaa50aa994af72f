"""Assembling the ground-truth document from the generator's parameters and realised draws."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from data.sample.calendar import Period
from data.sample.catalogue import CATEGORY_PRICE_CHANGE, Catalogue
from data.sample.crm import price_increase_day
from data.sample.demand import Demand
from data.sample.params import CHURN, CUSTOMERS, MARKETING, PROMOTION, SEASONALITY, WEEKDAYS
from data.sample.ground_truth import FORMAT_VERSION
from data.vocabulary import CATEGORIES, CHANNELS, PLANS, REGIONS, SEGMENTS

_TREND_FIELDS = ("signup_growth_per_year", "pre_period_share", "pre_period_days")
# Parameter tuples are in vocabulary order; the document keys them by name instead.
_KEYS = {
    "segment_mix": SEGMENTS,
    "region_mix": REGIONS,
    "channel_mix": CHANNELS,
    "plan_mix_by_segment": SEGMENTS,
    "plan_monthly_price": PLANS,
    "segment_order_multiplier": SEGMENTS,
    "plan_order_multiplier": PLANS,
    "lines_per_order": ("1", "2", "3", "4", "5"),
    "extra_quantity_by_segment": SEGMENTS,
    "contract_discount_by_segment": SEGMENTS,
    "channel_efficiency": CHANNELS,
    "daily_spend_per_customer": CHANNELS,
    "cpm": CHANNELS,
    "click_through_rate": CHANNELS,
    "conversion_rate": CHANNELS,
}


def _keyed(params: dict[str, Any]) -> dict[str, Any]:
    keyed = {
        name: dict(zip(_KEYS[name], value)) if name in _KEYS else value for name, value in params.items()
    }
    if "plan_mix_by_segment" in keyed:
        keyed["plan_mix_by_segment"] = {
            segment: dict(zip(PLANS, mix)) for segment, mix in keyed["plan_mix_by_segment"].items()
        }
    return keyed


def _iso(day: pd.Timestamp | None) -> str | None:
    return None if day is None or pd.isna(day) else pd.Timestamp(day).date().isoformat()


_DRIVER_DEFINITIONS = {
    "log_tenure_days": "log of days since signup (Weibull baseline, so the coefficient is shape - 1)",
    "tickets_per_year": "the customer's latent support-ticket rate per year; tickets are a Poisson "
    "process at this rate while the customer is active",
    "log_engagement": "log of the customer's order-rate multiplier (Gamma, mean 1) on top of segment "
    "and plan; orders are a Poisson process proportional to it",
    "after_plan_price_increase": f"1 for {CHURN.price_change_plan} customers on days on or after the "
    f"{CHURN.price_change_plan} plan price increase, else 0",
}


def _churn_drivers() -> list[dict[str, Any]]:
    coefficients = {
        "log_tenure_days": round(CHURN.weibull_shape - 1.0, 6),
        "tickets_per_year": CHURN.tickets_per_year,
        "log_engagement": CHURN.log_engagement,
        "after_plan_price_increase": CHURN.after_plan_price_increase,
    }
    drivers = [
        {"name": name, "log_hazard_ratio": value, "definition": _DRIVER_DEFINITIONS[name]}
        for name, value in coefficients.items()
    ]
    for dimension, names, values in (("segment", SEGMENTS, CHURN.segment), ("plan", PLANS, CHURN.plan)):
        drivers += [
            {
                "name": f"{dimension}_{name}",
                "log_hazard_ratio": value,
                "definition": f"1 when {dimension} is {name} (reference: {names[0]})",
            }
            for name, value in zip(names[1:], values[1:])
        ]
    return drivers


def _churn(customers: pd.DataFrame) -> dict[str, Any]:
    churned = int(customers["cancel_date"].notna().sum())
    return {
        "model": "proportional hazards in tenure: h(t) = h0(t) * exp(sum(log_hazard_ratio * driver))",
        "baseline": {"kind": "weibull", "shape": CHURN.weibull_shape, "scale_days": CHURN.weibull_scale_days},
        "drivers": _churn_drivers(),
        "pre_window_customers": "customers who signed up before the window are conditioned on being "
        "active on its first day",
        "churned_customers": churned,
        "churned_share": round(churned / max(len(customers), 1), 4),
        "cancel_rule": "cancel_date is set only for customers who churned on or before end_date; "
        "they have no orders or tickets on or after it",
    }


def _plan_changes(period: Period) -> list[dict[str, Any]]:
    plan = PLANS.index(CHURN.price_change_plan)
    return [
        {
            "plan": CHURN.price_change_plan,
            "effective_date": _iso(period.start + pd.Timedelta(days=price_increase_day(period))),
            "old_monthly_price": CUSTOMERS.plan_monthly_price[plan],
            "new_monthly_price": CHURN.price_change_new_price,
            "churn_log_hazard_ratio": CHURN.after_plan_price_increase,
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
            "share": dict(zip(CATEGORIES, SEASONALITY.category_share)),
            "amplitude": dict(zip(CATEGORIES, SEASONALITY.category_amplitude)),
            "peak_day_of_year": dict(zip(CATEGORIES, SEASONALITY.category_peak_day)),
            "formula": "share * (1 + amplitude * cos(2*pi*(day_of_year - peak_day_of_year) / 365.25)), "
            "renormalised per day; a category promotion multiplies its share by "
            "(1 + category_mix_lift_per_discount * discount)",
        },
    }


def _marketing(grid: np.ndarray, spend: np.ndarray, n_in_window: int) -> dict[str, Any]:
    paid = (
        grid.sum(axis=0) - (1 - MARKETING.signup_share) * np.asarray(CUSTOMERS.channel_mix)
    ) / MARKETING.signup_share
    incremental = MARKETING.signup_share * n_in_window * paid / paid.sum()
    total_spend = spend.sum(axis=1)
    return {
        **_keyed(asdict(MARKETING)),
        "incremental_signups": dict(zip(CHANNELS, np.round(incremental, 1).tolist())),
        "incremental_signups_per_1000_spend": dict(
            zip(CHANNELS, np.round(1000 * incremental / total_spend, 3).tolist())
        ),
        "adstock_formula": "A[d] = spend[d - lag_days] + adstock_decay * A[d - 1]",
        "signup_formula": "P(day, channel) = (1 - signup_share) * organic(day, channel) "
        "+ signup_share * efficiency * A / sum(efficiency * A)",
        "order_formula": "orders x (1 + order_lift_at_mean_adstock * A_total[d] / mean(A_total))",
    }


def _promotions(demand: Demand) -> list[dict[str, Any]]:
    return [
        {
            "promo_id": int(row.promo_id),
            "name": row.name,
            "discount": float(row.discount),
            "category": row.category,
            "start_date": _iso(row.start_date),
            "end_date": _iso(row.end_date),
        }
        for row in demand.promotions.itertuples(index=False)
    ]


def _price_changes(period: Period, catalogue: Catalogue) -> dict[str, Any]:
    category_wide = {key: value for key, value in CATEGORY_PRICE_CHANGE.items() if key != "position"}
    category_wide["effective_date"] = _iso(period.start + pd.Timedelta(days=catalogue.category_change_day))
    return {
        "rows": len(catalogue.price_changes),
        "category_wide": [category_wide],
        "demand_price_elasticity": PROMOTION.price_elasticity,
        "unit_price_rule": "order_lines.unit_price is the product's shelf price in effect on order_date",
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
    customer_model = _keyed({k: v for k, v in asdict(CUSTOMERS).items() if k not in _TREND_FIELDS})
    return {
        "format_version": FORMAT_VERSION,
        "generator": "data.sample",
        **config,
        "start_date": _iso(period.start),
        "end_date": _iso(period.end),
        "rows": {name: len(frame) for name, frame in tables.items()},
        "churn": _churn(customers),
        "plan_price_changes": _plan_changes(period),
        "promotions": _promotions(demand),
        "promotion_effects": asdict(PROMOTION),
        "price_changes": _price_changes(period, catalogue),
        "anomalies": _anomalies(period, demand),
        "seasonality": _seasonality(demand),
        "trend": {field: getattr(CUSTOMERS, field) for field in _TREND_FIELDS},
        "customer_model": customer_model,
        "marketing": _marketing(grid, spend, n_in_window),
    }
