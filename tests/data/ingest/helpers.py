"""Small, explicit batches for the ingestion tests: SourceFrames built the way read_source builds them."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine

from data import schema, store
from data.ingest.contract import ENTITIES, SourceFrame, empty_errors

TODAY = dt.date(2026, 1, 15)
_DTYPES = {"int": "Int64", "float": "float64", "str": object, "date": "datetime64[ns]", "datetime": "datetime64[ns]"}


def source_frame(entity: str, rows: list[dict], source_name: str = "test.csv",
                 errors: list[dict] | None = None) -> SourceFrame:
    """A SourceFrame of ``rows`` with canonical dtypes and row numbers 1..n."""
    spec = ENTITIES[entity]
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        frame[column] = frame[column].astype(_DTYPES[spec.dtypes[column]])
    for column, default in spec.defaults.items():  # as read_source fills absent optional columns
        if column not in frame.columns:
            frame[column] = default
    found = pd.DataFrame(errors) if errors else empty_errors()
    return SourceFrame(entity, source_name, frame, pd.Series(range(1, len(frame) + 1), dtype="int64"), found)


def customer(customer_id: int, **changes) -> dict:
    return {"customer_id": customer_id, "name": f"Customer {customer_id}", "email": f"c{customer_id}@example.com",
            "signup_date": "2025-03-01", "segment": "SMB", "region": "EMEA", "channel": "Partner", "plan": "Basic",
            **changes}


def product(product_id: int, **changes) -> dict:
    return {"product_id": product_id, "sku": f"SKU-{product_id}", "name": f"Product {product_id}",
            "category": "Home", "list_price": 20.0, "unit_cost": 8.0, "launch_date": "2024-01-01", **changes}


def line(order_id: int, customer_id: int = 1, product_id: int = 1, **changes) -> dict:
    return {"order_id": order_id, "customer_id": customer_id, "order_date": "2025-06-01", "product_id": product_id,
            "quantity": 2, "unit_price": 20.0, **changes}


def marketing_row(day: str, campaign: str = "Spring push", **changes) -> dict:
    return {"date": day, "campaign": campaign, "channel": "Web", "spend": 100.0, "impressions": 1000, "clicks": 50,
            "conversions": 5, **changes}


def ticket(ticket_id: int, customer_id: int = 1, **changes) -> dict:
    return {"ticket_id": ticket_id, "customer_id": customer_id, "opened_date": "2025-07-01", "topic": "billing",
            "priority": "low", **changes}


def seed(engine: Engine) -> None:
    """Customers 1-3 and products 1-2, committed through the ingest path."""
    from data.ingest import ingest_frame

    ingest_frame(engine, source_frame("customers", [customer(1), customer(2), customer(3, channel="Retail")],
                                      "crm_seed.csv"), today=TODAY)
    ingest_frame(engine, source_frame("products", [product(1), product(2, category="Beauty")], "erp_seed.csv"),
                 today=TODAY)


def snapshot(engine: Engine) -> dict[str, int]:
    """Row counts of every table plus the dataset version: what "the store as it was" means."""
    counts = {table.name: store.row_count(engine, table) for table in (*schema.SOURCE_TABLES, *schema.INGEST_TABLES)}
    version = store.current_version(engine)
    return {**counts, "version": version.version if version else 0}


def event(name: str, start_date: str = "2025-11-11", kind: str = "commercial", **changes) -> dict:
    """One calendar event (entity "calendar"); end_date, region, category, expected_lift and note optional."""
    return {"name": name, "kind": kind, "start_date": start_date, **changes}


def accounts_source(path) -> str:
    """A SQLite source database at ``path`` with one CRM account (customer 7, Cy) in table ``accounts``; its URL."""
    import sqlite3

    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE accounts (customer_id INTEGER, name TEXT, email TEXT, signup_date TEXT, "
                           "segment TEXT, region TEXT, channel TEXT, plan TEXT)")
        connection.execute("INSERT INTO accounts VALUES (7, 'Cy', 'cy@example.com', '2025-04-01', 'SMB', 'LATAM', "
                           "'Retail', 'Premium')")
    connection.close()
    return f"sqlite:///{path}"
