"""``python -m core.users`` as an operator runs it: a real process, its output, exit code and the store after."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.auth import accounts, audit, tokens
from data import store

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def instance(tmp_path) -> Path:
    return tmp_path / "instance"


@pytest.fixture
def engine(instance):
    engine = store.get_engine(f"sqlite:///{instance / 'foresight.db'}")
    store.upgrade(engine)
    return engine


def _cli(instance: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FORESIGHT_")}
    env["FORESIGHT_INSTANCE_DIR"] = str(instance)
    return subprocess.run([sys.executable, "-m", "core.users", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def _refused(done: subprocess.CompletedProcess, message: str) -> None:
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ") and message in done.stderr


def test_ensure_admin_creates_admin_once_and_keeps_its_password_private(engine, instance):
    first = _cli(instance, "ensure-admin")
    assert first.returncode == 0, first.stderr
    written = instance / "initial-admin-password"
    password = written.read_text().strip()
    assert f"password (shown once): {password}\n" in first.stdout and "/login as admin" in first.stdout
    assert written.stat().st_mode & 0o777 == 0o600
    assert accounts.authenticate(engine, "admin", password).role == "admin"
    again = _cli(instance, "ensure-admin")
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    assert audit.query(engine)[0] | {"at": None} == {
        "id": 1, "at": None, "actor": "setup", "actor_kind": "setup", "action": "user_add", "target": "admin",
        "outcome": "ok", "address": None, "detail": {"role": "admin", "source": "local"}}


def test_add_set_role_disable_and_list(engine, instance):
    added = _cli(instance, "add", "Ada", "--role", "analyst")
    assert added.returncode == 0 and added.stdout.startswith("added ada (analyst)\npassword (shown once): ")
    password = added.stdout.rsplit(": ", 1)[1].strip()
    assert accounts.authenticate(engine, "ada", password) is not None
    chosen = _cli(instance, "add", "bob", "--role", "viewer", "--password-stdin", stdin="purple-otter-canal-42\n")
    assert chosen.returncode == 0 and chosen.stdout == "added bob (viewer)\n"
    assert accounts.authenticate(engine, "bob", "purple-otter-canal-42") is not None
    assert _cli(instance, "set-role", "ada", "admin").stdout == "ada is now admin; their sessions were ended\n"
    assert _cli(instance, "disable", "bob").returncode == 0 and accounts.get_user(engine, "bob").disabled
    listed = _cli(instance, "list").stdout.splitlines()
    assert listed[0].split() == ["USER", "ROLE", "STATUS", "SOURCE", "CREATED", "LAST", "LOGIN"]
    assert [line.split()[:3] for line in listed[1:]] == [["ada", "admin", "active"], ["bob", "viewer", "disabled"]]
    assert [row["actor_kind"] for row in audit.query(engine)] == ["cli"] * 4


def test_token_prints_only_the_token(engine, instance):
    accounts.create_user(engine, "ada", "analyst", source="sso")
    done = _cli(instance, "token", "ada", "--days", "7", "--name", "nightly")
    assert done.returncode == 0 and "expires" in done.stderr
    plaintext = done.stdout.strip()
    assert done.stdout == plaintext + "\n"
    user, token = tokens.verify_token(engine, plaintext)
    assert (user.username, token.name, token.created_by) == ("ada", "nightly", "cli")


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (("add", "ada", "--role", "boss"), "", "unknown role 'boss'; use one of viewer, analyst, admin"),
    (("add", "ada", "--role", "viewer", "--password-stdin"), "short\n", "the policy asks for at least 12"),
    (("disable", "nobody"), "", "there is no user 'nobody'"),
])
def test_bad_input_exits_2_with_one_line_and_changes_nothing(engine, instance, args, stdin, message):
    _refused(_cli(instance, *args, stdin=stdin), message)
    assert accounts.count_users(engine) == 0


def test_an_unmigrated_store_is_refused_with_what_to_run(instance):
    _refused(_cli(instance, "list"), "has no users table; run `python -m data upgrade` first")
