"""Command line for checking demand forecasts: ``python -m analytics.forecasting demand ...``.

Forecasts every node of total -> region -> category from the store's facts up to ``--as-of`` only
(sales and marketing spend after it are not read; planned promotions and calendar events are plans
and are read for the horizon) and prints one row per node and day::

    python -m analytics.forecasting demand --database-url sqlite:///instance/foresight.db \\
        --as-of 2025-10-17 --horizon 45 --metric revenue --json

With ``--json`` each line is ``{"node", "date", "mean", "lo-80", "hi-80", "lo-95", "hi-95"}`` (node
``total``, a region such as ``EMEA``, or ``EMEA/Electronics``); without it a readable table.
Bad input exits with code 2 and one line on stderr that names the argument and how to fix it.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from analytics.forecasting.demand import forecast_demand
from analytics.forecasting.demand_inputs import (
    METRICS,
    DemandInputs,
    load_demand_inputs,
)
from data import schema, store

__all__ = ["COLUMNS", "UsageError", "demand_rows", "main"]

COLUMNS = ("node", "date", "mean", "lo-80", "hi-80", "lo-95", "hi-95")
PROG = "python -m analytics.forecasting"
_URL_EXAMPLE = "e.g. sqlite:///instance/foresight.db or postgresql://user@host/db"


class UsageError(Exception):
    """Bad input: the one line printed on stderr before exiting with code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors (missing or unknown arguments) become one line too
        raise UsageError(f"{message}; see {PROG} demand --help")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Check the business's demand forecasts from the command line.")
    commands = parser.add_subparsers(dest="command", metavar="demand", required=True, parser_class=_Parser)
    demand = commands.add_parser("demand", help="forecast every node of total -> region -> category",
                                 description="Forecast every node of total -> region -> category from the store's "
                                 "facts up to --as-of only; planned promotions and events are read for the horizon.")
    demand.add_argument("--database-url", required=True, help=f"SQLAlchemy URL of the store ({_URL_EXAMPLE})")
    demand.add_argument("--as-of", required=True, help="last day of facts the forecast may read (YYYY-MM-DD)")
    demand.add_argument("--horizon", required=True, help="days ahead, 1 to 365")
    demand.add_argument("--metric", default="revenue", help=f"one of {', '.join(METRICS)} (default revenue)")
    demand.add_argument("--jobs", default="-1", help="processes across nodes (-1 = every core; default -1)")
    demand.add_argument("--json", action="store_true", help="print one JSON line per node and day")
    demand.add_argument("--holiday-countries", default="US",
                        help="ISO 3166 codes whose public holidays count, comma-separated (default US; none for none)")
    return parser


def _as_of(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a date; give it as YYYY-MM-DD, e.g. 2025-10-17") from None


def _whole(name: str, text: str, low: int, high: int, what: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise UsageError(f"{name} {text!r} is not {what}; use a whole number from {low} to {high}")
    return value


def _metric(text: str) -> str:
    if text not in METRICS:
        raise UsageError(f"--metric {text!r} is not a metric; use one of {', '.join(METRICS)}")
    return text


def _engine(url: str) -> Engine:
    """An engine on ``url``, refused (with the fix) when it is not a database URL or names no SQLite file."""
    try:
        parsed = store.engine_url(url)  # picks the installed driver; names an unknown database or driver
    except ValueError as error:
        raise UsageError(f"--database-url: {error}") from None
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if path in ("", ":memory:") or not Path(path).is_file():
            raise UsageError(f"--database-url {shown}: there is no SQLite file at {path or '(none)'!r}; "
                             f"create the store first (python -m data sample --database-url {shown})")
    return store.get_engine(url)


def _unreadable(error: SQLAlchemyError) -> str:
    """Why the store could not be read, and the fix."""
    reason = (str(getattr(error, "orig", None) or error).splitlines() or ["unknown error"])[0]
    lowered = reason.lower()
    if "calendar_events" in lowered:
        return (f"the store predates the calendar of events ({reason}); migrate it with "
                "python -m data upgrade --database-url URL")
    if "no such table" in lowered or "does not exist" in lowered and "relation" in lowered:
        return (f"the database holds no Foresight store ({reason}); create one with "
                "python -m data sample --database-url URL, or point at the store")
    if "not a database" in lowered:
        return f"the file is not a SQLite database ({reason}); point --database-url at the store's .db file"
    return (f"cannot connect ({reason}); check the host, port, user and database name and that the server runs")


def _sale_range(engine: Engine, shown: str) -> tuple[dt.date, dt.date]:
    """The first and last order date (two scalars; no fact is read)."""
    o = schema.orders
    try:
        with engine.connect() as connection:
            first, last = connection.execute(select(func.min(o.c.order_date), func.max(o.c.order_date))).one()
    except SQLAlchemyError as error:
        raise UsageError(f"--database-url {shown}: {_unreadable(error)}") from None
    if first is None:
        raise UsageError(f"--database-url {shown}: the store has no sales; load orders first "
                         "(python -m data sample or python -m data ingest orders ...)")
    return dt.date.fromisoformat(str(first)[:10]), dt.date.fromisoformat(str(last)[:10])


def _countries(text: str) -> tuple[str, ...]:
    """``--holiday-countries`` as ISO codes the holidays library knows (``none``: no public holidays)."""
    import holidays

    if text.strip().lower() == "none":
        return ()
    codes = tuple(sorted({part.strip().upper() for part in text.split(",") if part.strip()}))
    unknown = [code for code in codes if code not in holidays.list_supported_countries()]
    if unknown or not codes:
        raise UsageError(f"--holiday-countries {text!r}: {', '.join(unknown) or 'no country'} is not a country the "
                         "holidays library knows; use ISO 3166 codes such as US,GB,DE, or none")
    return codes


def _inputs(engine: Engine, as_of: dt.date, shown: str, countries: tuple[str, ...]) -> DemandInputs:
    """The store's facts through ``as_of`` (nothing after it is read), after checking it falls inside the sales."""
    first, last = _sale_range(engine, shown)
    if not first <= as_of <= last:
        side = "before the first sale" if as_of < first else "after the last sale"
        raise UsageError(f"--as-of {as_of.isoformat()} is {side}; the store has sales from {first.isoformat()} "
                         f"to {last.isoformat()}, so pick a day in that range")
    try:
        return load_demand_inputs(engine, through=as_of.isoformat(), countries=countries)
    except (SQLAlchemyError, engine.dialect.dbapi.Error) as error:  # the queries read through the raw driver
        raise UsageError(f"--database-url {shown}: {_unreadable(error)}") from None


def demand_rows(forecast: pd.DataFrame) -> pd.DataFrame:
    """The reconciled forecast as the CLI prints it: ``node, date, mean, lo-80, hi-80, lo-95, hi-95``."""
    rows = forecast.rename(columns={"unique_id": "node"})
    rows = rows.assign(date=rows["ds"].dt.strftime("%Y-%m-%d"))
    return rows[list(COLUMNS)].reset_index(drop=True)


def _print(rows: pd.DataFrame, as_json: bool, metric: str) -> None:
    if as_json:
        for record in rows.to_dict("records"):
            sys.stdout.write(json.dumps({k: (round(v, 2) if isinstance(v, float) else v)
                                         for k, v in record.items()}) + "\n")
        return
    table = rows.assign(**{c: rows[c].map("{:,.0f}".format) for c in COLUMNS[2:]})
    table["80%"] = table["lo-80"] + " – " + table["hi-80"]
    table["95%"] = table["lo-95"] + " – " + table["hi-95"]
    table = table.rename(columns={"mean": METRICS[metric].lower()})
    sys.stdout.write(table[["node", "date", METRICS[metric].lower(), "80%", "95%"]].to_string(index=False) + "\n")


def _demand(args: argparse.Namespace) -> int:
    as_of, metric = _as_of(args.as_of), _metric(args.metric)
    horizon = _whole("--horizon", args.horizon, 1, 365, "a horizon in days")
    jobs = int(args.jobs) if args.jobs.strip() == "-1" else _whole("--jobs", args.jobs, 1, 256, "a process count")
    countries = _countries(args.holiday_countries)
    engine = _engine(args.database_url)
    shown = make_url(args.database_url).render_as_string(hide_password=True)
    try:
        result = forecast_demand(_inputs(engine, as_of, shown, countries), metric, horizon, n_jobs=jobs)
    finally:
        engine.dispose()
    _print(demand_rows(result.forecast), args.json, metric)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (2 with one line on stderr for bad input)."""
    try:
        args = _parser().parse_args(argv)
        return _demand(args)
    except UsageError as error:
        sys.stderr.write(f"{PROG} demand: {error}\n")
        return 2
