"""``python -m core.health status|incidents|runbooks|run RUNBOOK [--dry-run]|maintenance [plan|run-due]``: the health
operations from a shell (cron, an operator on the box). ``--json`` prints JSON; ``--database-url`` picks the store
(default: FORESIGHT_DATABASE_URL). Runs are audited with the actor ``cli``. Bad input exits 2 with one line
``error: ...`` on stderr.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from core.health._actions import run_runbook, runbook_catalogue
from core.health._incidents import list_incidents
from core.health._metric_store import latest_values
from core.health._scheduler import MaintenanceScheduler, maintenance_calendar
from core.settings import settings_or_exit
from data.store import get_engine, upgrade

_ACTOR = "cli"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _status(engine, settings, args) -> Any:
    latest = latest_values(engine)
    return {"components": {component: {metric: value for metric, (_at, value) in metrics.items()}
                           for component, metrics in latest.items()},
            "open_incidents": [incident.to_dict() for incident in list_incidents(engine, state="open")]}


def _incidents(engine, settings, args) -> Any:
    return [incident.to_dict() for incident in list_incidents(engine, state=args.state, limit=args.limit)]


def _runbooks(engine, settings, args) -> Any:
    return runbook_catalogue(engine)


def _run(engine, settings, args) -> Any:
    return run_runbook(engine, settings, args.runbook, _ACTOR, dry_run=args.dry_run)


def _maintenance(engine, settings, args) -> Any:
    scheduler, now = MaintenanceScheduler(engine, settings), _now()
    if args.action == "plan":
        scheduler.plan(now)
        return maintenance_calendar(engine, now - dt.timedelta(days=1), now + dt.timedelta(days=8))
    if args.action == "run-due":
        return scheduler.tick(now)
    return maintenance_calendar(engine, now - dt.timedelta(days=1), now + dt.timedelta(days=8))


def _text(value: Any) -> str:
    """A short human rendering: one line per item."""
    if isinstance(value, dict) and "components" in value:
        lines = [f"{c}: " + ", ".join(f"{m}={v:g}" for m, v in sorted(ms.items()))
                 for c, ms in sorted(value["components"].items())]
        lines += [f"OPEN #{i['id']} [{i['severity']}] {i['title']}" for i in value["open_incidents"]]
        return "\n".join(lines) or "no metrics recorded yet"
    items = value if isinstance(value, list) else [value]
    keys = ("id", "name", "task", "runbook", "state", "mode", "due_at", "severity", "title", "summary")
    return "\n".join("  ".join(str(item.get(k)) for k in keys if item.get(k) is not None)
                     + (f"  {item['plan']['summary']}" if isinstance(item.get("plan"), dict) else "")
                     for item in items) or "nothing"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core.health", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--database-url", help="the store (default: FORESIGHT_DATABASE_URL)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("status", help="the latest metrics and the open incidents").set_defaults(call=_status)
    incidents = commands.add_parser("incidents", help="incidents, newest first")
    incidents.add_argument("--state", choices=("open", "resolved"))
    incidents.add_argument("--limit", type=int, default=50)
    incidents.set_defaults(call=_incidents)
    commands.add_parser("runbooks", help="the runbook catalogue and settings").set_defaults(call=_runbooks)
    run = commands.add_parser("run", help="run a runbook now (audited)")
    run.add_argument("runbook")
    run.add_argument("--dry-run", action="store_true", help="only record and print what it would do")
    run.set_defaults(call=_run)
    maintenance = commands.add_parser("maintenance", help="the maintenance calendar")
    maintenance.add_argument("action", nargs="?", choices=("plan", "run-due"), help="fill it, or run what is due")
    maintenance.set_defaults(call=_maintenance)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0, or 2 for bad input)."""
    args = _parser().parse_args(argv)
    settings = settings_or_exit()
    engine = get_engine(args.database_url or settings.database_url)
    upgrade(engine)
    try:
        result = args.call(engine, settings, args)
    except (ValueError, LookupError) as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    sys.stdout.write((json.dumps(result, default=str, indent=2) if args.json else _text(result)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
