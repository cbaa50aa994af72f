"""What each runbook does: ``plan_*`` says it (the dry run, in words and JSON, touching nothing), ``run_*`` does it.

None of them deletes user data: cache pruning removes only cache files whose own expiry has passed, the stream
replay acknowledges entries only after the processor applied or dead-lettered them (dead letters are kept),
vacuum rewrites the store in place, and the process restarts only signal the app's own processes.
"""
from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from core.health._processes import app_processes, ask_to_stop

__all__ = ["Plan", "plan_prune_cache", "run_prune_cache", "plan_restart_worker", "run_restart_worker",
           "plan_replay_stream", "run_replay_stream", "plan_vacuum_store", "run_vacuum_store", "plan_reload_model",
           "run_reload_model"]

_COUNT_FILE = "__wz_cache_count"  # cachelib's bookkeeping file, not an entry
REPLAY_STEPS = 50


@dataclass(frozen=True)
class Plan:
    """A dry run: the target, what would happen in words, and the details as JSON."""

    target: str
    summary: str
    details: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "summary": self.summary, **self.details}


# --- prune_cache --------------------------------------------------------------------------------------------------
def _expired_files(folder: Path, moment: float) -> list[Path]:
    """Cache files (cachelib's FileSystemCache format: a 4-byte expiry time, then the value) past their expiry."""
    expired = []
    for path in folder.iterdir() if folder.is_dir() else ():
        if not path.is_file() or path.name == _COUNT_FILE:
            continue
        try:
            with path.open("rb") as handle:
                expires = struct.unpack("I", handle.read(4))[0]
        except (OSError, struct.error):
            continue  # not a cache entry (or being written): left alone
        if expires != 0 and expires < moment:
            expired.append(path)
    return expired


def plan_prune_cache(engine: Engine, settings) -> Plan:
    if getattr(settings, "redis_url", None):
        return Plan("cache", "the results cache is in Redis, which expires its entries itself: nothing to prune",
                    {"backend": "redis", "files": 0, "bytes": 0})
    folder = Path(settings.cache_dir)
    expired = _expired_files(folder, time.time())
    size = sum(path.stat().st_size for path in expired)
    jobs = Path(settings.instance_dir) / "jobs"
    return Plan(str(folder), f"remove {len(expired)} expired cache file(s) ({size / 1e6:.1f} MB) from {folder} and "
                             f"the expired background-job results in {jobs}; entries still valid stay",
                {"backend": "filesystem", "files": len(expired), "bytes": size, "jobs_dir": str(jobs)})


def run_prune_cache(engine: Engine, settings, plan: Plan) -> dict[str, Any]:
    if plan.details.get("backend") == "redis":
        return {"removed_files": 0, "freed_bytes": 0, "note": plan.summary}
    removed, freed = 0, 0
    for path in _expired_files(Path(settings.cache_dir), time.time()):  # checked again: only what expired by now
        size = path.stat().st_size
        path.unlink(missing_ok=True)
        removed, freed = removed + 1, freed + size
    jobs = Path(plan.details["jobs_dir"])
    job_results = 0
    if jobs.is_dir():
        import diskcache

        with diskcache.Cache(str(jobs)) as store:
            job_results = int(store.expire() or 0)
    return {"removed_files": removed, "freed_bytes": freed, "expired_job_results": job_results}


# --- restart_worker / reload_model -----------------------------------------------------------------------------------
def plan_restart_worker(engine: Engine, settings) -> Plan:
    found = app_processes("worker", settings.database_url)
    if not found:
        how = "Celery workers" if getattr(settings, "redis_url", None) else "in-process jobs (diskcache)"
        return Plan("worker", f"no background worker process of the app is running ({how}); nothing to restart",
                    {"processes": []})
    target = found[0]
    what = "its pool replaces it" if target.pool_child else "the process manager starts it again"
    return Plan(f"pid:{target.pid}", f"ask worker process {target.pid} ({target.rss_bytes / 1e6:.0f} MB resident) to "
                                     f"finish its jobs and stop (SIGTERM: Celery's warm shutdown); {what}",
                {"processes": [item.to_dict() for item in found], "process": target.to_dict()})


def _stop_target(plan: Plan, kind: str, database_url: str) -> dict[str, Any]:
    target = plan.details.get("process")
    if not target:
        return {"signalled": False, "why": plan.summary}
    from core.health._processes import AppProcess

    return ask_to_stop(AppProcess(target["pid"], kind, target["rss_bytes"], target["parent_pid"],
                                  target["pool_child"], tuple(target["cmdline"])), database_url)


def run_restart_worker(engine: Engine, settings, plan: Plan) -> dict[str, Any]:
    return _stop_target(plan, "worker", settings.database_url)


def plan_reload_model(engine: Engine, settings) -> Plan:
    found = app_processes("model", settings.database_url)
    if not found:
        return Plan("model", "no model process of the app is running (FORESIGHT_CHAT_MODEL=none, or it runs on "
                             "another machine); nothing to reload", {"processes": []})
    target = found[0]
    return Plan(f"pid:{target.pid}", f"ask the model process {target.pid} to stop gracefully (SIGTERM); the process "
                                     "manager starts it again and it loads the model afresh",
                {"processes": [item.to_dict() for item in found], "process": target.to_dict()})


def run_reload_model(engine: Engine, settings, plan: Plan) -> dict[str, Any]:
    return _stop_target(plan, "model", settings.database_url)


# --- replay_stream ---------------------------------------------------------------------------------------------------
def _stream_names() -> tuple[str, str, str]:
    from data.stream import DEFAULT_GROUP, DEFAULT_STREAM, dead_letter_stream

    return DEFAULT_STREAM, DEFAULT_GROUP, dead_letter_stream(DEFAULT_STREAM)


def plan_replay_stream(engine: Engine, settings) -> Plan:
    url = getattr(settings, "redis_url", None)
    if not url:
        return Plan("stream", "no Redis is configured (REDIS_URL): there is no stream to replay", {"pending": 0})
    import redis

    stream, group, dead = _stream_names()
    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    try:
        summary = client.xpending(stream, group) if client.exists(stream) else {"pending": 0, "consumers": []}
        dead_letters = int(client.xlen(dead))
    except redis.ResponseError:  # no consumer group yet
        summary, dead_letters = {"pending": 0, "consumers": []}, int(client.xlen(dead))
    except redis.ConnectionError as error:
        return Plan(stream, f"Redis does not answer ({type(error).__name__}); once it is back, claim the pending "
                            f"entries of {stream} and apply them (dead letters are kept)",
                    {"stream": stream, "group": group, "pending": None, "dead_letter_stream": dead,
                     "dead_letters": None, "redis": "down"})
    finally:
        client.close()
    consumers = {item["name"].decode(): int(item["pending"]) for item in summary.get("consumers") or []}
    pending = int(summary.get("pending") or 0)
    return Plan(stream, f"claim the {pending} pending entr{'y' if pending == 1 else 'ies'} of {stream} (group {group}) "
                        f"and apply them through the stream processor; entries it cannot apply go to {dead} "
                        f"({dead_letters} there now, reported and kept, never deleted)",
                {"stream": stream, "group": group, "pending": pending, "consumers": consumers,
                 "dead_letter_stream": dead, "dead_letters": dead_letters})


def run_replay_stream(engine: Engine, settings, plan: Plan) -> dict[str, Any]:
    if not getattr(settings, "redis_url", None):
        return {"replayed": 0, "note": plan.summary}
    from data.stream import StreamingDataProcessor

    processor = StreamingDataProcessor(redis_url=settings.redis_url, database_url=settings.database_url,
                                       consumer="health-replay", block_ms=1, linger_ms=0).start()
    try:
        replayed = 0
        for _ in range(REPLAY_STEPS):
            handled = processor.step()
            replayed += handled
            if not handled:
                break
        summary = processor.metrics_.summary()
    finally:
        processor.close()
    after = plan_replay_stream(engine, settings)
    return {"replayed": replayed, "applied": summary["applied"], "dead_lettered": summary["dead_lettered"],
            "pending_after": after.details["pending"], "dead_letters_after": after.details["dead_letters"]}


# --- vacuum_store ----------------------------------------------------------------------------------------------------
def plan_vacuum_store(engine: Engine, settings) -> Plan:
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar() or 0
            free = connection.exec_driver_sql("PRAGMA freelist_count").scalar() or 0
            size = connection.exec_driver_sql("PRAGMA page_size").scalar() or 0
        return Plan("store", f"VACUUM the SQLite store (rewrites it without its {free} free pages, "
                             f"{free * size / 1e6:.1f} MB) and ANALYZE it; every row stays",
                    {"dialect": "sqlite", "pages": int(pages), "free_pages": int(free), "page_size": int(size)})
    return Plan("store", "VACUUM ANALYZE the PostgreSQL store (outside a transaction); every row stays",
                {"dialect": engine.dialect.name})


def run_vacuum_store(engine: Engine, settings, plan: Plan) -> dict[str, Any]:
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("VACUUM")
            connection.exec_driver_sql("ANALYZE")
        else:
            connection.exec_driver_sql("VACUUM ANALYZE")
    after = plan_vacuum_store(engine, settings)
    return {"seconds": round(time.perf_counter() - started, 3), **{f"{k}_after": v for k, v in after.details.items()
                                                                  if k != "dialect"}}
