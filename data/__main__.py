"""Command line for the store: ``python -m data sample|upgrade|ingest|stream|replay|quarantine ...``.

An entry point: it reads its settings from the environment through ``core.settings``, the one
place that does, and passes them to the data layer.

Examples::

    python -m data sample --customers 20000 --seed 42
    python -m data sample --if-empty            # what `make run` does: only fills an empty store
    python -m data upgrade --database-url postgresql://user@host/db
    python -m data ingest orders exports/orders.csv --mapping exports/orders.toml --json
    python -m data ingest customers postgresql://crm@db/crm --table accounts
    python -m data stream --redis-url redis://127.0.0.1:6379/0    # see docs/streaming.md
    python -m data replay --days 3
    python -m data quarantine list              # quarantined rows per source (data/quarantine_cli.py)
    python -m data quarantine export --source crm.csv --output crm-quarantine.csv

``ingest`` exits 0 when every row was accepted (or already stored), 3 when some rows were
quarantined and the rest committed, and 2 when nothing was written; the reason is then the
only line on stderr, ``--json`` still prints its summary line (with ``rejected_reason``), and
the run is recorded in the store whenever the store can be reached. A bad store URL is a
one-line message and exit 2 for every command, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import time
from pathlib import Path

from core import settings as configured

log = logging.getLogger("data")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def _parser() -> argparse.ArgumentParser:
    from data.sample import DEFAULT_END_DATE, SampleConfig

    defaults = SampleConfig()
    parser = argparse.ArgumentParser(prog="python -m data", description="Manage the Neon Foresight store.")
    commands = parser.add_subparsers(dest="command", required=True)
    url_help = "SQLAlchemy URL of the store (default: $FORESIGHT_DATABASE_URL, else $FORESIGHT_INSTANCE_DIR/foresight.db)"
    upgrade = commands.add_parser("upgrade", help="migrate the store's schema to the newest revision")
    upgrade.add_argument("--database-url", default=None, help=url_help)
    sample = commands.add_parser("sample", help="replace the store's content with the sample company")
    sample.add_argument(
        "--customers", type=int, default=defaults.customers, help="number of customers (default %(default)s)"
    )
    sample.add_argument("--seed", type=int, default=defaults.seed, help="random seed (default %(default)s)")
    sample.add_argument(
        "--end-date", type=_date, default=DEFAULT_END_DATE, help="last day of data (default %(default)s)"
    )
    sample.add_argument(
        "--years", type=int, default=defaults.years, help="years of daily data (default %(default)s)"
    )
    sample.add_argument("--database-url", default=None, help=url_help)
    sample.add_argument(
        "--ground-truth",
        type=Path,
        default=None,
        help="ground-truth JSON path (default: beside a SQLite file, else instance/ground_truth.json)",
    )
    sample.add_argument(
        "--if-empty", action="store_true", help="do nothing when the store already holds a dataset version"
    )
    _ingest_parser(commands, url_help)
    for name, what in _DELEGATED.items():
        commands.add_parser(name, help=f"{what} (options: python -m data {name} --help)", add_help=False)
    return parser


def _ingest_parser(commands, url_help: str) -> None:
    from data.ingest import ENTITIES

    ingest = commands.add_parser(
        "ingest",
        help="validate a file or database table and commit it (exit 0 all accepted, 3 some quarantined, 2 rejected)",
    )
    ingest.add_argument("entity", choices=list(ENTITIES), help="what the source holds")
    ingest.add_argument("source", help="a CSV, Parquet, Excel or JSON file, or a database URL")
    where = ingest.add_mutually_exclusive_group()
    where.add_argument("--table", default=None, help="table to read from a database source")
    where.add_argument("--query", default=None, help="SQL query to read from a database source")
    ingest.add_argument("--mapping", type=Path, default=None, help="TOML column mapping (docs/ingest-mapping.md)")
    ingest.add_argument("--database-url", default=None, help=url_help)
    ingest.add_argument("--json", action="store_true", help="print one JSON summary line")


def _upgrade(args: argparse.Namespace) -> str:
    from data import store

    url = args.database_url or configured.database_url()
    store.upgrade(store.get_engine(url))
    return f"store at {store.get_engine(url).url!r} is at the newest schema revision"


def _sample(args: argparse.Namespace, parser: argparse.ArgumentParser) -> str:
    from data import store
    from data.sample import SampleConfig, generate_sample, write_sample

    try:
        config = SampleConfig(
            customers=args.customers, seed=args.seed, end_date=args.end_date, years=args.years
        )
    except ValueError as error:
        parser.error(str(error))
    url = args.database_url or configured.database_url()
    engine = store.get_engine(url)
    if args.if_empty:
        store.upgrade(engine)
        existing = store.current_version(engine)
        if existing is not None:
            log.info(
                "store already holds dataset version %d (%s); --if-empty: nothing to do",
                existing.version,
                existing.description,
            )
            return f"kept existing dataset version {existing.version}"
    started = time.perf_counter()
    dataset = generate_sample(config)
    version = write_sample(engine, dataset, args.ground_truth)
    rows = ", ".join(f"{name}={len(frame)}" for name, frame in dataset.tables.items())
    seconds = time.perf_counter() - started
    return f"dataset version {version.version}: {dataset.rows} rows ({rows}) in {seconds:.1f} s"


def _failed_ingest(args: argparse.Namespace, engine, error: Exception) -> int:
    """Bad limits in the environment, a bad URL, an unreachable or failing store: nothing was written.

    The reason goes to stderr (and the --json line); the run is recorded when the store answers.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from data import store
    from data.ingest import IngestResult, record_rejection

    reason = f"nothing written: {store.error_text(error)}"
    sys.stderr.write(reason + "\n")
    summary = IngestResult("", 0, 0, 0, 0, reason).summary()
    unrecorded = "the store URL is not usable" if engine is None else None
    if engine is not None:
        try:
            record_rejection(engine, args.entity, args.source, reason, table=args.table, query=args.query)
        except (ValueError, OSError, SQLAlchemyError) as recording_error:
            unrecorded = store.error_text(recording_error)
    if unrecorded:
        summary["warnings"] = [f"the run could not be recorded: {unrecorded}"]
    if args.json:
        sys.stdout.write(json.dumps(summary) + "\n")
    return 2


def _ingest(args: argparse.Namespace) -> int:
    """Run one ingest; stdout gets the summary, stderr warnings or the one-line rejection reason."""
    from sqlalchemy.exc import SQLAlchemyError

    from data import store
    from data.ingest import ingest

    url = args.database_url or configured.database_url()
    engine = None
    try:
        engine = store.get_engine(url)
        store.upgrade(engine)
        limits, priority = configured.ingest_limits(), configured.source_priority()
        rules = configured.validation_rules()  # FORESIGHT_EARLIEST_DATE, FORESIGHT_FUTURE_DAYS
        result = ingest(engine, args.entity, args.source, table=args.table, query=args.query,
                        mapping=args.mapping, limits=limits, source_priority=priority, rules=rules)
    except (ValueError, OSError, SQLAlchemyError) as error:
        return _failed_ingest(args, engine, error)
    for warning in result.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    if result.rejected_reason is not None:
        sys.stderr.write(f"rejected: {result.rejected_reason}\n")
    if args.json:
        sys.stdout.write(result.to_json() + "\n")
    elif result.rejected_reason is None:
        sys.stdout.write(
            f"{result.status}: {result.accepted} accepted, {result.quarantined} quarantined, "
            f"{result.duplicates} duplicates, {result.conflicts} conflicts (run {result.run_id}, "
            f"dataset version {result.dataset_version or 'unchanged'})\n"
        )
    return result.exit_code


# Subcommands owned by data.stream and data.quarantine_cli, which parse their options themselves.
_DELEGATED = {
    "quarantine": "list quarantined rows per source, or export one source's as the re-submittable CSV",
    "stream": "consume live events from Redis into the store",
    "replay": "publish the sample company's following days as live events",
}


def _delegate(command: str, rest: list[str]) -> int:
    if command == "quarantine":
        from data.quarantine_cli import main_quarantine

        return main_quarantine(rest, database_url=configured.database_url())
    from data import stream

    try:
        defaults = {"database_url": configured.database_url(), "redis_url": configured.redis_url()}
        if command == "stream":  # events are validated like files: the same priority and plausible dates
            defaults.update(source_priority=",".join(configured.source_priority().order),
                            rules=configured.validation_rules())
    except ValueError as error:  # an invalid setting
        sys.stderr.write(f"{command}: {error}\n")
        return 2
    if command == "stream":
        return stream.main_stream(rest, **defaults)
    return stream.main_replay(rest, **defaults)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    quiet = bool(argv) and argv[0] in ("ingest", "quarantine")
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if argv and argv[0] in _DELEGATED:
        return _delegate(argv[0], argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "ingest":
        return _ingest(args)
    from sqlalchemy.exc import SQLAlchemyError

    from data.store import error_text

    try:
        summary = _upgrade(args) if args.command == "upgrade" else _sample(args, parser)
    except (ValueError, SQLAlchemyError) as error:  # a bad URL, an unreachable store
        sys.stderr.write(f"{args.command} failed: {error_text(error)}\n")
        return 2
    sys.stdout.write(summary + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
