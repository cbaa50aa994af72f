"""`--query` / `--table` sources are only read: statements that would change the source are refused before
they run, and the connection itself is read-only (SQLite mode=ro, a read-only PostgreSQL transaction)."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from sqlalchemy import create_engine

from data.ingest.connectors import SourceError, read_source
from data.store import engine_url
from tests.data.ingest.helpers import accounts_source

ONE_SELECT = "give exactly one SELECT statement (or WITH ... SELECT); a source is only read, never changed"


@pytest.fixture
def source_file(tmp_path):
    path = tmp_path / "crm.db"
    accounts_source(path)
    return path


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _refused(url: str, query: str) -> str:
    with pytest.raises(SourceError) as error:
        read_source("customers", url, query=query)
    return error.value.reason


@pytest.mark.parametrize(("query", "message"), [
    ("DROP TABLE accounts", f"the query starts with DROP; {ONE_SELECT}"),
    ("CREATE TABLE stolen (a INTEGER)", f"the query starts with CREATE; {ONE_SELECT}"),
    ("PRAGMA journal_mode=WAL", f"the query starts with PRAGMA; {ONE_SELECT}"),
    ("VACUUM INTO '{tmp}/copy.db'", f"the query starts with VACUUM; {ONE_SELECT}"),
    ("ATTACH DATABASE '{tmp}/other.db' AS other", f"the query starts with ATTACH; {ONE_SELECT}"),
    ("SELECT * FROM accounts; DROP TABLE accounts", f"the query holds 2 statements; {ONE_SELECT}"),
    ("select * from accounts;drop table accounts;", f"the query holds 2 statements; {ONE_SELECT}"),
    ("/* SELECT */ DELETE FROM accounts", f"the query starts with DELETE; {ONE_SELECT}"),
    ("-- SELECT\nUPDATE accounts SET plan = 'Basic'", f"the query starts with UPDATE; {ONE_SELECT}"),
    ("WITH gone AS (SELECT 1) DELETE FROM accounts", "the query contains DELETE"),
    ("SELECT * INTO copied FROM accounts", "the query contains INTO"),
    ("SELECT 'it''s' AS x; DROP TABLE accounts", f"the query holds 2 statements; {ONE_SELECT}"),
    ("SELECT * FROM accounts WHERE name = 'x", "the query has an unterminated quote or comment"),
    ("  ;  ", "the query is empty"),
])
def test_a_statement_that_is_not_one_select_is_refused_and_the_source_stays_byte_identical(
        source_file, tmp_path, query, message):
    before = _digest(source_file)
    reason = _refused(f"sqlite:///{source_file}", query.format(tmp=tmp_path))
    assert message in reason
    assert _digest(source_file) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crm.db"], "no copy, attachment or journal was created"
    assert len(read_source("customers", f"sqlite:///{source_file}", table="accounts").frame) == 1


@pytest.mark.parametrize("query", [
    "SELECT * FROM accounts",
    "select * from accounts;  -- one statement, a trailing semicolon and a comment",
    "WITH recent AS (SELECT * FROM accounts WHERE signup_date > '2025-01-01') SELECT * FROM recent",
    "SELECT customer_id, replace(name, ';', '') AS name, email, signup_date, segment, region, channel, \"plan\" "
    "FROM accounts /* DROP TABLE accounts; */",
])
def test_one_select_still_reads(source_file, query):
    before = _digest(source_file)
    frame = read_source("customers", f"sqlite:///{source_file}", query=query).frame
    assert frame["customer_id"].tolist() == [7]
    assert _digest(source_file) == before


def test_the_sqlite_connection_itself_is_read_only(source_file, tmp_path):
    """Even a SELECT that reaches the engine cannot write: mode=ro, and no attachments."""
    from data.ingest.connectors.base import ReadRequest
    from data.ingest.connectors.sql import SqlConnector
    from data.ingest.mapping import Mapping

    request = ReadRequest(f"sqlite:///{source_file}", Mapping.identity("customers"), query="SELECT 1")
    engine = SqlConnector(request)._engine()
    try:
        with engine.connect() as connection:
            for statement in ("DROP TABLE accounts", f"VACUUM INTO '{tmp_path / 'copy.db'}'",
                              f"ATTACH DATABASE '{tmp_path / 'other.db'}' AS other"):
                with pytest.raises(Exception, match="readonly|not authorized|authorization denied|attached"):
                    connection.exec_driver_sql(statement)
    finally:
        engine.dispose()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crm.db"]


def test_a_wal_mode_source_is_read_without_changing_its_file(tmp_path, source_file):
    with sqlite3.connect(source_file) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
    connection.close()
    before = _digest(source_file)
    assert len(read_source("customers", f"sqlite:///{source_file}", table="accounts").frame) == 1
    assert _digest(source_file) == before


@pytest.mark.services
def test_postgresql_sources_are_read_in_a_read_only_transaction(postgres_database):
    url = postgres_database
    engine = create_engine(engine_url(url))
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE SEQUENCE ticket_numbers")
        connection.exec_driver_sql("CREATE TABLE accounts (customer_id INT, name TEXT)")
    engine.dispose()
    reason = _refused(url, "SELECT nextval('ticket_numbers') AS customer_id, 'x' AS name")
    assert "read-only transaction" in reason
    assert "the query contains INTO" in _refused(url, "SELECT * INTO copied FROM accounts")
    assert "the query starts with DROP" in _refused(url, "DROP TABLE accounts")
    assert "$$;$$" not in _refused(url, "SELECT $$;$$ AS name; DROP TABLE accounts")
    engine = create_engine(engine_url(url))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT last_value, is_called FROM ticket_numbers").one() == (1, False)
        assert connection.exec_driver_sql("SELECT to_regclass('accounts') IS NOT NULL").scalar_one()
        assert connection.exec_driver_sql("SELECT to_regclass('copied') IS NULL").scalar_one()
    engine.dispose()
