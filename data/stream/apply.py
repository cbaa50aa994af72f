"""Applying a micro-batch of parsed events to the store, recording every event id with its rows.

Private to ``data.stream``. Events become canonical rows per entity and go through the
``stream`` connector and ``data.ingest.ingest_frame`` like any batch (coercion, validation,
quarantine, duplicates, conflict rules). Each ingest is one transaction; its ``before_commit``
hook writes the ids of the events whose rows it holds into ``stream_events``, so an event's
rows and its id are committed together or not at all. An event id found in ``stream_events``
is skipped when it is delivered again; a dead-lettered event is tried again when it is sent
again as a new entry (after its cause was fixed).

Within a micro-batch, events that share an entity key (two events for one customer, say) go
into successive ingests in stream order, because one ingest quarantines every row of a key
that occurs twice; customers go before orders, so an order may follow its customer's signup.

When the store raises on an ingest, its events are applied again in halves, down to single
events: if some part commits, the store works and the events that still fail are refused one by
one, each with its own error (dead-lettered); if no part commits, the store itself is failing
and the error propagates (nothing of that ingest is committed). Errors that name the connection
or the database rather than the data (``OperationalError``, ``InterfaceError``: locked, full,
gone) propagate at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import InterfaceError, OperationalError

from data import schema
from data.stream.events import REASON_LIMIT, Event
from data.ingest import IngestResult, SourcePriority, ValidationRules, ingest_frame
from data.ingest.connectors import read_source
from data.stream.rows import EventRows, event_key, event_rows

__all__ = ["BatchOutcome", "EventRows", "apply_events", "source_name_for"]

log = logging.getLogger(__name__)

_ENTITY_ORDER = ("customers", "orders", "marketing")
_IN_CHUNK = 500
_STORE_DOWN = (OperationalError, InterfaceError)  # the database, not the event: never bisected


def source_name_for(stream: str) -> str:
    """How runs, quarantine records and the quality report name a stream: ``stream:<name>``."""
    return f"stream:{stream}"


@dataclass
class BatchOutcome:
    """What became of a micro-batch's events.

    ``applied`` events were committed (some of their rows may be quarantined); ``skipped`` were
    already applied before (or repeated in this batch); ``rejected`` pairs an event with why it
    goes to the dead-letter stream (every row refused, or dead-lettered on an earlier delivery).
    """

    applied: list[Event] = field(default_factory=list)
    skipped: list[Event] = field(default_factory=list)
    rejected: list[tuple[Event, str]] = field(default_factory=list)
    latencies_ms: list[int] = field(default_factory=list)
    quarantined_rows: int = 0
    dataset_version: int | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


# --- already processed ---------------------------------------------------------------------
def _recorded(engine: Engine, event_ids: list[str]) -> dict[str, tuple[str, str | None, str, str | None]]:
    """event_id -> (status, reason, message_id, content_sha256) for the ids ``stream_events`` already holds."""
    table = schema.stream_events
    found: dict[str, tuple[str, str | None, str, str | None]] = {}
    with engine.connect() as connection:
        for start in range(0, len(event_ids), _IN_CHUNK):
            query = select(table.c.event_id, table.c.status, table.c.reason, table.c.message_id,
                           table.c.content_sha256).where(table.c.event_id.in_(event_ids[start : start + _IN_CHUNK]))
            found.update({row.event_id: (row.status, row.reason, row.message_id, row.content_sha256)
                          for row in connection.execute(query)})
    return found


def _record(connection: Connection, stream: str, entries: list[tuple[str, Event, str, str | None]],
            version: int | None) -> None:
    """``stream_events`` rows for ``(message_id, event, status, reason)``; a re-sent event replaces
    the record of its dead-lettered earlier copy."""
    table = schema.stream_events
    ids = [event.event_id for _, event, _, _ in entries]
    for start in range(0, len(ids), _IN_CHUNK):
        connection.execute(delete(table).where(table.c.event_id.in_(ids[start : start + _IN_CHUNK]),
                                               table.c.status == "dead_letter"))
    processed = _now()
    connection.execute(insert(table), [
        {"event_id": event.event_id, "event_type": event.type, "stream": stream[:200], "message_id": message_id,
         "status": status, "reason": None if reason is None else reason[:REASON_LIMIT],
         "produced_at": event.produced_time, "processed_at": processed, "dataset_version": version,
         "content_sha256": event.content_sha256}
        for message_id, event, status, reason in entries
    ])


# --- events -> canonical rows ----------------------------------------------------------------
def _rounds(events: list[tuple[str, Event]]) -> list[list[tuple[str, Event]]]:
    """Split events so no key occurs twice in one round; the n-th event of a key goes to round n."""
    seen: Counter = Counter()
    rounds: list[list[tuple[str, Event]]] = []
    for item in events:
        key = event_key(item[1])
        if seen[key] == len(rounds):
            rounds.append([])
        rounds[seen[key]].append(item)
        seen[key] += 1
    return rounds


class _Recorder:
    """``before_commit`` hook: decide each event's fate from its quarantined rows and record it."""

    def __init__(self, stream: str, group: list[tuple[str, Event]], owners: list[int],
                 decisions: dict[int, tuple[str, str | None]]) -> None:
        self.stream, self.group, self.owners, self.decisions = stream, group, owners, decisions

    def _quarantined(self, connection: Connection, result: IngestResult) -> dict[int, str]:
        """Row position -> reason, for the rows this run quarantined."""
        table = schema.quarantine
        query = select(table.c.row_number, table.c.reason).where(table.c.run_id == result.run_id)
        found = {int(row.row_number) - 1: row.reason for row in connection.execute(query)}
        if len(found) < result.quarantined:
            log.warning("run %s quarantined %d rows, %d were already open in quarantine; their events are "
                        "recorded as applied", result.run_id, result.quarantined, result.quarantined - len(found))
        return found

    def __call__(self, connection: Connection, result: IngestResult) -> None:
        reasons = self._quarantined(connection, result) if result.quarantined else {}
        rows_of: dict[int, list[int]] = {}
        for position, index in enumerate(self.owners):
            rows_of.setdefault(index, []).append(position)
        for index, positions in rows_of.items():
            refused = list(dict.fromkeys(reasons[p] for p in positions if p in reasons))
            if len(refused) and all(p in reasons for p in positions):
                why = f"every row was quarantined by validation (ingest run {result.run_id}): " + " | ".join(refused)
                self.decisions[index] = ("dead_letter", why)
            else:
                self.decisions[index] = ("applied", "; ".join(refused) or None)
        _record(connection, self.stream, self._entries(), result.dataset_version)

    def _entries(self) -> list[tuple[str, Event, str, str | None]]:
        return [(message_id, event, *self.decisions[index]) for index, (message_id, event) in enumerate(self.group)
                if index in self.decisions]


@dataclass(frozen=True)
class IngestOptions:
    """What every ingest of a batch is run with, as in any other ingest: the validator's today, which source wins
    a conflict, and the validation rules (plausible dates); None: the defaults."""

    today: dt.date | None = None
    source_priority: SourcePriority | None = None
    rules: ValidationRules | None = None


def _apply_group(engine: Engine, stream: str, entity: str, group: list[tuple[str, Event]],
                 outcome: BatchOutcome, options: IngestOptions) -> None:
    rows, owners, refused = event_rows(engine, entity, group)
    decisions: dict[int, tuple[str, str | None]] = {index: ("dead_letter", why) for index, why in refused}
    recorder = _Recorder(stream, group, owners, decisions)
    result = None
    if rows:
        source = read_source(entity, EventRows(source_name_for(stream), entity, rows))
        result = ingest_frame(engine, source, today=options.today, before_commit=recorder,
                              source_priority=options.source_priority, rules=options.rules)
        if result.rejected_reason is not None:  # nothing written, the hook did not run
            decisions.update({index: ("dead_letter", f"ingestion rejected the batch: {result.rejected_reason}")
                              for index in set(owners)})
    if result is None or result.rejected_reason is not None:
        with engine.begin() as connection:
            _record(connection, stream, recorder._entries(), None)
    committed_ms = _now_ms()
    for index, (_, event) in enumerate(group):
        status, reason = decisions[index]
        if status == "dead_letter":
            outcome.rejected.append((event, reason))
        else:
            outcome.applied.append(event)
            outcome.latencies_ms.append(committed_ms - event.produced_at)
    if result is not None:
        outcome.quarantined_rows += result.quarantined
        outcome.dataset_version = result.dataset_version or outcome.dataset_version


def _reused(event: Event, where: str) -> str:
    return (f"event_id {event.event_id!r} was already applied with different content ({where}); an id names "
            "one change: give this change its own event_id (a true duplicate repeats type and payload exactly)")


def _same_or_reused(event: Event, digest: str | None, where: str, outcome: BatchOutcome) -> None:
    """An id seen before: skipped when the content is the same (or unknown: recorded before revision
    0005), dead-lettered when it differs."""
    if digest is None or digest == event.content_sha256:
        outcome.skipped.append(event)
    else:
        outcome.rejected.append((event, _reused(event, where)))


def _fresh(engine: Engine, events: Sequence[tuple[str, Event]], outcome: BatchOutcome) -> list[tuple[str, Event]]:
    """Events not applied before; duplicates, reused ids and already recorded ones go to ``outcome``."""
    recorded = _recorded(engine, list(dict.fromkeys(event.event_id for _, event in events)))
    taken: dict[str, Event] = {}  # ids this batch applies
    fresh = []
    for message_id, event in events:
        status, reason, recorded_message, digest = recorded.get(event.event_id, (None, None, None, None))
        if status == "applied":
            _same_or_reused(event, digest, f"stream entry {recorded_message}", outcome)
        elif event.event_id in taken:
            _same_or_reused(event, taken[event.event_id].content_sha256, "earlier in this batch", outcome)
        elif status == "dead_letter" and recorded_message == message_id:
            # the same entry again: its dead letter may not have been written
            outcome.rejected.append((event, reason or "dead-lettered on an earlier delivery"))
        else:  # new, or a dead-lettered event sent again as a new entry (after a fix)
            taken[event.event_id] = event
            fresh.append((message_id, event))
    return fresh


def apply_events(engine: Engine, events: Sequence[tuple[str, Event]], *, stream: str,
                 today: dt.date | None = None, source_priority: SourcePriority | None = None,
                 rules: ValidationRules | None = None) -> BatchOutcome:
    """Apply ``(message_id, event)`` pairs; raises whatever the store raised (nothing of the
    failed ingest is committed, and the caller must not acknowledge the batch). ``source_priority``
    decides conflicts and ``rules`` (plausible dates) validate as in any ingest (None: the defaults)."""
    options = IngestOptions(today, source_priority, rules)
    outcome = BatchOutcome()
    fresh = _fresh(engine, events, outcome) if events else []
    for round_ in _rounds(fresh):
        for entity in _ENTITY_ORDER:
            group = [item for item in round_ if item[1].entity == entity]
            if group:
                _apply_halving(engine, stream, entity, group, outcome, options)
    return outcome


def _refusal(error: Exception) -> str:
    text = " ".join(str(getattr(error, "orig", None) or error).split())
    return f"the store refused this event ({type(error).__name__}: {text[:500]}); the rest of its batch was applied"


def _apply_halving(engine: Engine, stream: str, entity: str, group: list[tuple[str, Event]],
                   outcome: BatchOutcome, options: IngestOptions) -> None:
    """``_apply_group``; when the store raises, the group again in halves (see the module's docstring)."""
    try:
        _apply_group(engine, stream, entity, group, outcome, options)
        return
    except _STORE_DOWN:
        raise
    except Exception as error:  # noqa: BLE001 - bisected below; re-raised when no part commits
        if len(group) == 1:
            raise
        first = error
        log.warning("an ingest of %d %s events failed (%s); applying them in halves", len(group), entity, error)
    refused: list[tuple[tuple[str, Event], Exception]] = []
    if not _halves(engine, stream, entity, group, outcome, options, refused):
        raise first
    with engine.begin() as connection:
        _record(connection, stream, [(message_id, event, "dead_letter", _refusal(error))
                                     for (message_id, event), error in refused], None)
    outcome.rejected += [(event, _refusal(error)) for (_, event), error in refused]


def _halves(engine: Engine, stream: str, entity: str, group: list[tuple[str, Event]],
            outcome: BatchOutcome, options: IngestOptions, refused: list) -> bool:
    """Apply both halves of ``group`` (recursively); single events that fail go to ``refused``.
    Returns whether any part committed."""
    middle = len(group) // 2
    committed = False
    for half in (group[:middle], group[middle:]):
        try:
            _apply_group(engine, stream, entity, half, outcome, options)
            committed = True
        except _STORE_DOWN:
            raise
        except Exception as error:  # noqa: BLE001 - this half holds an event the store refuses
            if len(half) == 1:
                refused.append((half[0], error))
            else:
                committed = _halves(engine, stream, entity, half, outcome, options, refused) \
                    or committed
    return committed
