"""`python -m data ingest`: exit codes 0/3/2, the JSON summary line, and one-line reasons on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from data import repo_root, schema, store
from data.__main__ import main
from tests.data.conftest import read_table
from tests.data.ingest.helpers import accounts_source, snapshot

CUSTOMERS = (
    "customer_id,name,email,signup_date,segment,region,channel,plan\n"
    "1,Ada,ada@example.com,2025-01-05,SMB,EMEA,Web,Basic\n"
    "2,Bo,bo@example.com,2025-02-11,Consumer,APAC,Mobile,Plus\n"
)
PRODUCTS = (
    "product_id,sku,name,category,list_price,unit_cost,launch_date\n"
    "1,SKU-1,Lamp,Home,30.0,12.0,2024-01-01\n"
)
ORDERS = (
    "order_id,customer_id,order_date,product_id,quantity,unit_price\n"
    "100,1,2025-03-01,1,2,30.0\n"
    "100,1,2025-03-01,1,-1,30.0\n"
    "101,9,2025-03-02,1,1,30.0\n"
    "102,2,2025-03-03,1,1,29.5\n"
)


@pytest.fixture
def url(tmp_path) -> str:
    """A store URL the CLI migrates itself on first use."""
    return f"sqlite:///{tmp_path / 'cli_store.db'}"


def _file(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def _ingest(capsys, url: str, *args: str) -> tuple[int, list[str], list[str]]:
    code = main(["ingest", *args, "--database-url", url])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err.splitlines()


def test_all_accepted_exits_0_with_one_json_line(tmp_path, capsys, url):
    code, out, err = _ingest(capsys, url, "customers", str(_file(tmp_path, "crm.csv", CUSTOMERS)), "--json")
    assert (code, err) == (0, [])
    assert out == ['{"accepted": 2, "quarantined": 0, "duplicates": 0, "conflicts": 0, "rejected_reason": null, "warnings": []}']
    assert read_table(store.get_engine(url), schema.customers)["name"].tolist() == ["Ada", "Bo"]


def test_the_same_file_twice_adds_nothing_and_still_exits_0(tmp_path, capsys, url):
    path = str(_file(tmp_path, "crm.csv", CUSTOMERS))
    _ingest(capsys, url, "customers", path, "--json")
    before = snapshot(store.get_engine(url))
    code, out, _ = _ingest(capsys, url, "customers", path, "--json")
    assert code == 0
    assert json.loads(out[0]) == {"accepted": 0, "quarantined": 0, "duplicates": 2, "conflicts": 0,
                                  "rejected_reason": None, "warnings": []}
    after = snapshot(store.get_engine(url))
    assert after.pop("ingest_runs") == before.pop("ingest_runs") + 1
    after.pop("quality_checks"), before.pop("quality_checks")
    assert after == before


def test_some_rows_quarantined_exits_3_and_commits_the_rest(tmp_path, capsys, url):
    _ingest(capsys, url, "customers", str(_file(tmp_path, "crm.csv", CUSTOMERS)))
    _ingest(capsys, url, "products", str(_file(tmp_path, "erp.csv", PRODUCTS)))
    code, out, err = _ingest(capsys, url, "orders", str(_file(tmp_path, "orders.csv", ORDERS)), "--json")
    assert (code, err) == (3, [])
    assert json.loads(out[0]) == {"accepted": 2, "quarantined": 2, "duplicates": 0, "conflicts": 0,
                                  "rejected_reason": None, "warnings": []}
    engine = store.get_engine(url)
    assert read_table(engine, schema.orders)["order_id"].tolist() == [100, 102]
    assert read_table(engine, schema.quarantine)["row_number"].tolist() == [2, 3]


def test_a_plain_summary_without_json(tmp_path, capsys, url):
    code, out, _ = _ingest(capsys, url, "customers", str(_file(tmp_path, "crm.csv", CUSTOMERS)))
    assert code == 0 and len(out) == 1
    assert out[0].startswith("committed: 2 accepted, 0 quarantined, 0 duplicates, 0 conflicts (run ")


def test_missing_required_column_exits_2_with_one_line_on_stderr(tmp_path, capsys, url):
    path = _file(tmp_path, "crm.csv", CUSTOMERS.replace(",email", ",mail"))
    code, out, err = _ingest(capsys, url, "customers", str(path), "--json")
    assert code == 2 and len(err) == 1
    assert err[0].startswith("rejected: crm.csv is missing required column(s) email for customers")
    summary = json.loads(out[0])
    assert summary["rejected_reason"] == err[0].removeprefix("rejected: ")
    engine = store.get_engine(url)
    assert store.row_count(engine, schema.customers) == 0 and store.current_version(engine) is None
    assert read_table(engine, schema.ingest_runs)["status"].tolist() == ["rejected"]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", b"", "empty.csv is empty"),
        ("header.csv", CUSTOMERS.splitlines()[0].encode() + b"\n", "header.csv has a header but no data rows"),
        ("semicolons.csv", CUSTOMERS.replace(",", ";").encode(), "semicolons.csv looks ';'-delimited"),
        ("binary.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "binary.csv"),
        ("cut.csv", CUSTOMERS.encode() + b"3,Cy,cy@example.com", "cut.csv looks cut off"),
    ],
)
def test_unreadable_files_exit_2_and_write_no_rows(tmp_path, capsys, url, name, content, expected):
    code, out, err = _ingest(capsys, url, "customers", str(_file(tmp_path, name, content)))
    assert (code, out, len(err)) == (2, [], 1)
    assert err[0].startswith("rejected: ") and expected in err[0]
    assert store.row_count(store.get_engine(url), schema.customers) == 0


def test_a_file_over_the_size_limit_exits_2(tmp_path, capsys, url, monkeypatch):
    monkeypatch.setenv("FORESIGHT_MAX_FILE_MB", "0.0001")
    code, _, err = _ingest(capsys, url, "customers", str(_file(tmp_path, "big.csv", CUSTOMERS * 3)))
    assert code == 2 and len(err) == 1
    assert "big.csv is 516 bytes, over the" in err[0] and "FORESIGHT_MAX_FILE_MB" in err[0]


def test_extra_columns_are_ingested_without_them_and_named_on_stderr(tmp_path, capsys, url):
    content = CUSTOMERS.replace("plan\n", "plan,nickname\n").replace("Basic\n", "Basic,A\n").replace("Plus\n", "Plus,B\n")
    code, _, err = _ingest(capsys, url, "customers", str(_file(tmp_path, "crm.csv", content)))
    assert code == 0
    assert err == ["warning: crm.csv: column(s) nickname are not part of customers and were not ingested; map them "
                   "in a mapping file if they should be"]


def test_a_mapping_file_renames_source_columns(tmp_path, capsys, url):
    content = CUSTOMERS.replace("customer_id,name,email", "Id,Full name,Mail")
    mapping = _file(tmp_path, "crm.toml", 'entity = "customers"\n[columns]\ncustomer_id = "Id"\nname = "Full name"\n'
                                          'email = "Mail"\n')
    code, out, _ = _ingest(capsys, url, "customers", str(_file(tmp_path, "crm.csv", content)), "--mapping",
                           str(mapping), "--json")
    assert (code, json.loads(out[0])["accepted"]) == (0, 2)


def test_a_database_table_and_a_failing_query(tmp_path, capsys, url):
    source_url = accounts_source(tmp_path / "crm_source.db")
    code, out, _ = _ingest(capsys, url, "customers", source_url, "--table", "accounts", "--json")
    assert (code, json.loads(out[0])["accepted"]) == (0, 1)
    code, _, err = _ingest(capsys, url, "customers", source_url, "--query", "SELECT * FROM missing_table")
    assert code == 2 and len(err) == 1 and "missing_table" in err[0]
    assert store.row_count(store.get_engine(url), schema.customers) == 1


def test_a_store_that_is_down_exits_2(tmp_path, capsys):
    path = str(_file(tmp_path, "crm.csv", CUSTOMERS))
    code, out, err = _ingest(capsys, "postgresql://nobody@127.0.0.1:1/none", "customers", path)
    assert (code, out, len(err)) == (2, [], 1)
    assert err[0].startswith("nothing written: ")


def test_an_unknown_entity_is_a_usage_error(capsys, url):
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", "invoices", "x.csv", "--database-url", url])
    assert exit_info.value.code == 2
    assert "invalid choice: 'invoices'" in capsys.readouterr().err


def test_the_real_process_exit_code_and_output(tmp_path):
    path = _file(tmp_path, "orders.csv", ORDERS)
    env = {k: v for k, v in os.environ.items() if k != "FORESIGHT_DATABASE_URL"}
    env["FORESIGHT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'process.db'}"
    done = subprocess.run([sys.executable, "-m", "data", "ingest", "orders", str(path), "--json"], cwd=repo_root(),
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert done.stdout.count("\n") == 1 and done.stderr == ""
    assert json.loads(done.stdout) == {"accepted": 0, "quarantined": 4, "duplicates": 0, "conflicts": 0,
                                       "rejected_reason": None, "warnings": []}


def test_invalid_limits_in_the_environment_exit_2(tmp_path, capsys, url, monkeypatch):
    monkeypatch.setenv("FORESIGHT_MAX_ROWS", "many")
    code, out, err = _ingest(capsys, url, "customers", str(_file(tmp_path, "crm.csv", CUSTOMERS)))
    assert (code, out) == (2, [])
    assert err == ["nothing written: FORESIGHT_MAX_ROWS='many' is not valid; set it to a positive whole number of "
                   "rows (e.g. 2000000) or unset it"]


def test_bad_dates_are_quarantined_with_the_readers_reason(tmp_path, capsys, url):
    content = CUSTOMERS.replace("2025-02-11", "11/02/2025").replace("2025-01-05", "2099-01-05")
    code, out, _ = _ingest(capsys, url, "customers", str(_file(tmp_path, "crm.csv", content)), "--json")
    assert (code, json.loads(out[0])["quarantined"]) == (3, 2)
    reasons = read_table(store.get_engine(url), schema.quarantine).set_index("row_number")["reason"]
    assert reasons[1].startswith("`signup_date` = 2099-01-05 is in the future")
    assert reasons[2].startswith("`signup_date` = '11/02/2025': ")
    assert store.row_count(store.get_engine(url), schema.customers) == 0
