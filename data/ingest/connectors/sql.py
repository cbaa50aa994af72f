"""Database sources through SQLAlchemy (SQLite and PostgreSQL): a whole table or one query.

The connector only reads. A query runs in a transaction that is rolled back, results stream in
so the row limit stops a huge table early, and every failure becomes a one-line SourceError
with the password redacted from the URL.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import MetaData, Table, create_engine, inspect, select, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, NoSuchTableError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from data.ingest.connectors.base import DataConnector, ReadRequest, numbered, register_connector
from data.ingest.contract import SourceError

__all__ = ["SqlConnector", "redact_url"]

_CONNECT_TIMEOUT_S = 10
_SHOWN_QUERY = 60


def redact_url(url: str | URL) -> str:
    """``url`` with its password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
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
        url_text = self.request.source
        try:
            url = make_url(url_text)
            if url.get_backend_name() == "sqlite":
                _check_sqlite_file(url)
            connect_args = {"connect_timeout": _CONNECT_TIMEOUT_S} if url.get_backend_name() == "postgresql" else {}
            return create_engine(url, poolclass=NullPool, connect_args=connect_args)
        except NoSuchModuleError:  # a subclass of ArgumentError: catch it first
            raise SourceError(f"no database driver for {redact_url(url_text)}; supported: sqlite, "
                              "postgresql (psycopg2)") from None
        except ArgumentError:
            raise SourceError(f"{url_text[:80]!r} is not a database URL; write e.g. "
                              "postgresql://user@host:5432/db or sqlite:///path/to.db") from None

    def _connect(self, engine: Engine) -> Connection:
        try:
            return engine.connect()
        except SQLAlchemyError as error:
            raise SourceError(f"cannot connect to {redact_url(engine.url)}: {_one_line(error)}") from None

    def _fetch(self, connection: Connection) -> pd.DataFrame:
        statement = self._table_query(connection) if self.request.table is not None else text(self.request.query)
        limit = self.request.limits.max_rows
        try:
            result = connection.execution_options(stream_results=True).execute(statement)
            if not result.returns_rows:
                raise SourceError(f"the query on {redact_url(connection.engine.url)} returns no rows; "
                                  "give a SELECT statement")
            columns = list(result.keys())
            rows = result.fetchmany(limit + 1)
        except DBAPIError as error:
            raise SourceError(f"query failed on {redact_url(connection.engine.url)}: {_one_line(error)}") from None
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
            raise SourceError(f"no table {self.request.table!r} in {redact_url(connection.engine.url)}; "
                              f"tables: {', '.join(tables) or 'none'}") from None
        except DBAPIError as error:
            raise SourceError(f"cannot read table {self.request.table!r} from {redact_url(connection.engine.url)}: "
                              f"{_one_line(error)}") from None
        return select(table)


def _check_sqlite_file(url: URL) -> None:
    """SQLite would silently create a missing file; a source must already exist."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    if not Path(database).is_file():
        raise SourceError(f"no SQLite database at {database}; check the path in {url.render_as_string()}")


def _check_columns(columns: list[str], source_name: str) -> None:
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            raise SourceError(f"{source_name} returns the column {column!r} twice; give one of them an alias "
                              f"(... AS other_name)")
        seen.add(column)
