"""The app's own processes, found by their command line and parent, and the gentle signal runbooks send them.

A process is a target only when the collector counts it as that kind (``_proc_usage.kind_of``), its command line
also names the app's own entry point (a Celery worker of ``app:celery_app``, ``python -m core.chat.llm``,
``python -m data stream``: another app's Celery worker on the same host is never touched), it runs as this user,
and it is neither this process nor one of its ancestors. Given the deployment's store URL, a process must also
work on that store (its environment names the same ``FORESIGHT_DATABASE_URL``, read by the rule the process itself
used), so a second deployment on the same host, or a test's, is never touched.
"""
from __future__ import annotations

import os
import signal
from dataclasses import dataclass

import psutil

from core.health._proc_usage import kind_of, same_store

__all__ = ["AppProcess", "MARKERS", "app_processes", "ask_to_stop"]

# kind -> the words of the app's own entry point for it (the Procfile's commands)
MARKERS: dict[str, str] = {"worker": "app:celery_app", "model": "core.chat.llm", "stream": "data stream"}


@dataclass(frozen=True)
class AppProcess:
    """One process of the app: its id, kind, resident memory, parent and whether its parent is of its kind too
    (a pool child, which its parent replaces when it ends)."""

    pid: int
    kind: str
    rss_bytes: int
    parent_pid: int
    pool_child: bool
    cmdline: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"pid": self.pid, "kind": self.kind, "rss_bytes": self.rss_bytes, "parent_pid": self.parent_pid,
                "pool_child": self.pool_child, "cmdline": list(self.cmdline)}


def _is_app(cmdline: list[str], kind: str, ppid: int, pid: int) -> bool:
    return kind_of(cmdline, None, ppid, pid) == kind and MARKERS[kind] in " ".join(cmdline)


def _protected() -> set[int]:
    """This process and its ancestors: never signalled."""
    return {os.getpid(), *(parent.pid for parent in psutil.Process().parents())}


def app_processes(kind: str, database_url: str | None = None) -> list[AppProcess]:
    """The running processes of ``kind`` (worker, model, stream) that belong to the app (and, given
    ``database_url``, to this deployment), largest first."""
    if kind not in MARKERS:
        raise ValueError(f"unknown process kind {kind!r}; use one of {', '.join(MARKERS)}")
    uid, protected, found = os.getuid(), _protected(), []
    for process in psutil.process_iter(["pid", "ppid", "cmdline", "uids", "memory_info"]):
        info = process.info
        cmdline, ppid = info.get("cmdline") or [], int(info.get("ppid") or 0)
        if info["pid"] in protected or info.get("uids") is None or info["uids"].real != uid:
            continue
        if not _is_app(cmdline, kind, ppid, info["pid"]) or not same_store(process, database_url):
            continue
        try:
            parent = psutil.Process(ppid).cmdline() if ppid else []
        except (psutil.Error, OSError):
            parent = []
        rss = info["memory_info"].rss if info.get("memory_info") else 0
        found.append(AppProcess(info["pid"], kind, int(rss), ppid, _is_app(parent, kind, -1, -1), tuple(cmdline)))
    return sorted(found, key=lambda item: item.rss_bytes, reverse=True)


def ask_to_stop(target: AppProcess, database_url: str | None = None) -> dict:
    """SIGTERM an app process once it is checked to be the same one still (Celery's warm shutdown: its pool or the
    process manager starts a fresh one; the model server's graceful stop)."""
    current = {item.pid: item for item in app_processes(target.kind, database_url)}
    if target.pid not in current or current[target.pid].cmdline != tuple(target.cmdline):
        return {"signalled": False, "pid": target.pid, "why": f"process {target.pid} is gone or no longer the app's "
                                                              f"{target.kind}"}
    try:
        os.kill(target.pid, signal.SIGTERM)
    except OSError as error:
        return {"signalled": False, "pid": target.pid, "why": f"{type(error).__name__}: {error}"}
    return {"signalled": True, "pid": target.pid, "signal": "SIGTERM", "kind": target.kind}
