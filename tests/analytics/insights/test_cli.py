"""``python -m analytics.insights``: bad input is one ``error:`` line and exit code 2, never a traceback."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analytics.insights.cli import main

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("argv, message", [
    ([], "the following arguments are required: command"),
    (["anomalies", "--min-score", "-1"], "--min-score: '-1' is not a positive number"),
    (["anomalies", "--through", "yesterday"], "'yesterday' is not a date; use YYYY-MM-DD"),
    (["anomalies", "--metric", "visits"], "invalid choice: 'visits'"),
    (["anomalies", "--database-url", "foo://x"], "--database-url: database 'foo'"),
    (["anomalies", "--database-url", "sqlite:////nonexistent/store.db"], "there is no SQLite file"),
    (["feed", "--period-days", "0"], "--period-days: '0' is not a whole number of days from 1 to 366"),
    (["feed", "--period-days", "thirty"], "'thirty' is not a whole number of days"),
    (["feed", "--through", "2026-02-30"], "'2026-02-30' is not a date"),
    (["feed", "--database-url", "sqlite:////nonexistent/store.db"], "there is no SQLite file"),
])
def test_bad_input_gets_one_error_line_and_exit_code_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_a_file_that_is_not_a_store_is_refused_with_the_fix(tmp_path, capsys):
    path = tmp_path / "notes.db"
    path.write_text("not a database", encoding="utf-8")
    assert main(["anomalies", "--database-url", f"sqlite:///{path}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the store could not be read") and err.count("\n") == 1


def test_the_module_runs_and_refuses_without_a_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-m", "analytics.insights", "anomalies", "--database-url",
                           f"sqlite:///{tmp_path / 'missing.db'}", "--json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
