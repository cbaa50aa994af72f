"""Why revenue changed: an exact additive decomposition of the change between two periods by region, category
and sales channel.

Revenue is a sum over (day, region, category, channel) cells, so the change between two periods is exactly the
sum of each cell's change, and grouping the cells by any one dimension splits the change into its members'
contributions, which again add up to the whole change (no residual, no interaction term to explain away).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analytics.kpis.definitions import ALL, DIMENSIONS, Filters, KpiModel
from analytics.kpis.model import normalise_filters

__all__ = ["ChangeDecomposition", "decompose_change", "previous_period", "revenue_change"]


@dataclass(frozen=True)
class ChangeDecomposition:
    """Revenue in ``period`` against ``previous`` (ISO date pairs, both days included), split by dimension.

    ``by[dimension]`` has ``<dimension>, current, previous, change, share`` (``share``: the member's change as a
    fraction of the whole change; NaN when nothing changed), largest absolute change first; every dimension's
    ``change`` column sums to ``change``. ``cells`` is the same at the finest grain (region, category, channel).
    """

    period: tuple[str, str]
    previous_period: tuple[str, str]
    current: float
    previous: float
    change: float
    by: dict[str, pd.DataFrame]
    cells: pd.DataFrame

    @property
    def relative(self) -> float:
        """The change as a fraction of the previous period's revenue (NaN when it had none)."""
        return self.change / self.previous if self.previous else float("nan")


def _day(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def previous_period(start, end) -> tuple[str, str]:
    """The period to compare with: the previous calendar month for a whole month, else the equally long period
    just before."""
    first, last = _day(start), _day(end)
    if last < first:
        raise ValueError(f"the period ends ({last}) before it starts ({first}); pick an end on or after the start")
    next_day = last + dt.timedelta(days=1)
    if first.day == 1 and next_day.day == 1 and (first.year, first.month) == (last.year, last.month):
        before = first - dt.timedelta(days=1)
        return before.replace(day=1).isoformat(), before.isoformat()
    days = (last - first).days + 1
    return (first - dt.timedelta(days=days)).isoformat(), (first - dt.timedelta(days=1)).isoformat()


def _revenue(cube: pd.DataFrame, period: tuple[str, str], keys: list[str]) -> pd.Series:
    start, end = (pd.Timestamp(day) for day in period)
    part = cube[(cube["date"] >= start) & (cube["date"] <= end)]
    return part.groupby(keys, observed=True)["revenue"].sum()


def decompose_change(cube: pd.DataFrame, start, end, *, previous: tuple[str, str] | None = None,
                     dimensions: tuple[str, ...] = DIMENSIONS) -> ChangeDecomposition:
    """Decompose the change in revenue of ``cube`` (``date, revenue`` and one column per dimension, one row per
    cell and day) from ``previous`` (default :func:`previous_period`) to ``start``..``end``.

    Raises
    ------
    ValueError
        When a dimension column is missing (the message lists the cube's columns).
    """
    missing = [c for c in ("date", "revenue", *dimensions) if c not in cube.columns]
    if missing:
        raise ValueError(f"the cube lacks column(s) {missing}; it has {list(cube.columns)}")
    period = (_day(start).isoformat(), _day(end).isoformat())
    before = previous or previous_period(*period)
    keys = list(dimensions)
    cells = pd.concat({"current": _revenue(cube, period, keys), "previous": _revenue(cube, before, keys)}, axis=1)
    cells = cells.fillna(0.0).reset_index()
    cells["change"] = cells["current"] - cells["previous"]
    total_change = float(cells["change"].sum())
    by = {dim: _ranked(cells.groupby(dim, observed=True)[["current", "previous", "change"]].sum().reset_index(),
                       total_change) for dim in dimensions}
    return ChangeDecomposition(period=period, previous_period=before, current=float(cells["current"].sum()),
                               previous=float(cells["previous"].sum()), change=total_change, by=by,
                               cells=_ranked(cells, total_change))


def _ranked(frame: pd.DataFrame, total_change: float) -> pd.DataFrame:
    frame = frame.assign(share=frame["change"] / total_change if total_change else float("nan"))
    order = frame["change"].abs().sort_values(ascending=False, kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def revenue_change(model: KpiModel, start, end, filters: Filters | None = None, *,
                   previous: tuple[str, str] | None = None) -> ChangeDecomposition:
    """:func:`decompose_change` on the KPI model's daily revenue cube, within ``filters`` (region, category,
    channel; a filtered dimension has one member)."""
    clean = normalise_filters(model, filters)
    cube = model.cube
    for dim, value in clean.items():
        if value != ALL:
            cube = cube[cube[dim] == value]
    return decompose_change(cube, start, end, previous=previous)
