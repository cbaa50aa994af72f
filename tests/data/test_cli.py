"""`python -m data` end to end in a subprocess, as `make run` calls it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from data import default_database_url, repo_root, schema, store
from data.sample import ground_truth


def _run(*args: str, env_url: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FORESIGHT_DATABASE_URL"}
    if env_url:
        env["FORESIGHT_DATABASE_URL"] = env_url
    return subprocess.run(
        [sys.executable, "-m", "data", *args],
        cwd=repo_root(),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_sample_then_if_empty_keeps_the_data(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    first = _run("sample", "--customers", "300", "--seed", "5", "--database-url", url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("dataset version 1:") and "customers=300" in first.stdout
    assert first.stdout.count("\n") == 1, "one summary line on stdout; logs go to stderr"
    truth = json.loads((tmp_path / "cli.ground_truth.json").read_text())
    assert (truth["customers"], truth["seed"], truth["dataset_version"]) == (300, 5, 1)

    kept = _run("sample", "--customers", "500", "--seed", "6", "--if-empty", env_url=url)
    assert kept.returncode == 0, kept.stderr
    assert "kept existing dataset version 1" in kept.stdout
    assert "nothing to do" in kept.stderr
    engine = store.get_engine(url)
    assert store.current_version(engine).version == 1
    assert store.row_count(engine, schema.customers) == 300


def test_sample_replaces_and_honours_options(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    truth_path = tmp_path / "elsewhere" / "truth.json"
    assert _run("sample", "--customers", "200", "--database-url", url).returncode == 0
    second = _run(
        "sample",
        "--customers",
        "250",
        "--seed",
        "9",
        "--end-date",
        "2025-06-30",
        "--years",
        "2",
        "--database-url",
        url,
        "--ground-truth",
        str(truth_path),
    )
    assert second.returncode == 0, second.stderr
    truth = ground_truth.load_ground_truth(truth_path)
    assert (truth["end_date"], truth["start_date"], truth["dataset_version"]) == (
        "2025-06-30",
        "2023-07-01",
        2,
    )
    engine = store.get_engine(url)
    assert store.row_count(engine, schema.customers) == 250


def test_if_empty_fills_an_empty_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'store.db'}"
    result = _run("sample", "--customers", "150", "--if-empty", "--database-url", url)
    assert result.returncode == 0, result.stderr
    assert store.row_count(store.get_engine(url), schema.customers) == 150


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sample", "--customers", "3"], "at least 10 customers"),
        (["sample", "--end-date", "31/10/2026"], "use YYYY-MM-DD"),
        (["explode"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_a_reason(args, message, tmp_path):
    result = (
        _run(*args, "--database-url", f"sqlite:///{tmp_path / 'x.db'}")
        if args[0] == "sample"
        else _run(*args)
    )
    assert result.returncode == 2
    assert message in result.stderr


def test_upgrade_command_creates_the_schema(tmp_path):
    url = f"sqlite:///{tmp_path / 'up.db'}"
    result = _run("upgrade", "--database-url", url)
    assert result.returncode == 0, result.stderr
    assert store.current_version(store.get_engine(url)) is None


def test_default_database_url_is_the_local_sqlite_file():
    assert default_database_url() == f"sqlite:///{repo_root() / 'instance' / 'foresight.db'}"


def test_ground_truth_path_follows_the_store():
    assert ground_truth.ground_truth_path("sqlite:////srv/nf/foresight.db") == Path(
        "/srv/nf/foresight.ground_truth.json"
    )
    fallback = repo_root() / "instance" / "ground_truth.json"
    assert ground_truth.ground_truth_path("postgresql://u@db/nf") == fallback
    assert ground_truth.ground_truth_path("sqlite:///:memory:") == fallback


def test_loading_missing_or_foreign_truth_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m data sample"):
        ground_truth.load_ground_truth(tmp_path / "none.json")
    (tmp_path / "old.json").write_text(json.dumps({"format_version": 0}))
    with pytest.raises(ValueError, match="regenerate"):
        ground_truth.load_ground_truth(tmp_path / "old.json")


@pytest.mark.services
def test_upgrade_and_ingest_take_the_documented_postgresql_url(postgres_database, tmp_path):
    """README and docs/ingestion.md write postgresql://user@host/db; it must not need psycopg 3."""
    upgraded = _run("upgrade", env_url=postgres_database)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "Traceback" not in upgraded.stderr
    path = tmp_path / "crm.csv"
    path.write_text("customer_id,name,email,signup_date,segment,region,channel,plan\n"
                    "1,Ada,ada@example.com,2025-01-05,SMB,EMEA,Web,Basic\n")
    ingested = _run("ingest", "customers", str(path), "--json", "--database-url", postgres_database)
    assert ingested.returncode == 0, ingested.stderr
    assert json.loads(ingested.stdout)["accepted"] == 1


@pytest.mark.parametrize("command", [["upgrade"], ["sample", "--customers", "10"]])
@pytest.mark.parametrize(("url", "message"), [
    ("mysql://u@127.0.0.1/db", "database 'mysql' in mysql://u@127.0.0.1/db is not supported"),
    ("postgresql+psycopg://u@127.0.0.1/db", "driver 'psycopg' in postgresql+psycopg://u@127.0.0.1/db is not installed"),
    ("instance/foresight.db", "'instance/foresight.db' is not a database URL"),
])
def test_a_bad_store_url_is_one_line_not_a_traceback(command, url, message):
    result = _run(*command, "--database-url", url)
    assert (result.returncode, "Traceback" in result.stderr) == (2, False), result.stderr
    assert message in result.stderr.strip().splitlines()[-1]
