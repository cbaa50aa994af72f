"""Building the KPI model once per dataset version, and answering questions from it."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from analytics.kpis import engine as _engine
from analytics.kpis.definitions import (ALL, CUSTOMER_COLUMNS, DIMENSIONS, KPI_DEFINITIONS, LINE_COLUMNS, N_PERIODS,
                                        ORDER_COLUMNS, WINDOWS, Filters, KpiModel, KpiValue, Progress)
from data import queries
from data.vocabulary import CATEGORIES, CHANNELS, REGIONS

__all__ = ["breakdown", "build_kpi_model", "kpi_values", "load_kpi_model", "load_range_kpis", "normalise_filters",
           "region_category_matrix", "revenue_trend"]

_VOCABULARY = {"region": REGIONS, "category": CATEGORIES, "channel": CHANNELS}


def _ordered(values, vocabulary: tuple[str, ...]) -> tuple[str, ...]:
    """Members in vocabulary order, anything outside the vocabulary after it, sorted."""
    present = set(values)
    return tuple(v for v in vocabulary if v in present) + tuple(sorted(present - set(vocabulary)))


def _check_columns(frame: pd.DataFrame, required: tuple[str, ...], name: str) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} is missing column(s) {missing}; expected columns {list(required)}"
        )


def _check_facts(orders: pd.DataFrame, lines: pd.DataFrame, customers: pd.DataFrame) -> None:
    """The three fact frames have their columns, and there are orders with lines."""
    _check_columns(orders, ORDER_COLUMNS, "orders")
    _check_columns(lines, LINE_COLUMNS, "order lines")
    _check_columns(customers, CUSTOMER_COLUMNS, "customers")
    if orders.empty or lines.empty:
        raise ValueError("there are no orders yet; load data first (python -m data sample)")


def _members(orders: pd.DataFrame, lines: pd.DataFrame, customers: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    present = {
        "region": _engine.present_values(customers["region"]),
        "category": _engine.present_values(lines["category"]),
        "channel": _engine.present_values(orders["channel"]) + _engine.present_values(customers["channel"]),
    }
    return {dim: _ordered(present[dim], _VOCABULARY[dim]) for dim in DIMENSIONS}


def build_kpi_model(
    orders: pd.DataFrame,
    lines: pd.DataFrame,
    customers: pd.DataFrame,
    as_of: pd.Timestamp | None = None,
    progress: Progress | None = None,
    windows: tuple[int, ...] = WINDOWS,
) -> KpiModel:
    """Compute every KPI for every filter combination, window and trailing period.

    Parameters
    ----------
    orders : DataFrame
        One row per order: ``order_id, customer_id, order_date, channel`` (sales channel).
    lines : DataFrame
        One row per order line: ``order_id, category, revenue``.
    customers : DataFrame
        One row per customer: ``customer_id, signup_date, cancel_date, region, channel``
        (acquisition channel).
    as_of : Timestamp, optional
        Last day of the current period (the last complete day); defaults to the last order
        date. Orders after it count nowhere.
    progress : callable, optional
        Called as ``progress(step, total, message)`` after each step.
    windows : tuple of int, optional
        Lengths of the trailing periods, in days; default ``WINDOWS``.
    """
    _check_facts(orders, lines, customers)
    report = progress or (lambda *_: None)
    as_of = pd.Timestamp(as_of) if as_of is not None else orders["order_date"].max()
    members = _members(orders, lines, customers)
    encoded = _engine.encode(orders, lines, customers, members, as_of)
    steps = 2 * len(windows) + 2  # encoding, two tables per window, the cube
    report(1, steps, "encoded facts")
    table = _kpi_table(encoded, customers, windows, as_of, lambda step, message: report(step, steps, message))
    cube = _engine.daily_cube(encoded, as_of)
    report(steps, steps, "daily revenue cube")
    return KpiModel(as_of=as_of, table=table, cube=cube, members=members, windows=tuple(windows))


def _kpi_table(encoded: _engine.Encoded, customers: pd.DataFrame, windows: tuple[int, ...], as_of: pd.Timestamp,
               report) -> pd.DataFrame:
    """Every KPI per window, filter combination and period, indexed (window, region, category, channel, period).

    ``report(step, message)`` is called after each table, steps 2, 3, ... (step 1 is the encoding).
    """
    tables = []
    for i, window in enumerate(windows):
        order_kpis = _engine.order_kpi_table(encoded, window, N_PERIODS)
        report(2 * i + 2, f"order KPIs for {window}-day periods")
        churn = _engine.churn_table(customers, encoded.members, window, N_PERIODS, as_of)
        tables.append(order_kpis.merge(churn, on=["period", "region", "channel"], how="left").assign(window=window))
        report(2 * i + 3, f"churn for {window}-day periods")
    table = pd.concat(tables, ignore_index=True)
    table["aov"] = table["revenue"] / table["orders"].where(table["orders"] > 0)
    return table.set_index(["window", "region", "category", "channel", "period"]).sort_index()


def normalise_filters(model: KpiModel, filters: Filters | None) -> dict[str, str]:
    """Every dimension mapped to a known member or ``ALL``; unknown members raise ValueError."""
    clean = {}
    for dim in DIMENSIONS:
        value = (filters or {}).get(dim) or ALL
        if value != ALL and value not in model.members[dim]:
            raise ValueError(
                f"unknown {dim} {value!r}; choose one of {list(model.members[dim])} or {ALL!r}"
            )
        clean[dim] = value
    return clean


def _check_window(model: KpiModel, window: int) -> None:
    if window not in model.windows:
        raise ValueError(f"window must be one of {list(model.windows)} days, got {window!r}")


def kpi_values(model: KpiModel, window: int, filters: Filters | None = None) -> list[KpiValue]:
    """The KPIs of ``KPI_DEFINITIONS`` for one window and filter, in definition order."""
    _check_window(model, window)
    f = normalise_filters(model, filters)
    try:
        rows = model.table.loc[(window, f["region"], f["category"], f["channel"])]
    except KeyError:
        rows = pd.DataFrame(columns=model.table.columns)
    rows = rows.reindex(range(N_PERIODS))  # periods without orders count as empty
    rows[["revenue", "orders", "active_customers"]] = rows[
        ["revenue", "orders", "active_customers"]
    ].fillna(0)
    values = []
    for key in KPI_DEFINITIONS:
        series = rows[key].astype(float).to_numpy()
        values.append(
            KpiValue(key=key, value=series[0], previous=series[1], sparkline=tuple(series[::-1]))
        )
    return values


def _filter_cube(model: KpiModel, filters: dict[str, str], skip: str | None = None) -> pd.DataFrame:
    mask = np.ones(len(model.cube), dtype=bool)
    for dim, value in filters.items():
        if dim != skip and value != ALL:
            mask &= (model.cube[dim] == value).to_numpy()
    return model.cube.loc[mask]


def revenue_trend(model: KpiModel, filters: Filters | None = None) -> pd.DataFrame:
    """Daily revenue for the filter, every day present (zero when nothing sold)."""
    f = normalise_filters(model, filters)
    daily = _filter_cube(model, f).groupby("date")["revenue"].sum()
    days = pd.date_range(model.cube["date"].min(), model.as_of, freq="D")
    daily = daily.reindex(days, fill_value=0.0)
    return pd.DataFrame({"date": days, "revenue": daily.to_numpy()})


def _window_slice(cube: pd.DataFrame, as_of: pd.Timestamp, window: int, period: int) -> pd.DataFrame:
    days_ago = (as_of - cube["date"]).dt.days
    return cube.loc[(days_ago >= period * window) & (days_ago < (period + 1) * window)]


def breakdown(
    model: KpiModel, dimension: str, window: int, filters: Filters | None = None
) -> pd.DataFrame:
    """Revenue by the members of ``dimension`` for the current and previous period.

    The other dimensions' filters apply; the dimension's own filter only marks
    the selected member, so every member stays visible for switching.
    """
    _check_window(model, window)
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}; choose one of {list(DIMENSIONS)}")
    f = normalise_filters(model, filters)
    cube = _filter_cube(model, f, skip=dimension)
    members = list(model.members[dimension])

    def revenue_by_member(period: int) -> pd.Series:
        part = _window_slice(cube, model.as_of, window, period)
        return part.groupby(dimension, observed=False)["revenue"].sum().reindex(members, fill_value=0.0)

    current, previous = revenue_by_member(0), revenue_by_member(1)
    total = current.sum()
    return pd.DataFrame(
        {
            dimension: members,
            "revenue": current.to_numpy(),
            "previous": previous.to_numpy(),
            "share": (current / total).to_numpy() if total else np.zeros(len(members)),
            "selected": [m == f[dimension] for m in members],
        }
    )


def region_category_matrix(
    model: KpiModel, window: int, filters: Filters | None = None
) -> pd.DataFrame:
    """Revenue in the current period as a region × category matrix (channel filter applies)."""
    _check_window(model, window)
    f = normalise_filters(model, filters)
    cube = _filter_cube(model, {"channel": f["channel"]})
    part = _window_slice(cube, model.as_of, window, 0)
    matrix = part.pivot_table(
        index="region", columns="category", values="revenue", aggfunc="sum", observed=False
    )
    return matrix.reindex(index=list(model.members["region"]), columns=list(model.members["category"])).fillna(0.0)


def _read_and_build(engine: Engine, progress: Progress | None, **options) -> KpiModel:
    (progress or (lambda *_: None))(0, 1, "reading orders, order lines and customers")
    return build_kpi_model(queries.order_facts(engine), queries.order_line_revenue(engine),
                           queries.customer_facts(engine), progress=progress, **options)


def load_kpi_model(engine: Engine, progress: Progress | None = None, *, through: str | None = None) -> KpiModel:
    """Read the store and build the KPI model up to ``through`` (the last complete day, ISO date).

    ``through`` is a keyword so that it is part of the results cache key; None means the last
    order date. Progress covers the reads too.
    """
    return _read_and_build(engine, progress, as_of=None if through is None else pd.Timestamp(through))


def load_range_kpis(engine: Engine, progress: Progress | None = None, *, start: str, end: str) -> KpiModel:
    """The KPI model of one custom date range: a single window of the range's length ending at ``end``.

    ``start`` and ``end`` are ISO dates, both included; period 1 is the equally long period before.
    """
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    if last < first:
        raise ValueError(f"the range ends ({end}) before it starts ({start}); pick an end on or after the start")
    return _read_and_build(engine, progress, as_of=last, windows=((last - first).days + 1,))
