"""Two `python -m data ingest` processes at once, and what every exit-2 ingest still reports and records."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pandas as pd
import pytest

from data import repo_root, schema, store
from data.__main__ import main
from tests.data.conftest import read_table

ROWS = 20_000  # enough validation work that the two processes' transactions overlap
_REGIONS = ["EMEA", "APAC", "North America", "LATAM"]


def _customers_csv(path, first: int, last: int, plan: str = "Basic"):
    """Customers ``first..last`` (inclusive) whose values depend only on the id (and ``plan``)."""
    ids = pd.RangeIndex(first, last + 1)
    pd.DataFrame({
        "customer_id": ids, "name": [f"Customer {i}" for i in ids], "email": [f"c{i}@example.com" for i in ids],
        "signup_date": (pd.Timestamp("2025-01-01") + pd.to_timedelta(ids % 300, unit="D")).strftime("%Y-%m-%d"),
        "segment": "SMB", "region": [_REGIONS[i % 4] for i in ids], "channel": "Web", "plan": plan,
    }).to_csv(path, index=False)
    return path


def _together(url: str, *paths) -> list[tuple[int, dict, str]]:
    """Start one ingest process per file at the same moment; (exit code, JSON summary, stderr) of each."""
    env = {k: v for k, v in os.environ.items() if k != "FORESIGHT_DATABASE_URL"}
    processes = [subprocess.Popen([sys.executable, "-m", "data", "ingest", "customers", str(path), "--json",
                                   "--database-url", url], cwd=repo_root(), env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for path in paths]
    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        outcomes.append((process.returncode, json.loads(out), err))
    return outcomes


def _store_urls(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return request.getfixturevalue("postgres_database")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def shared_store(request, tmp_path) -> str:
    """A fresh store both processes migrate and write at once: SQLite file or PostgreSQL database."""
    return _store_urls(request, tmp_path)


def test_two_files_with_no_rows_in_common_both_land(shared_store, tmp_path):
    first = _customers_csv(tmp_path / "crm_a.csv", 1, ROWS)
    second = _customers_csv(tmp_path / "crm_b.csv", ROWS + 1, 2 * ROWS)
    outcomes = _together(shared_store, first, second)
    assert [summary["accepted"] for _, summary, _ in outcomes] == [ROWS, ROWS]
    engine = store.get_engine(shared_store)
    assert store.row_count(engine, schema.customers) == 2 * ROWS
    runs = read_table(engine, schema.ingest_runs)
    assert sorted(runs["status"]) == ["committed", "committed"]
    assert sorted(runs["dataset_version"]) == [1, 2]


def _overlapping_files_land(url: str, tmp_path) -> None:
    """The overlap (ids ROWS/2+1..ROWS) is planned against whichever file committed first."""
    half = ROWS // 2
    first = _customers_csv(tmp_path / "crm_a.csv", 1, ROWS)
    same = _customers_csv(tmp_path / "crm_b.csv", half + 1, ROWS + half)
    summaries = [summary for _, summary, _ in _together(url, first, same)]
    assert sum(s["accepted"] for s in summaries) == ROWS + half
    assert sorted(s["duplicates"] for s in summaries) == [0, half]
    assert store.row_count(store.get_engine(url), schema.customers) == ROWS + half


def test_two_overlapping_files_on_a_migrated_store_both_land(shared_store, tmp_path):
    """Before the write lock: `nothing written: UNIQUE constraint failed: customers.customer_id` for one of them."""
    store.upgrade(store.get_engine(shared_store))
    _overlapping_files_land(shared_store, tmp_path)


def test_two_overlapping_files_both_land_as_new_rows_duplicates_and_conflicts(shared_store, tmp_path):
    """On a fresh store both processes also migrate it at once (before: `table alembic_version already exists`)."""
    half = ROWS // 2
    _overlapping_files_land(shared_store, tmp_path)

    changed = _customers_csv(tmp_path / "crm_c.csv", 1, half, plan="Plus")
    again = _customers_csv(tmp_path / "crm_d.csv", 1, half, plan="Premium")
    summaries = [summary for _, summary, _ in _together(shared_store, changed, again)]
    assert [s["conflicts"] for s in summaries] == [half, half]
    plans = read_table(store.get_engine(shared_store), schema.customers).set_index("customer_id")["plan"]
    assert plans.loc[1:half].nunique() == 1 and plans.loc[1] in ("Plus", "Premium")


CUSTOMERS = ("customer_id,name,email,signup_date,segment,region,channel,plan\n"
             "1,Ada,ada@example.com,2025-01-05,SMB,EMEA,Web,Basic\n")


def _cli(capsys, url: str, path) -> tuple[int, list[str], list[str]]:
    code = main(["ingest", "customers", str(path), "--json", "--database-url", url])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err.splitlines()


def test_a_store_error_during_the_write_exits_2_with_json_and_a_recorded_run(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store.upgrade(store.get_engine(url))
    with sqlite3.connect(tmp_path / "store.db") as connection:
        connection.execute("CREATE TRIGGER refuse BEFORE INSERT ON customers "
                           "BEGIN SELECT RAISE(ABORT, 'customers are frozen'); END")
    path = tmp_path / "crm.csv"
    path.write_text(CUSTOMERS)
    code, out, err = _cli(capsys, url, path)
    assert code == 2
    reason = "the store refused the write, nothing was written: customers are frozen"
    assert json.loads(out[0])["rejected_reason"] == reason
    assert err == [f"rejected: {reason}"]
    runs = read_table(store.get_engine(url), schema.ingest_runs)
    assert runs[["status", "source_name", "rejected_reason"]].values.tolist() == [
        ["rejected", "crm.csv", reason]]
    assert store.row_count(store.get_engine(url), schema.customers) == 0


def test_bad_settings_exit_2_with_json_and_a_recorded_run(tmp_path, capsys, monkeypatch):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("FORESIGHT_MAX_ROWS", "many")
    path = tmp_path / "crm.csv"
    path.write_text(CUSTOMERS)
    code, out, err = _cli(capsys, url, path)
    reason = ("nothing written: FORESIGHT_MAX_ROWS='many' is not valid; set it to a positive whole number of rows "
              "(e.g. 2000000) or unset it")
    assert (code, err) == (2, [reason])
    assert json.loads(out[0]) == {"accepted": 0, "quarantined": 0, "duplicates": 0, "conflicts": 0,
                                  "rejected_reason": reason, "warnings": []}
    runs = read_table(store.get_engine(url), schema.ingest_runs)
    assert runs[["status", "rejected_reason"]].values.tolist() == [["rejected", reason]]


def test_an_unreachable_store_still_prints_the_json_line(tmp_path, capsys):
    path = tmp_path / "crm.csv"
    path.write_text(CUSTOMERS)
    code, out, err = _cli(capsys, "postgresql://nobody@127.0.0.1:1/none", path)
    assert code == 2 and len(err) == 1 and err[0].startswith("nothing written: ")
    summary = json.loads(out[0])
    assert summary["rejected_reason"] == err[0] and summary["accepted"] == 0
    assert "the run could not be recorded" in summary["warnings"][0]


@pytest.mark.services
def test_an_ingest_waits_for_a_writer_and_plans_against_what_it_committed(postgres_database, tmp_path):
    """Deterministic: this test holds the write lock with 10 customers uncommitted until the ingest process
    waits for a lock, then commits; the ingest must see those 10 as conflicts (before: UNIQUE violation)."""
    from sqlalchemy import insert, text

    engine = store.get_engine(postgres_database)
    store.upgrade(engine)
    path = _customers_csv(tmp_path / "crm.csv", 1, 1_000)
    held = [{"customer_id": i, "name": f"Customer {i}", "email": f"c{i}@example.com", "signup_date": "2025-01-01",
             "segment": "SMB", "region": "EMEA", "channel": "Web", "plan": "Premium", "source": "crm",
             "updated_at": "2025-01-01"} for i in range(1, 11)]
    env = {k: v for k, v in os.environ.items() if k != "FORESIGHT_DATABASE_URL"}
    with store.write_transaction(engine) as connection:
        connection.execute(insert(schema.customers), held)
        process = subprocess.Popen([sys.executable, "-m", "data", "ingest", "customers", str(path), "--json",
                                    "--database-url", postgres_database], cwd=repo_root(), env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with engine.connect() as observer:  # until the process waits on a lock (or ends)
            while process.poll() is None and not observer.execute(
                    text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar_one():
                observer.rollback()
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    summary = json.loads(out)
    assert (summary["accepted"], summary["conflicts"]) == (1_000, 10)
    assert store.row_count(engine, schema.customers) == 1_000
