"""``python -m analytics.insights anomalies|feed``: the anomalies in the store's daily orders and revenue, and the
ranked findings of a period (``feed``: the same JSON as ``Finding.to_dict``, one per line, best first).

::

    python -m analytics.insights anomalies --database-url sqlite:///instance/foresight.db --json
    python -m analytics.insights feed --period-days 30 --json

With ``--json`` each line is one anomaly, highest score first: ``{"metric", "scope", "kind", "start_date",
"end_date", "score", "size", "relative", "expected", "related"}`` (``scope`` is ``{}`` for the company or e.g.
``{"region": "APAC"}``); without it a readable table. ``--database-url`` defaults to the configured store
(``FORESIGHT_DATABASE_URL``, else ``foresight.db`` in the instance folder). Bad input, a store that cannot be
read or too little history: one ``error: ...`` line on stderr and exit code 2, never a traceback.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from analytics.insights._anomalies import DEFAULT_MIN_SCORE, detect_anomalies
from analytics.insights._result import DetectedAnomaly
from analytics.insights._series import METRICS
from analytics.insights.feed import build_feed

__all__ = ["PROG", "main"]

PROG = "python -m analytics.insights"


class _Refused(Exception):
    """Bad input or an unusable store: printed as ``error: ...``, exit 2."""


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own complaints become the one error line too
        raise _Refused(f"{message}; see {PROG} --help")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def _score(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of standard errors (e.g. 5)")
    return value


def _arguments() -> argparse.ArgumentParser:
    parser = _ArgumentParser(prog=PROG, description="Insights from the store's numbers, from the command line.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_ArgumentParser)
    anomalies = commands.add_parser("anomalies", help="spikes, drops and level shifts in daily orders and revenue")
    anomalies.add_argument("--database-url", help="the store (default: the configured store)")
    anomalies.add_argument("--json", action="store_true", help="one JSON object per line per anomaly")
    anomalies.add_argument("--through", type=_date, help="last day to read (default: the last complete day)")
    anomalies.add_argument("--metric", choices=METRICS, action="append",
                           help="orders or revenue (repeatable; default both)")
    anomalies.add_argument("--min-score", type=_score, default=DEFAULT_MIN_SCORE,
                           help=f"least score to report, in standard errors (default {DEFAULT_MIN_SCORE})")
    feed = commands.add_parser("feed", help="the ranked findings of a period: KPI changes, anomalies, patterns, "
                                            "retention shifts")
    feed.add_argument("--database-url", help="the store (default: the configured store)")
    feed.add_argument("--json", action="store_true", help="one JSON object per line per finding, best first")
    feed.add_argument("--period-days", type=_days, default=30, help="the period's length in days (default 30)")
    feed.add_argument("--through", type=_date, help="the period's last day (default: the last complete day)")
    return parser


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 366:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days from 1 to 366 (e.g. 7, 30, 90)")
    return value


def _engine(url: str | None) -> Engine:
    from core.settings import database_url  # entry point: the one place allowed to read the configuration
    from data.store import engine_url, get_engine

    url = url or database_url()
    try:
        parsed = engine_url(url)
    except ValueError as error:
        raise _Refused(f"--database-url: {error}") from None
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and not (parsed.database and Path(parsed.database).is_file()):
        raise _Refused(f"--database-url {shown}: there is no SQLite file at {parsed.database or '(none)'!r}; "
                       f"create the store first (python -m data sample --database-url {shown})")
    return get_engine(url)


def _table(anomalies: list[DetectedAnomaly]) -> str:
    if not anomalies:
        return "no anomalies: every day is within its baseline's usual range\n"
    rows = [("score", "kind", "metric", "scope", "from", "to", "size", "change")]
    rows += [(f"{a.score:.1f}", a.kind.replace("_", " "), a.metric,
              ", ".join(f"{k}={v}" for k, v in a.scope.items()) or "company", a.start_date, a.end_date,
              f"{a.size:+,.0f}", f"{a.relative:+.0%}") for a in anomalies]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() + "\n" for row in rows)


def _anomalies(args: argparse.Namespace, stdout: TextIO) -> int:
    engine = _engine(args.database_url)
    try:
        found = detect_anomalies(engine, metrics=tuple(args.metric or METRICS), through=args.through,
                                 min_score=args.min_score)
    except SQLAlchemyError as error:
        from data.store import error_text

        raise _Refused(f"the store could not be read ({error_text(error)}); check --database-url, or migrate "
                       "the store with python -m data upgrade") from None
    except ValueError as error:  # too little history, or a bad option value
        raise _Refused(str(error)) from None
    if args.json:
        stdout.write("".join(json.dumps(a.to_dict()) + "\n" for a in found))
    else:
        stdout.write(_table(found))
    return 0


def _feed(args: argparse.Namespace, stdout: TextIO) -> int:
    engine = _engine(args.database_url)
    try:
        found = build_feed(engine, period_days=args.period_days, end=args.through)
    except SQLAlchemyError as error:
        from data.store import error_text

        raise _Refused(f"the store could not be read ({error_text(error)}); check --database-url, or migrate "
                       "the store with python -m data upgrade") from None
    except ValueError as error:  # no data yet, or a period the store does not cover
        raise _Refused(str(error)) from None
    if args.json:
        stdout.write("".join(json.dumps(f.to_dict(), default=str) + "\n" for f in found))
    elif not found:
        stdout.write("no findings for this period\n")
    else:
        stdout.write("".join(f"{rank:>2}. [{f.kind.replace('_', ' ')}, {f.confidence.level} confidence, "
                             f"{f.impact.display}] {f.title}\n" for rank, f in enumerate(found, 1)))
    return 0


# One runner per subcommand (each registered in _arguments): (parsed arguments, stdout) -> exit code.
_COMMANDS = {"anomalies": _anomalies, "feed": _feed}


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    """Run the command line; the exit code (0 ok, 2 bad input or an unusable store)."""
    stdout = stdout or sys.stdout
    try:
        args = _arguments().parse_args(argv)
        return _COMMANDS[args.command](args, stdout)
    except _Refused as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
