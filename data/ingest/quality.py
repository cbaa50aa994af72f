"""Data quality per source, from the ingest bookkeeping: counts, freshness, null rates, failed checks, score.

Quality score (0-100) of a source, over its last ``SCORE_WINDOW`` (10) ingest runs::

    score = 100 * (0.5 * A + 0.3 * C + 0.2 * P)

    A  acceptance: (accepted + duplicates) / (accepted + duplicates + quarantined), summed over
       the runs that were not rejected
    C  completeness: 1 - the mean null rate of the entity's required columns in the newest
       run that was not rejected
    P  reliability: the share of the runs that were not rejected

A and C are 0 when every run in the window was rejected. Rows count equally whatever their run,
so one large clean file outweighs a small bad one.
"""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import Engine, select

from data import schema
from data.ingest.contract import ENTITIES

__all__ = ["SCORE_WINDOW", "SCORE_WEIGHTS", "quality_report", "failed_checks", "quality_score"]

SCORE_WINDOW = 10
SCORE_WEIGHTS = {"acceptance": 0.5, "completeness": 0.3, "reliability": 0.2}
REPORT_COLUMNS = [
    "source_name", "entity", "runs", "last_status", "last_run_at", "last_success_at", "newest_business_date",
    "accepted", "quarantined", "duplicates", "conflicts", "open_quarantine", "null_rates", "failed_checks_last_run",
    "acceptance", "completeness", "reliability", "quality_score",
]


def _runs(engine: Engine) -> pd.DataFrame:
    with engine.connect() as connection:
        runs = pd.read_sql_query(select(schema.ingest_runs).order_by(schema.ingest_runs.c.finished_at), connection)
    for column in ("started_at", "finished_at", "newest_business_date"):
        runs[column] = pd.to_datetime(runs[column])
    return runs


def _completeness(entity: str, null_rates: str | None) -> float:
    rates = json.loads(null_rates) if null_rates else {}
    required = [rates[c] for c in ENTITIES[entity].required if c in rates] if entity in ENTITIES else []
    return 1.0 - (sum(required) / len(required)) if required else 1.0


def quality_score(runs: pd.DataFrame) -> dict[str, float]:
    """The score and its three parts for one source's runs (oldest first); see the module docstring."""
    window = runs.tail(SCORE_WINDOW)
    read = window[window["status"] != "rejected"]
    if read.empty:
        parts = {"acceptance": 0.0, "completeness": 0.0, "reliability": 0.0}
    else:
        good = float(read["accepted"].sum() + read["duplicates"].sum())
        total = good + float(read["quarantined"].sum())
        newest = read.iloc[-1]
        parts = {"acceptance": good / total if total else 1.0,
                 "completeness": _completeness(newest["entity"], newest["null_rates"]),
                 "reliability": len(read) / len(window)}
    score = 100 * sum(SCORE_WEIGHTS[name] * value for name, value in parts.items())
    return {**{name: round(value, 4) for name, value in parts.items()}, "quality_score": round(score, 1)}


def _failed_last_run(engine: Engine, run_ids: list[str]) -> dict[str, int]:
    table = schema.quality_checks
    query = select(table.c.run_id, table.c.passed).where(table.c.run_id.in_(run_ids))
    with engine.connect() as connection:
        checks = pd.read_sql_query(query, connection)
    return (~checks["passed"].astype(bool)).groupby(checks["run_id"]).sum().astype(int).to_dict()


def _open_quarantine(engine: Engine) -> pd.Series:
    table = schema.quarantine
    query = select(table.c.source_name, table.c.entity).where(table.c.status == "open")
    with engine.connect() as connection:
        rows = pd.read_sql_query(query, connection)
    return rows.groupby(["source_name", "entity"]).size()


def quality_report(engine: Engine) -> pd.DataFrame:
    """One row per (source_name, entity) ever ingested, highest quality score first; columns REPORT_COLUMNS.

    ``null_rates`` is the dict of column -> share of empty cells in the newest batch that was read.
    """
    runs = _runs(engine)
    if runs.empty:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    open_rows = _open_quarantine(engine)
    last_runs = runs.groupby(["source_name", "entity"])["run_id"].last().tolist()
    failed = _failed_last_run(engine, last_runs)
    rows = []
    for (source_name, entity), group in runs.groupby(["source_name", "entity"], sort=True):
        read = group[group["status"] != "rejected"]
        last = group.iloc[-1]
        rows.append({
            "source_name": source_name, "entity": entity, "runs": len(group), "last_status": last["status"],
            "last_run_at": last["finished_at"],
            "last_success_at": read["finished_at"].max() if len(read) else pd.NaT,
            "newest_business_date": group["newest_business_date"].max(),
            **{name: int(group[name].sum()) for name in ("accepted", "quarantined", "duplicates", "conflicts")},
            "open_quarantine": int(open_rows.get((source_name, entity), 0)),
            "null_rates": json.loads(read.iloc[-1]["null_rates"] or "{}") if len(read) else {},
            "failed_checks_last_run": failed.get(last["run_id"], 0),
            **quality_score(group),
        })
    report = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    return report.sort_values(["quality_score", "source_name"], ascending=[False, True], ignore_index=True)


def failed_checks(engine: Engine, source_name: str, *, include_passed: bool = False) -> pd.DataFrame:
    """The checks of ``source_name``'s runs over time (oldest first); only failed ones unless ``include_passed``."""
    table = schema.quality_checks
    query = select(table.c.created_at, table.c.run_id, table.c.entity, table.c.check, table.c.column,
                   table.c.checked_rows, table.c.failed_rows, table.c.passed).where(table.c.source_name == source_name)
    if not include_passed:
        query = query.where(table.c.passed.is_(False))
    with engine.connect() as connection:
        checks = pd.read_sql_query(query.order_by(table.c.created_at, table.c.id), connection)
    checks["created_at"] = pd.to_datetime(checks["created_at"])
    checks["passed"] = checks["passed"].astype(bool)
    return checks
