"""``python -m analytics.chat``: ``parse`` (JSON lines in, one parse per line out) and ``ask`` (one answer).

``parse`` reads ``{"session": ..., "text": ..., "today"?: "YYYY-MM-DD"}`` per line on stdin and prints
``{"intent", "entities", "confidence"}`` per line, carrying context per session in input order. A line that is not
such an object prints ``{"error": "line N: ..."}`` and the run goes on (exit 0): one bad line in a batch of checks
should not hide the others' results. Bad arguments or an unreadable stdin: one ``error: ...`` line, exit 2.

The names (regions, segments, channels, categories) come from the store (``--database-url``, default the configured
one), the sample company's when there is no store; ``--today`` anchors relative periods (default: the store's last
complete day, else the calendar's today).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError

from analytics.chat.context import Conversation
from analytics.chat.embeddings import load_embedder
from analytics.chat.parser import QueryParser
from analytics.chat.vocabulary import Vocabulary

__all__ = ["main"]


class _Refused(Exception):
    """Bad input on the command line: printed as ``error: ...``, exit 2."""


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        raise _Refused(message)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def _arguments() -> argparse.ArgumentParser:
    parser = _ArgumentParser(prog="python -m analytics.chat", description="The chat assistant from the command line.")
    commands = parser.add_subparsers(dest="command", required=True)
    parse = commands.add_parser("parse", help="parse JSON-lines questions from stdin into intents and entities")
    parse.add_argument("--database-url", help="the store whose names to use (default: the configured store)")
    parse.add_argument("--today", type=_date, help="anchor for relative periods (default: the store's last "
                                                   "complete day)")
    parse.add_argument("--no-embedder", action="store_true", help="rules only (skip the sentence embedder)")
    ask = commands.add_parser("ask", help="answer one question from the store's analytics")
    ask.add_argument("question")
    ask.add_argument("--session", help="continue this conversation (kept between runs)")
    ask.add_argument("--database-url", help="the store to answer from (default: the configured store)")
    ask.add_argument("--json", action="store_true", help="print the whole answer as JSON")
    return parser


def _store(url: str | None):
    """(engine or None, last complete day or None) for a store URL; None for a SQLite file that does not exist."""
    from core.settings import database_url  # entry point: the one place allowed to read the configuration
    from data.store import engine_url, get_engine
    from data.watermark import complete_through

    url = url or database_url()
    try:
        parsed = engine_url(url)
    except ValueError as error:
        raise _Refused(f"--database-url: {error}") from None
    if parsed.get_backend_name() == "sqlite" and not (parsed.database and Path(parsed.database).is_file()):
        return None, None
    engine = get_engine(url)
    try:
        return engine, complete_through(engine).through
    except SQLAlchemyError:
        return engine, None


def _parse_lines(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    engine, through = _store(args.database_url)
    parser = QueryParser(Vocabulary.from_store(engine), embedder=None if args.no_embedder else load_embedder(),
                         today=args.today or through)
    sessions: dict[str, Conversation] = {}
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        try:
            session, text, today = _line(line)
        except ValueError as error:
            stdout.write(json.dumps({"error": f"line {number}: {error}"}) + "\n")
            continue
        parser.today = today or args.today or through
        conversation = sessions.setdefault(session, Conversation())
        parse = parser.parse(text, conversation)
        conversation.remember(parse, {})
        stdout.write(json.dumps(parse.as_json()) + "\n")
        stdout.flush()
    return 0


def _line(line: str) -> tuple[str, str, dt.date | None]:
    """(session, text, today) of one input line; ValueError saying what is wrong with it."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error.msg} at column {error.colno}); expected "
                         '{"session": ..., "text": ...}') from None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise ValueError('expected an object with a string "text" (and an optional "session")')
    today = data.get("today")
    try:
        today = dt.date.fromisoformat(today) if today is not None else None
    except (TypeError, ValueError):
        raise ValueError(f'"today" {today!r} is not a date; use YYYY-MM-DD') from None
    return str(data.get("session", "default")), data["text"], today


def _ask(args: argparse.Namespace, stdout: TextIO) -> int:
    from core.chat.service import answer_cli  # entry point: the web side's assistant, cache and conversations

    if not args.question.strip():
        raise _Refused("the question is empty; ask something like \"revenue last month\"")
    answer = answer_cli(args.question, args.session, args.database_url)
    if args.json:
        stdout.write(json.dumps(answer, default=str) + "\n")
    else:
        stdout.write(f"{answer.get('text', '')}\n(source: {answer.get('source')}, confidence: "
                     f"{(answer.get('confidence') or {}).get('level')})\n")
    return 0


def main(argv: list[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Run the command line; the exit code (0 ok, 2 bad input)."""
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    try:
        args = _arguments().parse_args(argv)
        return _parse_lines(args, stdin, stdout) if args.command == "parse" else _ask(args, stdout)
    except _Refused as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    except (OSError, UnicodeDecodeError) as error:
        sys.stderr.write(f"error: cannot read the input: {error}\n")
        return 2
