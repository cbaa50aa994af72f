"""Real servers for tests (Redis, PostgreSQL, the app itself), started on 127.0.0.1.

Readiness is read from each server's own log, never polled with sleeps.
"""
from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(command: list[str], ready_marker: str, env: dict | None = None, *,
                 group: bool = False, timeout_s: float = 300.0) -> subprocess.Popen:
    """Start ``command`` and block on its output until a line contains ``ready_marker``.

    Raises RuntimeError with the tail of the log when the process exits first, or is stopped because it printed no
    ready line within ``timeout_s`` (a wrong marker or log level fails the test instead of hanging the run). The rest
    of the output is drained in the background so a full pipe never blocks the server.
    ``group=True`` runs it in its own process group, which ``stop`` ends whole (for a
    command such as ``make serve`` whose server is a grandchild).
    """
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=group)
    process.nf_group = group
    seen: list[str] = []
    deadline = threading.Timer(timeout_s, stop, args=(process,))
    deadline.daemon = True
    deadline.start()
    try:
        for line in process.stdout:
            seen.append(line)
            if ready_marker in line:
                threading.Thread(target=process.stdout.read, daemon=True).start()
                return process
    finally:
        deadline.cancel()
    raise RuntimeError(f"{command[0]} exited with {process.wait()} before it printed {ready_marker!r} "
                       f"(stopped after {timeout_s:.0f} s without it):\n{''.join(seen[-30:])}")


def stop(process: subprocess.Popen) -> None:
    """Terminate a server (its whole process group if it was started with one), killing it if it does not
    stop in time."""
    group = getattr(process, "nf_group", False)
    _signal(process, signal.SIGTERM, group)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        _signal(process, signal.SIGKILL, group)
        process.wait()
    if group:
        _signal(process, signal.SIGKILL, group)  # stragglers such as background-job processes


def _signal(process: subprocess.Popen, sig: int, group: bool) -> None:
    try:
        os.killpg(process.pid, sig) if group else process.send_signal(sig)
    except (ProcessLookupError, PermissionError):
        pass


def postgres_binary(name: str) -> str | None:
    """A PostgreSQL server binary: on PATH, or where Debian's packages put it."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return candidates[-1] if candidates else None


def as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; drop to the `postgres` account when we are root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command
