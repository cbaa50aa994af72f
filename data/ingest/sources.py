"""What the store holds per source table, and the conflicts ingests resolved: the Data page's overview."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select

from data import schema

__all__ = ["recent_conflicts", "table_summary"]

_DATE_COLUMNS = {
    "customers": "signup_date", "support_tickets": "opened_date", "products": "launch_date",
    "orders": "order_date", "order_lines": "order_date", "marketing_daily": "date", "promotions": "start_date",
    "campaigns": "start_date", "price_changes": "effective_date", "calendar_events": "start_date",
}


def table_summary(engine: Engine) -> pd.DataFrame:
    """Rows, newest business date and newest change per source table of the store."""
    rows = []
    with engine.connect() as connection:
        for table in schema.SOURCE_TABLES:
            date_column = table.c[_DATE_COLUMNS[table.name]]
            count, newest, changed = connection.execute(
                select(func.count(), func.max(date_column), func.max(table.c.updated_at))).one()
            rows.append({"table": table.name, "rows": int(count), "newest_date": str(newest)[:10] if newest else None,
                         "last_changed": str(changed)[:19] if changed else None})
    return pd.DataFrame(rows)


def recent_conflicts(engine: Engine, limit: int = 500) -> pd.DataFrame:
    """The newest logged conflicts (same key, different values) with the side that won and why."""
    c, runs = schema.conflicts, schema.ingest_runs
    query = (
        select(c.c.created_at, runs.c.source_name, c.c.entity, c.c.key, c.c.columns, c.c.stored_value,
               c.c.incoming_value, c.c.winner, c.c.rule)
        .join(runs, runs.c.run_id == c.c.run_id)
        .order_by(c.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).mappings().all(),
                            columns=[col.name for col in query.selected_columns])
