"""What the Forecast page shows for one hierarchy node, cut from a :class:`DemandForecast`."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.forecasting.demand import DemandForecast, node_label

__all__ = ["NodeView", "node_view", "forecast_table"]

_ENSEMBLE_FIRST = {"ensemble": 0}


@dataclass(frozen=True)
class NodeView:
    """One node's history, forecast, children, sibling ribbons, backtest and driver effects.

    ``effects``: ``regressor`` (its label), ``effect, relative, per``;
    ``children``: ``unique_id, label, forecast_total, change_pct`` (forecast total against the same
    number of days just before it); ``ribbons``: ``unique_id, label, ds, mean, lo-L, hi-L`` of the node's
    children (a bottom node: of itself and its siblings).
    """

    node: str
    label: str
    level: str
    path: tuple[tuple[str, str], ...]
    history: pd.DataFrame
    forecast: pd.DataFrame
    children: pd.DataFrame
    ribbons: pd.DataFrame
    backtest: pd.DataFrame
    effects: pd.DataFrame
    forecast_total: float
    previous_total: float
    peak: tuple[pd.Timestamp, float]
    model: str


def _totals(result: DemandForecast, nodes) -> pd.DataFrame:
    future = result.forecast[result.forecast["unique_id"].isin(nodes)].groupby("unique_id")["mean"].sum()
    start = result.as_of - pd.Timedelta(days=result.h)
    past = result.history[(result.history["unique_id"].isin(nodes)) & (result.history["ds"] > start)]
    previous = past.groupby("unique_id")["y"].sum()
    frame = pd.DataFrame({"unique_id": list(nodes)})
    frame["label"] = frame["unique_id"].map(node_label)
    frame["forecast_total"] = frame["unique_id"].map(future).astype(float)
    prev = frame["unique_id"].map(previous).astype(float)
    frame["change_pct"] = np.where(prev > 0, 100 * (frame["forecast_total"] / prev.where(prev > 0, 1.0) - 1), np.nan)
    return frame.assign(previous_total=prev)


def node_view(result: DemandForecast, node: str) -> NodeView:
    """Everything the page draws for ``node`` (raises KeyError naming the valid nodes for an unknown one)."""
    path = result.path(node)
    children = result.children(node)
    members = children or result.children(result.parent(node))
    forecast = result.forecast[result.forecast["unique_id"] == node].drop(columns="unique_id")
    ribbons = result.forecast[result.forecast["unique_id"].isin(members)]
    ribbons = ribbons.assign(label=ribbons["unique_id"].map(node_label))
    backtest = result.backtest[result.backtest["unique_id"] == node].drop(columns="unique_id")
    backtest = backtest.sort_values("model", key=lambda m: m.map(_ENSEMBLE_FIRST).fillna(1), kind="stable")
    own = _totals(result, [node]).iloc[0]
    peak_row = forecast.loc[forecast["mean"].idxmax()]
    return NodeView(
        node=node, label=node_label(node), level=result.node_levels[result.nodes.index(node)],
        path=tuple((n, node_label(n)) for n in path),
        history=result.history[result.history["unique_id"] == node][["ds", "y"]].reset_index(drop=True),
        forecast=forecast.reset_index(drop=True),
        children=_totals(result, children).drop(columns="previous_total"),
        ribbons=ribbons.reset_index(drop=True),
        backtest=backtest.reset_index(drop=True),
        effects=result.effects[result.effects["unique_id"] == node].drop(columns=["unique_id", "regressor"])
        .rename(columns={"label": "regressor"}).reset_index(drop=True),
        forecast_total=float(own["forecast_total"]), previous_total=float(own["previous_total"]),
        peak=(pd.Timestamp(peak_row["ds"]), float(peak_row["mean"])), model=str(forecast["model"].iloc[0]),
    )


def forecast_table(result: DemandForecast) -> pd.DataFrame:
    """Every node's forecast as one table for download: ``node, level, date, <metric>, lo-L, hi-L, ..., model``."""
    levels = dict(zip(result.nodes, result.node_levels))
    table = result.forecast.rename(columns={"unique_id": "node", "ds": "date", "mean": result.metric})
    table.insert(1, "level", table["node"].map(levels))
    table["date"] = table["date"].dt.strftime("%Y-%m-%d")
    return table
