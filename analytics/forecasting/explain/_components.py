"""The statistical members' forecasts as their own components: level, trend, seasons, then the calendar.

- **MSTL**: the seasonally adjusted series' ETS forecast is the last level plus what its (damped) trend adds;
  each season (weekday, time of year) is its last cycle repeated.
- **Theta**: statsmodels' ``forecast_components``: the simple-exponential-smoothing level, the drift
  ``(θ - 1) / θ × trend`` (θ = 2) and the weekday season (multiplicative indices turned into amounts).

Both are event-adjusted members, so their forecast is then multiplied by the calendar (the events ahead and the
regression's yearly season): those parts are shared out like the boosted member's (``log_shares``). The
components of each member add up to its forecast on every day.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.forecasting.explain._parts import LEVEL, TREND, WEEKDAY, YEAR, log_shares
from analytics.forecasting.models import MSTLForecaster, Theta

__all__ = ["COMPONENT_COLUMNS", "EVENTS", "member_components"]

COMPONENT_COLUMNS = ["member", "ds", "component", "value"]
EVENTS = "Calendar events"
_THETA = 2.0  # the standard Theta method's weight, as models.Theta forecasts
_SEASONS = {7: WEEKDAY, 365: YEAR}


def _level_trend(ets, h: int) -> tuple[np.ndarray, np.ndarray]:
    """An ETS forecast as its last level and what the trend adds (a series too flat for ETS: level only)."""
    mean = ets.predict(h, level=(80,))["mean"].to_numpy()
    if ets.result_ is None:
        return mean, np.zeros(h)
    level = float(np.asarray(ets.result_.level)[-1])
    return np.full(h, level), mean - level


def _mstl(base: MSTLForecaster, h: int) -> dict[str, np.ndarray]:
    level, trend = _level_trend(base.adjusted_model_, h)
    parts = {LEVEL: level, TREND: trend}
    steps = np.arange(h)
    for m, cycle in zip(base.periods_, base.cycles_):
        name = _SEASONS.get(m, f"{m}-day cycle")
        parts[name] = parts.get(name, 0.0) + cycle[steps % len(cycle)]
    return parts


def _theta(base: Theta, h: int) -> dict[str, np.ndarray]:
    if base.result_ is None:
        return {LEVEL: base.predict(h, level=(80,))["mean"].to_numpy()}
    frame = base.result_.forecast_components(h)
    level, drift = frame["ses"].to_numpy(), (1 - 1 / _THETA) * frame["trend"].to_numpy()
    season = frame["seasonal"].to_numpy()
    multiplicative = base.result_.model.method.startswith("mul")
    deseasonalised = level + drift
    amount = (season - 1) * deseasonalised if multiplicative else season
    return {LEVEL: level, TREND: drift, WEEKDAY: amount}


_EXPLAINED = {MSTLForecaster: _mstl, Theta: _theta}


def _calendar(member, X_future: np.ndarray, base: np.ndarray) -> dict[str, np.ndarray]:
    fit = member.fit_
    if fit is None:
        return {}
    k = int(member.n_events)
    events = np.asarray(X_future, dtype=float)[:, :k]
    t = np.arange(member.n_obs_, member.n_obs_ + base.size) if member.yearly else None
    parts = [fit.effect(events), fit.effect(np.zeros_like(events), t)]
    if fit.multiplicative:
        split = log_shares(base, np.column_stack(parts))
        return {EVENTS: split[:, 0], YEAR: split[:, 1]}
    return {EVENTS: parts[0], YEAR: parts[1]}


def member_components(name: str, member, h: int, X_future: np.ndarray, days: pd.DatetimeIndex) -> pd.DataFrame:
    """One fitted event-adjusted statistical member's forecast as ``COMPONENT_COLUMNS`` (empty for a member whose
    model exposes no components, such as the seasonal naive)."""
    explain = _EXPLAINED.get(type(member.base_))
    if explain is None:
        return pd.DataFrame(columns=COMPONENT_COLUMNS)
    parts = explain(member.base_, h)
    base = sum(parts.values())
    for component, part in _calendar(member, X_future, base).items():
        parts[component] = parts.get(component, 0.0) + part
    frames = [pd.DataFrame({"member": name, "ds": days, "component": component, "value": np.asarray(part, float)})
              for component, part in parts.items()]
    return pd.concat(frames, ignore_index=True)[COMPONENT_COLUMNS]
