"""``python -m core.alerts watch [--once] [--database-url URL]``: evaluate the alert rules after every new dataset
version outside the web app (with ``FORESIGHT_ALERT_POLL_SECONDS=0`` in the web processes, or from cron with
``--once``). Claims are shared with the web processes, so running both never evaluates a version twice.

Prints one JSON line per evaluated version: ``{"version", "fired", "deliveries": {outcome: count}}``.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import Counter

from core.alerts._watcher import AlertRun, AlertWatcher
from core.settings import settings_or_exit
from data.store import get_engine


def _line(run: AlertRun) -> str:
    outcomes = Counter(delivery.outcome for delivery in run.deliveries)
    return json.dumps({"version": run.version, "fired": len(run.fired), "deliveries": dict(outcomes)})


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0, or 2 for a bad setting or usage)."""
    parser = argparse.ArgumentParser(prog="python -m core.alerts", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    watch = commands.add_parser("watch", help="evaluate the rules on each new dataset version")
    watch.add_argument("--database-url", help="the store (default: FORESIGHT_DATABASE_URL)")
    watch.add_argument("--once", action="store_true", help="evaluate the newest version if nobody has, then exit")
    args = parser.parse_args(argv)
    settings = settings_or_exit()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    watcher = AlertWatcher(get_engine(args.database_url or settings.database_url), settings.alerts,
                           complete_through=settings.complete_through)
    if args.once:
        run = watcher.poll_once()
        if run is not None:
            sys.stdout.write(_line(run) + "\n")
        return 0
    interval = settings.alerts.poll_seconds or 5.0
    while True:  # until interrupted
        run = watcher.poll_once()
        if run is not None:
            sys.stdout.write(_line(run) + "\n")
            sys.stdout.flush()
        time.sleep(interval)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
