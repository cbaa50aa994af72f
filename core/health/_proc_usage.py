"""Finding the app's processes by kind and summing their resource use with psutil.

web: the gunicorn workers serving this app (this process's parent is their master), or this process alone;
worker: Celery workers of this app (``celery -A app:celery_app worker``); stream: ``python -m data stream``;
model: ``python -m core.chat.llm``. Given the deployment's store URL, a worker, stream or model process counts only
when its environment names the same store (``same_store``): a second deployment on the host, or a test's Celery
worker, is not this one's.
``psutil.Process`` objects are kept between collections, because a process's CPU percent is measured since the
previous call on the same object.
"""
from __future__ import annotations

import os

import psutil

__all__ = ["ProcessTable", "kind_of", "same_store"]

_FIELDS = ("rss_bytes", "cpu_percent", "open_files", "threads", "processes")


def kind_of(cmdline: list[str], web_parent: int | None, ppid: int, pid: int) -> str | None:
    """The kind of the process with this command line, parent and id (None: not one of the app's)."""
    joined = " ".join(cmdline)
    if pid == os.getpid() or (web_parent is not None and ppid == web_parent):
        return "web"
    if "celery" in joined and " worker" in joined and "app:celery_app" in joined:  # this app's, not another's
        return "worker"
    if "-m data stream" in joined:
        return "stream"
    if "-m core.chat.llm" in joined:
        return "model"
    return None


def same_store(process: psutil.Process, database_url: str | None) -> bool:
    """Whether ``process`` works on the store at ``database_url`` (its environment, read by the rule the process
    itself used); any process does when ``database_url`` is None. False when its environment cannot be read."""
    if database_url is None:
        return True
    from core.settings import database_url as url_of  # core.settings imports core.health.config: import late

    try:
        return url_of(process.environ()) == database_url
    except (psutil.Error, OSError):
        return False


def _gunicorn_master() -> int | None:
    try:
        parent = psutil.Process(os.getppid())
        return parent.pid if "gunicorn" in " ".join(parent.cmdline()) else None
    except (psutil.Error, OSError):
        return None


class ProcessTable:
    """The app's processes by kind; ``usage()`` sums each kind's RSS, CPU percent, open files, threads and count."""

    def __init__(self, database_url: str | None = None):
        self._processes: dict[int, tuple[str, psutil.Process]] = {}
        self._master = _gunicorn_master()
        self._database_url = database_url
        self._others: set[tuple[int, float]] = set()  # (pid, start time) of app processes of another store

    def _scan(self) -> None:
        seen: dict[int, tuple[str, psutil.Process]] = {}
        others: set[tuple[int, float]] = set()
        for process in psutil.process_iter(["pid", "ppid", "cmdline", "create_time"]):
            info = process.info
            kind = kind_of(info.get("cmdline") or [], self._master, info.get("ppid") or 0, info["pid"])
            if kind is None:
                continue
            known = self._processes.get(info["pid"])
            if kind != "web" and known is None:  # read a new process's environment once, not at every tick
                identity = (info["pid"], info.get("create_time") or 0.0)
                if identity in self._others or not same_store(process, self._database_url):
                    others.add(identity)
                    continue
            seen[info["pid"]] = known if known is not None and known[0] == kind else (kind, process)
            if known is None:
                _cpu(process)  # the first reading only starts the measurement
        self._processes, self._others = seen, others

    def usage(self) -> dict[str, dict[str, float]]:
        """``{kind: {rss_bytes, cpu_percent, open_files, threads, processes}}`` for each kind found."""
        self._scan()
        totals: dict[str, dict[str, float]] = {}
        for kind, process in self._processes.values():
            try:
                with process.oneshot():
                    values = (process.memory_info().rss, _cpu(process), _open_files(process), process.num_threads())
            except (psutil.Error, OSError):
                continue  # it ended between the scan and now
            total = totals.setdefault(kind, dict.fromkeys(_FIELDS, 0.0))
            for name, value in zip(_FIELDS, (*values, 1)):
                total[name] += float(value)
        return totals


def _cpu(process: psutil.Process) -> float:
    try:
        return process.cpu_percent(None)
    except (psutil.Error, OSError):
        return 0.0


def _open_files(process: psutil.Process) -> int:
    """Open file descriptors (files, sockets, pipes): cheaper than listing the open files, and what runs out."""
    try:
        return process.num_fds()
    except (AttributeError, psutil.Error, OSError):
        return 0
