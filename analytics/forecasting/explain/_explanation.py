"""One node's forecast explained: its members refitted exactly as the demand forecast fits them, then taken apart."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from analytics.forecasting._checks import usable_seasons
from analytics.forecasting.demand_calendar import node_calendars
from analytics.forecasting.demand_inputs import DemandInputs, demand_history, load_demand_inputs
from analytics.forecasting.demand_nodes import MIN_ENSEMBLE_POINTS, SEASONS, calendar_members
from analytics.forecasting.explain._components import COMPONENT_COLUMNS, member_components
from analytics.forecasting.explain._drivers import member_drivers
from analytics.forecasting.gbm import GBMForecaster

__all__ = ["IMPORTANCE_COLUMNS", "ForecastExplanation", "explain_node", "store_forecast_explanation"]

IMPORTANCE_COLUMNS = ["group", "mean_abs", "share"]
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ForecastExplanation:
    """Why the gradient-boosted member forecasts what it does for one node, and the statistical members' parts.

    ``days``: ``ds, ahead, value, typical`` (the member's in-sample fit, then its forecast; ``typical``: the
    trees' expected output); ``contributions``: ``ds, driver, group, contribution, share`` (in the metric's units
    and as a share of the day's value; ``driver`` names the day's event, ``group`` its kind), which plus
    ``typical`` add up to ``value``; ``importance``: ``group, mean_abs, share``, each driver's mean absolute
    contribution over the history (and as a share of the mean level), largest first; ``components``:
    ``member, ds, component, value`` of the statistical members over the horizon (level, trend, seasons, the
    calendar), adding up to each member's forecast.
    """

    node: str
    metric: str
    h: int
    as_of: pd.Timestamp
    member: str
    days: pd.DataFrame
    contributions: pd.DataFrame
    importance: pd.DataFrame
    components: pd.DataFrame

    @property
    def forecast_days(self) -> pd.DatetimeIndex:
        """The days ahead the explanation covers."""
        return pd.DatetimeIndex(self.days.loc[self.days["ahead"], "ds"])

    @property
    def peak_day(self) -> pd.Timestamp:
        """The forecast day with the highest value (the one worth explaining first)."""
        ahead = self.days[self.days["ahead"]]
        return pd.Timestamp(ahead.loc[ahead["value"].idxmax(), "ds"])

    def day(self, ds) -> pd.DataFrame:
        """The drivers of one day ahead, largest first: ``driver, group, contribution, share``."""
        day = pd.Timestamp(ds)
        if day not in self.forecast_days:
            first, last = self.forecast_days[[0, -1]]
            raise KeyError(f"{day:%Y-%m-%d} is not a forecast day; pick one from {first:%Y-%m-%d} to {last:%Y-%m-%d}.")
        rows = self.contributions[self.contributions["ds"] == day]
        order = rows["contribution"].abs().sort_values(ascending=False, kind="stable").index
        return rows.loc[order, ["driver", "group", "contribution", "share"]].reset_index(drop=True)

    def value_on(self, ds) -> float:
        """The member's forecast on ``ds``."""
        return float(self.days.loc[self.days["ds"] == pd.Timestamp(ds), "value"].iloc[0])


def _importance(days: pd.DataFrame, contributions: pd.DataFrame) -> pd.DataFrame:
    past = days.loc[~days["ahead"], "ds"]
    rows = contributions[contributions["ds"].isin(past)]
    per_day = rows.groupby(["group", "ds"])["contribution"].sum().abs().groupby("group").sum() / max(len(past), 1)
    level = float(days.loc[~days["ahead"], "value"].abs().mean()) or 1.0
    frame = pd.DataFrame({"group": per_day.index, "mean_abs": per_day.to_numpy(), "share": per_day.to_numpy() / level})
    return frame.sort_values("mean_abs", ascending=False, kind="stable").reset_index(drop=True)[IMPORTANCE_COLUMNS]


def _node_inputs(inputs: DemandInputs, node: str, metric: str, h: int):
    history, hierarchy = demand_history(inputs.sales, metric)
    if node not in hierarchy.nodes:
        raise KeyError(f"{node!r} is not a node of the demand hierarchy; nodes are {list(hierarchy.nodes[:6])}, ...")
    as_of = history["ds"].max()
    days = pd.date_range(history["ds"].min(), as_of + pd.Timedelta(days=h), freq="D")
    y = history.loc[history["unique_id"] == node, "y"].to_numpy(dtype=float)
    if y.size < MIN_ENSEMBLE_POINTS or np.ptp(y) == 0:
        raise ValueError(f"{node!r} has {y.size} days{' all equal' if y.size and np.ptp(y) == 0 else ''}: too short "
                         f"or flat for the ensemble (it gets a simple fallback), so there are no members to explain; "
                         f"explain a node with at least {MIN_ENSEMBLE_POINTS} varying days.")
    return y, as_of, node_calendars([node], days, as_of, inputs, inputs.countries)[node]


def explain_node(inputs: DemandInputs, node: str = "total", metric: str = "revenue", h: int = 30,
                 progress: Progress | None = None) -> ForecastExplanation:
    """Explain ``node``'s demand forecast ``h`` days ahead (its members fitted as :func:`forecast_demand` fits them).

    Parameters
    ----------
    inputs : DemandInputs
    node : str
        A node of the hierarchy: ``"total"``, a region, or ``"<region>/<category>"``.
    metric : {"revenue", "units"}
    h : int
        Days ahead (1 to 365).
    progress : callable, optional
        Called as ``progress(done, total, message)`` after each member.

    Returns
    -------
    ForecastExplanation
    """
    if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or not 1 <= h <= 365:
        raise ValueError(f"h={h!r} is not a horizon to explain; use a whole number of days from 1 to 365.")
    y, as_of, cal = _node_inputs(inputs, node, metric, int(h))
    n = y.size
    X, X_future = cal.X[:n], cal.X[n:n + h]
    members = calendar_members(usable_seasons(SEASONS, n), cal)
    report = progress or (lambda *_: None)
    boosted = next(m for m in members if isinstance(m.base, GBMForecaster))
    days, contributions = member_drivers(boosted.fit(y, X), cal, n, int(h))
    report(1, len(members), f"explained the {boosted.name} member")
    future = pd.DatetimeIndex(days.loc[days["ahead"], "ds"])
    parts = []
    for done, member in enumerate((m for m in members if m is not boosted), start=2):
        part = member_components(member.name, member.fit(y, X), int(h), X_future, future)
        parts += [part] if len(part) else []
        report(done, len(members), f"took the {member.name} member apart")
    components = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COMPONENT_COLUMNS)
    return ForecastExplanation(node, metric, int(h), as_of, boosted.name, days, contributions,
                               _importance(days, contributions), components)


def store_forecast_explanation(engine: Engine, progress: Progress | None = None, *, node: str = "total",
                               metric: str = "revenue", h: int = 30, through: str | None = None,
                               countries: str = "US") -> ForecastExplanation:
    """:func:`explain_node` on the store's data (the entry point the results cache keys by version); ``through``
    and ``countries`` as in :func:`~analytics.forecasting.store_demand_forecast`, so the explanation is of the
    forecast on the page."""
    if progress is not None:
        progress(0, 1, "reading sales, spend, promotions and the calendar")
    codes = tuple(code for code in countries.split(",") if code)
    return explain_node(load_demand_inputs(engine, through, codes), node, metric, h, progress)
