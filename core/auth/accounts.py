"""Local and single-sign-on accounts in the store: create, look up, change role, disable, reset, log in.

Usernames are 1-64 letters, digits and ``. _ - @``, stored lowercase, so ``Ada`` and ``ada`` are one user.
Every change writes an audit row in the same transaction. A role change, a disable and a password reset bump
the user's ``auth_epoch``: sessions remember the epoch they were issued in and stop working when it moves on.
The last active admin can be neither disabled nor demoted through these functions, so nobody locks
everybody out.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from core.auth import audit
from core.auth.passwords import (AccountError, check_policy, generate_password, hash_password, needs_rehash,
                                 verify_password)
from core.auth.roles import Permission, allows, parse_role
from data.schema import users
from data.store import write_transaction

__all__ = ["AccountError", "INITIAL_ADMIN", "INITIAL_PASSWORD_FILE", "User", "authenticate", "count_users",
           "create_user", "ensure_initial_admin", "ensure_sso_user", "get_user", "list_users", "normalize_username",
           "reset_password", "set_disabled", "set_role"]

INITIAL_ADMIN = "admin"
INITIAL_PASSWORD_FILE = "initial-admin-password"
_USERNAME = re.compile(r"^[a-z0-9._@-]+$")
_NOT_ALLOWED = re.compile(r"[^a-z0-9._@-]")


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the user is unknown or has no password, so such a login takes as long as a wrong
    password and the timing does not tell which usernames exist (made once, on first use)."""
    return hash_password(generate_password())


@dataclass(frozen=True)
class User:
    """One account as the app sees it (never its password hash)."""

    id: int
    username: str
    role: str
    disabled: bool
    source: str  # local | sso
    auth_epoch: int
    created_at: dt.datetime
    last_login_at: dt.datetime | None


def _user(row) -> User:
    return User(id=row["id"], username=row["username"], role=row["role"], disabled=bool(row["disabled"]),
                source=row["source"], auth_epoch=row["auth_epoch"], created_at=row["created_at"],
                last_login_at=row["last_login_at"])


def normalize_username(text: str) -> str:
    """``text`` trimmed and lowercased; AccountError saying what is wrong when it cannot be a username."""
    name = (text or "").strip().lower()
    if not name:
        raise AccountError("the username is empty; use 1-64 letters, digits and . _ - @")
    if len(name) > 64:
        raise AccountError(f"the username {name[:20]!r}... has {len(name)} characters; use at most 64")
    if not _USERNAME.match(name):
        bad = "".join(dict.fromkeys(_NOT_ALLOWED.findall(name)))
        raise AccountError(f"the username {name!r} contains {bad!r}; use only letters, digits and . _ - @")
    return name


def _role(text: str) -> str:
    try:
        return parse_role(text)
    except ValueError as error:
        raise AccountError(str(error)) from None


def _row(connection: Connection, username: str):
    row = connection.execute(select(users).where(users.c.username == username)).mappings().first()
    if row is None:
        raise AccountError(f"there is no user {username!r}; list them with `python -m core.users list`")
    return row


def get_user(engine: Engine, username: str | None = None, user_id: int | None = None) -> User | None:
    """The user with ``username`` (any case) or ``user_id``; None when there is none."""
    if user_id is not None:
        condition = users.c.id == user_id
    else:
        try:
            condition = users.c.username == normalize_username(username or "")
        except AccountError:
            return None
    with engine.connect() as connection:
        row = connection.execute(select(users).where(condition)).mappings().first()
    return _user(row) if row else None


def list_users(engine: Engine) -> list[User]:
    """Every user, by username."""
    with engine.connect() as connection:
        return [_user(row) for row in connection.execute(select(users).order_by(users.c.username)).mappings()]


def count_users(engine: Engine) -> int:
    """How many users there are (disabled ones included)."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(users)).scalar_one())


def create_user(engine: Engine, username: str, role: str, password: str | None = None, *, min_length: int = 12,
                source: str = "local", actor: str = "cli") -> tuple[User, str | None]:
    """Add a user; returns it and the generated password when ``password`` was None (else None).

    A single-sign-on user (``source="sso"``) gets no password: the trusted proxy vouches for it.
    """
    name, role = normalize_username(username), _role(role)
    if source not in ("local", "sso"):
        raise AccountError(f"unknown account source {source!r}; use local or sso")
    generated = None
    if source == "local":
        if password is None:
            password = generated = generate_password(max(20, min_length))
        check_policy(password, min_length=min_length, username=name)
    stamp = audit.now()
    values = {"username": name, "role": role, "disabled": False, "auth_epoch": 0, "source": source,
              "password_hash": hash_password(password) if source == "local" else None,
              "created_at": stamp, "updated_at": stamp}
    try:
        with engine.begin() as connection:
            if connection.execute(select(users.c.id).where(users.c.username == name)).first():
                raise AccountError(f"user {name!r} already exists; pick another name, or change it with "
                                   "set-role / reset-password")
            connection.execute(users.insert(), values)
            audit.record_in(connection, audit.USER_ADD, actor=actor, actor_kind=_kind(actor), target=name,
                            detail={"role": role, "source": source})
    except IntegrityError:  # created by someone else between the check and the insert
        raise AccountError(f"user {name!r} already exists; pick another name") from None
    return get_user(engine, name), generated


def _kind(actor: str) -> str:
    return actor if actor in ("cli", "sso", "setup") else "session"


def _active_admins(connection: Connection) -> list[str]:
    rows = connection.execute(select(users.c.username, users.c.role).where(users.c.disabled.is_(False)))
    return [name for name, role in rows if allows(role, Permission.MANAGE_USERS)]


def _refuse_last_admin(connection: Connection, row, what: str) -> None:
    if not row["disabled"] and _active_admins(connection) == [row["username"]]:
        raise AccountError(f"{row['username']!r} is the last active admin; {what} would leave nobody able to "
                           "manage users. Make another user admin first (set-role NAME admin)")


def _change(engine: Engine, username: str, values: dict, action: str, actor: str, check=None, detail=None) -> User:
    """Update one user (bumping ``auth_epoch``) and audit it in one write transaction; ``check(connection, row)``
    may refuse first."""
    name = normalize_username(username)
    with write_transaction(engine) as connection:
        row = _row(connection, name)
        if check is not None:
            check(connection, row)
        connection.execute(update(users).where(users.c.id == row["id"]).values(
            **values, auth_epoch=users.c.auth_epoch + 1, updated_at=audit.now()))
        audit.record_in(connection, action, actor=actor, actor_kind=_kind(actor), target=name,
                        detail=detail(row) if detail else None)
    return get_user(engine, name)


def set_role(engine: Engine, username: str, role: str, actor: str) -> User:
    """Give ``username`` the ``role``; refused for the last active admin unless the new role may manage users."""
    role = _role(role)

    def check(connection: Connection, row) -> None:
        if not allows(role, Permission.MANAGE_USERS):
            _refuse_last_admin(connection, row, f"making it {role}")

    return _change(engine, username, {"role": role}, audit.USER_ROLE, actor, check,
                   lambda row: {"from": row["role"], "to": role})


def set_disabled(engine: Engine, username: str, disabled: bool, actor: str) -> User:
    """Disable (sessions and tokens stop working at once) or enable ``username``; never the last active admin."""
    def check(connection: Connection, row) -> None:
        if disabled:
            _refuse_last_admin(connection, row, "disabling it")

    action = audit.USER_DISABLE if disabled else audit.USER_ENABLE
    return _change(engine, username, {"disabled": disabled}, action, actor, check)


def reset_password(engine: Engine, username: str, password: str | None = None, *, actor: str,
                   min_length: int = 12) -> str:
    """Set a new password (generated when None) and end the user's sessions; returns the password."""
    name = normalize_username(username)
    if password is None:
        password = generate_password(max(20, min_length))
    check_policy(password, min_length=min_length, username=name)
    _change(engine, name, {"password_hash": hash_password(password)}, audit.PASSWORD_RESET, actor)
    return password


def authenticate(engine: Engine, username: str, password: str) -> User | None:
    """The user when ``password`` is theirs; None for an unknown, disabled or SSO-only user or a wrong password.

    Always verifies one argon2 hash (a dummy one when there is no usable hash), so the answer takes about as
    long whatever the reason. Records the login time and re-hashes a hash made with old parameters; the caller
    writes the audit row (login / login_failed) with the request's address.
    """
    row = None
    try:
        name = normalize_username(username)
    except AccountError:
        name = None
    if name is not None:
        with engine.connect() as connection:
            row = connection.execute(select(users).where(users.c.username == name)).mappings().first()
    stored = row["password_hash"] if row is not None and row["password_hash"] else None
    matches = verify_password(stored or _dummy_hash(), password or "")
    if stored is None or not matches or row["disabled"]:
        return None
    values = {"last_login_at": audit.now()}
    if needs_rehash(stored):
        values["password_hash"] = hash_password(password)
    with engine.begin() as connection:
        connection.execute(update(users).where(users.c.id == row["id"]).values(**values))
    return get_user(engine, user_id=row["id"])


def ensure_sso_user(engine: Engine, username: str, role: str) -> User:
    """The user a trusted proxy named, created on first sight (``source="sso"``, no password).

    The proxy's groups are authoritative: an SSO user whose mapped role changed gets the new role (audited,
    actor ``sso``). A local user with the same name keeps its own role. The caller checks ``disabled``.
    """
    name, role = normalize_username(username), _role(role)
    user = get_user(engine, name)
    if user is None:
        try:
            return create_user(engine, name, role, source="sso", actor="sso")[0]
        except AccountError:  # created by a parallel request
            user = get_user(engine, name)
    if user.source == "sso" and user.role != role:
        return _change(engine, name, {"role": role}, audit.USER_ROLE, "sso",
                       detail=lambda row: {"from": row["role"], "to": role})
    return user


def ensure_initial_admin(engine: Engine, instance_dir: Path) -> str | None:
    """First run: when there is no user, create ``admin`` with a generated password, write it to
    ``instance_dir/initial-admin-password`` (mode 0600) and return it; None when users exist."""
    if count_users(engine):
        return None
    try:
        _, password = create_user(engine, INITIAL_ADMIN, "admin", actor="setup")
    except AccountError:  # another process created it first
        return None
    path = Path(instance_dir) / INITIAL_PASSWORD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)  # an older file may have had a wider mode
        handle.write(password + "\n")
    return password
