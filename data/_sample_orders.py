"""ERP sales: orders and order lines, drawn for all customers at once.

Each active customer orders as a Poisson process whose intensity is their own rate times the
daily demand curve of their region, strictly between signup (inclusive) and cancellation
(exclusive). Counts come from the integrated intensity and dates from inverting its
cumulative sum, so there is no loop over customers or orders.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data._sample_catalogue import Catalogue
from data._sample_crm import CustomerDraw
from data._sample_demand import Demand
from data._sample_params import CUSTOMERS
from data.vocabulary import CATEGORIES, CHANNELS


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


def _lines(
    orders: pd.DataFrame, draw: CustomerDraw, demand: Demand, catalogue: Catalogue, rng: np.random.Generator
):
    """One row per line with its order position, category and product position."""
    per_order = 1 + rng.choice(len(CUSTOMERS.lines_per_order), size=len(orders), p=CUSTOMERS.lines_per_order)
    position = np.repeat(np.arange(len(orders)), per_order)
    day = orders["day"].to_numpy()[position]
    customer = orders["customer"].to_numpy()[position]
    mix = np.cumsum(demand.category_mix, axis=1)[day]
    from_mix = (rng.random(position.size)[:, None] > mix[:, :-1]).sum(axis=1)
    favourite = rng.random(position.size) < CUSTOMERS.favourite_category_share
    category = np.where(favourite, draw.favourite[customer], from_mix)
    product = catalogue.pick(day, category, rng.random(position.size))
    lines = pd.DataFrame(
        {"position": position, "day": day, "customer": customer, "category": category, "product": product}
    )
    return lines.drop_duplicates(["position", "product"], ignore_index=True)


def _discounts(lines: pd.DataFrame, draw: CustomerDraw, demand: Demand) -> tuple[np.ndarray, np.ndarray]:
    """Each line's discount (promotion or contract, whichever is larger) and whether a promotion applied."""
    day = lines["day"].to_numpy()
    promo_category = demand.promo_category[day]
    promoted = (demand.promo_row[day] >= 0) & (
        (promo_category < 0) | (promo_category == lines["category"].to_numpy())
    )
    contract = np.asarray(CUSTOMERS.contract_discount_by_segment)[draw.segment[lines["customer"].to_numpy()]]
    return np.maximum(np.where(promoted, demand.promo_discount[day], 0.0), contract), promoted


def orders_and_lines(
    period, draw: CustomerDraw, demand: Demand, catalogue: Catalogue, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ERP orders and order_lines tables."""
    orders = _orders(draw, demand, period.n_days, rng)
    lines = _lines(orders, draw, demand, catalogue, rng)
    discount, promoted = _discounts(lines, draw, demand)
    position, day = lines["position"].to_numpy(), lines["day"].to_numpy()
    applied = np.bincount(position, weights=promoted, minlength=len(orders)) > 0
    promo_ids = demand.promotions["promo_id"].to_numpy()
    order_day = orders["day"].to_numpy()
    order_dates = period.dates(order_day)
    stamp = np.timedelta64(26, "h")
    order_frame = pd.DataFrame(
        {
            "order_id": np.arange(1, len(orders) + 1),
            "customer_id": orders["customer"].to_numpy() + 1,
            "order_date": order_dates,
            "channel": np.asarray(CHANNELS, dtype=object)[orders["channel"].to_numpy()],
            "promo_id": pd.array(np.where(applied, promo_ids[demand.promo_row[order_day]], 0), dtype="Int64"),
            "updated_at": order_dates + stamp,
        }
    )
    order_frame.loc[~applied, "promo_id"] = pd.NA
    starts = np.searchsorted(position, position, side="left")
    segment = draw.segment[lines["customer"].to_numpy()]
    line_frame = pd.DataFrame(
        {
            "order_id": position + 1,
            "line_number": np.arange(position.size) - starts + 1,
            "product_id": catalogue.products["product_id"].to_numpy()[lines["product"].to_numpy()],
            "category": np.asarray(CATEGORIES, dtype=object)[lines["category"].to_numpy()],
            "quantity": 1 + rng.poisson(np.asarray(CUSTOMERS.extra_quantity_by_segment)[segment]),
            "unit_price": catalogue.price[day, lines["product"].to_numpy()],
            "discount": discount,
            "order_date": order_dates[position],
            "updated_at": order_dates[position] + stamp,
        }
    )
    return order_frame, line_frame
