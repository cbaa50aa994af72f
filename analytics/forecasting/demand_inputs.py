"""What a demand forecast starts from: daily sales per node of the hierarchy, and the drivers.

``DemandInputs`` holds the store's facts (sales, marketing spend) and plans (the promotion calendar, the
analysts' calendar events, the countries whose public holidays count);
``demand_history`` turns sales into a complete daily calendar per node, ``demand_regressors``
the drivers into values for every node and day, with the assumptions made for the future.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from analytics.forecasting.hierarchy import Hierarchy, aggregate
from data import queries

__all__ = ["DEFAULT_HORIZON", "DEFAULT_METRIC", "EVENT_FIELDS", "HIERARCHY_LEVELS", "METRICS", "REGRESSORS",
           "DemandInputs", "complete_days", "demand_history", "demand_regressors", "load_demand_inputs",
           "spend_regressor"]

METRICS = {"revenue": "Revenue", "units": "Units sold"}
DEFAULT_METRIC, DEFAULT_HORIZON = "revenue", 30  # what the Forecast page opens with (precomputed by core.warm)
HIERARCHY_LEVELS = ("region", "category")
SPEND_WINDOW, SPEND_HOLD, SPEND_UNIT = 7, 28, 100.0
# column -> (label, unit of its effect)
REGRESSORS = {
    "sitewide_promo": ("Sitewide promotion", "per promotion day"),
    "category_promo": ("Category promotion", "per promotion day"),
    "marketing_spend": ("Marketing spend", "per +100 daily spend"),
}


EVENT_FIELDS = ["name", "kind", "start_date", "end_date", "region", "category", "expected_lift"]


def _no_events() -> pd.DataFrame:
    return pd.DataFrame(columns=EVENT_FIELDS)


@dataclass(frozen=True)
class DemandInputs:
    """The facts and plans a demand forecast needs (as ``data.queries`` returns them).

    ``sales``: ``ds, region, category, revenue, units``; ``spend``: ``ds, spend``;
    ``promotions``: ``name, start_date, end_date, discount, category`` (None = sitewide);
    ``events``: the analysts' calendar events (``EVENT_FIELDS``); ``countries``: ISO codes whose public
    holidays enter the calendar (:mod:`analytics.forecasting.calendar`).
    """

    sales: pd.DataFrame
    spend: pd.DataFrame
    promotions: pd.DataFrame
    events: pd.DataFrame = field(default_factory=_no_events)
    countries: tuple[str, ...] = ("US",)


def demand_history(sales: pd.DataFrame, metric: str) -> tuple[pd.DataFrame, Hierarchy]:
    """Daily ``metric`` for every node on a complete calendar (days without sales are 0).

    Returns the long frame ``unique_id, ds, y`` of every node and the hierarchy.
    """
    if metric not in METRICS:
        raise ValueError(f"metric={metric!r} is not an option; use one of {sorted(METRICS)}.")
    missing = [c for c in ("ds", *HIERARCHY_LEVELS, metric) if c not in sales.columns]
    if missing:
        raise ValueError(f"sales lack columns {missing}; expected ds, region, category, revenue, units "
                         "(data.queries.daily_sales).")
    if sales.empty:
        raise ValueError("there are no sales to forecast; load orders first (python -m data sample or an ingest).")
    days = pd.date_range(sales["ds"].min(), sales["ds"].max(), freq="D", name="ds")
    cells = sales.groupby([*HIERARCHY_LEVELS, "ds"], observed=True)[metric].sum()
    pairs = cells.index.droplevel("ds").unique()
    grid = pd.MultiIndex.from_tuples([(*p, d) for p in pairs for d in days], names=[*HIERARCHY_LEVELS, "ds"])
    bottom = cells.reindex(grid, fill_value=0.0).rename("y").reset_index()
    return aggregate(bottom, list(HIERARCHY_LEVELS))


def _covering(days: pd.DatetimeIndex, promotions: pd.DataFrame) -> np.ndarray:
    on = np.zeros(days.size, dtype=bool)
    for start, end in zip(promotions["start_date"], promotions["end_date"]):
        on |= (days >= start) & (days <= end)
    return on


def demand_regressors(hierarchy: Hierarchy, days: pd.DatetimeIndex, as_of: pd.Timestamp,
                      inputs: DemandInputs) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Driver values for every node and day (history and future): ``unique_id, ds, <regressors>``.

    Returns the frame (only drivers that vary in the history) and the assumptions made for the future.
    """
    promos = inputs.promotions
    sitewide = _covering(days, promos[promos["category"].isna()]).astype(float)
    by_category = {c: _covering(days, part).astype(float) for c, part in promos.dropna(subset=["category"])
                   .groupby("category")}
    any_category = _covering(days, promos.dropna(subset=["category"])).astype(float)
    spend_k, held = spend_regressor(inputs.spend, days, as_of)
    frames = []
    for node, level in zip(hierarchy.nodes, hierarchy.node_levels):
        category = node.rsplit("/", 1)[-1] if level == "category" else None
        cat = by_category.get(category, np.zeros(days.size)) if category else any_category
        frames.append(pd.DataFrame({"unique_id": node, "ds": days, "sitewide_promo": sitewide,
                                    "category_promo": cat, "marketing_spend": spend_k}))
    frame = pd.concat(frames, ignore_index=True)
    past = frame[frame["ds"] <= as_of]
    varying = [c for c in REGRESSORS if past.groupby("unique_id")[c].nunique().max() > 1]
    future = days[days > as_of]
    assumptions = [
        f"Marketing spend over the horizon is held at its mean of the last {SPEND_HOLD} days: "
        f"{held * SPEND_UNIT:,.0f} per day." if "marketing_spend" in varying else
        "Marketing spend is not used: it does not vary in the history.",
        _planned_text(promos, future) if {"sitewide_promo", "category_promo"} & set(varying) else
        "Promotions are not used: none ran in the history.",
    ]
    return frame[["unique_id", "ds", *varying]], tuple(assumptions)


def spend_regressor(spend: pd.DataFrame, days: pd.DatetimeIndex, as_of: pd.Timestamp) -> tuple[np.ndarray, float]:
    """Marketing spend per day over the trailing week in hundreds, held at its last 28 days' mean after ``as_of``.

    Returns the values for ``days`` and the held value.
    """
    past = spend.set_index("ds")["spend"].reindex(days[days <= as_of], fill_value=0.0)
    trailing = past.rolling(SPEND_WINDOW, min_periods=1).mean() / SPEND_UNIT
    held = float(trailing.iloc[-SPEND_HOLD:].mean()) if len(trailing) else 0.0
    return np.concatenate([trailing.to_numpy(), np.full(int((days > as_of).sum()), held)]), held


def _planned_text(promos: pd.DataFrame, future: pd.DatetimeIndex) -> str:
    if future.empty:
        return "Promotions come from the promotion calendar."
    ahead = promos[(promos["end_date"] >= future[0]) & (promos["start_date"] <= future[-1])]
    if ahead.empty:
        return "No promotion is planned in the horizon (from the promotion calendar); add planned ones to use them."
    names = ", ".join(f"{r.name} ({r.start_date:%d %b}–{r.end_date:%d %b})" for r in ahead.itertuples())
    return f"Planned promotions in the horizon, from the promotion calendar: {names}."


def load_demand_inputs(engine: Engine, through: str | None = None, countries=("US",)) -> DemandInputs:
    """Sales and marketing spend up to ``through`` (ISO date; None: every day), the promotion calendar and the
    analysts' calendar events (plans, read whole) from the store; public holidays of ``countries``."""
    return DemandInputs(queries.daily_sales(engine, through=through),
                        queries.daily_marketing_spend(engine, through=through), queries.promotion_calendar(engine),
                        queries.calendar_events(engine), tuple(countries))


def complete_days(inputs: DemandInputs, through: str | None) -> DemandInputs:
    """Sales and spend up to and including ``through`` (ISO date; None keeps every day); plans stay whole."""
    if through is None:
        return inputs
    last = pd.Timestamp(through)
    return replace(inputs, sales=inputs.sales[inputs.sales["ds"] <= last].reset_index(drop=True),
                   spend=inputs.spend[inputs.spend["ds"] <= last].reset_index(drop=True))
