"""``python -m analytics.forecasting demand``: one JSON line per node and day from facts up to --as-of only,
and one line on stderr with exit code 2 for every kind of bad input."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest

from analytics.forecasting.cli import COLUMNS, main
from data import store
from data.sample import SampleConfig, generate_sample, write_sample
from tests.sample_stores import snapshot_store
from tests.services import free_port

ROOT = Path(__file__).resolve().parents[3]
AS_OF, HORIZON = dt.date(2025, 12, 5), 7
FIRST = dt.date(2025, 8, 1)
# two regions x two categories: 7 nodes, ~4 months of history, so a forecast takes seconds
REGIONS, CATEGORIES = ("EMEA", "APAC"), ("Home", "Electronics")
COMPANY = SampleConfig(customers=400, seed=7, end_date=dt.date(2026, 1, 10), years=1)


def _trimmed(tables: dict[str, pd.DataFrame], last: dt.date | None) -> dict[str, pd.DataFrame]:
    """The company's sales in REGIONS x CATEGORIES from FIRST on (to ``last`` when given); the rest untouched."""
    customers = tables["customers"].loc[tables["customers"]["region"].isin(REGIONS), "customer_id"]
    orders = tables["orders"]
    dates = pd.to_datetime(orders["order_date"])
    keep = orders["customer_id"].isin(customers) & (dates >= pd.Timestamp(FIRST))
    spend = tables["marketing_daily"]
    if last is not None:
        keep &= dates <= pd.Timestamp(last)
        spend = spend[pd.to_datetime(spend["date"]) <= pd.Timestamp(last)]
    orders = orders[keep]
    lines = tables["order_lines"]
    lines = lines[lines["order_id"].isin(orders["order_id"]) & lines["category"].isin(CATEGORIES)]
    return {**tables, "orders": orders, "order_lines": lines, "marketing_daily": spend}


def _write(folder: Path, last: dt.date | None) -> str:
    dataset = generate_sample(COMPANY)
    dataset = dataclasses.replace(dataset, tables=_trimmed(dataset.tables, last))
    url = f"sqlite:///{folder / 'store.db'}"
    engine = store.get_engine(url)
    write_sample(engine, dataset, folder / "truth.json")
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def whole_url(tmp_path_factory) -> str:
    """The company with its sales to 10 January 2026, well after AS_OF."""
    return _write(tmp_path_factory.mktemp("cli-whole"), None)


@pytest.fixture(scope="module")
def cut_url(tmp_path_factory) -> str:
    """The same company with every order and spend row after AS_OF left out."""
    return _write(tmp_path_factory.mktemp("cli-cut"), AS_OF)


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["demand", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _forecast(url: str) -> list[dict]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["demand", "--database-url", url, "--as-of", AS_OF.isoformat(), "--horizon", str(HORIZON),
                     "--metric", "revenue", "--jobs", "1", "--json"])
    assert (code, err.getvalue()) == (0, ""), err.getvalue()
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture(scope="module")
def whole_rows(whole_url) -> list[dict]:
    return _forecast(whole_url)


def test_one_json_line_per_node_and_day_with_ordered_bands(whole_rows):
    frame = pd.DataFrame(whole_rows)
    assert list(frame.columns) == list(COLUMNS)
    nodes = {"total", *REGIONS, *(f"{r}/{c}" for r in REGIONS for c in CATEGORIES)}
    assert set(frame["node"]) == nodes
    days = [(AS_OF + dt.timedelta(days=k)).isoformat() for k in range(1, HORIZON + 1)]
    assert len(frame) == len(nodes) * HORIZON and not frame.duplicated(["node", "date"]).any()
    assert sorted(frame["date"].unique()) == days
    ordered = ((frame["lo-95"] <= frame["lo-80"]) & (frame["lo-80"] <= frame["mean"])
               & (frame["mean"] <= frame["hi-80"]) & (frame["hi-80"] <= frame["hi-95"]) & (frame["lo-95"] >= 0))
    assert ordered.all(), frame[~ordered]
    assert (frame["lo-80"] < frame["hi-80"]).all(), "intervals have width"
    wide = frame.pivot(index="date", columns="node", values="mean")
    assert (wide["total"] - wide[list(REGIONS)].sum(axis=1)).abs().max() < 0.05, "regions add up to the total"


def test_nothing_after_as_of_is_read(whole_rows, cut_url):
    """The store with sales to January and the store cut at AS_OF give the very same forecast."""
    assert whole_rows == _forecast(cut_url)


def test_without_json_a_readable_table_in_the_metric_asked_for(capsys, cut_url):
    code, out, err = _run(capsys, "--database-url", cut_url, "--as-of", AS_OF.isoformat(), "--horizon", "2",
                          "--metric", "units", "--jobs", "1")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["node", "date", "units", "sold", "80%", "95%"]
    assert len(lines) == 1 + 7 * 2 and lines[1].split()[:2] == ["total", "2025-12-06"]
    assert " – " in lines[1], "intervals read low – high"


def _empty_store(folder: Path) -> str:
    url = f"sqlite:///{folder / 'empty.db'}"
    engine = store.get_engine(url)
    store.upgrade(engine)
    engine.dispose()
    return url


def _pre_calendar_store(folder: Path, whole: str) -> str:
    """A copy of the whole store as it was before migration 0004: no calendar_events table."""
    import sqlite3

    path = folder / "old.db"
    snapshot_store(Path(whole.removeprefix("sqlite:///")), path)
    with sqlite3.connect(path) as connection:
        connection.execute("DROP TABLE calendar_events")
    return f"sqlite:///{path}"


def _hostile(name: str, folder: Path, whole: str) -> tuple[list[str], str]:
    """The arguments of one kind of bad input and the start of the message it must get."""
    good = ["--as-of", AS_OF.isoformat(), "--horizon", "7"]
    (folder / "notes.txt").write_text("not a database\n")
    (folder / "blank.db").write_bytes(b"")
    return {
        "bad date": (["--database-url", whole, "--as-of", "2025-02-30", "--horizon", "7"],
                     "--as-of '2025-02-30' is not a date; give it as YYYY-MM-DD"),
        "before first sale": (["--database-url", whole, "--as-of", "2025-07-31", "--horizon", "7"],
                              ("--as-of 2025-07-31 is before the first sale; the store has sales from 2025-08-01 "
                               "to 2026-01-10")),
        "after last sale": (["--database-url", whole, "--as-of", "2026-01-11", "--horizon", "7"],
                            "--as-of 2026-01-11 is after the last sale; the store has sales from 2025-08-01"),
        "horizon 0": (["--database-url", whole, "--as-of", "2025-12-05", "--horizon", "0"],
                      "--horizon '0' is not a horizon in days; use a whole number from 1 to 365"),
        "horizon 366": (["--database-url", whole, "--as-of", "2025-12-05", "--horizon", "366"],
                        "--horizon '366' is not a horizon in days"),
        "horizon text": (["--database-url", whole, "--as-of", "2025-12-05", "--horizon", "a week"],
                         "--horizon 'a week' is not a horizon in days"),
        "unknown metric": (["--database-url", whole, *good, "--metric", "profit"],
                           "--metric 'profit' is not a metric; use one of revenue, units"),
        "missing file": (["--database-url", f"sqlite:///{folder / 'nowhere.db'}", *good],
                         "there is no SQLite file at"),
        "empty store": (["--database-url", _empty_store(folder), *good], "the store has no sales; load orders first"),
        "blank database": (["--database-url", f"sqlite:///{folder / 'blank.db'}", *good],
                           "the database holds no Foresight store (no such table: orders)"),
        "not a database file": (["--database-url", f"sqlite:///{folder / 'notes.txt'}", *good],
                                "the file is not a SQLite database"),
        "not a database url": (["--database-url", "https://example.com/store", *good],
                               "--database-url: database 'https' in https://example.com/store is not supported"),
        "not a url at all": (["--database-url", "instance/foresight.db", *good],
                             "--database-url: 'instance/foresight.db' is not a database URL"),
        "uninstalled driver": (["--database-url", "postgresql+asyncpg://u:secret@127.0.0.1/db", *good],
                               "driver 'asyncpg' in postgresql+asyncpg://u:***@127.0.0.1/db is not installed"),
        # The documented plain form (psycopg2 is picked; SQLAlchemy 2.1 alone would want psycopg 3).
        "unreachable server": (["--database-url", f"postgresql://u:secret@127.0.0.1:{free_port()}/db",
                                *good], "cannot connect ("),
        "missing argument": (["--database-url", whole], "the following arguments are required: --as-of, --horizon"),
        "unknown holiday country": (["--database-url", whole, *good, "--holiday-countries", "US,XX"],
                                    "--holiday-countries 'US,XX': XX is not a country the holidays library knows"),
        "store before the calendar": (["--database-url", _pre_calendar_store(folder, whole), *good],
                                      "the store predates the calendar of events"),
    }[name]


HOSTILE = ("bad date", "before first sale", "after last sale", "horizon 0", "horizon 366", "horizon text",
           "unknown metric", "missing file", "empty store", "blank database", "not a database file",
           "not a database url", "not a url at all", "uninstalled driver", "unreachable server", "missing argument", "unknown holiday country",
           "store before the calendar")


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_input_gets_one_line_and_exit_code_2(name, capsys, tmp_path, whole_url):
    argv, message = _hostile(name, tmp_path, whole_url)
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("python -m analytics.forecasting demand: "), err
    assert message in err, err
    assert "secret" not in err, "a password in the URL is never printed"


def test_the_module_runs_and_refuses_without_a_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-m", "analytics.forecasting", "demand", "--database-url",
                           f"sqlite:///{tmp_path / 'nowhere.db'}", "--as-of", "2025-10-17", "--horizon", "45"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "there is no SQLite file at" in done.stderr and not (tmp_path / "nowhere.db").exists()
