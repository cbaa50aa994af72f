"""Command line for accounts and API tokens.

Examples::

    python -m core.users ensure-admin                 # first run: creates `admin` and prints its password once
    python -m core.users add ada --role analyst       # prints a generated password once
    printf '%s' "$PASSWORD" | python -m core.users add bob --role viewer --password-stdin
    python -m core.users list
    python -m core.users set-role ada admin
    python -m core.users disable bob                  # sessions and API tokens stop working at once
    python -m core.users reset-password ada
    TOKEN=$(python -m core.users token ada --days 30 --name nightly-export)

The store must be migrated first (``python -m data upgrade``; ``make run`` does it). Every change is audited
with actor ``cli``. Bad input exits 2 with one line ``error: ...`` on stderr; nothing is changed then.
"""
from __future__ import annotations

import argparse
import sys

from sqlalchemy import Engine, inspect
from sqlalchemy.exc import SQLAlchemyError

from core import auth
from core.auth import INITIAL_PASSWORD_FILE
from core.settings import Settings, settings_or_exit
from data import store

_ACTOR = "cli"


class _Usage(Exception):
    """Bad input found by the parser or a command: one line on stderr, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line instead of argparse's usage block
        raise _Usage(f"{message} (see `python -m core.users --help`)")


def _parser(settings: Settings) -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m core.users", description="Manage Neon Foresight accounts and API tokens.")
    parser.add_argument("--database-url", default=None,
                        help="SQLAlchemy URL of the store (default: $FORESIGHT_DATABASE_URL, else the instance's "
                             "SQLite file)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add = commands.add_parser("add", help="add a user (prints a generated password unless --password-stdin)")
    add.add_argument("name")
    add.add_argument("--role", required=True, help=f"one of {', '.join(auth.ROLES)}")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    commands.add_parser("list", help="list the users")
    set_role = commands.add_parser("set-role", help="change a user's role (ends their sessions)")
    set_role.add_argument("name")
    set_role.add_argument("role", help=f"one of {', '.join(auth.ROLES)}")
    for command, what in (("disable", "disable a user: sessions and API tokens stop working"),
                          ("enable", "enable a disabled user")):
        commands.add_parser(command, help=what).add_argument("name")
    reset = commands.add_parser("reset-password", help="set a new password (ends their sessions)")
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    token = commands.add_parser("token", help="create an API token; prints only the token on stdout")
    token.add_argument("name")
    token.add_argument("--days", type=int, default=settings.access.token_days,
                       help="days until it expires (default %(default)s: FORESIGHT_TOKEN_DAYS)")
    token.add_argument("--name", dest="label", default="cli", help="a label for the token list (default %(default)s)")
    commands.add_parser("ensure-admin", help="first run: create `admin` when there is no user (prints nothing "
                                             "otherwise)")
    return parser


def _stdin_password() -> str:
    password = sys.stdin.read().removesuffix("\n").removesuffix("\r")
    if not password:
        raise _Usage("--password-stdin: standard input was empty; pipe the password in, e.g. "
                     "printf '%s' \"$PASSWORD\" | python -m core.users ...")
    return password


def _engine(url: str) -> Engine:
    """The store's engine; refuses a store that was never migrated to the accounts revision."""
    engine = store.get_engine(url)
    if not inspect(engine).has_table("users"):
        raise _Usage(f"the store at {engine.url!r} has no users table; run `python -m data upgrade` first")
    return engine


def _list(engine: Engine) -> str:
    rows = [("USER", "ROLE", "STATUS", "SOURCE", "CREATED", "LAST LOGIN")]
    for user in auth.list_users(engine):
        rows.append((user.username, user.role, "disabled" if user.disabled else "active", user.source,
                     f"{user.created_at:%Y-%m-%d %H:%M}",
                     f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "never"))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


def _add(engine: Engine, args: argparse.Namespace, settings: Settings) -> str:
    password = _stdin_password() if args.password_stdin else None
    user, generated = auth.create_user(engine, args.name, args.role, password,
                                       min_length=settings.access.password_min_length, actor=_ACTOR)
    shown = f"\npassword (shown once): {generated}" if generated else ""
    return f"added {user.username} ({user.role}){shown}"


def _reset(engine: Engine, args: argparse.Namespace, settings: Settings) -> str:
    given = _stdin_password() if args.password_stdin else None
    password = auth.reset_password(engine, args.name, given, actor=_ACTOR,
                                   min_length=settings.access.password_min_length)
    ended = "their sessions were ended"
    return f"password of {args.name.lower()} changed; {ended}" if given else \
        f"new password for {args.name.lower()} (shown once): {password}\n{ended}"


def _token(engine: Engine, args: argparse.Namespace) -> str:
    token, plaintext = auth.create_token(engine, args.name, args.label, days=args.days, actor=_ACTOR)
    expires = f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else "never expires"
    sys.stderr.write(f"token {token.name!r} (id {token.id}, {token.prefix}...) for {token.username}: {expires}; "
                     "send it as `Authorization: Bearer <token>`\n")
    return plaintext


def _ensure_admin(engine: Engine, settings: Settings) -> str:
    try:
        password = auth.ensure_initial_admin(engine, settings.instance_dir)
    except OSError as error:
        raise _Usage(f"the admin was created but its password could not be written ({error}); set a new one with "
                     "`python -m core.users reset-password admin`") from None
    if password is None:
        return ""
    path = settings.instance_dir / INITIAL_PASSWORD_FILE
    return (f"created user admin (role admin) with password (shown once): {password}\n"
            f"log in at http://{settings.host}:{settings.port}/login as admin with this password (also in {path}, "
            "mode 0600); set your own with `python -m core.users reset-password admin --password-stdin`")


def _run(engine: Engine, args: argparse.Namespace, settings: Settings) -> str:
    """The command's stdout text (without the final newline; empty for nothing)."""
    command = args.command
    if command == "list":
        return _list(engine)
    if command == "add":
        return _add(engine, args, settings)
    if command == "set-role":
        user = auth.set_role(engine, args.name, args.role, _ACTOR)
        return f"{user.username} is now {user.role}; their sessions were ended"
    if command in ("disable", "enable"):
        user = auth.set_disabled(engine, args.name, command == "disable", _ACTOR)
        return f"{user.username} is disabled: sessions and API tokens stop working" if user.disabled else \
            f"{user.username} is enabled"
    if command == "reset-password":
        return _reset(engine, args, settings)
    if command == "token":
        return _token(engine, args)
    return _ensure_admin(engine, settings)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 done, 2 refused with one ``error:`` line on stderr)."""
    settings = settings_or_exit()
    try:
        args = _parser(settings).parse_args(sys.argv[1:] if argv is None else argv)
        output = _run(_engine(args.database_url or settings.database_url), args, settings)
    except (_Usage, auth.AccountError) as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    except (ValueError, SQLAlchemyError) as error:  # a bad URL, an unreachable store
        sys.stderr.write(f"error: the store could not be used: {store.error_text(error)}\n")
        return 2
    if output:
        sys.stdout.write(output + "\n")
    return 0
