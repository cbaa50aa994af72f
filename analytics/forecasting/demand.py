"""Demand forecasts for the business hierarchy: total -> region -> category, knowing the calendar.

Every node of the hierarchy (the business total, each customer region, each region's product
categories) gets a daily forecast from an :class:`~analytics.forecasting.EnsembleForecaster` whose
members know the calendar of events (:mod:`analytics.forecasting.demand_calendar`): promotions with
their discount, public holidays, commercial days (Black Friday, the Christmas run-up, ...) and the
analysts' one-off events, past and planned.

- Members: seasonal naive, Theta, MSTL and a gradient-boosted model, each fitted on the node's history
  with the measured event effects taken out and its forecast put back on the event days ahead
  (:class:`~analytics.forecasting.events.EventAdjusted`); the boosted one also sees days to and since
  the nearest major event and marketing spend (trailing week, in hundreds; held at its mean of the last
  28 days over the horizon, said in ``assumptions``). Theta on the raw history stays in as a member that
  ignores the calendar.
- Weights and intervals: the backtests add windows a year and two years before the forecast
  (``N_COMPARABLE``, 364 days apart so weekdays match), so last year's Black Friday is in them when this
  year's is ahead; event days get weights and conformal intervals of their own.

``events=False`` is the model before the calendar (promotion flags and spend for the boosted member only,
the three recent backtest windows), kept for comparisons (``benchmarks/events.py``).

The base forecasts are reconciled with MinT (shrinkage) on the ensembles' backtest errors, so every
region is the sum of its categories and the total the sum of its regions; the interval bounds move
with their mean (see :mod:`analytics.forecasting.hierarchy`) and the mean and bounds are floored at 0.
Driver effects (what the page lists per node, with 95% intervals) come from the same event regression the
members adjust with (:mod:`analytics.forecasting.events`), on the node's whole history, marketing spend
included as a measured control.
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

from analytics.forecasting.base import interval_columns
from analytics.forecasting.demand_calendar import EFFECT_COLUMNS, EVENT_COLUMNS, node_calendars
from analytics.forecasting.demand_inputs import (DemandInputs, demand_history, demand_regressors,
                                                 load_demand_inputs)
from analytics.forecasting.demand_nodes import BACKTEST_COLUMNS, LEVELS, SEASONS, NodeFit, NodeTask, fit_node
from analytics.forecasting.hierarchy import TOTAL, Hierarchy, reconcile

__all__ = ["LEVELS", "SEASONS", "DemandForecast", "forecast_demand", "node_label", "node_path_label",
           "store_demand_forecast"]

_FORECAST_COLUMNS = ["mean", *interval_columns(LEVELS)[1:]]

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class DemandForecast:
    """Reconciled forecasts for every node, with backtests and measured driver effects.

    ``history``: ``unique_id, ds, y``; ``forecast``: ``unique_id, ds, mean, lo-L, hi-L ... , model``;
    ``backtest``: ``unique_id, model, weight, event_weight, mase, smape, mase_events, event_days`` (model
    ``"ensemble"`` is the combination; ``mase_events`` is MASE on the backtests' event days);
    ``effects``: ``unique_id, regressor, label, per, effect, effect_lo, effect_hi, relative, relative_lo,
    relative_hi`` (effect in metric units per day at the node's mean daily level over the last year; 95%
    intervals); ``events``: ``unique_id, ds, name, kind, lift, lift_lo, lift_hi``, the event days of the last
    year and the horizon with each event's relative lift (empty with ``events=False``).
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
    events: pd.DataFrame
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


def _tasks(history: pd.DataFrame, hierarchy: Hierarchy, inputs: DemandInputs, as_of: pd.Timestamp,
           days: pd.DatetimeIndex, events: bool) -> tuple[list[NodeTask], tuple[str, ...]]:
    """Every node's task (in the hierarchy's order) and the assumptions made for the future."""
    drivers, assumptions = demand_regressors(hierarchy, days, as_of, inputs)
    calendars = node_calendars(hierarchy.nodes, days, as_of, inputs, inputs.countries) if events else {}
    regressors = [c for c in drivers.columns if c not in ("unique_id", "ds")]
    past, future = drivers[drivers["ds"] <= as_of], drivers[drivers["ds"] > as_of]
    tasks = []
    for node, part in history.groupby("unique_id", sort=False):
        ds, y = pd.DatetimeIndex(part["ds"]), part["y"].to_numpy(dtype=float)
        if events:
            cal = calendars[node]
            tasks.append(NodeTask(node, ds, y, cal.X[:y.size], cal.X[y.size:], cal))
            continue
        xp = past[past["unique_id"] == node][regressors].to_numpy(dtype=float) if regressors else None
        xf = future[future["unique_id"] == node][regressors].to_numpy(dtype=float) if regressors else None
        tasks.append(NodeTask(node, ds, y, xp, xf))
    return tasks, assumptions


def _reconciled(fits: list[NodeFit], hierarchy: Hierarchy) -> tuple[pd.DataFrame, str]:
    base = pd.concat([f.forecast.assign(unique_id=f.node) for f in fits], ignore_index=True)
    residuals = pd.concat([f.residuals.assign(unique_id=f.node) for f in fits], ignore_index=True)
    complete = residuals.pivot_table(index="ds", columns="unique_id", values="residual").dropna()
    method = "mint_shrink" if complete.shape[1] == len(hierarchy.nodes) and len(complete) >= 2 else "bottom_up"
    coherent = reconcile(base[["unique_id", "ds", *_FORECAST_COLUMNS]], hierarchy, method,
                         residuals=residuals if method == "mint_shrink" else None)
    # demand is never negative: a reconciled mean or bound below zero (a small node's forecast moved down by
    # MinT) is floored at 0, which keeps lo <= mean <= hi
    bounds = [c for c in coherent.columns if c == "mean" or c.startswith(("lo-", "hi-"))]
    coherent[bounds] = coherent[bounds].clip(lower=0.0)
    labels = base.drop_duplicates("unique_id").set_index("unique_id")["model"]
    coherent["model"] = coherent["unique_id"].map(labels)
    label = ("MinT (shrinkage) on backtest errors" if method == "mint_shrink"
             else "bottom-up (some nodes had no backtest for MinT)")
    return coherent, label


def _gathered(fits: list[NodeFit], part: str, columns: list[str]) -> pd.DataFrame:
    """One frame of every node's ``part`` (``backtest``, ``effects``, ``events``) with its ``unique_id``."""
    frames = [getattr(f, part).assign(unique_id=f.node) for f in fits if len(getattr(f, part))]
    if not frames:
        return pd.DataFrame(columns=["unique_id", *columns])
    return pd.concat(frames, ignore_index=True)[["unique_id", *columns]]


def _single_threaded() -> None:
    threadpool_limits(limits=1)  # one process per core already; BLAS/OpenMP threads would oversubscribe


def _map_nodes(tasks: list[NodeTask], h: int, n_jobs: int | None):
    """Fit every node, in input order, lazily (so progress can follow), over ``n_jobs`` processes.

    A fresh process pool per call (not joblib's reusable one: a background job forked from a process
    that already used that pool hangs on it); daemonic processes, which cannot have children (e.g. a
    Celery prefork worker), fit sequentially.
    """
    workers = (os.cpu_count() or 1) if n_jobs == -1 else max(int(n_jobs or 1), 1)
    if workers == 1 or len(tasks) == 1 or multiprocessing.current_process().daemon:
        yield from (fit_node(task, h) for task in tasks)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(min(workers, len(tasks)), mp_context=context, initializer=_single_threaded) as pool:
        yield from pool.map(fit_node, tasks, [h] * len(tasks))


def _fit_nodes(tasks: list[NodeTask], h: int, n_jobs: int | None, progress: Progress | None) -> list[NodeFit]:
    """Every node's fit, in input order, reporting ``progress`` as each one finishes."""
    fits = []
    for fit in _map_nodes(tasks, h, n_jobs):
        fits.append(fit)
        if progress is not None:
            progress(len(fits), len(tasks), f"fitted {node_path_label(fit.node)}")  # the job panel adds "k of n"
    return fits


def forecast_demand(inputs: DemandInputs, metric: str = "revenue", h: int = 30, n_jobs: int | None = -1,
                    progress: Progress | None = None, events: bool = True) -> DemandForecast:
    """Forecast ``metric`` ``h`` days ahead for every node of total -> region -> category.

    Parameters
    ----------
    inputs : DemandInputs
        Sales, marketing spend, the promotion calendar, calendar events and holiday countries.
    metric : {"revenue", "units"}
    h : int
        Days ahead (1 to 365).
    n_jobs : int, optional
        Processes across nodes (-1 = every core, None or 1 = none); the result does not depend on it.
    progress : callable, optional
        Called as ``progress(done, total, message)`` after each node.
    events : bool
        Use the calendar of events (default); False fits the model from before the calendar existed.

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
    tasks, assumptions = _tasks(history, hierarchy, inputs, as_of, days, events)
    fits = _fit_nodes(tasks, int(h), n_jobs, progress)
    coherent, reconciliation = _reconciled(fits, hierarchy)
    return DemandForecast(
        metric=metric, h=int(h), levels=LEVELS, as_of=as_of, nodes=hierarchy.nodes, parents=hierarchy.parents,
        node_levels=hierarchy.node_levels, history=history, forecast=coherent,
        backtest=_gathered(fits, "backtest", BACKTEST_COLUMNS), effects=_gathered(fits, "effects", EFFECT_COLUMNS),
        events=_gathered(fits, "events", EVENT_COLUMNS), assumptions=assumptions, reconciliation=reconciliation,
        seconds=time.perf_counter() - started,
    )


def store_demand_forecast(engine: Engine, progress: Progress | None = None, *, metric: str = "revenue",
                          h: int = 30, through: str | None = None, countries: str = "US") -> DemandForecast:
    """:func:`forecast_demand` on the store's data (the entry point the results cache keys by version).

    ``through`` is the last complete day (ISO date, ``core.runtime.complete_through().iso``): sales and
    spend after it are partial and left out, so the forecast starts the day after it. A keyword, so it is
    part of the cache key; None uses every day. ``countries``: comma-separated ISO codes whose public holidays
    count (``core.runtime.holiday_countries()``; empty for none).
    """
    if progress is not None:
        progress(0, 1, "reading sales, spend, promotions and the calendar")
    codes = tuple(code for code in countries.split(",") if code)
    return forecast_demand(load_demand_inputs(engine, through, codes), metric, h, progress=progress)
