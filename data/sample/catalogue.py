"""ERP catalogue: products, their price history, and the daily price / choice tables.

Orders look up ``price[day, product]`` for the unit price in effect and sample products from
``choice`` (popularity x price response x availability), so launches and price changes show
up in the order lines exactly as the catalogue says.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.sample.calendar import Period
from data.sample.names import BRANDS, MODEL_SUFFIXES, PRODUCT_NOUNS
from data.sample.params import PROMOTION
from data.vocabulary import CATEGORIES

_MEDIAN_PRICE = (140.0, 60.0, 45.0, 70.0, 28.0)
_PRICE_SPREAD = (0.7, 0.6, 0.5, 0.6, 0.5)
_COST_RATIO = (0.72, 0.55, 0.45, 0.55, 0.35)
_PRODUCTS_PER_CATEGORY = (50, 71)  # integers drawn in [low, high)
_LAUNCHED_IN_WINDOW_SHARE = 0.25
_SINGLE_CHANGE_SHARE, _DOUBLE_CHANGE_SHARE = 0.12, 0.04
CATEGORY_PRICE_CHANGE = {
    "category": "Electronics",
    "position": 0.45,
    "factor": 1.08,
    "reason": "import tariff",
}


@dataclass(frozen=True)
class Catalogue:
    """Products (ordered by category), price history and per-day lookup tables."""

    products: pd.DataFrame
    price_changes: pd.DataFrame
    category: np.ndarray  # category code per product position
    price: np.ndarray  # (days, products) list price in effect
    choice: np.ndarray  # flattened per-day, per-category cumulative choice weights (see pick)
    category_change_day: int

    def pick(self, day: np.ndarray, category: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Product positions for lines on ``day`` in ``category``, given uniforms ``u`` in [0, 1)."""
        n_products = self.category.size
        # Keep the target strictly inside the block despite float rounding near u = 1.
        target = day * len(CATEGORIES) + category + np.minimum(u, 1.0 - 1e-9)
        return np.searchsorted(self.choice, target, side="right") - day * n_products


def _round_price(price: np.ndarray) -> np.ndarray:
    """Shelf prices end in .99."""
    return np.maximum(np.round(price), 1.0) - 0.01


def _products(period: Period, rng: np.random.Generator) -> pd.DataFrame:
    counts = rng.integers(*_PRODUCTS_PER_CATEGORY, size=len(CATEGORIES))
    category = np.repeat(np.arange(len(CATEGORIES)), counts)
    n = category.size
    price = _round_price(
        np.asarray(_MEDIAN_PRICE)[category] * rng.lognormal(0.0, np.asarray(_PRICE_SPREAD)[category])
    )
    in_window = (rng.random(n) < _LAUNCHED_IN_WINDOW_SHARE) & (
        np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts) >= 10
    )
    launch = np.where(in_window, rng.integers(0, period.n_days - 30, n), -rng.integers(30, 4 * 365, n))
    order = np.lexsort((launch, category))
    category, price, launch = category[order], price[order], launch[order]
    nouns = [PRODUCT_NOUNS[CATEGORIES[code]] for code in category]
    names = [
        f"{BRANDS[b]} {noun[k % len(noun)]}{MODEL_SUFFIXES[s]}"
        for noun, b, k, s in zip(
            nouns,
            rng.integers(len(BRANDS), size=n),
            rng.integers(64, size=n),
            rng.integers(len(MODEL_SUFFIXES), size=n),
        )
    ]
    ids = np.arange(1, n + 1)
    return pd.DataFrame(
        {
            "product_id": ids,
            "sku": [f"{CATEGORIES[code][:3].upper()}-{pid:05d}" for code, pid in zip(category, ids)],
            "name": names,
            "category": np.asarray(CATEGORIES, dtype=object)[category],
            "launch_price": price,
            "unit_cost": np.round(price * np.asarray(_COST_RATIO)[category] * rng.uniform(0.9, 1.1, n), 2),
            "launch_day": launch,
            "popularity": rng.lognormal(0.0, 0.9, n),
        }
    )


def _price_changes(
    period: Period, products: pd.DataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, int]:
    """Individual price changes plus one category-wide increase, each effective on a month's first day."""
    month_starts = np.array(
        [
            period.offset(day)
            for day in pd.date_range(period.start + pd.Timedelta(days=1), period.end, freq="MS")
        ]
    )
    nominal = period.start + pd.Timedelta(days=round(CATEGORY_PRICE_CHANGE["position"] * (period.n_days - 1)))
    category_day = period.offset(nominal + pd.offsets.MonthBegin(1))
    wide = products.index[
        (products["category"] == CATEGORY_PRICE_CHANGE["category"]) & (products["launch_day"] < category_day)
    ]
    rows = [pd.DataFrame({"position": wide, "day": category_day, "factor": CATEGORY_PRICE_CHANGE["factor"]})]
    n = len(products)
    repeats = np.where(
        rng.random(n) < _DOUBLE_CHANGE_SHARE, 2, np.where(rng.random(n) < _SINGLE_CHANGE_SHARE, 1, 0)
    )
    position = np.repeat(np.arange(n), repeats)
    day = month_starts[rng.integers(month_starts.size, size=position.size)]
    rise = rng.random(position.size) < 0.7
    factor = np.where(rise, rng.uniform(1.05, 1.15, position.size), rng.uniform(0.85, 0.95, position.size))
    rows.append(pd.DataFrame({"position": position, "day": day, "factor": factor}))
    changes = pd.concat(rows, ignore_index=True)
    changes = changes[changes["day"] > products["launch_day"].to_numpy()[changes["position"]]]
    changes = changes.drop_duplicates(["position", "day"]).sort_values(["position", "day"], ignore_index=True)
    return changes, category_day


def _price_history(products: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """Old and new shelf price of every change, compounding changes of the same product."""
    launch_price = products["launch_price"].to_numpy()[changes["position"]]
    cumulative = changes.groupby("position")["factor"].cumprod().to_numpy()
    new_price = _round_price(launch_price * cumulative)
    previous = pd.Series(new_price).groupby(changes["position"].to_numpy()).shift(1).to_numpy()
    old_price = np.where(np.isnan(previous), launch_price, previous)
    return changes.assign(old_price=old_price, new_price=new_price)


def choice_table(products: pd.DataFrame, price: np.ndarray, category: np.ndarray) -> np.ndarray:
    n_days = price.shape[0]
    launched = np.arange(n_days)[:, None] >= products["launch_day"].to_numpy()[None, :]
    relative = price / products["launch_price"].to_numpy()[None, :]
    weight = products["popularity"].to_numpy()[None, :] * relative ** (-PROMOTION.price_elasticity) * launched
    block_start = np.searchsorted(category, np.arange(len(CATEGORIES)))
    block_last = np.append(block_start[1:], category.size) - 1
    cumulative = np.cumsum(weight, axis=1)
    before = np.where(block_start > 0, cumulative[:, np.maximum(block_start - 1, 0)], 0.0)
    total = cumulative[:, block_last] - before  # same arithmetic, so a block's last entry is exactly 1
    within = (cumulative - before[:, category]) / total[:, category]
    return (np.arange(n_days)[:, None] * len(CATEGORIES) + category[None, :] + within).ravel()


def build_catalogue(period: Period, rng: np.random.Generator) -> Catalogue:
    """Products, price history and the daily lookup tables."""
    products = _products(period, rng)
    changes, category_day = _price_changes(period, products, rng)
    history = _price_history(products, changes)
    price = np.tile(products["launch_price"].to_numpy(), (period.n_days, 1))
    for position, day, new_price in history[["position", "day", "new_price"]].itertuples(index=False):
        price[day:, position] = new_price
    category = products["category"].map(CATEGORIES.index).to_numpy()
    table = products.assign(
        list_price=price[-1],
        launch_date=period.dates(products["launch_day"].to_numpy()),
        updated_at=period.dates(np.maximum(products["launch_day"].to_numpy(), 0)) + np.timedelta64(2, "h"),
    )[["product_id", "sku", "name", "category", "list_price", "unit_cost", "launch_date", "updated_at"]]
    price_changes = pd.DataFrame(
        {
            "product_id": products["product_id"].to_numpy()[history["position"]],
            "effective_date": period.dates(history["day"].to_numpy()),
            "old_price": history["old_price"],
            "new_price": history["new_price"],
            "updated_at": period.dates(history["day"].to_numpy() - 14) + np.timedelta64(9, "h"),
        }
    )
    return Catalogue(
        table, price_changes, category, price, choice_table(products, price, category), category_day
    )
