"""Command line for the store: ``python -m data sample ...`` and ``python -m data upgrade``.

Examples::

    python -m data sample --customers 20000 --seed 42
    python -m data sample --if-empty            # what `make run` does: only fills an empty store
    python -m data upgrade --database-url postgresql://user@host/db
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
from pathlib import Path

from data import default_database_url

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
    url_help = "SQLAlchemy URL of the store (default: $FORESIGHT_DATABASE_URL or instance/foresight.db)"
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
    return parser


def _upgrade(args: argparse.Namespace) -> str:
    from data import store

    url = args.database_url or default_database_url()
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
    url = args.database_url or default_database_url()
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


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    parser = _parser()
    args = parser.parse_args(argv)
    summary = _upgrade(args) if args.command == "upgrade" else _sample(args, parser)
    sys.stdout.write(summary + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
