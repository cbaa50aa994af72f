"""Database sources through SQLAlchemy (SQLite and PostgreSQL): a whole table or one query.

The connector only reads, and cannot write: a ``--query`` must be exactly one SELECT (or WITH ...
SELECT), checked before it runs (``_sql_statement``); SQLite files are opened ``mode=ro`` with
no attachments (``ATTACH`` and ``VACUUM INTO`` would create files), PostgreSQL sessions are
read-only (``default_transaction_read_only``). Results stream in so the row limit stops a huge
table early, and every failure becomes a one-line SourceError with the password redacted.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote, unquote

import pandas as pd
from sqlalchemy import MetaData, Table, create_engine, inspect, select, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchTableError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from data.ingest.connectors._sql_statement import statement_problem
from data.ingest.connectors.base import DataConnector, ReadRequest, numbered, register_connector
from data.ingest.contract import SourceError
from data.store import engine_url

__all__ = ["SqlConnector", "redact_url"]

_CONNECT_TIMEOUT_S = 10
_SHOWN_QUERY = 60
# What a SQLite source's connection may do: read tables, call functions, and the PRAGMAs that
# reflecting a --table needs. Everything else (ATTACH, which VACUUM INTO uses too, writes,
# other PRAGMAs) is denied before it runs.
_SQLITE_ALLOWED = {sqlite3.SQLITE_READ, sqlite3.SQLITE_SELECT, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
_SQLITE_READ_PRAGMAS = {"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list",
                        "read_uncommitted"}  # SQLAlchemy reads the isolation level on connect


def redact_url(url: str | URL) -> str:
    """``url`` with its password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        return "<an unparseable URL>"


def _one_line(error: BaseException) -> str:
    """The driver's own message, first line only (PostgreSQL adds LINE/HINT lines)."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    lines = [line.strip() for line in str(cause).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(cause).__name__


@register_connector("sql")
class SqlConnector(DataConnector):
    """A SQLAlchemy URL plus exactly one of ``table`` (optionally ``schema.table``) or ``query``."""

    kinds = "a database URL (sqlite:///file.db, postgresql://user@host/db) with a table or a query"

    @classmethod
    def accepts(cls, request: ReadRequest) -> bool:
        return isinstance(request.source, str) and "://" in request.source

    @property
    def source_name(self) -> str:
        request = self.request
        if request.table is not None:
            return f"{redact_url(request.source)} table {request.table}"
        query = " ".join((request.query or "").split())
        return f"{redact_url(request.source)} query {query[:_SHOWN_QUERY]}{'...' if len(query) > _SHOWN_QUERY else ''}"

    def read(self) -> pd.DataFrame:
        request = self.request
        if (request.table is None) == (request.query is None):
            raise SourceError(f"give exactly one of --table or --query for the database {redact_url(request.source)}")
        engine = self._engine()
        try:
            with self._connect(engine) as connection:
                return self._fetch(connection)
        finally:
            engine.dispose()

    def _engine(self) -> Engine:
        """A read-only engine for the source URL (the driver picked by data.store.engine_url)."""
        try:
            url = engine_url(self.request.source)
        except ValueError as error:
            raise SourceError(f"the source URL: {error}") from None
        if url.get_backend_name() == "sqlite":
            _check_sqlite_file(url)
            return create_engine("sqlite://", creator=_sqlite_reader(url), poolclass=NullPool)
        return create_engine(url, poolclass=NullPool, connect_args={
            "connect_timeout": _CONNECT_TIMEOUT_S, "options": "-c default_transaction_read_only=on"})

    def _connect(self, engine: Engine) -> Connection:
        try:
            return engine.connect()
        except SQLAlchemyError as error:
            raise SourceError(f"cannot connect to {redact_url(self.request.source)}: {_one_line(error)}") from None

    def _fetch(self, connection: Connection) -> pd.DataFrame:
        if self.request.query is not None:
            problem = statement_problem(self.request.query)
            if problem:
                raise SourceError(f"{problem} (--query on {redact_url(self.request.source)})")
        statement = self._table_query(connection) if self.request.table is not None else text(self.request.query)
        limit = self.request.limits.max_rows
        try:
            result = connection.execution_options(stream_results=True).execute(statement)
            if not result.returns_rows:
                raise SourceError(f"the query on {redact_url(self.request.source)} returns no rows; "
                                  "give a SELECT statement")
            columns = list(result.keys())
            rows = result.fetchmany(limit + 1)
        except DBAPIError as error:
            raise SourceError(f"query failed on {redact_url(self.request.source)}: {_one_line(error)}") from None
        _check_columns(columns, self.source_name)
        if len(rows) > limit:
            raise SourceError(f"{self.source_name} returns more than {limit:,} rows, the limit; narrow it with "
                              "--query ... WHERE or raise FORESIGHT_MAX_ROWS")
        return numbered(pd.DataFrame.from_records(rows, columns=columns, coerce_float=False))

    def _table_query(self, connection: Connection):
        schema, _, name = self.request.table.rpartition(".")
        try:
            table = Table(name, MetaData(), schema=schema or None, autoload_with=connection)
        except NoSuchTableError:
            tables = inspect(connection).get_table_names(schema=schema or None)
            raise SourceError(f"no table {self.request.table!r} in {redact_url(self.request.source)}; "
                              f"tables: {', '.join(tables) or 'none'}") from None
        except DBAPIError as error:
            raise SourceError(f"cannot read table {self.request.table!r} from {redact_url(self.request.source)}: "
                              f"{_one_line(error)}") from None
        return select(table)


def _sqlite_path(url: URL) -> str:
    """The file a sqlite:/// URL names (``file:`` URI form included)."""
    database = url.database or ""
    return unquote(database.removeprefix("file:").split("?", 1)[0]) if database.startswith("file:") else database


def _read_only_authorizer(action: int, argument: str | None, _value: str | None, _db, _trigger) -> int:
    allowed = action in _SQLITE_ALLOWED or (action == sqlite3.SQLITE_PRAGMA and argument in _SQLITE_READ_PRAGMAS
                                            and (argument != "read_uncommitted" or _value is None))
    return sqlite3.SQLITE_OK if allowed else sqlite3.SQLITE_DENY


def _sqlite_reader(url: URL):
    """A connect function opening the source file read-only (``mode=ro``), attachments refused."""
    uri = f"file:{quote(str(Path(_sqlite_path(url)).resolve()))}?mode=ro"

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        connection.set_authorizer(_read_only_authorizer)
        return connection

    return connect


def _check_sqlite_file(url: URL) -> None:
    """SQLite would silently create a missing file; a source must already exist."""
    database = _sqlite_path(url)
    if not Path(database).is_file():
        raise SourceError(f"no SQLite database at {database}; check the path in {url.render_as_string()}")


def _check_columns(columns: list[str], source_name: str) -> None:
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            raise SourceError(f"{source_name} returns the column {column!r} twice; give one of them an alias "
                              f"(... AS other_name)")
        seen.add(column)
