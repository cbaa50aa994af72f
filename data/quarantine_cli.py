"""``python -m data quarantine list|export``: the quarantine from a shell (docs/ingestion.md, "Quarantine CLI").

``list`` prints, per source, how many rows are quarantined and why (reasons grouped by rule, the values left
out). ``export`` writes one source's rows as the CSV the Data page downloads: safe to open in a spreadsheet
(``data.csv_safe``) and re-submittable unedited.

Exit codes: 0 done (``list`` also when nothing is quarantined); 1 ``export`` found no rows to export;
2 bad arguments (a one-line message with the usage), several sources to export without ``--source``, or a
store that cannot be read (bad URL, unreachable, not upgraded).
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

__all__ = ["main_quarantine"]

_VALUE = re.compile(r"^(`[^`]+`) = (?:'(?:[^']|'')*'|\S+) ")


class _Refusal(Exception):
    """A request the command cannot carry out; the message is the one line to show, with its exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _parser(database_url: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m data quarantine", description=(
        "List quarantined rows per source, or export one source's rows as the safe, re-submittable CSV."))
    parser.add_argument("action", choices=("list", "export"), nargs="?", help="what to do (choose list or export)")
    parser.add_argument("--source", default=None, help="only rows from this source (its name as ingested)")
    parser.add_argument("--status", default="open", help=(
        "list rows with this status: open (default), resubmitted, discarded or all; export always takes open rows"))
    parser.add_argument("--output", type=Path, default=None, help="export: write the CSV here (default: stdout)")
    parser.add_argument("--database-url", default=database_url,
                        help="SQLAlchemy URL of the store (default: $FORESIGHT_DATABASE_URL, else $FORESIGHT_INSTANCE_DIR/foresight.db)")
    return parser


def _printable(text: str) -> str:
    """``text`` for a terminal: control characters (a CR in a source name) shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def _rule(reason: str) -> str:
    """A reason without the offending value or the explanation: "`quantity` is out of range"."""
    short = re.split(r" \(|; ", _VALUE.sub(r"\1 ", reason), maxsplit=1)[0]
    return _printable(short[:120])


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _listing(rows) -> str:
    if rows.empty:
        return ""
    lines = []
    for (source, entity), group in rows.groupby(["source_name", "entity"], sort=False):
        status = "" if group["status"].nunique() > 1 else f"{group['status'].iloc[0]} "
        lines.append(f"{_printable(source)} ({entity}): {_plural(len(group), status + 'row')}")
        counts = group["reason"].map(_rule).value_counts(sort=True)
        lines += [f"  {count}  {rule}" for rule, count in counts.items()]
    return "\n".join(lines) + "\n"


def _export(engine, args) -> str:
    from data.ingest import list_quarantine, quarantine_csv

    rows = list_quarantine(engine, source_name=args.source)
    sources = rows.groupby(["source_name", "entity"], sort=True).size()
    if rows.empty:
        found = sorted(set(list_quarantine(engine)["source_name"]))
        where = f" from source {args.source!r}" if args.source else ""
        others = f"; sources with open rows: {', '.join(map(_printable, found))}" if found else ""
        raise _Refusal(f"quarantine export: no open quarantined rows{where}{others}", 1)
    if len(sources) > 1:
        listed = ", ".join(f"{_printable(s)}: {_plural(n, f'{e} row')}" for (s, e), n in sources.items())
        raise _Refusal(f"quarantine export: open rows come from {len(sources)} sources ({listed}); choose one "
                       "with --source (a re-submission takes one source at a time)", 2)
    (source, entity), count = next(iter(sources.items()))
    text = quarantine_csv(engine, entity=entity, source_name=source)
    if args.output is None:
        return text
    args.output.write_bytes(text.encode("utf-8"))
    sys.stderr.write(f"{_plural(count, 'row')} of {_printable(source)} ({entity}) written to {args.output}\n")
    return ""


def _run(args) -> str:
    from sqlalchemy import inspect

    from data import store

    engine = store.get_engine(args.database_url)
    if "quarantine" not in inspect(engine).get_table_names():
        raise _Refusal(f"quarantine {args.action}: the store at {engine.url!r} has no quarantine table yet; run "
                       "python -m data upgrade first", 2)
    if args.action == "export":
        return _export(engine, args)
    from data.ingest import list_quarantine

    status = None if args.status == "all" else args.status
    text = _listing(list_quarantine(engine, status=status, source_name=args.source))
    where = f" from source {args.source!r}" if args.source else ""
    return text or f"no {'' if status is None else status + ' '}quarantined rows{where}\n"


def main_quarantine(argv: list[str], *, database_url: str) -> int:
    """Run ``python -m data quarantine ...``; returns the exit code (module docstring)."""
    from sqlalchemy.exc import SQLAlchemyError

    from data.store import error_text

    parser = _parser(database_url)
    try:  # bad arguments: argparse prints the usage and a line saying what is wrong, exit 2
        args = parser.parse_args(argv)
        if args.action is None:
            parser.error("say what to do: choose list or export")
    except SystemExit as stop:  # also --help, exit 0
        return int(stop.code or 0)
    try:
        sys.stdout.write(_run(args))
    except _Refusal as refusal:
        sys.stderr.write(f"{refusal}\n")
        return refusal.code
    except (ValueError, OSError, SQLAlchemyError) as error:  # a bad URL, an unreachable store, an unwritable file
        sys.stderr.write(f"quarantine {args.action} failed: {error_text(error)}\n")
        return 2
    return 0
