"""Atomic batch writes: round trips, versions, validation, and all-or-nothing failures."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.exc import IntegrityError

from data import _store_rows, schema, store
from tests.data.conftest import read_table


def _customers(ids, cancel=None) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame(
        {
            "customer_id": ids,
            "name": [f"Customer {i}" for i in ids],
            "email": [f"c{i}@example.com" for i in ids],
            "signup_date": pd.to_datetime([f"2025-01-0{1 + i % 9}" for i in ids]),
            "segment": "SMB",
            "region": "EMEA",
            "channel": "Web",
            "plan": "Basic",
            "cancel_date": cancel if cancel is not None else [pd.NaT] * n,
        }
    )


def _orders(ids, customer_ids) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": ids,
            "customer_id": customer_ids,
            "order_date": [dt.date(2025, 3, 1)] * len(ids),
            "channel": "Web",
            "promo_id": pd.array([None] * len(ids), dtype="Int64"),
        }
    )


def test_write_frames_round_trips_values_and_fills_provenance(fresh_engine):
    cancel = pd.to_datetime([pd.NaT, "2025-06-30", pd.NaT])
    rows = store.write_frames(
        fresh_engine, {"customers": _customers([1, 2, 3], cancel)}, source="crm-test", description="three"
    )
    assert rows == 3
    back = read_table(fresh_engine, schema.customers)
    assert back["customer_id"].tolist() == [1, 2, 3]
    assert back["signup_date"].tolist() == list(pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-04"]))
    assert back["cancel_date"].isna().tolist() == [True, False, True]
    assert back.loc[1, "cancel_date"] == pd.Timestamp("2025-06-30")
    assert set(back["source"]) == {"crm-test"}
    assert back["updated_at"].notna().all()
    version = store.current_version(fresh_engine)
    assert (version.version, version.source, version.rows_written) == (1, "crm-test", 3)


def test_every_write_bumps_the_version(fresh_engine):
    assert store.current_version(fresh_engine) is None
    store.write_frames(fresh_engine, {"customers": _customers([1])}, source="a", description="first")
    store.write_frames(fresh_engine, {"orders": _orders([10], [1])}, source="b", description="second")
    version = store.current_version(fresh_engine)
    assert (version.version, version.description) == (2, "second")
    assert store.row_count(fresh_engine, schema.orders) == 1


def test_failure_mid_write_keeps_previous_data_and_version(fresh_engine):
    store.write_frames(fresh_engine, {"customers": _customers([1, 2])}, source="crm", description="base")
    before = store.current_version(fresh_engine)
    # Customers 3-4 insert fine; the order for unknown customer 99 then violates its foreign key.
    bad = {"customers": _customers([3, 4]), "orders": _orders([1, 2], [1, 99])}
    with pytest.raises(IntegrityError):
        store.write_frames(fresh_engine, bad, source="crm", description="broken")
    assert store.row_count(fresh_engine, schema.customers) == 2
    assert store.row_count(fresh_engine, schema.orders) == 0
    assert store.current_version(fresh_engine) == before


def test_replace_all_failure_keeps_previous_content(fresh_engine, monkeypatch):
    store.replace_all(fresh_engine, {"customers": _customers([1, 2, 3])}, source="s", description="v1")
    before = store.current_version(fresh_engine)
    real_insert = store._insert_frame

    def failing_insert(connection, table, frame):
        if table.name == "orders":
            raise RuntimeError("disk on fire")
        return real_insert(connection, table, frame)

    monkeypatch.setattr(store, "_insert_frame", failing_insert)
    frames = {"customers": _customers([7, 8]), "orders": _orders([1], [7])}
    with pytest.raises(RuntimeError, match="disk on fire"):
        store.replace_all(fresh_engine, frames, source="s", description="v2")
    assert read_table(fresh_engine, schema.customers)["customer_id"].tolist() == [1, 2, 3]
    assert store.current_version(fresh_engine) == before


def test_replace_all_empties_tables_not_given(fresh_engine):
    store.write_frames(
        fresh_engine,
        {"customers": _customers([1]), "orders": _orders([5], [1])},
        source="s",
        description="v1",
    )
    store.replace_all(fresh_engine, {"customers": _customers([2])}, source="s", description="v2")
    assert store.row_count(fresh_engine, schema.orders) == 0
    assert read_table(fresh_engine, schema.customers)["customer_id"].tolist() == [2]


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        ({"clients": pd.DataFrame()}, r"unknown table\(s\) \['clients'\]"),
        ({"customers": _customers([1]).assign(nickname="x")}, r"unknown column\(s\) \['nickname'\]"),
        ({"customers": _customers([1, 2]).drop(columns="email")}, r"required column\(s\) \['email'\]"),
        ({"customers": _customers([1, 2, 3]).assign(plan=["Basic", None, None])}, r"`plan` is null in 2 row"),
        ({"orders": _orders([1], [1]).assign(order_id=[1.5])}, r"must hold whole numbers"),
    ],
)
def test_bad_frames_are_rejected_before_writing(fresh_engine, frames, message):
    with pytest.raises(ValueError, match=message):
        store.write_frames(fresh_engine, frames, source="s", description="bad")
    assert store.current_version(fresh_engine) is None


def test_rows_match_what_sqlalchemy_would_bind():
    frame = pd.DataFrame(
        {
            "order_id": [1, 2],
            "customer_id": [5, 6],
            "order_date": pd.to_datetime(["2025-03-01", "2025-03-02"]),
            "channel": ["Web", None],
            "promo_id": pd.array([3, None], dtype="Int64"),
            "updated_at": pd.to_datetime(["2025-03-02 02:00:00", "2025-03-03 02:00:00.5"], format="ISO8601"),
        }
    )
    columns = [schema.orders.c[name] for name in frame.columns]
    sqlite_rows = _store_rows.chunk_rows(frame, columns, "sqlite")
    assert sqlite_rows[0] == (1, 5, "2025-03-01", "Web", 3, "2025-03-02 02:00:00.000000")
    assert sqlite_rows[1][3:5] == (None, None)
    portable = _store_rows.chunk_rows(frame, columns, "postgresql")
    assert portable[0][2] == dt.date(2025, 3, 1) and type(portable[0][2]) is dt.date
    assert portable[1][5] == dt.datetime(2025, 3, 3, 2, 0, 0, 500000)
    assert all(type(value) is int for value in portable[0][:2])


def test_float_nulls_and_numpy_types_survive(fresh_engine):
    products = pd.DataFrame(
        {
            "product_id": np.array([1, 2], dtype=np.int32),
            "sku": ["A-1", "A-2"],
            "name": ["Lamp", "Vase"],
            "category": ["Home", "Home"],
            "list_price": np.array([19.99, 5.0], dtype=np.float32).astype(np.float64),
            "unit_cost": [7.5, 2.25],
            "launch_date": [dt.date(2024, 1, 1), dt.date(2024, 2, 1)],
        }
    )
    store.write_frames(fresh_engine, {"products": products}, source="erp", description="p")
    back = read_table(fresh_engine, schema.products)
    assert back["list_price"].round(2).tolist() == [19.99, 5.0]
    assert back["launch_date"].tolist() == list(pd.to_datetime(["2024-01-01", "2024-02-01"]))


@pytest.mark.services
def test_postgres_write_and_atomic_failure(postgres_url):
    engine = store.get_engine(postgres_url)
    store.upgrade(engine)
    store.replace_all(
        engine,
        {"customers": _customers([1, 2], pd.to_datetime([pd.NaT, "2025-05-01"]))},
        source="pg",
        description="base",
    )
    before = store.current_version(engine)
    with pytest.raises(IntegrityError):
        store.write_frames(
            engine,
            {"customers": _customers([3]), "orders": _orders([1], [42])},
            source="pg",
            description="broken",
        )
    back = read_table(engine, schema.customers)
    assert back["customer_id"].tolist() == [1, 2]
    assert back["cancel_date"].iloc[1] == pd.Timestamp("2025-05-01")
    assert store.current_version(engine) == before


@pytest.mark.services
def test_postgres_holds_the_sample_company(postgres_url, sample, tmp_path):
    from data.sample import write_sample

    engine = store.get_engine(postgres_url)
    version = write_sample(engine, sample, tmp_path / "truth.json")
    assert version.rows_written == sample.rows
    lines = read_table(engine, schema.order_lines)
    assert len(lines) == len(sample.tables["order_lines"])
    assert lines["order_date"].min() == sample.tables["order_lines"]["order_date"].min()
    assert store.row_count(engine, schema.customers) == len(sample.tables["customers"])


@pytest.mark.parametrize(("url", "driver"), [
    ("postgresql://u@h/db", "postgresql+psycopg2"), ("postgres://u@h/db", "postgresql+psycopg2"),
    ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2"), ("sqlite:///x.db", "sqlite"),
    ("sqlite+pysqlite:///x.db", "sqlite+pysqlite"),
])
def test_engine_url_picks_the_installed_driver(url, driver):
    """SQLAlchemy 2.1 maps postgresql:// to psycopg 3, which is not installed; the store picks psycopg2."""
    assert store.engine_url(url).drivername == driver


@pytest.mark.parametrize(("url", "message"), [
    ("mysql://u@h/db", "database 'mysql' in mysql://u@h/db is not supported; use postgresql://user@host:5432/db "
                       "or sqlite:///path/to/foresight.db"),
    ("postgressql://u@h/db", "database 'postgressql' in postgressql://u@h/db is not supported"),
    ("postgresql+psycopg://u@h/db", "driver 'psycopg' in postgresql+psycopg://u@h/db is not installed; "
                                    "write postgresql://"),
    ("postgresql+asyncpg://u@h/db", "driver 'asyncpg'"),
    ("foresight.db", "'foresight.db' is not a database URL; write e.g. postgresql://user@host:5432/db or "
                     "sqlite:///path/to/foresight.db"),
    ("postgresql://u:secret@h:notaport/db", "is not a database URL"),
    ("", "no database URL given"),
])
def test_engine_url_names_what_is_wrong_with_a_url(url, message):
    with pytest.raises(ValueError) as error:
        store.engine_url(url)
    assert message in str(error.value)
    assert "secret" not in str(error.value)


@pytest.mark.services
def test_the_documented_plain_postgresql_url_connects(postgres_database):
    assert postgres_database.startswith("postgresql://")
    engine = store.get_engine(postgres_database)
    store.upgrade(engine)
    assert engine.dialect.driver == "psycopg2" and store.current_version(engine) is None


def test_opening_a_store_another_process_is_switching_to_wal_waits_instead_of_failing(tmp_path):
    """Two processes opening a fresh store at once: SQLite answers one of them "database is locked" at once
    (no busy wait where it could deadlock). Made deterministic here: the other holds the lock and the busy
    timeout is 0, so every try fails until the other commits; before, the first failure was an error."""
    import logging
    import sqlite3
    import threading

    path = tmp_path / "fresh.db"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE t (x)")  # holds the lock a WAL switch needs
    mine = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    mine.execute("PRAGMA busy_timeout=0")
    retried, outcome = threading.Event(), {}

    class _Seen(logging.Handler):
        def emit(self, record):
            if "trying again" in record.getMessage():
                retried.set()

    handler = _Seen()
    logging.getLogger("data.store").addHandler(handler)
    logging.getLogger("data.store").setLevel(logging.INFO)

    def switch():
        try:
            store._switch_to_wal(mine.cursor(), pause_s=0.01)
            outcome["mode"] = mine.execute("PRAGMA journal_mode").fetchone()[0]
        except sqlite3.OperationalError as error:
            outcome["error"] = str(error)
            retried.set()

    worker = threading.Thread(target=switch)
    try:
        worker.start()
        assert retried.wait(60), "the switch neither retried nor failed"
        other.execute("COMMIT")
        worker.join(60)
    finally:
        logging.getLogger("data.store").removeHandler(handler)
        other.close()
    assert outcome == {"mode": "wal"}
    mine.close()
