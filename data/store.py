"""Connecting to the store, migrating it, and writing whole batches atomically.

Every successful write records a new row in ``dataset_versions``; the latest
version number is what caches key their results on. Writers take turns: each write transaction
holds the store's write lock from its first statement (``write_transaction``), so two ingests at
once both land, the second one planned against what the first committed.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, Table, create_engine, event, func, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from data import _store_rows, schema
from data._sqlite_fork import disable_memory_statistics
from data._store_url import engine_url

__all__ = [
    "DatasetVersion",
    "engine_url",
    "error_text",
    "get_engine",
    "write_transaction",
    "upgrade",
    "current_version",
    "replace_all",
    "write_frames",
    "write_changes",
    "row_count",
]

log = logging.getLogger(__name__)
disable_memory_statistics()  # before any connection: forked background jobs must not inherit a held SQLite mutex

_MIGRATIONS = Path(__file__).with_name("migrations")
_INSERT_CHUNK = 100_000
_SOURCE_TABLES = {table.name: table for table in schema.SOURCE_TABLES}
# How long a writer waits for another one to finish (a 1M-line ingest takes about a minute).
LOCK_WAIT_S = 600
# The PostgreSQL advisory lock every store writer takes ("Fore" in ASCII).
_PG_WRITE_LOCK = 0x466F7265


@dataclass(frozen=True)
class DatasetVersion:
    """The newest committed write to the store."""

    version: int
    created_at: dt.datetime
    source: str
    description: str
    rows_written: int


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={LOCK_WAIT_S * 1000}")  # first: switching to WAL takes a lock too
    cursor.execute("PRAGMA foreign_keys=ON")
    _switch_to_wal(cursor)
    # Index pages of a multi-million-row batch stay in memory instead of being re-read.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def _switch_to_wal(cursor, pause_s: float = 0.05) -> None:
    """``PRAGMA journal_mode=WAL``, tried again while another process switches the same new file.

    Two processes opening a fresh store at once both read its header and then both need the
    exclusive lock to switch it to WAL; SQLite answers one of them "database is locked" at once,
    without waiting (its busy handler is skipped where waiting could deadlock). The first to get
    the lock switches the file, so the retry finds it in WAL mode. Gives up after LOCK_WAIT_S.
    """
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            log.info("the store is being switched to WAL by another process; trying again")
            time.sleep(pause_s)


@lru_cache(maxsize=8)
def get_engine(database_url: str) -> Engine:
    """One pooled engine per URL and process; SQLite files get their folder created.

    The driver is picked by ``engine_url`` (plain ``postgresql://`` works); a bad URL raises
    ValueError with a specific message.
    """
    url = engine_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the store's schema to ``revision`` with Alembic (idempotent)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with write_transaction(engine) as connection:  # two processes upgrading at once take turns
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction holding the store's write lock from its first statement; commits on success.

    SQLite: ``BEGIN IMMEDIATE`` (waits up to LOCK_WAIT_S for another writer instead of failing with
    "database is locked" when its snapshot turns stale). PostgreSQL: a transaction-scoped advisory
    lock. Everything read inside sees what earlier writers committed, so a plan made inside is
    never overtaken by another writer before it commits.
    """
    with engine.connect() as connection, connection.begin():
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # pysqlite leaves transaction control to us here
        else:
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_WAIT_S}s'")
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_WRITE_LOCK})
        yield connection


def error_text(error: BaseException) -> str:
    """A store failure in one line: the driver's own message, or what to do when a lock wait ran out."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    message = " ".join(str(cause).split()) or type(cause).__name__
    if "database is locked" in message or "lock timeout" in message:
        return (f"another write held the store ({message}; writes wait up to {LOCK_WAIT_S} s for each other); "
                "try again when it has finished")
    return message


def current_version(engine: Engine) -> DatasetVersion | None:
    """The latest dataset version, or None when nothing was ever written."""
    table = schema.dataset_versions
    query = select(table).order_by(table.c.version.desc()).limit(1)
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    return DatasetVersion(**row) if row else None


def _check_tables(frames: dict[str, pd.DataFrame]) -> None:
    unknown = sorted(set(frames) - set(_SOURCE_TABLES))
    if unknown:
        raise ValueError(f"unknown table(s) {unknown}; expected some of {sorted(_SOURCE_TABLES)}")


def _prepared(frames: dict[str, pd.DataFrame], source: str) -> dict[str, pd.DataFrame]:
    """Validate every frame before the transaction starts, so bad input writes nothing."""
    _check_tables(frames)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return {
        name: _store_rows.prepare_frame(_SOURCE_TABLES[name], frame, source=source, updated_at=now)
        for name, frame in frames.items()
    }


def _insert_rows(connection: Connection, table: Table, names: list[str], rows: list[tuple]) -> None:
    """One chunk inside the caller's transaction: SQLite straight to the driver's executemany,
    other databases through SQLAlchemy's batched multi-row INSERTs (errors stay SQLAlchemy's)."""
    dialect = connection.dialect
    if dialect.name == "sqlite":
        connection.exec_driver_sql(_store_rows.insert_sql(table, names, dialect), rows)
    else:
        connection.execute(insert(table), [dict(zip(names, row)) for row in rows])


def _insert_frame(connection: Connection, table: Table, frame: pd.DataFrame) -> int:
    """Insert a frame in chunks of 100k rows converted column by column (see _store_rows)."""
    names = list(frame.columns)
    columns = [table.c[name] for name in names]
    for start in range(0, len(frame), _INSERT_CHUNK):
        rows = _store_rows.chunk_rows(
            frame.iloc[start : start + _INSERT_CHUNK], columns, connection.dialect.name
        )
        _insert_rows(connection, table, names, rows)
    return len(frame)


def _record_version(connection: Connection, source: str, description: str, rows: int) -> int:
    result = connection.execute(
        insert(schema.dataset_versions).values(
            created_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
            source=source,
            description=description,
            rows_written=rows,
        )
    )
    return int(result.inserted_primary_key[0])


def _insert_all(connection: Connection, prepared: dict[str, pd.DataFrame], source: str, description: str) -> int:
    """Insert every prepared frame in foreign-key order, then record the new dataset version."""
    rows = sum(
        _insert_frame(connection, table, prepared[table.name])
        for table in schema.SOURCE_TABLES
        if table.name in prepared
    )
    _record_version(connection, source, description, rows)
    return rows


def write_frames(engine: Engine, frames: dict[str, pd.DataFrame], *, source: str, description: str) -> int:
    """Append frames (keyed by table name) in one transaction and bump the dataset version.

    Either every row is committed together with the new version, or nothing is. Frames
    without ``source`` / ``updated_at`` columns get ``source`` and the write time.
    """
    prepared = _prepared(frames, source)
    with write_transaction(engine) as connection:
        rows = _insert_all(connection, prepared, source, description)
    log.info("committed %d rows from %s as a new dataset version", rows, source)
    return rows


def _update_sql(table: Table, names: list[str], keys: list[str], connection: Connection) -> str:
    """A positional UPDATE by primary key: the SET values first, then the key values."""
    quote = connection.dialect.identifier_preparer.quote
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    assignments = ", ".join(f"{quote(name)} = {marker}" for name in names)
    condition = " AND ".join(f"{quote(key)} = {marker}" for key in keys)
    return f"UPDATE {quote(table.name)} SET {assignments} WHERE {condition}"


def _update_frame(connection: Connection, table: Table, frame: pd.DataFrame) -> int:
    """Overwrite existing rows, matched on the primary key, with the frame's values."""
    keys = [column.name for column in table.primary_key.columns]
    missing = [key for key in keys if key not in frame.columns]
    if missing:
        raise ValueError(f"table `{table.name}`: updates need the primary key column(s) {missing}")
    names = [name for name in frame.columns if name not in keys]
    columns = [table.c[name] for name in names + keys]
    sql = _update_sql(table, names, keys, connection)
    for start in range(0, len(frame), _INSERT_CHUNK):
        rows = _store_rows.chunk_rows(frame.iloc[start : start + _INSERT_CHUNK], columns, connection.dialect.name)
        connection.exec_driver_sql(sql, rows)
    return len(frame)


def write_changes(
    connection: Connection,
    *,
    inserts: dict[str, pd.DataFrame],
    updates: dict[str, pd.DataFrame] | None = None,
    source: str,
    description: str,
) -> int:
    """Insert new rows and update existing ones inside the caller's transaction; returns the new version.

    ``updates`` frames carry whole rows matched on the primary key. Both are validated before
    anything is written; tables go in foreign-key order, inserts before updates. The caller
    commits (or rolls back) the rows and the new dataset version together.
    """
    prepared_inserts = _prepared(inserts, source)
    prepared_updates = _prepared(updates or {}, source)
    rows = 0
    for table in schema.SOURCE_TABLES:
        if table.name in prepared_inserts:
            rows += _insert_frame(connection, table, prepared_inserts[table.name])
    for table in schema.SOURCE_TABLES:
        if table.name in prepared_updates:
            rows += _update_frame(connection, table, prepared_updates[table.name])
    return _record_version(connection, source, description, rows)


def replace_all(engine: Engine, frames: dict[str, pd.DataFrame], *, source: str, description: str) -> int:
    """Replace every source table's content in one transaction (used by the sample generator).

    Tables missing from ``frames`` end up empty. A failure anywhere rolls everything back,
    leaving the previous data and dataset version in place.
    """
    prepared = _prepared(frames, source)
    with write_transaction(engine) as connection:
        for table in reversed(schema.SOURCE_TABLES):
            connection.execute(table.delete())
        rows = _insert_all(connection, prepared, source, description)
    log.info("replaced the store with %d rows from %s", rows, source)
    return rows


def row_count(engine: Engine, table: Table) -> int:
    """Number of rows in ``table``."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())
