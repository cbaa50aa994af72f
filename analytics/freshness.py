"""How fresh the store's data is, in words for the header badge."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine

from data.queries import latest_order_date
from data.store import DatasetVersion

__all__ = ["FRESH_HOURS", "Freshness", "describe_freshness"]

FRESH_HOURS = 24


@dataclass(frozen=True)
class Freshness:
    """``status`` is fresh, stale or empty; ``text`` is short, ``detail`` explains it."""

    status: str
    text: str
    detail: str


def describe_freshness(
    engine: Engine, version: DatasetVersion | None, now: dt.datetime, complete_through: dt.date | None = None
) -> Freshness:
    """Fresh when the newest dataset version was written within ``FRESH_HOURS`` of ``now``.

    ``now`` must be timezone-aware; versions are stored in UTC. ``complete_through`` is the last complete
    day (the pages' numbers end there); when the newest order is later, the badge names the complete day
    and the detail says the rest is partial.
    """
    if version is None:
        return Freshness("empty", "NO DATA", "The store is empty: run `python -m data sample`.")
    written = version.created_at.replace(tzinfo=dt.timezone.utc)
    age_hours = (now - written).total_seconds() / 3600
    last_order = latest_order_date(engine)
    partial = bool(last_order and complete_through and complete_through < last_order)
    shown = complete_through if partial else last_order
    through = shown.strftime("%d %b %Y").upper() if shown else "—"
    status = "fresh" if age_hours <= FRESH_HOURS else "stale"
    detail = (
        f"Dataset v{version.version} written {written:%Y-%m-%d %H:%M} UTC "
        f"({age_hours:.1f} h ago) from {version.source}: {version.description}. "
        f"Latest order: {last_order or 'none'}."
    )
    if partial:
        detail += (f" Numbers run through {complete_through}, the last complete day; later orders are partial "
                   "and shown as today so far on the Overview.")
    return Freshness(status, f"DATA TO {through} · V{version.version}", detail)
