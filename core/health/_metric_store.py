"""Health metric points in the store (table ``health_metrics``) at three resolutions.

Raw points are recorded as collected. ``downsample_and_prune`` folds complete minutes of raw points into 1-minute
points (mean, min, max, samples) and complete hours of 1-minute points into 1-hour points, recomputing from the last
bucket it wrote so running it twice changes nothing, then drops points older than each resolution keeps
(``_names.RESOLUTIONS``: raw 2 days, 1m 30 days, 1h a year). The bucketing is done by the database in one
``INSERT ... SELECT ... GROUP BY`` per resolution, on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from core.health._names import RESOLUTIONS
from data.schema import health_metrics

__all__ = ["Point", "record_points", "read_series", "latest_values", "downsample_and_prune", "SERIES_COLUMNS"]

SERIES_COLUMNS: tuple[str, ...] = ("at", "value", "value_min", "value_max")
_BUCKET_S = {name: bucket for name, bucket, _keep in RESOLUTIONS}
_KEEP_S = {name: keep for name, _bucket, keep in RESOLUTIONS}
# SQLite keeps DateTime as text in SQLAlchemy's format; a bucket start must compare equal to a bound datetime.
_SQLITE_BUCKET = {"1m": "%Y-%m-%d %H:%M:00.000000", "1h": "%Y-%m-%d %H:00:00.000000"}
_PG_BUCKET = {"1m": "minute", "1h": "hour"}


@dataclass(frozen=True)
class Point:
    """One measurement: ``component.metric`` was ``value`` at ``at`` (UTC; an aware time is converted)."""

    at: dt.datetime
    component: str
    metric: str
    value: float


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment


def _floor(moment: dt.datetime, seconds: int) -> dt.datetime:
    moment = _naive_utc(moment)
    return moment - dt.timedelta(seconds=(moment - dt.datetime(2000, 1, 1)).total_seconds() % seconds)


def _upsert(connection, rows: list[dict]) -> None:
    """Insert rows into health_metrics; a row whose key exists replaces it (a point collected twice)."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(health_metrics)
    statement = statement.on_conflict_do_update(
        index_elements=["resolution", "component", "metric", "at"],
        set_={name: statement.excluded[name] for name in ("value", "value_min", "value_max", "samples")},
    )
    connection.execute(statement, rows)


def record_points(engine: Engine, points: Iterable[Point]) -> int:
    """Store ``points`` as raw points in one transaction; NaN and infinite values are skipped. Returns how many."""
    rows = [{"resolution": "raw", "component": point.component, "metric": point.metric, "at": _naive_utc(point.at),
             "value": float(point.value), "value_min": None, "value_max": None, "samples": 1}
            for point in points if math.isfinite(point.value)]
    if rows:
        with engine.begin() as connection:
            _upsert(connection, rows)
    return len(rows)


def _bucket_sql(dialect: str, resolution: str) -> str:
    if dialect == "postgresql":
        return f"date_trunc('{_PG_BUCKET[resolution]}', at)"
    return f"strftime('{_SQLITE_BUCKET[resolution]}', at)"


def _fold(connection, source: str, target: str, end: dt.datetime) -> int:
    """Fold ``source`` points before ``end`` into ``target`` buckets, from the last ``target`` bucket on."""
    last = connection.execute(select(func.max(health_metrics.c.at)).where(
        health_metrics.c.resolution == target)).scalar()
    start = last if last is not None else dt.datetime(1970, 1, 1)
    bucket = _bucket_sql(connection.dialect.name, target)
    if source == "raw":
        aggregates = "avg(value), min(value), max(value), count(*)"
    else:  # weighted by the samples behind each finer point, so a 1h mean equals the mean of its raw points
        aggregates = "sum(value * samples) / sum(samples), min(value_min), max(value_max), sum(samples)"
    result = connection.execute(text(
        f"INSERT INTO health_metrics (resolution, component, metric, at, value, value_min, value_max, samples) "
        f"SELECT :target, component, metric, {bucket} AS bucket, {aggregates} FROM health_metrics "
        f"WHERE resolution = :source AND at >= :start AND at < :end GROUP BY component, metric, bucket "
        f"ON CONFLICT (resolution, component, metric, at) DO UPDATE SET value = excluded.value, "
        f"value_min = excluded.value_min, value_max = excluded.value_max, samples = excluded.samples"
    ), {"target": target, "source": source, "start": _naive_utc(start), "end": end})
    return max(result.rowcount or 0, 0)


def _folding_transaction(engine: Engine):
    """SQLite: ``BEGIN IMMEDIATE`` (the fold reads, then writes: a deferred transaction could find its snapshot stale).
    PostgreSQL: a plain transaction; the upserts need no store-wide lock, and ingests holding it are not waited for."""
    if engine.dialect.name == "sqlite":
        from data.store import write_transaction

        return write_transaction(engine)
    return engine.begin()


def downsample_and_prune(engine: Engine, now: dt.datetime) -> dict[str, int]:
    """Fold complete minutes into 1m and complete hours into 1h points, then prune what is older than each
    resolution keeps. Idempotent. Returns ``{"1m": buckets written, "1h": ..., "pruned": points deleted}``."""
    now = _naive_utc(now)
    with _folding_transaction(engine) as connection:
        minutes = _fold(connection, "raw", "1m", _floor(now, _BUCKET_S["1m"]))
        hours = _fold(connection, "1m", "1h", _floor(now, _BUCKET_S["1h"]))
        pruned = 0
        for resolution, keep in _KEEP_S.items():
            result = connection.execute(health_metrics.delete().where(
                health_metrics.c.resolution == resolution,
                health_metrics.c.at < now - dt.timedelta(seconds=keep)))
            pruned += max(result.rowcount or 0, 0)
    return {"1m": minutes, "1h": hours, "pruned": pruned}


def _pick_resolution(connection, component: str, metric: str, since: dt.datetime) -> str | None:
    """The finest resolution whose oldest point is at or before ``since``; else the one reaching furthest back."""
    oldest = dict(connection.execute(
        select(health_metrics.c.resolution, func.min(health_metrics.c.at))
        .where(health_metrics.c.component == component, health_metrics.c.metric == metric)
        .group_by(health_metrics.c.resolution)).all())
    order = [name for name, _bucket, _keep in RESOLUTIONS if name in oldest]
    if not order:
        return None
    covering = [name for name in order if oldest[name] <= since]
    return covering[0] if covering else min(order, key=lambda name: (oldest[name], order.index(name)))


def _rows(connection, resolution: str, component: str, metric: str, since, until) -> list:
    table = health_metrics.c
    query = select(table.at, table.value, table.value_min, table.value_max).where(
        table.resolution == resolution, table.component == component, table.metric == metric, table.at >= since)
    if until is not None:
        query = query.where(table.at <= until)
    return connection.execute(query.order_by(table.at)).all()


def read_series(engine: Engine, component: str, metric: str, since: dt.datetime,
                until: dt.datetime | None = None) -> pd.DataFrame:
    """``component.metric`` from ``since`` to ``until`` (inclusive; None: the newest point) as a frame with columns
    ``at, value, value_min, value_max`` sorted by ``at``, from the finest resolution that reaches back to ``since``.
    Finer points newer than that resolution's last bucket are appended, so the series runs up to the newest point.
    A raw point's min and max are its value; an unknown metric gives an empty frame."""
    since = _naive_utc(since)
    until = None if until is None else _naive_utc(until)
    names = [name for name, _bucket, _keep in RESOLUTIONS]
    with engine.connect() as connection:
        resolution = _pick_resolution(connection, component, metric, since)
        rows: list = []
        if resolution is not None:
            rows = _rows(connection, resolution, component, metric, since, until)
            for finer in reversed(names[:names.index(resolution)]):
                start = since if not rows else rows[-1][0] + dt.timedelta(seconds=_BUCKET_S[resolution])
                rows += _rows(connection, finer, component, metric, start, until)
                resolution = finer
    frame = pd.DataFrame(rows, columns=list(SERIES_COLUMNS))
    frame = frame.astype({"value": float, "value_min": float, "value_max": float})
    frame["value_min"] = frame["value_min"].fillna(frame["value"])
    frame["value_max"] = frame["value_max"].fillna(frame["value"])
    frame["at"] = pd.to_datetime(frame["at"])
    return frame


def latest_values(engine: Engine, window: dt.timedelta = dt.timedelta(hours=1)
                  ) -> dict[str, dict[str, tuple[dt.datetime, float]]]:
    """The newest raw point of every metric collected within ``window`` of the newest raw point:
    ``{component: {metric: (at, value)}}``; empty when nothing was recorded."""
    table = health_metrics.c
    with engine.connect() as connection:
        newest = connection.execute(select(func.max(table.at)).where(table.resolution == "raw")).scalar()
        if newest is None:
            return {}
        recent = (select(table.component, table.metric, func.max(table.at).label("at"))
                  .where(table.resolution == "raw", table.at >= newest - window)
                  .group_by(table.component, table.metric).subquery())
        rows = connection.execute(
            select(table.component, table.metric, table.at, table.value)
            .join(recent, (table.component == recent.c.component) & (table.metric == recent.c.metric)
                  & (table.at == recent.c.at))
            .where(table.resolution == "raw")).all()
    values: dict[str, dict[str, tuple[dt.datetime, float]]] = {}
    for component, metric, at, value in rows:
        values.setdefault(component, {})[metric] = (at, value)
    return values
