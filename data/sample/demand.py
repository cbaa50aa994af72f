"""Daily demand curves: seasonality, holidays, promotions, marketing and planted anomalies.

The expected number of orders of an active customer on day d is
``rate * order_multiplier[d] * region_multiplier[region, d]``; orders in a channel hit by an
outage are then kept with probability ``channel_keep[channel, d]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.sample import calendar
from data.sample.params import CUSTOMERS, MARKETING, PROMOTION, SEASONALITY
from data.vocabulary import CATEGORIES, CHANNELS, REGIONS

_SIGNUP_HOLIDAYS = ("black_friday", "cyber_monday")


@dataclass(frozen=True)
class Demand:
    """Per-day multipliers and lookups shared by the signup and order generators."""

    holidays: pd.DataFrame
    promotions: pd.DataFrame
    promo_row: np.ndarray  # index into promotions per day, -1 = none
    promo_discount: np.ndarray
    promo_category: np.ndarray  # category code, -1 = sitewide
    anomalies: list[calendar.PlacedAnomaly]
    order_multiplier: np.ndarray  # (days,)
    region_multiplier: np.ndarray  # (regions, days)
    channel_keep: np.ndarray  # (channels, days)
    category_mix: np.ndarray  # (days, categories), rows sum to 1
    signup_holidays: np.ndarray  # (days,)
    marketing_lift: np.ndarray  # (days,)


def _cycle(day_of_year: np.ndarray, amplitude, peak) -> np.ndarray:
    return 1.0 + np.asarray(amplitude) * np.cos(2 * np.pi * (day_of_year - np.asarray(peak)) / 365.25)


def _holiday_multipliers(period: calendar.Period, holidays: pd.DataFrame, names=None) -> np.ndarray:
    chosen = holidays if names is None else holidays[holidays["name"].isin(names)]
    multiplier = np.ones(period.n_days)
    np.multiply.at(multiplier, chosen["day"].to_numpy(), chosen["multiplier"].to_numpy())
    return multiplier


def _promotion_lift(discount: np.ndarray, category: np.ndarray) -> np.ndarray:
    per_discount = np.where(
        category < 0, PROMOTION.sitewide_order_lift_per_discount, PROMOTION.category_order_lift_per_discount
    )
    return 1.0 + per_discount * discount


def _category_mix(period: calendar.Period, discount: np.ndarray, category: np.ndarray) -> np.ndarray:
    day_of_year = period.days.dayofyear.to_numpy()[:, None]
    mix = np.asarray(SEASONALITY.category_share) * _cycle(
        day_of_year, SEASONALITY.category_amplitude, SEASONALITY.category_peak_day
    )
    promoted = category[:, None] == np.arange(len(CATEGORIES))[None, :]
    mix = mix * np.where(promoted, 1.0 + PROMOTION.category_mix_lift_per_discount * discount[:, None], 1.0)
    return mix / mix.sum(axis=1, keepdims=True)


def _apply_anomalies(placed, order_multiplier, region_multiplier, channel_keep) -> None:
    for item in placed:
        days = slice(item.first, None if item.last is None else item.last + 1)
        scope = dict(item.anomaly.scope)
        if "region" in scope:
            region_multiplier[REGIONS.index(scope["region"]), days] *= item.anomaly.magnitude
        elif "channel" in scope:
            channel_keep[CHANNELS.index(scope["channel"]), days] *= item.anomaly.magnitude
        else:
            order_multiplier[days] *= item.anomaly.magnitude


def build_demand(period: calendar.Period, channel_adstock: np.ndarray) -> Demand:
    """Every daily curve, given the marketing adstock per channel (channels x days)."""
    holidays = calendar.holidays(period)
    promotions = calendar.promotions(period)
    promo_row, discount, category = calendar.promotion_days(period, promotions)
    holiday = _holiday_multipliers(period, holidays)
    anomalies = calendar.place_anomalies(period, busy=(holiday != 1.0) | (promo_row >= 0))
    total_adstock = channel_adstock.sum(axis=0)
    marketing_lift = 1.0 + MARKETING.order_lift_at_mean_adstock * total_adstock / total_adstock.mean()
    order_multiplier = (
        np.asarray(SEASONALITY.weekly)[period.days.dayofweek]
        * _cycle(period.days.dayofyear.to_numpy(), SEASONALITY.yearly_amplitude, SEASONALITY.yearly_peak_day)
        * holiday
        * _promotion_lift(discount, category)
        * marketing_lift
    )
    region_multiplier = np.ones((len(REGIONS), period.n_days))
    channel_keep = np.ones((len(CHANNELS), period.n_days))
    _apply_anomalies(anomalies, order_multiplier, region_multiplier, channel_keep)
    signup_holidays = np.where(
        _holiday_multipliers(period, holidays, _SIGNUP_HOLIDAYS) != 1.0,
        CUSTOMERS.signup_holiday_multiplier,
        1.0,
    )
    return Demand(
        holidays=holidays,
        promotions=promotions,
        promo_row=promo_row,
        promo_discount=discount,
        promo_category=category,
        anomalies=anomalies,
        order_multiplier=order_multiplier,
        region_multiplier=region_multiplier,
        channel_keep=channel_keep,
        category_mix=_category_mix(period, discount, category),
        signup_holidays=signup_holidays,
        marketing_lift=marketing_lift,
    )
