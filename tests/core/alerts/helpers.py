"""Numbers straight from the store with SQL (the known answers), a new dataset version, and a fake detector."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import text

from data.ingest import ENTITIES, ingest
from data.store import current_version


def sql_revenue(engine, start: dt.date, end: dt.date, region: str | None = None) -> float:
    """Revenue of the order lines dated ``start``..``end`` (customers of ``region``), as the KPI defines it."""
    where = " AND c.region = :region" if region else ""
    query = text("SELECT COALESCE(SUM(l.quantity * l.unit_price * (1 - l.discount)), 0) FROM order_lines l "
                 "JOIN orders o ON o.order_id = l.order_id JOIN customers c ON c.customer_id = o.customer_id "
                 f"WHERE o.order_date BETWEEN :start AND :end{where}")
    with engine.connect() as connection:
        return float(connection.execute(query, {"start": start.isoformat(), "end": end.isoformat(),
                                                "region": region}).scalar_one())


def add_version(engine) -> int:
    """Ingest one changed customer (a real new dataset version that moves no KPI); returns the version."""
    columns = list(ENTITIES["customers"].columns)
    row = pd.read_sql(text("SELECT * FROM customers ORDER BY customer_id LIMIT 1"), engine).reindex(columns=columns)
    row["name"] = row["name"] + " Jr"
    result = ingest(engine, "customers", row.to_csv(index=False).encode(), filename="crm-fix.csv")
    assert result.dataset_version == current_version(engine).version
    return result.dataset_version


@dataclass(frozen=True)
class FakeAnomaly:
    """What ``analytics.insights.detect_anomalies`` returns, as far as alerts read it."""

    metric: str
    kind: str
    start_date: dt.date
    end_date: dt.date
    score: float
    scope: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"metric": self.metric, "scope": self.scope, "kind": self.kind, "start_date": str(self.start_date),
                "end_date": str(self.end_date), "score": self.score}


def detector(*anomalies: FakeAnomaly):
    """A detector returning ``anomalies``, counting its calls."""
    def detect(engine):
        detect.calls += 1
        return list(anomalies)
    detect.calls = 0
    return detect
