"""ERP sales: orders and order lines, drawn for all customers at once.

Each active customer orders as a Poisson process whose intensity is their own rate times the
daily demand curve of their region, from signup (inclusive) to cancellation (exclusive).
Counts come from the integrated intensity and dates from inverting its cumulative sum, so
there is no loop over customers or orders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.sample.calendar import Period
from data.sample.catalogue import Catalogue
from data.sample.crm import CustomerDraw
from data.sample.demand import Demand
from data.sample.params import CUSTOMERS
from data.vocabulary import CATEGORIES, CHANNELS

_NIGHTLY = np.timedelta64(26, "h")  # rows reach the ERP export at 02:00 the next night


def order_rates(draw: CustomerDraw) -> np.ndarray:
    """Expected orders per day of each customer on an ordinary day (multiplier 1)."""
    return (
        CUSTOMERS.base_orders_per_day
        * np.asarray(CUSTOMERS.segment_order_multiplier)[draw.segment]
        * np.asarray(CUSTOMERS.plan_order_multiplier)[draw.plan]
        * draw.engagement
    )


def _order_days(draw: CustomerDraw, demand: Demand, n_days: int, rng: np.random.Generator):
    """Customer index and day of every order before channel outages thin them."""
    curves = demand.order_multiplier[None, :] * demand.region_multiplier
    cumulative = np.concatenate([np.zeros((curves.shape[0], 1)), np.cumsum(curves, axis=1)], axis=1)
    first = np.maximum(draw.signup, 0)
    last = np.minimum(draw.cancel - 1, n_days - 1)
    active = last >= first
    first, last = np.where(active, first, 0), np.where(active, last, -1)
    lower = cumulative[draw.region, first]
    upper = cumulative[draw.region, last + 1]
    counts = rng.poisson(order_rates(draw) * np.maximum(upper - lower, 0.0))
    customer = np.repeat(np.arange(draw.size), counts)
    row_offset = cumulative[:, -1].max() + 1.0  # stack the regions' curves into one increasing array
    stacked = (cumulative + row_offset * np.arange(curves.shape[0])[:, None]).ravel()
    region = draw.region[customer]
    target = row_offset * region + lower[customer] + rng.random(customer.size) * (upper - lower)[customer]
    day = np.searchsorted(stacked, target, side="left") - region * (n_days + 1) - 1
    return customer, np.clip(day, first[customer], last[customer])


def _orders(draw: CustomerDraw, demand: Demand, n_days: int, rng: np.random.Generator) -> pd.DataFrame:
    customer, day = _order_days(draw, demand, n_days, rng)
    switch = rng.random(customer.size) >= CUSTOMERS.same_channel_share
    other = rng.choice(len(CHANNELS), size=customer.size, p=np.asarray(CUSTOMERS.channel_mix))
    channel = np.where(switch, other, draw.channel[customer])
    kept = rng.random(customer.size) < demand.channel_keep[channel, day]
    order = np.lexsort((customer[kept], day[kept]))
    return pd.DataFrame(
        {"customer": customer[kept][order], "day": day[kept][order], "channel": channel[kept][order]}
    )


def _day_categories(mix: np.ndarray, day: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draws from each line's row of ``mix`` (days x categories) without a row per line."""
    cumulative = np.cumsum(mix, axis=1)
    cumulative[:, -1] = 1.0
    stacked = (np.arange(mix.shape[0])[:, None] + cumulative).ravel()
    return np.searchsorted(stacked, day + np.minimum(u, 1.0 - 1e-9), side="right") - day * mix.shape[1]


@dataclass(frozen=True)
class _Lines:
    """Order lines as compact arrays: order position, day, customer, category and product position."""

    position: np.ndarray
    day: np.ndarray
    customer: np.ndarray
    category: np.ndarray
    product: np.ndarray


def _repeated_product(position: np.ndarray, product: np.ndarray, longest: int) -> np.ndarray:
    """True for a line whose product already appears on an earlier line of the same order."""
    repeated = np.zeros(position.size, dtype=bool)
    for back in range(1, longest):
        repeated[back:] |= (position[back:] == position[:-back]) & (product[back:] == product[:-back])
    return repeated


def _lines(
    orders: pd.DataFrame, draw: CustomerDraw, demand: Demand, catalogue: Catalogue, rng: np.random.Generator
) -> _Lines:
    """Draw 1-5 distinct products per order: a category (favourite or the day's mix), then a product."""
    longest = len(CUSTOMERS.lines_per_order)
    per_order = 1 + rng.choice(longest, size=len(orders), p=CUSTOMERS.lines_per_order)
    position = np.repeat(np.arange(len(orders), dtype=np.int32), per_order)
    day = orders["day"].to_numpy()[position]
    customer = orders["customer"].to_numpy()[position]
    from_mix = _day_categories(demand.category_mix, day, rng.random(position.size))
    favourite = rng.random(position.size) < CUSTOMERS.favourite_category_share
    category = np.where(favourite, draw.favourite[customer], from_mix)
    product = catalogue.pick(day, category, rng.random(position.size))
    kept = ~_repeated_product(position, product, longest)
    return _Lines(position[kept], day[kept], customer[kept], category[kept], product[kept])


def _discounts(lines: _Lines, draw: CustomerDraw, demand: Demand) -> tuple[np.ndarray, np.ndarray]:
    """Each line's discount (promotion or contract, whichever is larger) and whether a promotion applied."""
    promo_category = demand.promo_category[lines.day]
    promoted = (demand.promo_row[lines.day] >= 0) & (
        (promo_category < 0) | (promo_category == lines.category)
    )
    contract = np.asarray(CUSTOMERS.contract_discount_by_segment)[draw.segment[lines.customer]]
    return np.maximum(np.where(promoted, demand.promo_discount[lines.day], 0.0), contract), promoted


def _order_frame(period: Period, orders: pd.DataFrame, demand: Demand, applied: np.ndarray) -> pd.DataFrame:
    order_day = orders["day"].to_numpy()
    order_dates = period.dates(order_day)
    promo_ids = demand.promotions["promo_id"].to_numpy()[demand.promo_row[order_day]]
    return pd.DataFrame(
        {
            "order_id": np.arange(1, len(orders) + 1),
            "customer_id": orders["customer"].to_numpy() + 1,
            "order_date": order_dates,
            "channel": np.asarray(CHANNELS, dtype=object)[orders["channel"].to_numpy()],
            "promo_id": pd.arrays.IntegerArray(np.where(applied, promo_ids, 0).astype(np.int64), ~applied),
            "updated_at": order_dates + _NIGHTLY,
        }
    )


def orders_and_lines(
    period: Period, draw: CustomerDraw, demand: Demand, catalogue: Catalogue, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ERP orders and order_lines tables."""
    orders = _orders(draw, demand, period.n_days, rng)
    lines = _lines(orders, draw, demand, catalogue, rng)
    discount, promoted = _discounts(lines, draw, demand)
    applied = np.bincount(lines.position, weights=promoted, minlength=len(orders)) > 0
    line_dates = period.dates(lines.day)
    extra_quantity = np.asarray(CUSTOMERS.extra_quantity_by_segment)[draw.segment[lines.customer]]
    line_frame = pd.DataFrame(
        {
            "order_id": lines.position.astype(np.int64) + 1,
            "line_number": np.arange(lines.position.size)
            - np.searchsorted(lines.position, lines.position)
            + 1,
            "product_id": catalogue.products["product_id"].to_numpy()[lines.product],
            "category": np.asarray(CATEGORIES, dtype=object)[lines.category],
            "quantity": 1 + rng.poisson(extra_quantity),
            "unit_price": catalogue.price[lines.day, lines.product],
            "discount": discount,
            "order_date": line_dates,
            "updated_at": line_dates + _NIGHTLY,
        }
    )
    return _order_frame(period, orders, demand, applied), line_frame
