"""The baseline's design matrix for one series: what moves demand anyway, and the calendar's events.

Controls: an intercept, the weekday (six dummies), the yearly season (``FOURIER_TERMS`` sine/cosine pairs
once the history spans ``SEASON_MIN_DAYS``), a smooth trend (Legendre polynomials of the scaled day, degree
up to ``TREND_DEGREE``: the customer base grows and churns smoothly; a more flexible trend would soak up
level shifts) and the trailing week's marketing spend.

Events (from :func:`analytics.forecasting.calendar.event_calendar`): one column per promotion scope
(sitewide, and each category, valued by the day's discount), one per commercial day or analyst's event
type, and one for the public holidays pooled. A category's promotion gets its own column in *every*
series, because it moves the other categories too (it takes share from them). Events an analyst scoped to a
region or category enter only the series of that scope (and the wider ones), so a one-off in EMEA does not
explain away a day in APAC.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["FOURIER_TERMS", "SEASON_MIN_DAYS", "TREND_DEGREE", "Design", "design"]

FOURIER_TERMS = 3
SEASON_MIN_DAYS = 540  # one and a half years: with less, a yearly wave cannot be told from the trend
TREND_DEGREE = 3
_YEAR = 365.25
_HOLIDAYS = "Public holidays"


@dataclass(frozen=True)
class Design:
    """``X`` (days x columns) with the column names; the last ``n_events`` columns are the events."""

    X: np.ndarray
    names: list[str]
    n_events: int


def _controls(days: pd.DatetimeIndex, spend: np.ndarray) -> tuple[list[np.ndarray], list[str]]:
    n = days.size
    columns, names = [np.ones(n)], ["intercept"]
    weekday = days.dayofweek.to_numpy()
    columns += [(weekday == k).astype(float) for k in range(1, 7)]
    names += [f"weekday:{k}" for k in range(1, 7)]
    if n >= SEASON_MIN_DAYS:
        angle = 2 * np.pi * days.dayofyear.to_numpy() / _YEAR
        for k in range(1, FOURIER_TERMS + 1):
            columns += [np.sin(k * angle), np.cos(k * angle)]
            names += [f"season:sin{k}", f"season:cos{k}"]
    degree = 1 if n < 120 else TREND_DEGREE
    scaled = np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(n)
    for k in range(1, degree + 1):
        columns.append(np.polynomial.legendre.Legendre.basis(k)(scaled))
        names.append(f"trend:{k}")
    if np.ptp(spend) > 0:
        columns.append(spend / max(float(np.abs(spend).max()), 1e-12))
        names.append("marketing spend")
    return columns, names


def _in_scope(calendar: pd.DataFrame, scope: dict[str, str]) -> pd.DataFrame:
    """Promotions everywhere; other events only in series their region and category include."""
    keep = np.ones(len(calendar), dtype=bool)
    for dimension in ("region", "category"):
        mine = scope.get(dimension)
        if mine is not None:
            keep &= (calendar["kind"].eq("promotion") | calendar[dimension].isna()
                     | calendar[dimension].eq(mine)).to_numpy()
    return calendar[keep]


def _column(kind: str, name: str) -> str:
    return _HOLIDAYS if kind == "holiday" else name


def _events(calendar: pd.DataFrame, days: pd.DatetimeIndex) -> tuple[list[np.ndarray], list[str]]:
    position = days.get_indexer(calendar["ds"])
    rows = calendar.assign(position=position)[position >= 0]
    if rows.empty:
        return [], []
    column = [_column(k, n) for k, n in zip(rows["kind"], rows["name"])]
    value = np.where(rows["kind"].eq("promotion"), rows["discount"].fillna(0.0).clip(lower=0.01), 1.0)
    columns, names = [], []
    for name in sorted(set(column)):
        mine = np.asarray(column) == name
        values = np.zeros(days.size)
        np.maximum.at(values, rows["position"].to_numpy()[mine], value[mine])
        columns.append(values)
        names.append(name)
    return columns, names


def design(days: pd.DatetimeIndex, calendar: pd.DataFrame, spend: np.ndarray, scope: dict[str, str]) -> Design:
    """The series' design matrix; event columns come last (see the module docstring)."""
    controls, control_names = _controls(days, spend)
    events, event_names = _events(_in_scope(calendar, scope), days)
    X = np.column_stack(controls + events)
    return Design(X, control_names + event_names, len(events))
