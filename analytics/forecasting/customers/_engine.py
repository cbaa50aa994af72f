"""``IntegratedForecastingEngine``: the estimator that fits, backtests, combines and answers what-ifs."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from analytics._checks import check_fitted
from analytics.forecasting._checks import check_h
from analytics.forecasting.customers._existing import ATTRIBUTES
from analytics.forecasting.customers._backtest import Window, combine, demand_weight, score_windows
from analytics.forecasting.customers._inputs import IntegratedInputs, revenue_by_part
from analytics.forecasting.customers._intervals import (LEVELS, daily_bounds, daily_scores, relative_multiplier,
                                                        running_scores)
from analytics.forecasting.customers._model import PARTS, CustomerModel, demand_at, fit_customer_model
from analytics.forecasting.customers._whatif import WhatIf, checked_multiplier, churn_multipliers, summary_rows

__all__ = ["IntegratedForecastingEngine", "FORECAST_COLUMNS", "MIN_HISTORY_DAYS"]

FORECAST_COLUMNS = ["part", "ds", "mean", "lo-80", "hi-80", "lo-95", "hi-95"]
MIN_HISTORY_DAYS = 180  # a backtest cutoff needs this much order history before it


def _frame(part: str, days: pd.DatetimeIndex, mean: np.ndarray, bounds: dict) -> pd.DataFrame:
    data = {"part": part, "ds": days, "mean": mean}
    for level in LEVELS:
        data[f"lo-{level}"], data[f"hi-{level}"] = bounds[level]
    return pd.DataFrame(data)


class IntegratedForecastingEngine(BaseEstimator):
    """Customer-driven revenue forecast, compared and combined with the demand forecast.

    Parameters
    ----------
    h : int
        Days ahead (the what-if's horizon too).
    n_windows : int
        Backtest cutoffs, ``h`` days apart, the last ``h`` days before ``as_of`` (>= 2: intervals and weights of
        a window are learnt on the others).
    demand_model : "ensemble", a forecaster of :mod:`analytics.forecasting`, or None
        The demand forecast of total revenue at every cutoff: ``"ensemble"`` is the Forecast page's
        calendar-aware ensemble for the business total; a forecaster (e.g. ``Theta(7)``) is fitted on the daily
        total alone; None skips the comparison and the combination.

    Attributes
    ----------
    as_of_ : pandas.Timestamp
    model_ : CustomerModel
        The fitted parts at ``as_of_``.
    forecast_ : pandas.DataFrame
        ``FORECAST_COLUMNS`` with part ``existing``, ``new`` and ``total``, one row per part and day.
    recent_parts_ : dict
        ``{existing, new, total}``: the actual daily revenue of the last ``h`` days before ``as_of_``, from
        customers signed up before them and those who signed up during them.
    totals_ : pandas.DataFrame
        The sum over the horizon per part, with its interval: ``part, mean, lo-80, hi-80, lo-95, hi-95``.
    demand_, combined_ : pandas.DataFrame or None
        ``ds, mean, lo-80, hi-80, lo-95, hi-95`` of the demand forecast and the combination.
    total_widths_ : dict
        ``{part: {level: q}}``: the relative half-width of each part's horizon total (``totals_`` is mean * (1 -/+ q)).
    weights_ : dict
        ``{"demand": w, "customers": 1 - w}``, inverse backtest MASE.
    backtest_ : pandas.DataFrame
        ``model, windows, mase, coverage-80, coverage-95, total_error, weight``; rows demand, customers,
        combined (:mod:`._backtest`).
    backtest_windows_ : pandas.DataFrame
        One row per cutoff and model: ``cutoff, model, mase, total_error, coverage-80, coverage-95``.
    """

    def __init__(self, h: int = 90, n_windows: int = 3, demand_model="ensemble"):
        self.h = h
        self.n_windows = n_windows
        self.demand_model = demand_model

    def _checked(self, inputs, as_of) -> tuple[int, pd.Timestamp, list[pd.Timestamp]]:
        h = check_h(self.h)
        if isinstance(self.n_windows, bool) or not isinstance(self.n_windows, (int, np.integer)) \
                or self.n_windows < 2:
            raise ValueError(f"n_windows must be a whole number >= 2; got {self.n_windows!r}")
        if not isinstance(inputs, IntegratedInputs):
            raise ValueError(f"inputs must be IntegratedInputs (load_integrated_inputs(engine)); got "
                             f"{type(inputs).__name__}")
        if not (isinstance(self.demand_model, str) and self.demand_model == "ensemble") \
                and self.demand_model is not None and not hasattr(self.demand_model, "predict"):
            raise ValueError(f"demand_model must be 'ensemble', a forecaster or None; got {self.demand_model!r}")
        facts = inputs.facts
        if facts.customers.empty or facts.orders.empty:
            raise ValueError(f"the customer forecast needs customers and their orders; got {len(facts.customers)} "
                             f"customers and {len(facts.orders)} orders (load a store with python -m data sample "
                             "or an ingest)")
        last = pd.Timestamp(facts.orders["order_date"].max()).normalize()
        end = last if as_of is None else pd.Timestamp(as_of).normalize()
        start = inputs.window_start
        if end < start:
            raise ValueError(f"as_of {end.date()} is before the first order ({start.date()}); the customer forecast "
                             "learns from orders, so pick a date on or after it")
        cutoffs = [end - pd.Timedelta(days=k * h) for k in range(int(self.n_windows), 0, -1)]
        if (cutoffs[0] - start).days < MIN_HISTORY_DAYS:
            raise ValueError(f"the first backtest cutoff {cutoffs[0].date()} has {(cutoffs[0] - start).days} days of "
                             f"orders before it; {MIN_HISTORY_DAYS} are needed: use fewer n_windows, a shorter h or "
                             "a later as_of")
        return h, end, cutoffs

    def _window(self, inputs: IntegratedInputs, cutoff: pd.Timestamp, h: int) -> Window:
        model = fit_customer_model(inputs, cutoff, h)
        demand = None
        if self.demand_model is not None:
            frame = demand_at(inputs, cutoff, h, self.demand_model)
            demand = {c: frame[c].to_numpy() for c in frame.columns}
        return Window(cutoff, model.history, revenue_by_part(inputs.facts, cutoff, model.days), model.parts(), demand)

    def fit(self, inputs: IntegratedInputs, as_of=None, progress=None) -> "IntegratedForecastingEngine":
        """Backtest on ``n_windows`` cutoffs, then fit at ``as_of`` (default: the last order date).

        ``progress(done, total, message)``, when given, hears of each backtest window and the final fit.

        Raises
        ------
        ValueError
            On bad hyperparameters, an ``as_of`` before any order, too little history for the windows, or no
            active customer at a cutoff.
        """
        h, end, cutoffs = self._checked(inputs, as_of)
        steps = len(cutoffs) + 1

        def report(done: int, message: str) -> None:
            if progress is not None:
                progress(done, steps, message)

        windows = []
        for done, cutoff in enumerate(cutoffs):
            report(done, f"backtesting the customer forecast from {cutoff.date()}")
            windows.append(self._window(inputs, cutoff, h))
        report(len(cutoffs), f"forecasting {h} days from {end.date()}")
        self.model_ = fit_customer_model(inputs, end, h)
        self.as_of_, self.cutoffs_ = end, tuple(cutoffs)
        recent = pd.date_range(end - pd.Timedelta(days=h - 1), end, freq="D")
        self.recent_parts_ = revenue_by_part(inputs.facts, end - pd.Timedelta(days=h), recent)
        self._intervals(windows)
        self._combine(inputs, windows, h)
        self.backtest_windows_, self.backtest_ = score_windows(windows)
        return self

    def _intervals(self, windows: list[Window]) -> None:
        parts = self.model_.parts()
        frames, totals, self.total_widths_ = [], [], {}
        for part in (*PARTS, "total"):
            actual, forecast = [w.actual[part] for w in windows], [w.customers[part] for w in windows]
            frames.append(_frame(part, self.model_.days, parts[part], daily_bounds(parts[part],
                                                                                   *daily_scores(actual, forecast))))
            scores, steps = running_scores(actual, forecast)
            q = {lv: float(relative_multiplier(scores, steps, lv, np.array([parts[part].size]))[0]) for lv in LEVELS}
            self.total_widths_[part] = q
            mean = float(parts[part].sum())
            totals.append({"part": part, "mean": mean, **{k: v for lv in LEVELS for k, v in
                                                            ((f"lo-{lv}", max(mean * (1 - q[lv]), 0.0)),
                                                             (f"hi-{lv}", mean * (1 + q[lv])))}})
        self.forecast_ = pd.concat(frames, ignore_index=True)
        self.totals_ = pd.DataFrame(totals)

    def _combine(self, inputs: IntegratedInputs, windows: list[Window], h: int) -> None:
        self.demand_ = self.combined_ = None
        self.weights_ = {"demand": 0.0, "customers": 1.0}
        if self.demand_model is None:
            return
        demand = demand_at(inputs, self.as_of_, h, self.demand_model)
        weight = demand_weight(windows)
        self.weights_ = {"demand": weight, "customers": 1.0 - weight}
        mean = weight * demand["mean"].to_numpy() + (1 - weight) * self.model_.parts()["total"]
        scores, steps = daily_scores([w.actual["total"] for w in windows], [combine(w, weight) for w in windows])
        self.demand_ = demand.assign(ds=self.model_.days)[["ds", *demand.columns]]
        self.combined_ = _frame("combined", self.model_.days, mean, daily_bounds(mean, scores, steps)).drop(
            columns="part")

    def what_if(self, churn_multiplier: dict | None = None, new_customer_multiplier: float = 1.0,
                aov_multiplier: float = 1.0) -> WhatIf:
        """The change in the next ``h`` days of revenue under a scenario (see :mod:`._whatif`).

        Parameters
        ----------
        churn_multiplier : dict, optional
            ``{group: m}``: multiply the cancellation hazard of the active customers in ``group`` by ``m``; a
            group is ``"all"``, ``"column=value"`` (column region, segment, plan or channel) or a value alone
            (``"APAC"``) when only one column has it.
        new_customer_multiplier : float
            Multiplies expected signups (1.5 = 50% more new customers).
        aov_multiplier : float
            Multiplies the spend of every purchase (1.2 = +20% average order value).
        """
        check_fitted(self, "model_", "fit(inputs)")
        volume = checked_multiplier("new_customer_multiplier", new_customer_multiplier)
        aov = checked_multiplier("aov_multiplier", aov_multiplier)
        model: CustomerModel = self.model_
        m = churn_multipliers(model.existing.customers, churn_multiplier)
        baseline = model.parts()
        scenario = {"existing": model.existing.revenue(m, aov), "new": model.new.revenue(volume, aov)}
        scenario["total"] = scenario["existing"] + scenario["new"]
        daily = pd.concat([pd.DataFrame({"part": p, "ds": model.days, "baseline": baseline[p], "scenario": scenario[p]})
                           for p in (*PARTS, "total")], ignore_index=True)
        summary = summary_rows({p: float(v.sum()) for p, v in baseline.items()},
                               {p: float(v.sum()) for p, v in scenario.items()}, self.total_widths_)
        return WhatIf(summary, daily, dict(churn_multiplier or {}), volume, aov)

    def what_if_groups(self) -> list[tuple[str, int]]:
        """The groups a churn what-if can name, ``("column=value", active customers)``, per customer attribute
        and value, in the attributes' order and by size."""
        check_fitted(self, "model_", "fit(inputs)")
        customers = self.model_.existing.customers
        groups = []
        for column in ATTRIBUTES:
            counts = customers[column].astype(str).value_counts()
            groups += [(f"{column}={value}", int(n)) for value, n in counts.items()]
        return groups

    def existing_revenue(self, group: str = "all") -> float:
        """Expected revenue over the horizon of the active customers in ``group`` (a what-if group key)."""
        check_fitted(self, "model_", "fit(inputs)")
        customers = self.model_.existing.customers
        mask = churn_multipliers(customers, {group: 0.0}) == 0.0
        return float(self.model_.existing.revenue(by=mask).sum())
