"""Accounts in the store: usernames, passwords, roles, the last-admin guard, auth epochs, SSO and first run."""
from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from core.auth import accounts, audit
from core.auth.accounts import AccountError
from data import schema, store

PASSWORD = "purple-otter-canal-42"


@pytest.fixture
def engine(tmp_path):
    engine = store.get_engine(f"sqlite:///{tmp_path / 'foresight.db'}")
    store.upgrade(engine)
    return engine


def _actions(engine) -> list[str]:
    return [row["action"] for row in reversed(audit.query(engine))]


def test_a_user_is_stored_lowercase_and_logs_in_with_any_case(engine):
    user, generated = accounts.create_user(engine, " Ada.Lovelace ", "Analyst", PASSWORD, actor="root")
    assert (user.username, user.role, user.source, user.disabled, generated) == ("ada.lovelace", "analyst", "local",
                                                                                 False, None)
    assert user.last_login_at is None
    logged_in = accounts.authenticate(engine, "ADA.LOVELACE", PASSWORD)
    assert logged_in is not None and logged_in.id == user.id and logged_in.last_login_at is not None
    with pytest.raises(AccountError, match="user 'ada.lovelace' already exists"):
        accounts.create_user(engine, "ADA.lovelace", "viewer", PASSWORD)
    assert audit.query(engine)[0] | {"at": None, "id": None} == {
        "id": None, "at": None, "actor": "root", "actor_kind": "session", "action": "user_add",
        "target": "ada.lovelace", "outcome": "ok", "address": None, "detail": {"role": "analyst", "source": "local"}}


@pytest.mark.parametrize(("username", "message"), [
    ("", "the username is empty"),
    ("ada lovelace", "contains ' '; use only letters, digits and . _ - @"),
    ("ada!#", "contains '!#'"),
    ("a" * 65, "has 65 characters; use at most 64"),
])
def test_a_bad_username_is_refused_with_what_is_wrong(engine, username, message):
    with pytest.raises(AccountError, match=re.escape(message)):
        accounts.create_user(engine, username, "viewer", PASSWORD)
    assert accounts.count_users(engine) == 0


def test_a_bad_role_or_weak_password_creates_nobody(engine):
    with pytest.raises(AccountError, match="unknown role 'boss'; use one of viewer, analyst, admin"):
        accounts.create_user(engine, "ada", "boss", PASSWORD)
    with pytest.raises(AccountError, match="at least 16"):
        accounts.create_user(engine, "ada", "viewer", "tiny-but-ok-1", min_length=16)
    assert accounts.count_users(engine) == 0 and audit.count(engine) == 0


def test_a_generated_password_is_returned_once_and_works(engine):
    user, password = accounts.create_user(engine, "bob", "viewer")
    assert len(password) == 20 and accounts.authenticate(engine, "bob", password).id == user.id


def test_authenticate_refuses_wrong_unknown_disabled_and_sso_only_users(engine):
    accounts.create_user(engine, "ada", "admin", PASSWORD)
    accounts.create_user(engine, "bob", "viewer", PASSWORD)
    accounts.ensure_sso_user(engine, "carol", "viewer")
    accounts.set_disabled(engine, "bob", True, actor="ada")
    assert accounts.authenticate(engine, "ada", PASSWORD + "x") is None
    assert accounts.authenticate(engine, "nobody", PASSWORD) is None
    assert accounts.authenticate(engine, "not a name!", PASSWORD) is None
    assert accounts.authenticate(engine, "bob", PASSWORD) is None
    assert accounts.authenticate(engine, "carol", "") is None
    assert accounts.get_user(engine, "ada").last_login_at is None


def test_a_login_rehashes_a_hash_made_with_old_parameters(engine):
    user, _ = accounts.create_user(engine, "ada", "viewer", PASSWORD)
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with engine.begin() as connection:
        connection.execute(update(schema.users).where(schema.users.c.id == user.id).values(password_hash=old))
    assert accounts.authenticate(engine, "ada", PASSWORD) is not None
    with engine.connect() as connection:
        stored = connection.execute(select(schema.users.c.password_hash)).scalar_one()
    assert stored != old and "m=65536,t=3" in stored


def test_role_disable_and_reset_bump_the_epoch_and_are_audited(engine):
    accounts.create_user(engine, "root", "admin", PASSWORD)
    accounts.create_user(engine, "ada", "viewer", PASSWORD)
    assert accounts.set_role(engine, "ADA", "analyst", "root").auth_epoch == 1
    assert accounts.set_disabled(engine, "ada", True, "root").disabled
    assert accounts.set_disabled(engine, "ada", False, "root").auth_epoch == 3
    new = accounts.reset_password(engine, "ada", actor="root")
    user = accounts.get_user(engine, "ada")
    assert (user.role, user.disabled, user.auth_epoch) == ("analyst", False, 4)
    assert accounts.authenticate(engine, "ada", PASSWORD) is None and accounts.authenticate(engine, "ada", new)
    assert _actions(engine) == ["user_add", "user_add", "user_role", "user_disable", "user_enable", "password_reset"]
    assert audit.query(engine, action="user_role")[0]["detail"] == {"from": "viewer", "to": "analyst"}
    with pytest.raises(AccountError, match="there is no user 'nobody'"):
        accounts.set_role(engine, "nobody", "viewer", "root")


def test_the_last_active_admin_can_be_neither_demoted_nor_disabled(engine):
    accounts.create_user(engine, "root", "admin", PASSWORD)
    accounts.create_user(engine, "ada", "admin", PASSWORD)
    accounts.set_disabled(engine, "ada", True, "root")  # a disabled admin does not count
    for change in (lambda: accounts.set_role(engine, "root", "analyst", "root"),
                   lambda: accounts.set_disabled(engine, "root", True, "root")):
        with pytest.raises(AccountError, match="'root' is the last active admin; .* Make another user admin first"):
            change()
    accounts.set_disabled(engine, "ada", False, "root")
    assert accounts.set_role(engine, "root", "viewer", "ada").role == "viewer"
    assert [(u.username, u.role) for u in accounts.list_users(engine)] == [("ada", "admin"), ("root", "viewer")]


def test_sso_users_have_no_password_and_follow_their_groups_role(engine):
    created = accounts.ensure_sso_user(engine, "Carol", "viewer")
    assert (created.username, created.source, created.role) == ("carol", "sso", "viewer")
    assert accounts.ensure_sso_user(engine, "carol", "viewer").auth_epoch == 0
    assert accounts.ensure_sso_user(engine, "carol", "analyst").role == "analyst"
    accounts.create_user(engine, "dave", "admin", PASSWORD)
    assert accounts.ensure_sso_user(engine, "dave", "viewer").role == "admin"  # a local account keeps its role
    with engine.connect() as connection:
        assert connection.execute(select(schema.users.c.password_hash).where(
            schema.users.c.username == "carol")).scalar_one() is None


def test_first_run_creates_admin_once_with_a_private_password_file(engine, tmp_path):
    password = accounts.ensure_initial_admin(engine, tmp_path / "instance")
    written = tmp_path / "instance" / "initial-admin-password"
    assert written.read_text() == password + "\n" and written.stat().st_mode & 0o777 == 0o600
    assert accounts.authenticate(engine, "admin", password).role == "admin"
    assert accounts.ensure_initial_admin(engine, tmp_path / "instance") is None
    assert accounts.count_users(engine) == 1


def test_plain_passwords_never_reach_the_store_file(engine, tmp_path):
    accounts.create_user(engine, "ada", "viewer", PASSWORD)
    _, generated = accounts.create_user(engine, "bob", "viewer")
    accounts.authenticate(engine, "ada", PASSWORD)
    engine.dispose()
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("foresight.db*"))
    assert b"$argon2id$" in stored  # the check reads the right bytes
    assert PASSWORD.encode() not in stored and generated.encode() not in stored


@pytest.mark.services
def test_accounts_round_trip_on_postgres(postgres_database):
    engine = store.get_engine(postgres_database)
    store.upgrade(engine)
    accounts.create_user(engine, "Ada", "admin", PASSWORD)
    accounts.create_user(engine, "bob", "viewer", PASSWORD)
    assert accounts.authenticate(engine, "ADA", PASSWORD).last_login_at is not None
    assert accounts.set_disabled(engine, "bob", True, "ada").auth_epoch == 1
    assert accounts.authenticate(engine, "bob", PASSWORD) is None
    with pytest.raises(AccountError, match="last active admin"):
        accounts.set_role(engine, "ada", "viewer", "ada")
    assert _actions(engine) == ["user_add", "user_add", "user_disable"]
    engine.dispose()
