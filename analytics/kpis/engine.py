"""Vectorised aggregation behind ``analytics.kpis``: integer codes, bincounts and unique keys.

Distinct counts cannot simply be summed across a dimension, except where each entity
belongs to exactly one member: an order has one region and one sales channel, a customer
one region. The engine counts at the finest grain that keeps those sums valid and adds
up from there, so every filter combination costs a handful of passes over the facts.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

ALL = "All"
DIMENSIONS: tuple[str, ...] = ("region", "category", "channel")


@dataclass(frozen=True)
class Encoded:
    """Orders and order lines as aligned integer arrays (codes index ``members``)."""

    members: dict[str, tuple[str, ...]]
    day: np.ndarray  # per order: days before as_of (0 = as_of)
    customer: np.ndarray  # per order: dense customer index
    region: np.ndarray  # per order: the customer's region code
    channel: np.ndarray  # per order: sales-channel code
    line_order: np.ndarray  # per line: position of its order
    line_category: np.ndarray  # per line: category code
    line_revenue: np.ndarray  # per line: revenue


def _codes(values: pd.Series, members: tuple[str, ...]) -> np.ndarray:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.set_categories(list(members)).cat.codes.to_numpy(dtype=np.int64)
    return pd.Categorical(values, categories=list(members)).codes.astype(np.int64)


def present_values(values: pd.Series) -> list[str]:
    """The distinct values of a column, cheaply for categoricals."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [str(v) for v in values.cat.remove_unused_categories().cat.categories]
    return [str(v) for v in pd.unique(values.dropna())]


def _unique(keys: np.ndarray, size: int) -> np.ndarray:
    """Sorted distinct keys in ``[0, size)``: a bitmap scatter when it fits, else a sort."""
    if size <= 400_000_000:
        seen = np.zeros(size, dtype=bool)
        seen[keys] = True
        return np.flatnonzero(seen)
    ordered = np.sort(keys)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered


def encode(
    orders: pd.DataFrame,
    lines: pd.DataFrame,
    customers: pd.DataFrame,
    members: dict[str, tuple[str, ...]],
    as_of: pd.Timestamp,
) -> Encoded:
    """Turn the frames into integer arrays; every line must belong to a known order."""
    customer_index = pd.Index(customers["customer_id"])
    customer = customer_index.get_indexer(orders["customer_id"])
    if (customer < 0).any():
        missing = orders.loc[customer < 0, "order_id"].head(5).tolist()
        raise ValueError(f"orders {missing} point to customers that do not exist; load those customers first")
    region_of_customer = _codes(customers["region"], members["region"])
    line_order = pd.Index(orders["order_id"]).get_indexer(lines["order_id"])
    if (line_order < 0).any():
        missing = lines.loc[line_order < 0, "order_id"].head(5).tolist()
        raise ValueError(f"order lines reference unknown orders {missing}; load their orders first")
    return Encoded(
        members=members,
        day=(as_of - orders["order_date"]).dt.days.to_numpy(dtype=np.int64),
        customer=customer.astype(np.int64),
        region=region_of_customer[customer],
        channel=_codes(orders["channel"], members["channel"]),
        line_order=line_order.astype(np.int64),
        line_category=_codes(lines["category"], members["category"]),
        line_revenue=lines["revenue"].to_numpy(dtype=float),
    )


def _count_unique(keys: np.ndarray, key_space: int, cells_of_unique, size: int) -> np.ndarray:
    return np.bincount(cells_of_unique(_unique(keys, key_space)), minlength=size)


def _finest_arrays(enc: Encoded, window: int, n_periods: int) -> dict[str, np.ndarray]:
    """Per-period arrays at the finest grain where each measure stays additive."""
    # An order counts once it has lines (a header without lines sold nothing).
    has_lines = np.bincount(enc.line_order, minlength=len(enc.day)) > 0
    keep = has_lines & (enc.day >= 0) & (enc.day < window * n_periods)
    period = np.where(keep, enc.day // window, -1)
    o_sel = np.flatnonzero(keep)  # kept orders
    l_sel = np.flatnonzero(keep[enc.line_order])  # their lines
    return {**_sales_arrays(enc, period, o_sel, l_sel, n_periods),
            **_active_arrays(enc, period, o_sel, l_sel, n_periods)}


def _sales_arrays(enc: Encoded, period: np.ndarray, o_sel: np.ndarray, l_sel: np.ndarray,
                  n_periods: int) -> dict[str, np.ndarray]:
    """Revenue, orders, and orders containing each category, per period and cell of the selected orders and lines."""
    n_r, n_g, n_h = (len(enc.members[d]) for d in DIMENSIONS)
    # Orders: one region and channel each -> additive over region and channel.
    o_cell = (period[o_sel] * n_r + enc.region[o_sel]) * n_h + enc.channel[o_sel]
    orders = np.bincount(o_cell, minlength=n_periods * n_r * n_h).reshape(n_periods, n_r, n_h)
    l_order = enc.line_order[l_sel]
    l_g = enc.line_category[l_sel]
    fine = ((period[l_order] * n_r + enc.region[l_order]) * n_g + l_g) * n_h + enc.channel[l_order]
    size = n_periods * n_r * n_g * n_h
    revenue = np.bincount(fine, weights=enc.line_revenue[l_sel], minlength=size)
    # Orders containing a category: unique (order, category) pairs.
    order_cat = _count_unique(
        l_order * n_g + l_g,
        len(enc.day) * n_g,
        lambda u: (((period[u // n_g] * n_r + enc.region[u // n_g]) * n_g + u % n_g) * n_h
                   + enc.channel[u // n_g]),
        size,
    )
    shape = (n_periods, n_r, n_g, n_h)
    return {"revenue": revenue.reshape(shape), "orders": orders, "order_cat": order_cat.reshape(shape)}


def _active_arrays(enc: Encoded, period: np.ndarray, o_sel: np.ndarray, l_sel: np.ndarray,
                   n_periods: int) -> dict[str, np.ndarray]:
    """Active customers per period and cell, counted once per key: plain, by channel, category, or both.

    A customer has one region, so only category and channel need their own unique passes; region stays additive.
    """
    n_r, n_g, n_h = (len(enc.members[d]) for d in DIMENSIONS)
    l_order = enc.line_order[l_sel]
    l_p, l_g, l_h = period[l_order], enc.line_category[l_sel], enc.channel[l_order]
    n_c = int(enc.customer.max()) + 1 if len(enc.customer) else 1
    cust_o, cust_l = enc.customer[o_sel], enc.customer[l_order]
    region_of = np.zeros(n_c, dtype=np.int64)
    region_of[enc.customer] = enc.region

    def active(customer, p, category=None, channel=None) -> np.ndarray:
        g = category if category is not None else np.zeros_like(customer)
        h = channel if channel is not None else np.zeros_like(customer)
        key = ((customer * n_periods + p) * n_g + g) * n_h + h
        unique = _unique(key, n_c * n_periods * n_g * n_h)
        uh, rest = unique % n_h, unique // n_h
        ug, rest = rest % n_g, rest // n_g
        up, uc = rest % n_periods, rest // n_periods
        cell = ((up * n_r + region_of[uc]) * n_g + ug) * n_h + uh
        return np.bincount(cell, minlength=n_periods * n_r * n_g * n_h).reshape(n_periods, n_r, n_g, n_h)

    return {
        "active": active(cust_o, period[o_sel]),
        "active_h": active(cust_o, period[o_sel], channel=enc.channel[o_sel]),
        "active_g": active(cust_l, l_p, category=l_g),
        "active_gh": active(cust_l, l_p, category=l_g, channel=l_h),
    }


def order_kpi_table(enc: Encoded, window: int, n_periods: int) -> pd.DataFrame:
    """Revenue, orders and active customers for every grouping set of the dimensions."""
    a = _finest_arrays(enc, window, n_periods)
    parts = []
    for r_on, g_on, h_on in itertools.product((False, True), repeat=3):
        axes = tuple(ax for ax, on in ((1, r_on), (2, g_on), (3, h_on)) if not on)
        revenue = a["revenue"].sum(axis=axes, keepdims=True)
        if g_on:
            orders = a["order_cat"].sum(axis=axes, keepdims=True)
        else:
            orders = a["orders"][:, :, None, :].sum(axis=axes, keepdims=True)
        active_key = "active" + ("_" if g_on or h_on else "") + ("g" if g_on else "") + ("h" if h_on else "")
        # Outside the key's own dimensions every count sits at index 0, so summing is selecting.
        active = a[active_key].sum(axis=axes, keepdims=True)
        index = np.indices(revenue.shape).reshape(4, -1)
        frame = pd.DataFrame(
            {
                "period": index[0],
                "revenue": revenue.ravel(),
                "orders": orders.ravel(),
                "active_customers": active.ravel(),
            }
        )
        for dim, on, axis in (("region", r_on, 1), ("category", g_on, 2), ("channel", h_on, 3)):
            frame[dim] = np.asarray(enc.members[dim], dtype=object)[index[axis]] if on else ALL
        parts.append(frame)
    table = pd.concat(parts, ignore_index=True)
    # Combinations with no orders at all are absent, as they would be from a groupby.
    return table[table["orders"] > 0]


def churn_table(
    customers: pd.DataFrame, members: dict[str, tuple[str, ...]], window: int, n_periods: int,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """Churn rate per period for every grouping set of region and acquisition channel."""
    n_r, n_h = len(members["region"]), len(members["channel"])
    r = _codes(customers["region"], members["region"])
    h = _codes(customers["channel"], members["channel"])
    known = (r >= 0) & (h >= 0)
    cell = np.where(known, r * n_h + h, 0)
    signup_ago = (as_of - customers["signup_date"]).dt.days.to_numpy()
    cancel_ago = (as_of - customers["cancel_date"]).dt.days.to_numpy(dtype=float, na_value=np.nan)
    base = np.zeros((n_periods, n_r, n_h))
    churned = np.zeros((n_periods, n_r, n_h))
    for period in range(n_periods):
        start_ago = (period + 1) * window  # the period starts this many days before as_of
        subscribed = known & (signup_ago >= start_ago) & ~(cancel_ago >= start_ago)
        cancelled = subscribed & (cancel_ago >= period * window) & (cancel_ago < start_ago)
        base[period] = np.bincount(cell[subscribed], minlength=n_r * n_h).reshape(n_r, n_h)
        churned[period] = np.bincount(cell[cancelled], minlength=n_r * n_h).reshape(n_r, n_h)
    parts = []
    for r_on, h_on in itertools.product((False, True), repeat=2):
        axes = tuple(ax for ax, on in ((1, r_on), (2, h_on)) if not on)
        b = base.sum(axis=axes, keepdims=True)
        c = churned.sum(axis=axes, keepdims=True)
        index = np.indices(b.shape).reshape(3, -1)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(b > 0, c / b, np.nan).ravel()
        frame = pd.DataFrame({"period": index[0], "churn_rate": rate})
        frame["region"] = np.asarray(members["region"], dtype=object)[index[1]] if r_on else ALL
        frame["channel"] = np.asarray(members["channel"], dtype=object)[index[2]] if h_on else ALL
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def daily_cube(enc: Encoded, as_of: pd.Timestamp) -> pd.DataFrame:
    """Revenue per day, region, category and sales channel (cells with sales only)."""
    n_r, n_g, n_h = (len(enc.members[d]) for d in DIMENSIONS)
    l_order = enc.line_order
    day = enc.day[l_order]
    valid = day >= 0
    n_days = int(day[valid].max()) + 1 if valid.any() else 1
    cell = ((day * n_r + enc.region[l_order]) * n_g + enc.line_category) * n_h + enc.channel[l_order]
    revenue = np.bincount(cell[valid], weights=enc.line_revenue[valid], minlength=n_days * n_r * n_g * n_h)
    nonzero = np.flatnonzero(revenue)
    h, rest = nonzero % n_h, nonzero // n_h
    g, rest = rest % n_g, rest // n_g
    r, d = rest % n_r, rest // n_r
    cube = pd.DataFrame({"date": as_of - pd.to_timedelta(d, unit="D"), "revenue": revenue[nonzero]})
    for dim, codes in (("region", r), ("category", g), ("channel", h)):
        cube[dim] = pd.Categorical.from_codes(codes, categories=list(enc.members[dim]))
    return cube.sort_values("date", kind="stable").reset_index(drop=True)
