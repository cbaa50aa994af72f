"""Demand forecasts for the business hierarchy: total -> region -> category, with drivers.

Every node of the hierarchy (the business total, each customer region, each region's product
categories) gets a daily forecast from an :class:`~analytics.forecasting.EnsembleForecaster` over
the default members plus a gradient-boosting member that sees the drivers:

- ``sitewide_promo``: 1 on days a sitewide promotion runs;
- ``category_promo``: 1 on days a promotion runs for the node's category (for the total and the
  regions: for any category);
- ``marketing_spend``: total marketing spend per day over the trailing 7 days, in hundreds (so its effect
  reads "per +100 daily spend", a step inside the range spend moves in).

Future drivers: promotions come from the promotion calendar (planned ones included); spend is held
at its mean of the last 28 days (said in ``assumptions``). A driver that never varies in the history
is left out, since its effect cannot be measured.

The base forecasts are reconciled with MinT (shrinkage) on the ensembles' backtest errors, so every
region is the sum of its categories and the total the sum of its regions; the interval bounds move
with their mean (see :mod:`analytics.forecasting.hierarchy`) and lower bounds are floored at 0.
Driver effects (what the page lists per node) are measured by :mod:`analytics.forecasting.demand_effects`, a
log-linear regression of the node's history on the drivers, weekday, season and trend.
A node too short or too flat for the ensemble gets the batch API's documented fallback (its
``model`` column says which) and no backtest rows.
"""
from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from threadpoolctl import threadpool_limits

from analytics.forecasting._checks import usable_seasons
from analytics.forecasting.api import forecast
from analytics.forecasting.base import interval_columns
from analytics.forecasting.demand_effects import driver_effects
from analytics.forecasting.demand_inputs import (REGRESSORS, DemandInputs, complete_days, demand_history,
                                                 demand_regressors, load_demand_inputs)
from analytics.forecasting.ensemble import EnsembleForecaster, default_members
from analytics.forecasting.gbm import GBMForecaster
from analytics.forecasting.hierarchy import TOTAL, Hierarchy, reconcile

__all__ = ["LEVELS", "SEASONS", "DemandForecast", "forecast_demand", "node_label", "node_path_label",
           "store_demand_forecast"]

LEVELS = (50, 80, 90, 95, 99)
SEASONS = (7, 365)
N_WINDOWS = 3
_MIN_ENSEMBLE_POINTS = 2 * SEASONS[0] + 10
_FORECAST_COLUMNS = ["mean", *interval_columns(LEVELS)[1:]]

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class DemandForecast:
    """Reconciled forecasts for every node, with backtests and measured driver effects.

    ``history``: ``unique_id, ds, y``; ``forecast``: ``unique_id, ds, mean, lo-L, hi-L ... , model``;
    ``backtest``: ``unique_id, model, weight, mase, smape`` (model ``"ensemble"`` is the combination);
    ``effects``: ``unique_id, regressor, label, effect, relative, per`` (effect in metric units per day,
    relative to the node's mean daily level over the last year).
    """

    metric: str
    h: int
    levels: tuple[int, ...]
    as_of: pd.Timestamp
    nodes: tuple[str, ...]
    parents: tuple[str | None, ...]
    node_levels: tuple[str, ...]
    history: pd.DataFrame
    forecast: pd.DataFrame
    backtest: pd.DataFrame
    effects: pd.DataFrame
    assumptions: tuple[str, ...]
    reconciliation: str
    seconds: float

    def children(self, node: str) -> tuple[str, ...]:
        """The nodes directly below ``node``."""
        self._check(node)
        return tuple(n for n, p in zip(self.nodes, self.parents) if p == node)

    def parent(self, node: str) -> str | None:
        """The node directly above ``node`` (None for the total)."""
        self._check(node)
        return self.parents[self.nodes.index(node)]

    def path(self, node: str) -> tuple[str, ...]:
        """The nodes from the total down to ``node``."""
        chain = [node]
        while (up := self.parent(chain[-1])) is not None:
            chain.append(up)
        return tuple(reversed(chain))

    def _check(self, node: str) -> None:
        if node not in self.nodes:
            raise KeyError(f"{node!r} is not a node of this forecast; nodes are {list(self.nodes[:6])}, ...")


def node_label(node: str) -> str:
    """What to call a node: its last path part; the total is the whole business."""
    return "All business" if node == TOTAL else node.rsplit("/", 1)[-1]


def node_path_label(node: str) -> str:
    """A node named with the levels above it, e.g. ``EMEA / Apparel`` (the total is the whole business)."""
    return "All business" if node == TOTAL else " / ".join(node.split("/"))


@dataclass(frozen=True)
class _NodeFit:
    node: str
    forecast: pd.DataFrame  # ds, mean, lo-*, hi-*, model
    backtest: pd.DataFrame  # model, weight, mase, smape
    residuals: pd.DataFrame  # ds, residual (backtest errors, for MinT)
    effects: pd.DataFrame  # regressor, effect, relative


def _members(seasons):
    return [*default_members(list(seasons)), GBMForecaster(list(seasons), random_state=0)]


def _fallback(node, ds, y, h):
    """The batch API's documented fallback for a series too short or too flat for the ensemble."""
    frame = forecast(pd.DataFrame({"unique_id": node, "ds": ds, "y": y}), h, list(SEASONS), level=LEVELS)
    empty = pd.DataFrame(columns=["model", "weight", "mase", "smape"])
    return _NodeFit(node, frame.drop(columns=["unique_id"]), empty, pd.DataFrame(columns=["ds", "residual"]),
                    pd.DataFrame(columns=["regressor", "effect", "relative"]))


def _smape(bt: pd.DataFrame, name: str) -> float:
    actual, pred = bt["y"].to_numpy(), bt[name].to_numpy()
    denom = np.abs(actual) + np.abs(pred)
    smape = np.where(denom > 0, 200 * np.abs(actual - pred) / np.where(denom > 0, denom, 1), 0.0)
    return float(np.mean(smape))


def _fit_node(node: str, ds: pd.DatetimeIndex, y: np.ndarray, X: np.ndarray | None, X_future: np.ndarray | None,
              regressors: list[str], h: int) -> _NodeFit:
    """Fit one node's ensemble and collect its forecast, backtest scores, residuals and driver effects."""
    if y.size < _MIN_ENSEMBLE_POINTS or np.ptp(y) == 0:
        return _fallback(node, ds, y, h)
    seasons = usable_seasons(SEASONS, y.size)
    est = EnsembleForecaster(_members(seasons), season_length=list(seasons), h=h, n_windows=N_WINDOWS).fit(y, X)
    frame = est.predict(h, level=LEVELS, X_future=X_future)
    frame.insert(0, "ds", pd.date_range(ds[-1], periods=h + 1, freq="D")[1:])
    frame["model"] = "ensemble" if not est.fallback_ else f"{max(est.weights_, key=est.weights_.get)} (best member)"
    bt = est.backtest_
    # the ensemble row's weight is the members' total (100%); weights_ only holds the members
    weights = {**est.weights_, "ensemble": float(sum(est.weights_.values()))}
    rows = [{"model": name, "weight": weights.get(name, np.nan), "mase": est.mase_[name],
             "smape": _smape(bt, name)} for name in est.mase_]
    residuals = pd.DataFrame({"ds": ds[bt["cutoff"].to_numpy() + bt["step"].to_numpy() - 1],
                              "residual": (bt["y"] - bt["ensemble"]).to_numpy()})
    effects = (driver_effects(ds, y, X, regressors) if X is not None
               else pd.DataFrame(columns=["regressor", "effect", "relative"]))
    return _NodeFit(node, frame, pd.DataFrame(rows), residuals, effects)


def _node_inputs(history: pd.DataFrame, drivers: pd.DataFrame, as_of: pd.Timestamp):
    regressors = [c for c in drivers.columns if c not in ("unique_id", "ds")]
    past, future = drivers[drivers["ds"] <= as_of], drivers[drivers["ds"] > as_of]
    for node, part in history.groupby("unique_id", sort=False):
        xp = past[past["unique_id"] == node][regressors].to_numpy(dtype=float) if regressors else None
        xf = future[future["unique_id"] == node][regressors].to_numpy(dtype=float) if regressors else None
        yield node, pd.DatetimeIndex(part["ds"]), part["y"].to_numpy(dtype=float), xp, xf, regressors


def _reconciled(fits: list[_NodeFit], hierarchy: Hierarchy) -> tuple[pd.DataFrame, str]:
    base = pd.concat([f.forecast.assign(unique_id=f.node) for f in fits], ignore_index=True)
    residuals = pd.concat([f.residuals.assign(unique_id=f.node) for f in fits], ignore_index=True)
    complete = residuals.pivot_table(index="ds", columns="unique_id", values="residual").dropna()
    method = "mint_shrink" if complete.shape[1] == len(hierarchy.nodes) and len(complete) >= 2 else "bottom_up"
    coherent = reconcile(base[["unique_id", "ds", *_FORECAST_COLUMNS]], hierarchy, method,
                         residuals=residuals if method == "mint_shrink" else None)
    lower = [c for c in coherent.columns if c.startswith("lo-")]
    coherent[lower] = coherent[lower].clip(lower=0.0)
    labels = base.drop_duplicates("unique_id").set_index("unique_id")["model"]
    coherent["model"] = coherent["unique_id"].map(labels)
    label = ("MinT (shrinkage) on backtest errors" if method == "mint_shrink"
             else "bottom-up (some nodes had no backtest for MinT)")
    return coherent, label


def _effects(fits) -> pd.DataFrame:
    frames = [f.effects.assign(unique_id=f.node) for f in fits if len(f.effects)]
    if not frames:
        return pd.DataFrame(columns=["unique_id", "regressor", "label", "effect", "relative", "per"])
    out = pd.concat(frames, ignore_index=True)
    out["label"] = out["regressor"].map(lambda r: REGRESSORS[r][0])
    out["per"] = out["regressor"].map(lambda r: REGRESSORS[r][1])
    return out[["unique_id", "regressor", "label", "effect", "relative", "per"]]


def _single_threaded() -> None:
    threadpool_limits(limits=1)  # one process per core already; BLAS/OpenMP threads would oversubscribe


def _map_nodes(node_args: list[tuple], h: int, n_jobs: int | None):
    """Fit every node, in input order, lazily (so progress can follow), over ``n_jobs`` processes.

    A fresh process pool per call (not joblib's reusable one: a background job forked from a process
    that already used that pool hangs on it); daemonic processes, which cannot have children (e.g. a
    Celery prefork worker), fit sequentially.
    """
    workers = (os.cpu_count() or 1) if n_jobs == -1 else max(int(n_jobs or 1), 1)
    if workers == 1 or len(node_args) == 1 or multiprocessing.current_process().daemon:
        yield from (_fit_node(*args, h) for args in node_args)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(min(workers, len(node_args)), mp_context=context, initializer=_single_threaded) as pool:
        yield from pool.map(_fit_node, *zip(*node_args), [h] * len(node_args))


def _fit_nodes(node_args: list[tuple], h: int, n_jobs: int | None, progress: Progress | None) -> list[_NodeFit]:
    """Every node's fit, in input order, reporting ``progress`` as each one finishes."""
    fits = []
    for fit in _map_nodes(node_args, h, n_jobs):
        fits.append(fit)
        if progress is not None:
            progress(len(fits), len(node_args), f"fitted {node_path_label(fit.node)}")  # the job panel adds "k of n"
    return fits


def forecast_demand(inputs: DemandInputs, metric: str = "revenue", h: int = 30, n_jobs: int | None = -1,
                    progress: Progress | None = None) -> DemandForecast:
    """Forecast ``metric`` ``h`` days ahead for every node of total -> region -> category.

    Parameters
    ----------
    inputs : DemandInputs
        Sales, marketing spend and the promotion calendar.
    metric : {"revenue", "units"}
    h : int
        Days ahead (1 to 365).
    n_jobs : int, optional
        Processes across nodes (-1 = every core, None or 1 = none); the result does not depend on it.
    progress : callable, optional
        Called as ``progress(done, total, message)`` after each node.

    Returns
    -------
    DemandForecast
    """
    if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or not 1 <= h <= 365:
        raise ValueError(f"h={h!r} is not a horizon this page forecasts; use a whole number of days from 1 to 365.")
    started = time.perf_counter()
    history, hierarchy = demand_history(inputs.sales, metric)
    as_of = history["ds"].max()
    days = pd.date_range(history["ds"].min(), as_of + pd.Timedelta(days=int(h)), freq="D")
    drivers, assumptions = demand_regressors(hierarchy, days, as_of, inputs)
    fits = _fit_nodes(list(_node_inputs(history, drivers, as_of)), int(h), n_jobs, progress)
    coherent, reconciliation = _reconciled(fits, hierarchy)
    backtest = pd.concat([f.backtest.assign(unique_id=f.node) for f in fits if len(f.backtest)], ignore_index=True)
    return DemandForecast(
        metric=metric, h=int(h), levels=LEVELS, as_of=as_of, nodes=hierarchy.nodes, parents=hierarchy.parents,
        node_levels=hierarchy.node_levels, history=history, forecast=coherent,
        backtest=backtest.reindex(columns=["unique_id", "model", "weight", "mase", "smape"]),
        effects=_effects(fits), assumptions=assumptions, reconciliation=reconciliation,
        seconds=time.perf_counter() - started,
    )


def store_demand_forecast(engine: Engine, progress: Progress | None = None, *, metric: str = "revenue",
                          h: int = 30, through: str | None = None) -> DemandForecast:
    """:func:`forecast_demand` on the store's data (the entry point the results cache keys by version).

    ``through`` is the last complete day (ISO date, ``core.runtime.complete_through().iso``): sales and
    spend after it are partial and left out, so the forecast starts the day after it. A keyword, so it is
    part of the cache key; None uses every day.
    """
    if progress is not None:
        progress(0, 1, "reading sales, spend and promotions")
    return forecast_demand(complete_days(load_demand_inputs(engine), through), metric, h, progress=progress)
