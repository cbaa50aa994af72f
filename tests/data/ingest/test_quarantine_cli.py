"""`python -m data quarantine list|export`: quarantined rows per source from a shell, exported as the same safe,
re-submittable CSV the Data page downloads (issue 13, item 12)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys

import pytest

from data import schema
from data.__main__ import main
from data.ingest import ingest, quarantine_csv, resubmit
from tests.data.conftest import read_table
from tests.data.ingest.helpers import TODAY, seed

CUSTOMERS = ("customer_id,name,email,signup_date,segment,region,channel,plan\n"
             "1,=HYPERLINK(\"http://x\"),c1@example.com,2026-03-01,SMB,EMEA,Web,Basic\n"
             "2,\"two\rlines\",c2@example.com,2026-03-01,SMB,EMEA,Web,Basic\n"
             "3,'kept,c3@example.com,2025-03-01,SMB,EMEA,Web,Basic\n")
ORDERS = "order_id,customer_id,order_date,product_id,quantity,unit_price\n90,1,2025-06-01,1,-5,20.0\n"


@pytest.fixture
def quarantined(fresh_engine):
    """Two sources with open quarantined rows: crm.csv (customers, 2 rows) and erp.csv (orders, 1 row)."""
    seed(fresh_engine)
    ingest(fresh_engine, "customers", CUSTOMERS.encode(), filename="crm.csv", today=TODAY)
    ingest(fresh_engine, "orders", ORDERS.encode(), filename="erp.csv", today=TODAY)
    return fresh_engine


def _run(capsys, engine, *args: str) -> tuple[int, str, str]:
    code = main(["quarantine", *args, "--database-url", str(engine.url)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_counts_rows_and_reasons_per_source(capsys, quarantined):
    code, out, err = _run(capsys, quarantined, "list")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "crm.csv (customers): 2 open rows"
    assert "  2  `signup_date` is in the future" in lines[1]
    assert "erp.csv (orders): 1 open row" in lines
    assert any("`quantity` is out of range" in line for line in lines)
    code, out, _ = _run(capsys, quarantined, "list", "--source", "erp.csv")
    assert code == 0 and out.splitlines()[0] == "erp.csv (orders): 1 open row" and "crm.csv" not in out
    code, out, err = _run(capsys, quarantined, "list", "--status", "closed")
    assert (code, out) == (2, "")
    assert err == ("quarantine list failed: status 'closed' is not one of open, resubmitted, discarded (None, or "
                   "--status all, lists every status)\n")


def test_export_writes_the_safe_csv_that_resubmits_unedited(capsys, quarantined, tmp_path):
    code, out, err = _run(capsys, quarantined, "export", "--source", "crm.csv")
    assert code == 0, err
    assert out == quarantine_csv(quarantined, source_name="crm.csv")
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert [row["name"] for row in rows] == ["'=HYPERLINK(\"http://x\")", "two\rlines"]
    target = tmp_path / "crm-quarantine.csv"
    code, out, err = _run(capsys, quarantined, "export", "--source", "crm.csv", "--output", str(target))
    assert code == 0 and out == "" and "2 rows of crm.csv (customers) written to" in err
    result = resubmit(quarantined, "customers", target, today=dt.date(2026, 3, 2))
    assert result.accepted == 2, result.rejected_reason
    names = read_table(quarantined, schema.customers).set_index("customer_id")["name"]
    assert names.loc[[1, 2, 3]].tolist() == ['=HYPERLINK("http://x")', "two\rlines", "'kept"]


def test_export_needs_one_source_and_says_which_exist(capsys, quarantined):
    code, out, err = _run(capsys, quarantined, "export")
    assert code == 2 and out == ""
    assert err.strip() == ("quarantine export: open rows come from 2 sources (crm.csv: 2 customers rows, erp.csv: "
                           "1 orders row); choose one with --source (a re-submission takes one source at a time)")
    code, out, err = _run(capsys, quarantined, "export", "--source", "nope.csv")
    assert code == 1 and out == ""
    assert err.strip() == ("quarantine export: no open quarantined rows from source 'nope.csv'; sources with open "
                           "rows: crm.csv, erp.csv")


def test_bad_arguments_and_stores_get_one_line_and_exit_2(capsys, tmp_path):
    code = main(["quarantine", "--database-url", "sqlite:///x.db"])
    assert code == 2 and "choose list or export" in capsys.readouterr().err
    code = main(["quarantine", "purge"])
    assert code == 2 and "invalid choice: 'purge' (choose from 'list', 'export')" in capsys.readouterr().err
    code = main(["quarantine", "list", "--database-url", "nosuchdriver://x"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("quarantine list failed: ") and len(err.splitlines()) == 1
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    code = main(["quarantine", "list", "--database-url", empty])
    err = capsys.readouterr().err
    assert code == 2 and "python -m data upgrade" in err and len(err.splitlines()) == 1


def test_the_command_runs_as_a_module(quarantined):
    done = subprocess.run([sys.executable, "-m", "data", "quarantine", "list", "--database-url", str(quarantined.url)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "crm.csv (customers): 2 open rows"
