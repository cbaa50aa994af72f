"""The audit log: filters, pages, a spreadsheet-safe CSV, and a store that refuses to change its rows."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.auth import audit
from data import store


@pytest.fixture
def engine(tmp_path):
    engine = store.get_engine(f"sqlite:///{tmp_path / 'foresight.db'}")
    store.upgrade(engine)
    return engine


def _fill(engine) -> None:
    audit.record(engine, audit.LOGIN, actor="Ada", address="10.0.0.7")
    audit.record(engine, audit.LOGIN_FAILED, actor="mallory", outcome="failed", address="10.6.6.6",
                 detail={"reason": "wrong password"})
    audit.record(engine, audit.UPLOAD, actor="ada_b", target="orders.csv", detail={"rows": 12})
    audit.record(engine, audit.ACCESS_DENIED, actor="axb", actor_kind="token", target="/api/v1/ingest/orders",
                 outcome="denied")


def test_filters_count_and_pages_newest_first(engine):
    _fill(engine)
    assert [row["action"] for row in audit.query(engine)] == ["access_denied", "upload", "login_failed", "login"]
    assert audit.count(engine) == 4 and audit.count(engine, outcome="failed") == 1
    assert [row["actor"] for row in audit.query(engine, actor="ADA")] == ["ada_b", "Ada"]
    assert [row["actor"] for row in audit.query(engine, actor="a_b")] == ["ada_b"]  # _ is not a wildcard
    assert audit.query(engine, action="upload")[0]["detail"] == {"rows": 12}
    assert [row["action"] for row in audit.query(engine, limit=2, offset=1)] == ["upload", "login_failed"]
    later = audit.now() + dt.timedelta(seconds=1)
    assert audit.count(engine, since=later) == 0 and audit.count(engine, until=later) == 4
    denied = audit.query(engine, outcome="denied")[0]
    assert (denied["actor_kind"], denied["target"], denied["address"]) == ("token", "/api/v1/ingest/orders", None)


@pytest.mark.parametrize(("call", "message"), [
    (lambda e: audit.record(e, "Log In", actor="ada"), "audit action 'Log In' is not valid"),
    (lambda e: audit.record(e, audit.LOGIN, actor="ada", outcome="maybe"), "use one of ok, denied, failed"),
    (lambda e: audit.query(e, limit=0), "limit must be 1..10000"),
])
def test_bad_arguments_are_refused_with_the_valid_options(engine, call, message):
    with pytest.raises(ValueError, match=message):
        call(engine)
    assert audit.count(engine) == 0


def test_every_action_constant_is_listed_once():
    constants = {value for name, value in vars(audit).items() if name.isupper() and isinstance(value, str)}
    assert set(audit.ACTIONS) == constants and len(audit.ACTIONS) == len(set(audit.ACTIONS)) == 28


def test_the_csv_neutralises_formulas_and_reads_back(engine):
    audit.record(engine, audit.EXPORT, actor="=cmd|' /C calc'!A0", target="@SUM(1+1)", detail={"k": "v, w"})
    exported = audit.to_csv(audit.query(engine))
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert list(rows[0]) == list(audit.COLUMNS)
    assert (rows[0]["actor"], rows[0]["target"], rows[0]["detail"]) == ("'=cmd|' /C calc'!A0", "'@SUM(1+1)",
                                                                       '{"k": "v, w"}')
    assert rows[0]["action"] == "export" and rows[0]["id"] == "1"
    assert audit.to_csv([]) == ",".join(audit.COLUMNS) + "\n"


def _refusals(engine) -> list[str]:
    messages = []
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError) as raised, engine.begin() as connection:
            connection.execute(text(statement))
        messages.append(str(raised.value.orig))
    return messages


def test_the_store_refuses_to_change_or_delete_audit_rows_on_sqlite(engine):
    _fill(engine)
    for message in _refusals(engine):
        assert "audit_log is append-only: rows can be added but never changed or deleted" in message
    assert audit.count(engine) == 4 and audit.query(engine, actor="Ada")[-1]["actor"] == "Ada"


@pytest.mark.services
def test_the_store_refuses_to_change_delete_or_truncate_audit_rows_on_postgres(postgres_database):
    engine = store.get_engine(postgres_database)
    store.upgrade(engine)
    _fill(engine)
    messages = _refusals(engine)
    with pytest.raises(DBAPIError, match="TRUNCATE refused"), engine.begin() as connection:
        connection.execute(text("TRUNCATE audit_log"))
    assert "(UPDATE refused)" in messages[0] and "(DELETE refused)" in messages[1]
    assert audit.count(engine) == 4
    engine.dispose()
