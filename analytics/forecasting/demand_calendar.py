"""The calendar as each node of the demand hierarchy sees it: model inputs, measured effects, marked days.

For every node (the total, a region, a region's category) the calendar is scoped to it — a region's one-off
outage is not an event for another region; a category node sees its own category's promotions — and turned
into (see :mod:`analytics.forecasting.events`):

- the regressors ``X`` of its members: the event columns, the analysts' expected-lift offset, the event-day
  flag the ensemble weights and calibrates by, days to and since the nearest major event, and marketing spend;
- the measured effects the page lists (each event type's and promotion's lift with its 95% interval, and
  marketing spend's), from one regression on the node's whole history;
- the event days of the last year and of the horizon with the lift the forecast applies on each.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.forecasting.calendar import event_calendar
from analytics.forecasting.demand_inputs import SPEND_UNIT, DemandInputs, spend_regressor
from analytics.forecasting.events import (CATEGORY, SITEWIDE, EventDesign, EventFit, event_design,
                                          fit_event_effects, relative_lift)
from analytics.forecasting.hierarchy import TOTAL

__all__ = ["EFFECT_COLUMNS", "EVENT_COLUMNS", "NodeCalendar", "node_calendars"]

EFFECT_COLUMNS = ["regressor", "label", "per", "effect", "effect_lo", "effect_hi", "relative", "relative_lo",
                  "relative_hi"]
EVENT_COLUMNS = ["ds", "name", "kind", "lift", "lift_lo", "lift_hi"]
_Z95 = 1.959963984540054
_SHOWN_HISTORY_DAYS = 365


@dataclass(frozen=True)
class NodeCalendar:
    """One node's calendar inputs: ``X`` over history and horizon, which columns do what."""

    node: str
    design: EventDesign
    X: np.ndarray
    spend: np.ndarray

    @property
    def n_events(self) -> int:
        return len(self.design.columns)

    @property
    def day_type_column(self) -> int:
        return self.n_events + 1

    @property
    def base_columns(self) -> tuple[int, ...]:
        """The gradient-boosted member's own regressors: days to/since a major event, spend."""
        k = self.n_events
        return (k + 2, k + 3, k + 4)


def _scope(node: str) -> tuple[str | None, str | None]:
    if node == TOTAL:
        return None, None
    region, _, category = node.partition("/")
    return region, category or None


def node_calendars(nodes, days: pd.DatetimeIndex, as_of: pd.Timestamp, inputs: DemandInputs,
                   countries) -> dict[str, NodeCalendar]:
    """Every node's :class:`NodeCalendar` over ``days`` (history up to ``as_of``, then the horizon)."""
    calendar = event_calendar(days[0], days[-1], inputs.promotions, inputs.events, countries)
    spend, _held = spend_regressor(inputs.spend, days, as_of)
    out = {}
    for node in nodes:
        design = event_design(calendar, days, as_of, *_scope(node))
        X = np.column_stack([design.X, design.offset, design.event_day.astype(float), design.to_major,
                             design.since_major, spend])
        out[node] = NodeCalendar(node, design, X, spend)
    return out


def _per(column: str, amount: float) -> str:
    if column in (SITEWIDE, CATEGORY):
        return f"per promotion day at {amount:.0%} off"
    return "per event day"


def _amounts(design: EventDesign, n_history: int) -> np.ndarray:
    """What one occurrence of each column is: 1 for a flag, the mean discount for a promotion."""
    history = design.X[:n_history]
    return np.array([history[history[:, j] != 0, j].mean() if np.any(history[:, j]) else 1.0
                     for j in range(history.shape[1])])


def measured_effects(y: np.ndarray, cal: NodeCalendar) -> tuple[pd.DataFrame, EventFit]:
    """The node's event and spend effects with 95% intervals (rows of ``EFFECT_COLUMNS``), and the fit."""
    n = y.size
    spend = cal.spend[:n]
    varying_spend = np.ptp(spend) > 0
    fit = fit_event_effects(y, cal.design.X[:n], extra=spend.reshape(-1, 1) if varying_spend else None)
    amounts = _amounts(cal.design, n)
    rows = []
    for j, (column, label) in enumerate(zip(cal.design.columns, cal.design.labels)):
        single = EventFit(fit.coef[j:j + 1], fit.se[j:j + 1], fit.multiplicative, fit.level, fit.extra_coef,
                          fit.extra_se)
        lifts = [float(relative_lift(single, amounts[j], z)[0]) for z in (0.0, -_Z95, _Z95)]
        rows.append(_effect_row(column, label, _per(column, amounts[j]), lifts, fit.level))
    if varying_spend:
        spend_fit = EventFit(fit.extra_coef[:1], fit.extra_se[:1], fit.multiplicative, fit.level, fit.extra_coef,
                             fit.extra_se)
        lifts = [float(relative_lift(spend_fit, 1.0, z)[0]) for z in (0.0, -_Z95, _Z95)]
        rows.append(_effect_row("marketing_spend", "Marketing spend", f"per +{SPEND_UNIT:.0f} daily spend",
                                lifts, fit.level))
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS), fit


def _effect_row(column, label, per, lifts, level) -> dict:
    relative, low, high = lifts
    return {"regressor": column, "label": label, "per": per, "relative": relative, "relative_lo": low,
            "relative_hi": high, "effect": relative * level, "effect_lo": low * level, "effect_hi": high * level}


def marked_days(cal: NodeCalendar, fit: EventFit, as_of: pd.Timestamp) -> pd.DataFrame:
    """Event days of the last year and the horizon with each event's lift (``EVENT_COLUMNS``)."""
    rows = cal.design.rows
    rows = rows[rows["ds"] > as_of - pd.Timedelta(days=_SHOWN_HISTORY_DAYS)]
    index = {column: j for j, column in enumerate(cal.design.columns)}
    lifts = []
    for row in rows.itertuples(index=False):
        j = index.get(row.column)
        if j is None:  # never seen: what the analyst expects, if anything
            lifts.append((row.expected_lift, np.nan, np.nan))
            continue
        single = EventFit(fit.coef[j:j + 1], fit.se[j:j + 1], fit.multiplicative, fit.level, fit.extra_coef,
                          fit.extra_se)
        amount = row.discount if row.kind == "promotion" else 1.0
        lifts.append(tuple(float(relative_lift(single, amount, z)[0]) for z in (0.0, -_Z95, _Z95)))
    lift = np.array(lifts, dtype=float).reshape(-1, 3)
    return pd.DataFrame({"ds": rows["ds"].to_numpy(), "name": rows["label"].to_numpy(), "kind": rows["kind"].to_numpy(),
                         "lift": lift[:, 0], "lift_lo": lift[:, 1], "lift_hi": lift[:, 2]}, columns=EVENT_COLUMNS)
