"""CRM source system: customers (signups, attributes, churn) and their support tickets.

Churn follows a proportional-hazards model with a Weibull baseline in tenure; the
coefficients live in ``_sample_params.CHURN`` and are sampled exactly by inverting the
cumulative hazard, including the step from the plan price increase.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.sample.calendar import Period
from data.sample.names import EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES
from data.sample.params import CHURN, CUSTOMERS, MARKETING, SEASONALITY
from data.vocabulary import CHANNELS, PLANS, REGIONS, SEGMENTS

NEVER = np.iinfo(np.int32).max  # cancel offset of customers still active at the end
_TOPICS = ("billing", "delivery", "product", "account", "technical")
_TOPIC_MIX = (0.25, 0.25, 0.20, 0.15, 0.15)
_PRIORITIES = ("low", "medium", "high", "urgent")
_PRIORITY_MIX = (0.35, 0.40, 0.20, 0.05)
_MEAN_RESOLUTION_DAYS = np.array([5.0, 3.0, 2.0, 1.0])
_SURVEYED_SHARE = 0.6


@dataclass(frozen=True)
class CustomerDraw:
    """Per-customer arrays, ordered by customer id (id = index + 1). Codes index the vocabulary."""

    signup: np.ndarray  # day offset; negative = before the window
    cancel: np.ndarray  # day offset of cancel_date, NEVER when still active
    segment: np.ndarray
    region: np.ndarray
    channel: np.ndarray
    plan: np.ndarray
    engagement: np.ndarray  # order-rate multiplier, mean 1
    ticket_rate: np.ndarray  # latent support tickets per year
    favourite: np.ndarray  # favourite category

    @property
    def size(self) -> int:
        return self.signup.size


def _choice(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    weights = np.asarray(weights, dtype=float)
    return rng.choice(weights.size, size=size, p=weights / weights.sum())


def signup_grid(period: Period, signup_holidays: np.ndarray, channel_adstock: np.ndarray) -> np.ndarray:
    """Probability of a signup landing on (day, channel): organic trend and seasonality plus marketing."""
    days = np.arange(period.n_days)
    weekly = np.asarray(SEASONALITY.signup_weekly)[period.days.dayofweek]
    organic_day = np.exp(CUSTOMERS.signup_growth_per_year * days / 365.25) * weekly * signup_holidays
    organic = organic_day[:, None] * np.asarray(CUSTOMERS.channel_mix)[None, :]
    paid = (channel_adstock * np.asarray(MARKETING.channel_efficiency)[:, None]).T
    share = MARKETING.signup_share
    return (1 - share) * organic / organic.sum() + share * paid / paid.sum()


def _signups(period: Period, n_customers: int, grid: np.ndarray, rng: np.random.Generator):
    """Signup day offsets and acquisition channels, sorted by signup day."""
    n_pre = int(round(CUSTOMERS.pre_period_share * n_customers))
    cells = rng.choice(grid.size, size=n_customers - n_pre, p=grid.ravel())
    pre_days = -np.arange(1, CUSTOMERS.pre_period_days + 1)
    pre_weight = np.exp(CUSTOMERS.signup_growth_per_year * pre_days / 365.25)
    pre = rng.choice(pre_days, size=n_pre, p=pre_weight / pre_weight.sum())
    signup = np.concatenate([pre, cells // len(CHANNELS)])
    channel = np.concatenate([_choice(rng, CUSTOMERS.channel_mix, n_pre), cells % len(CHANNELS)])
    order = np.argsort(signup, kind="stable")
    return signup[order], channel[order]


def price_increase_day(period: Period) -> int:
    """Offset of the plan price increase: the first of the month after its position."""
    nominal = period.start + pd.Timedelta(days=round(CHURN.price_change_position * (period.n_days - 1)))
    return period.offset(nominal + pd.offsets.MonthBegin(1))


def _weibull_cumulative(tenure: np.ndarray) -> np.ndarray:
    return (tenure / CHURN.weibull_scale_days) ** CHURN.weibull_shape


def _weibull_inverse(cumulative: np.ndarray) -> np.ndarray:
    return CHURN.weibull_scale_days * cumulative ** (1.0 / CHURN.weibull_shape)


def churn_tenure(draw_inputs: dict[str, np.ndarray], change_day: int, rng: np.random.Generator) -> np.ndarray:
    """Tenure in days at cancellation, by inverting the cumulative hazard at an Exp(1) draw.

    Customers who signed up before the window are conditioned on still being active on its
    first day, so the CRM holds everyone active at some point of the window.
    """
    signup, plan = draw_inputs["signup"], draw_inputs["plan"]
    risk = np.exp(
        CHURN.tickets_per_year * draw_inputs["ticket_rate"]
        + CHURN.log_engagement * np.log(draw_inputs["engagement"])
        + np.asarray(CHURN.segment)[draw_inputs["segment"]]
        + np.asarray(CHURN.plan)[plan]
    )
    affected = plan == PLANS.index(CHURN.price_change_plan)
    change_tenure = np.where(affected, np.maximum(change_day - signup, 0), 1e9).astype(float)
    boost = np.exp(CHURN.after_plan_price_increase)

    def cumulative(tenure: np.ndarray) -> np.ndarray:
        before = _weibull_cumulative(np.minimum(tenure, change_tenure))
        after = _weibull_cumulative(np.maximum(tenure, change_tenure)) - _weibull_cumulative(change_tenure)
        return risk * (before + boost * after)

    target = cumulative(np.maximum(-signup, 0).astype(float)) + rng.exponential(size=signup.size)
    baseline_target = target / risk
    at_change = _weibull_cumulative(change_tenure)
    late = baseline_target > at_change
    baseline_target[late] = at_change[late] + (baseline_target[late] - at_change[late]) / boost
    return _weibull_inverse(baseline_target)


def draw_customers(
    period: Period, n_customers: int, grid: np.ndarray, rng: np.random.Generator
) -> CustomerDraw:
    """Every customer's signup, attributes, latent behaviour and cancel day."""
    signup, channel = _signups(period, n_customers, grid, rng)
    segment = _choice(rng, CUSTOMERS.segment_mix, n_customers)
    plan_cumulative = np.cumsum(np.asarray(CUSTOMERS.plan_mix_by_segment), axis=1)[segment]
    plan = (rng.random(n_customers)[:, None] > plan_cumulative[:, :-1]).sum(axis=1)
    shape = CUSTOMERS.engagement_gamma_shape
    frustrated = rng.random(n_customers) < CHURN.frustrated_share
    ticket_mean = np.where(frustrated, CHURN.frustrated_ticket_rate, CHURN.calm_ticket_rate)
    inputs = {
        "signup": signup,
        "plan": plan,
        "segment": segment,
        "engagement": rng.gamma(shape, 1.0 / shape, n_customers),
        "ticket_rate": rng.gamma(3.0, ticket_mean / 3.0),
    }
    tenure = churn_tenure(inputs, price_increase_day(period), rng)
    cancel = signup + np.maximum(np.ceil(tenure), 1).astype(np.int64)
    return CustomerDraw(
        cancel=np.where(cancel < period.n_days, cancel, NEVER),
        region=_choice(rng, CUSTOMERS.region_mix, n_customers),
        channel=channel,
        favourite=_choice(rng, SEASONALITY.category_share, n_customers),
        **inputs,
    )


def customers_frame(period: Period, draw: CustomerDraw, rng: np.random.Generator) -> pd.DataFrame:
    """The CRM customers table."""
    ids = np.arange(1, draw.size + 1)
    first = np.asarray(FIRST_NAMES, dtype=object)[rng.integers(len(FIRST_NAMES), size=draw.size)]
    last = np.asarray(LAST_NAMES, dtype=object)[rng.integers(len(LAST_NAMES), size=draw.size)]
    domain = np.asarray(EMAIL_DOMAINS, dtype=object)[rng.integers(len(EMAIL_DOMAINS), size=draw.size)]
    local = pd.Series(first).str.lower().str.replace("-", "") + "." + pd.Series(last).str.lower()
    churned = draw.cancel != NEVER
    return pd.DataFrame(
        {
            "customer_id": ids,
            "name": pd.Series(first) + " " + pd.Series(last),
            "email": local + ids.astype(str) + "@" + pd.Series(domain),
            "signup_date": period.dates(draw.signup),
            "segment": np.asarray(SEGMENTS, dtype=object)[draw.segment],
            "region": np.asarray(REGIONS, dtype=object)[draw.region],
            "channel": np.asarray(CHANNELS, dtype=object)[draw.channel],
            "plan": np.asarray(PLANS, dtype=object)[draw.plan],
            "cancel_date": pd.Series(period.dates(np.where(churned, draw.cancel, 0))).where(churned),
            "updated_at": period.dates(np.where(churned, draw.cancel, draw.signup)) + np.timedelta64(26, "h"),
        }
    )


def support_tickets(period: Period, draw: CustomerDraw, rng: np.random.Generator) -> pd.DataFrame:
    """Tickets opened at each customer's latent rate while active inside the window."""
    first = np.maximum(draw.signup, 0)
    last = np.minimum(draw.cancel - 1, period.n_days - 1)
    active_days = np.maximum(last - first + 1, 0)
    counts = rng.poisson(draw.ticket_rate * active_days / 365.25)
    owner = np.repeat(np.arange(draw.size), counts)
    opened = first[owner] + np.floor(rng.random(owner.size) * active_days[owner]).astype(np.int64)
    order = np.lexsort((owner, opened))
    owner, opened = owner[order], opened[order]
    priority = _choice(rng, _PRIORITY_MIX, owner.size)
    resolution = rng.geometric(1.0 / _MEAN_RESOLUTION_DAYS[priority]) - 1
    resolved = opened + resolution
    is_resolved = resolved < period.n_days
    frustrated = draw.ticket_rate[owner] > 2.0
    score = 4.4 - 0.2 * resolution - 0.6 * frustrated + rng.normal(0.0, 0.8, owner.size)
    surveyed = is_resolved & (rng.random(owner.size) < _SURVEYED_SHARE)
    return pd.DataFrame(
        {
            "ticket_id": np.arange(1, owner.size + 1),
            "customer_id": owner + 1,
            "opened_date": period.dates(opened),
            "resolved_date": pd.Series(period.dates(np.where(is_resolved, resolved, 0))).where(is_resolved),
            "topic": np.asarray(_TOPICS, dtype=object)[_choice(rng, _TOPIC_MIX, owner.size)],
            "priority": np.asarray(_PRIORITIES, dtype=object)[priority],
            "satisfaction": pd.Series(np.clip(np.round(score), 1, 5).astype(np.int64))
            .where(surveyed)
            .astype("Int64"),
            "updated_at": period.dates(np.where(is_resolved, resolved, opened)) + np.timedelta64(26, "h"),
        }
    )
