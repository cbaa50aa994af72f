"""``python -m analytics.chat parse`` end to end: JSON lines in and out, context per session, the store's names,
errors as JSON lines or one ``error:`` line (exit 2), never a traceback."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analytics.chat.cli import main
from tests.analytics.chat._stores import write_store

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def own_store(tmp_path_factory):
    return write_store(tmp_path_factory.mktemp("cli"), own_names=True)


def _run(args: list[str], lines: list[str] | str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    stdin = lines if isinstance(lines, str) else "".join(line + "\n" for line in lines)
    return subprocess.run([sys.executable, "-m", "analytics.chat", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, **(env or {})}, timeout=300)


def test_parse_carries_context_per_session_and_uses_the_store_s_names(own_store):
    lines = [json.dumps({"session": "a", "text": "forcast revnue for Europe next month"}),
             json.dumps({"session": "b", "text": "churn rate among key accounts"}),
             "this is not json",
             json.dumps({"session": "a", "text": "and for the nordics?"}),
             json.dumps({"session": "b", "text": "why?"}),
             json.dumps({"text": 42}),
             json.dumps({"session": "c", "text": "revenue last month", "today": "2026-01-20"}),
             json.dumps({"session": "c", "text": "drop table customers"}),
             json.dumps({"session": "d", "text": "orders yesterday"})]
    result = _run(["parse", "--database-url", own_store, "--no-embedder"], lines)
    assert result.returncode == 0 and result.stderr == ""
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(lines)
    assert out[0]["intent"] == "forecast"
    assert out[0]["entities"] == {"metric": "revenue", "region": "Europe", "horizon_days": 30}
    assert out[1]["entities"] == {"metric": "churn rate", "segment": "Key Accounts"}
    assert out[2]["error"].startswith("line 3: not JSON")
    assert out[3] == {**out[3], "intent": "forecast"}
    assert out[3]["entities"] == {"metric": "revenue", "region": "Nordics", "horizon_days": 30}
    assert (out[4]["intent"], out[4]["entities"]) == ("explain", {"metric": "churn rate", "segment": "Key Accounts"})
    assert out[5]["error"].startswith("line 6: expected an object")
    assert out[6]["entities"] == {"metric": "revenue", "period": {"start": "2025-12-01", "end": "2025-12-31"}}
    assert out[7] == {"intent": "unknown", "entities": {}, "confidence": out[7]["confidence"]}
    assert all(0 <= row["confidence"] <= 1 for row in out if "confidence" in row)
    # no --today: periods are relative to the store's last complete day (2026-06-15)
    assert out[8]["entities"]["period"] == {"start": "2026-06-14", "end": "2026-06-14"}


def test_a_bad_argument_is_one_error_line_and_exit_2_not_a_traceback(tmp_path):
    result = _run(["parse", "--today", "2026-13-40"], env={"FORESIGHT_INSTANCE_DIR": str(tmp_path)})
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == "error: argument --today: '2026-13-40' is not a date; use YYYY-MM-DD\n"


def test_without_a_store_the_sample_names_are_used_and_nothing_is_created(tmp_path, monkeypatch):
    monkeypatch.setenv("FORESIGHT_INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("FORESIGHT_DATABASE_URL", raising=False)
    out = io.StringIO()
    code = main(["parse", "--no-embedder", "--today", "2026-06-15"], io.StringIO('{"text": "revenue in europe"}\n'),
                out)
    assert code == 0 and json.loads(out.getvalue())["entities"] == {"metric": "revenue", "region": "EMEA"}
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "message"), [
    (["parse", "--database-url", "nonsense://x"], "error: --database-url: "), (["frobnicate"], "error: argument "),
    ([], "error: the following arguments are required: command"), (["ask", "   "], "error: the question is empty"),
])
def test_bad_arguments_print_one_error_line_and_exit_2(args, message, capsys):
    out = io.StringIO()
    assert main(args, io.StringIO(""), out) == 2 and out.getvalue() == ""
    error = capsys.readouterr().err
    assert error.startswith(message) and len(error.strip().splitlines()) == 1


def test_ask_answers_and_continues_a_session(own_store, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FORESIGHT_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("FORESIGHT_CHAT_MODEL", "none")
    answers = []
    for question in ("revenue last month in europe", "and for the nordics?"):
        out = io.StringIO()
        assert main(["ask", question, "--session", "t1", "--database-url", own_store, "--json"], io.StringIO(), out) == 0
        answers.append(json.loads(out.getvalue()))
    first, second = answers
    assert first["session"] == "t1" and first["source"] == "template" and first["text"]
    assert first["parse"]["entities"]["region"] == "Europe"
    assert second["parse"]["intent"] == "kpi"
    assert second["parse"]["entities"] == {**first["parse"]["entities"], "region": "Nordics"}
    assert {fact["filters"].get("region") for fact in second["facts"]} == {"Nordics"}
    assert capsys.readouterr().err == ""
