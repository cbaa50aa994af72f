"""The sample company's following days, drawn with the generator's own models.

Published by ``data.stream``'s replay. The store is the starting point: its customers (ids, signup and
cancel dates, segment, plan, region, channel), products, campaigns and promotions are read
back, and the generator's models are run over a window that extends the store's history by
the replayed days:

- marketing spend of the store's campaigns (``marketing.marketing_daily``), whose
  adstock drives demand and signups exactly as in the generator;
- signups from the generator's signup grid (``crm.signup_grid``) at the rate the
  generator uses for in-window signups; their attributes from ``draw_customers``;
- cancellations from the churn model (``crm.churn_tenure``), conditioned on each
  customer being active on the first replayed day;
- orders and lines from ``orders.orders_and_lines`` for customers active on those
  days, picking the store's products by their recent popularity at today's list price.

Latent traits the store does not hold (engagement, ticket rate, favourite category) are
drawn from the generator's distributions. Everything is deterministic per seed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from data.sample import crm, marketing
from data.sample.calendar import Period
from data.sample.catalogue import Catalogue, choice_table
from data.sample.demand import build_demand
from data.sample.orders import orders_and_lines
from data.sample.params import CUSTOMERS
from data.sample.store_state import StoreState, day, read_store_state
from data.stream import events_from_frames
from data.vocabulary import CHANNELS, PLANS, REGIONS, SEGMENTS

_STREAMS = ("marketing", "customers", "names", "churn", "orders", "signups")
_MARKETING_REPORTED = pd.Timedelta(hours=30)  # as in the generator: a day's ad metrics arrive the next morning


@dataclass(frozen=True)
class FollowingDays:
    """What happens on the replayed days, as canonical frames ordered by date."""

    first: dt.date
    last: dt.date
    signups: pd.DataFrame  # canonical customers columns
    cancellations: pd.DataFrame  # customer_id, cancel_date, updated_at
    orders: pd.DataFrame  # canonical orders columns, one row per order line
    marketing: pd.DataFrame  # canonical marketing columns


def _codes(values: pd.Series, vocabulary: tuple[str, ...], column: str) -> np.ndarray:
    unknown = sorted(set(values) - set(vocabulary))
    if unknown:
        raise ValueError(f"customers.{column} holds {unknown}; replay knows only {list(vocabulary)}")
    return values.map(vocabulary.index).to_numpy(dtype=np.int64)


def _store_draw(period: Period, customers: pd.DataFrame, latent: crm.CustomerDraw) -> crm.CustomerDraw:
    """The store's customers as a CustomerDraw: observed attributes, latent traits from ``latent``."""
    cancelled = customers["cancel_date"].notna().to_numpy()
    cancel = (customers["cancel_date"].fillna(period.start) - period.start).dt.days.to_numpy()
    return dataclasses.replace(
        latent,
        signup=(customers["signup_date"] - period.start).dt.days.to_numpy(),
        cancel=np.where(cancelled, cancel, crm.NEVER),
        segment=_codes(customers["segment"], SEGMENTS, "segment"),
        region=_codes(customers["region"], REGIONS, "region"),
        channel=_codes(customers["channel"], CHANNELS, "channel"),
        plan=_codes(customers["plan"], PLANS, "plan"),
    )


def _subset(draw: crm.CustomerDraw, index: np.ndarray | slice) -> crm.CustomerDraw:
    return crm.CustomerDraw(**{f.name: getattr(draw, f.name)[index] for f in dataclasses.fields(draw)})


def _concat(first: crm.CustomerDraw, second: crm.CustomerDraw) -> crm.CustomerDraw:
    return crm.CustomerDraw(
        **{
            f.name: np.concatenate([getattr(first, f.name), getattr(second, f.name)])
            for f in dataclasses.fields(first)
        }
    )


def _new_signups(grid: np.ndarray, first_day: int, base: int, rng: np.random.Generator):
    """Signup day and channel per new customer: Poisson counts per (day, channel) cell at the
    rate the generator spreads its in-window customers over the grid."""
    expected = (1.0 - CUSTOMERS.pre_period_share) * base * grid[first_day:]
    counts = rng.poisson(expected).ravel()
    cells = np.repeat(np.arange(counts.size), counts)
    return first_day + cells // len(CHANNELS), cells % len(CHANNELS)


def _cancel_days(draw: crm.CustomerDraw, period: Period, first_day: int, rng) -> np.ndarray:
    """Cancel offsets for customers active on ``first_day`` (tenure conditioned on that)."""
    inputs = {
        "signup": draw.signup - first_day,
        "plan": draw.plan,
        "segment": draw.segment,
        "engagement": draw.engagement,
        "ticket_rate": draw.ticket_rate,
    }
    tenure = crm.churn_tenure(inputs, crm.price_increase_day(period) - first_day, rng)
    cancel = draw.signup + np.maximum(np.ceil(tenure), 1).astype(np.int64)
    return np.where(cancel < period.n_days, cancel, crm.NEVER)


def _catalogue(period: Period, products: pd.DataFrame) -> Catalogue:
    """The store's products at today's list price on every day, chosen by recent popularity."""
    price = np.tile(products["list_price"].to_numpy(dtype=float), (period.n_days, 1))
    category = products["code"].to_numpy()
    lookup = products.assign(
        launch_day=(products["launch_date"] - period.start).dt.days,
        launch_price=products["list_price"],
    )
    return Catalogue(
        products=products[["product_id", "category", "list_price"]],
        price_changes=pd.DataFrame(),
        category=category,
        price=price,
        choice=choice_table(lookup, price, category),
        category_change_day=0,
    )


def _streams(seed: int) -> dict[str, np.random.Generator]:
    children = np.random.SeedSequence(seed).spawn(len(_STREAMS))
    return {name: np.random.Generator(np.random.PCG64(child)) for name, child in zip(_STREAMS, children)}


def _replayable_campaigns(period: Period, campaigns: pd.DataFrame) -> pd.DataFrame:
    """Store campaigns the marketing model can continue: seasonal ones and its own always-on ones."""
    always_on = marketing.campaigns(period).query("kind == 'always_on'")["name"]
    known = (campaigns["kind"] == "seasonal") | campaigns["name"].isin(always_on)
    return campaigns[known].assign(
        start_date=pd.to_datetime(campaigns["start_date"]), end_date=pd.to_datetime(campaigns["end_date"])
    )


def _marketing_rows(daily: pd.DataFrame, campaigns: pd.DataFrame, first: pd.Timestamp) -> pd.DataFrame:
    names = campaigns.set_index("campaign_id")["name"]
    rows = daily[daily["date"] >= first].assign(
        campaign=lambda frame: frame["campaign_id"].map(names),
        updated_at=lambda frame: frame["date"] + _MARKETING_REPORTED,
    )
    columns = ["date", "campaign", "channel", "spend", "impressions", "clicks", "conversions", "updated_at"]
    return rows[columns].reset_index(drop=True)


def _signup_rows(period: Period, draw: crm.CustomerDraw, first_id: int, rng) -> pd.DataFrame:
    frame = crm.customers_frame(period, draw, rng)
    ids = np.arange(first_id, first_id + draw.size)
    # The generator numbers customers from 1 and puts the id into the address; use the new id.
    local = frame["email"].str.replace(r"\d+@.*$", "", regex=True)
    domain = frame["email"].str.replace(r"^.*@", "", regex=True)
    return frame.assign(customer_id=ids, email=local + pd.Series(ids).astype(str) + "@" + domain)


def _order_rows(orders: pd.DataFrame, lines: pd.DataFrame, ids: dict[str, np.ndarray]) -> pd.DataFrame:
    """Orders joined to their lines in canonical column order, with the store's ids."""
    orders = orders.assign(
        order_id=orders["order_id"] + ids["order_offset"],
        customer_id=ids["customers"][orders["customer_id"].to_numpy() - 1],
        promo_id=orders["promo_id"].map(ids["promotions"]).astype("Int64"),
    )
    lines = lines.assign(order_id=lines["order_id"] + ids["order_offset"])
    joined = lines.drop(columns=["category", "order_date", "updated_at"]).merge(
        orders, on="order_id", how="left", validate="many_to_one"
    )
    columns = ["order_id", "customer_id", "order_date", "product_id", "quantity", "unit_price",
               "discount", "line_number", "channel", "promo_id", "updated_at"]
    return joined[columns].sort_values(["order_date", "order_id", "line_number"], ignore_index=True)


def _promotion_ids(generated: pd.DataFrame, stored: pd.DataFrame) -> dict[int, int]:
    """Generated promo id -> store promo id, matched by name (a promotion the store lacks maps to
    nothing, so its orders carry no promo id)."""
    by_name = dict(zip(stored["name"], stored["promo_id"]))
    return {
        int(promo): int(by_name[name])
        for promo, name in zip(generated["promo_id"], generated["name"])
        if name in by_name
    }


def _window(state: StoreState, first: dt.date | None, days: int) -> tuple[Period, pd.Timestamp]:
    """The store's history extended by the replayed days, and the first replayed day."""
    if days < 1:
        raise ValueError(f"days={days}; replay at least one day")
    start = day(first) if first is not None else state.last_order_date + pd.Timedelta(days=1)
    if start <= state.window_start:
        raise ValueError(f"start {start.date()} is not after the store's first day {state.window_start.date()}")
    return Period(start=state.window_start, end=start + pd.Timedelta(days=days - 1)), start


def _customers(period: Period, state: StoreState, grid: np.ndarray, first_day: int, rng) -> tuple:
    """Everyone who may order (the store's customers, then the new signups) and the new signups."""
    base = len(state.customers)
    signup_day, signup_channel = _new_signups(grid, first_day, base, rng["signups"])
    latent = crm.draw_customers(period, base + signup_day.size, grid, rng["customers"])
    existing = _store_draw(period, state.customers, _subset(latent, slice(0, base)))
    new = dataclasses.replace(_subset(latent, slice(base, None)), signup=signup_day, channel=signup_channel,
                              cancel=np.full(signup_day.size, crm.NEVER))
    return _concat(existing, new), new


def _cancellation_rows(period: Period, customer_ids: np.ndarray, before: np.ndarray, after: np.ndarray):
    churned = (after != before) & (after != crm.NEVER)
    dates = period.dates(after[churned])
    frame = pd.DataFrame({"customer_id": customer_ids[churned], "cancel_date": dates,
                          "updated_at": dates + np.timedelta64(26, "h")})
    return frame.sort_values(["cancel_date", "customer_id"], ignore_index=True)


def following_days(engine: Engine, *, days: int, seed: int, first: dt.date | None = None) -> FollowingDays:
    """Draw ``days`` days after the store's last order date (or from ``first``)."""
    state = read_store_state(engine)
    period, start = _window(state, first, days)
    first_day, rng, base = period.offset(start), _streams(seed), len(state.customers)
    campaigns = _replayable_campaigns(period, state.campaigns)
    daily, spend = marketing.marketing_daily(period, campaigns, base, rng["marketing"])
    adstock = marketing.adstock(spend)
    demand = build_demand(period, adstock)
    everyone, new = _customers(period, state, crm.signup_grid(period, demand.signup_holidays, adstock),
                               first_day, rng)
    cancel = _following_cancels(everyone, period, first_day, rng["churn"])
    ordering = dataclasses.replace(everyone, signup=np.maximum(everyone.signup, first_day), cancel=cancel)
    orders, lines = orders_and_lines(period, ordering, demand, _catalogue(period, state.products), rng["orders"])
    first_id = int(state.customers["customer_id"].max()) + 1 if base else 1
    customer_ids = np.concatenate([state.customers["customer_id"].to_numpy(), first_id + np.arange(new.size)])
    ids = {"order_offset": state.max_order_id, "customers": customer_ids,
           "promotions": _promotion_ids(demand.promotions, state.promotions)}
    return FollowingDays(
        first=start.date(),
        last=period.end.date(),
        signups=_signup_rows(period, new, first_id, rng["names"]),
        cancellations=_cancellation_rows(period, customer_ids, everyone.cancel, cancel),
        orders=_order_rows(orders, lines, ids),
        marketing=_marketing_rows(daily, campaigns, start),
    )


def _following_cancels(draw: crm.CustomerDraw, period: Period, first_day: int, rng) -> np.ndarray:
    """Every customer's cancel offset: the store's where it has one, else drawn from the churn model."""
    open_ended = draw.cancel == crm.NEVER
    cancel = draw.cancel.copy()
    cancel[open_ended] = _cancel_days(_subset(draw, open_ended), period, first_day, rng)
    return cancel


def replay_events(days: FollowingDays, seed: int) -> list[tuple[str, str, dict[str, Any]]]:
    """``(event_id, type, payload)`` for every change, day by day (see ``events_from_frames``).
    Ids name the seed and the row's key, so the same draw published twice is applied once."""
    return events_from_frames(f"replay:{seed}", signups=days.signups.drop(columns=["cancel_date"]),
                              orders=days.orders, cancellations=days.cancellations, marketing=days.marketing)
