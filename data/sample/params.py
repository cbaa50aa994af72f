"""The true parameters of the sample company: every number the generator draws from.

They are written verbatim into the ground-truth file, so analyses can be scored against
them. Change a value here and the data and its ground truth change together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Seasonality:
    """Multiplicative daily demand pattern for orders (signups use ``signup_weekly``)."""

    weekly: tuple[float, ...] = (0.94, 0.92, 0.95, 1.00, 1.08, 1.13, 0.98)
    signup_weekly: tuple[float, ...] = (1.08, 1.05, 1.02, 1.00, 0.97, 0.93, 0.95)
    yearly_amplitude: float = 0.12  # 1 + a*cos(2*pi*(doy - peak)/365.25)
    yearly_peak_day: int = 345
    holidays: dict[str, float] = field(
        default_factory=lambda: {
            "black_friday": 2.6,
            "cyber_monday": 2.0,
            "christmas_run_up": 1.25,  # 1-22 December
            "christmas_eve": 0.7,
            "christmas_day": 0.35,
            "new_years_day": 0.55,
        }
    )
    # Category mix: share * (1 + amplitude*cos(2*pi*(doy - peak)/365.25)).
    category_share: tuple[float, ...] = (0.22, 0.22, 0.24, 0.16, 0.16)
    category_amplitude: tuple[float, ...] = (0.30, 0.15, 0.25, 0.20, 0.10)
    category_peak_day: tuple[int, ...] = (350, 100, 195, 20, 130)


@dataclass(frozen=True)
class CustomerModel:
    """Who signs up, when, and how often they order."""

    pre_period_share: float = 0.30  # customers who signed up in the two years before the window
    pre_period_days: int = 730
    signup_growth_per_year: float = 0.35  # log-growth of the organic signup rate
    signup_holiday_multiplier: float = 1.8  # Black Friday and Cyber Monday
    segment_mix: tuple[float, ...] = (0.70, 0.22, 0.08)
    region_mix: tuple[float, ...] = (0.40, 0.30, 0.20, 0.10)
    channel_mix: tuple[float, ...] = (0.45, 0.30, 0.15, 0.10)
    plan_mix_by_segment: tuple[tuple[float, ...], ...] = (
        (0.60, 0.30, 0.10),
        (0.40, 0.40, 0.20),
        (0.15, 0.35, 0.50),
    )
    plan_monthly_price: tuple[float, ...] = (9.0, 19.0, 39.0)
    base_orders_per_day: float = 0.013
    segment_order_multiplier: tuple[float, ...] = (1.0, 1.6, 2.5)
    plan_order_multiplier: tuple[float, ...] = (1.0, 1.15, 1.35)
    engagement_gamma_shape: float = 2.0  # engagement multiplier ~ Gamma(shape, 1/shape), mean 1
    favourite_category_share: float = 0.35
    same_channel_share: float = 0.75  # orders placed through the acquisition channel
    lines_per_order: tuple[float, ...] = (0.42, 0.27, 0.16, 0.10, 0.05)
    extra_quantity_by_segment: tuple[float, ...] = (0.25, 0.8, 2.5)  # quantity = 1 + Poisson
    contract_discount_by_segment: tuple[float, ...] = (0.0, 0.0, 0.08)


@dataclass(frozen=True)
class ChurnModel:
    """Proportional hazards with a Weibull baseline in tenure (days since signup)."""

    weibull_shape: float = 0.8
    weibull_scale_days: float = 2200.0
    tickets_per_year: float = 0.25
    log_engagement: float = -0.5
    after_plan_price_increase: float = 0.7
    segment: tuple[float, ...] = (0.0, -0.2, -0.6)
    plan: tuple[float, ...] = (0.0, 0.0, -0.3)
    price_change_plan: str = "Plus"
    price_change_new_price: float = 24.0
    price_change_position: float = 0.6  # share of the window before the increase
    # Latent ticket rate (per year): a calm majority and a frustrated minority.
    frustrated_share: float = 0.2
    calm_ticket_rate: float = 0.8
    frustrated_ticket_rate: float = 4.0


@dataclass(frozen=True)
class PromotionModel:
    """How discounts move demand."""

    sitewide_order_lift_per_discount: float = 2.0  # orders x (1 + 2.0 * discount)
    category_order_lift_per_discount: float = 0.5
    category_mix_lift_per_discount: float = 4.0  # promoted category's share x (1 + 4 * discount)
    price_elasticity: float = 1.5  # product choice weight x (price / launch price) ** -1.5


@dataclass(frozen=True)
class MarketingModel:
    """Spend -> adstock (geometric decay after a lag) -> extra signups and orders."""

    adstock_decay: float = 0.6
    lag_days: int = 3
    signup_share: float = 0.35  # share of in-window signups caused by marketing
    channel_efficiency: tuple[float, ...] = (1.0, 1.3, 0.5, 1.6)
    order_lift_at_mean_adstock: float = 0.15  # orders x (1 + 0.15 * adstock / mean adstock)
    daily_spend_per_customer: tuple[float, ...] = (0.012, 0.008, 0.005, 0.003)
    spend_growth_per_year: float = 0.15
    cpm: tuple[float, ...] = (6.0, 8.0, 12.0, 10.0)
    click_through_rate: tuple[float, ...] = (0.018, 0.012, 0.006, 0.015)
    conversion_rate: tuple[float, ...] = (0.030, 0.025, 0.040, 0.035)
    seasonal_boost: float = 2.0


@dataclass(frozen=True)
class Anomaly:
    """A planted deviation: expected ``metric`` is multiplied by ``magnitude`` in ``scope``."""

    name: str
    kind: str  # spike | drop | level_shift
    metric: str
    position: float  # share of the window before it starts
    days: int | None  # None = lasts until the end of the window
    magnitude: float
    scope: tuple[tuple[str, str], ...] = ()


ANOMALIES: tuple[Anomaly, ...] = (
    Anomaly("apac_fulfilment_centre", "level_shift", "orders", 0.30, None, 1.4, (("region", "APAC"),)),
    Anomaly("viral_social_post", "spike", "revenue", 0.55, 1, 3.0),
    Anomaly("web_checkout_outage", "drop", "orders", 0.75, 2, 0.1, (("channel", "Web"),)),
    Anomaly("payment_provider_outage", "drop", "orders", 0.85, 1, 0.35),
)

SEASONALITY = Seasonality()
CUSTOMERS = CustomerModel()
CHURN = ChurnModel()
PROMOTION = PromotionModel()
MARKETING = MarketingModel()
