"""50 open tabs against a real gunicorn on loopback: 1 s polling (before) versus one server-sent-events stream per
tab (after, GET /api/v1/events).

Each phase serves the same store for ``--seconds``; halfway through, a new dataset version is written, and each tab
notes when it learned of it. Measured: the requests per second the server answered for the tabs, the server's CPU
(master + workers, from /proc through psutil) and how long after the commit the tabs saw the new version.

    python -m benchmarks.push --tabs 50 --seconds 90 --out benchmarks/push.json

"Before" is the deployment before issue 14 (sync workers; each tab POSTs the version-poll callback every second,
the request the old dcc.Interval sent). "After" is today's (gthread workers; each tab holds one stream, which the
server ends every 45 s and the tab reopens). Tabs share one signed-in session cookie, as tabs of one browser do.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

from benchmarks._common import free_port, print_result, table

ROOT = Path(__file__).resolve().parent.parent
USER, PASSWORD = "tabs", "glass-window-key-8817"
POLL_BODY = {"output": "app-dataset-version.data", "outputs": {"id": "app-dataset-version", "property": "data"},
             "inputs": [{"id": "app-version-poll", "property": "n_intervals", "value": 1},
                        {"id": "app-version-poll-now", "property": "data", "value": None}],
             "changedPropIds": ["app-version-poll.n_intervals"]}


def _prepare_store(folder: Path, customers: int) -> str:
    url = f"sqlite:///{folder / 'foresight.db'}"
    subprocess.run([sys.executable, "-m", "data", "sample", "--customers", str(customers), "--seed", "7",
                    "--database-url", url], check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "core.users", "add", USER, "--role", "viewer", "--password-stdin"],
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True,
                   env={**os.environ, "FORESIGHT_DATABASE_URL": url, "FORESIGHT_INSTANCE_DIR": str(folder)})
    return url


def _serve(folder: Path, url: str, port: int, extra: list[str]) -> subprocess.Popen:
    """gunicorn app:server with gunicorn.conf.py (plus ``extra`` arguments), ready when /healthz answers."""
    env = {**os.environ, "FORESIGHT_DATABASE_URL": url, "FORESIGHT_INSTANCE_DIR": str(folder), "HOST": "127.0.0.1",
           "PORT": str(port), "WEB_CONCURRENCY": "2", "FORESIGHT_SECRET_KEY": "benchmark-push"}
    log = open(folder / f"gunicorn-{port}.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "app:server", "--config", "gunicorn.conf.py", *extra],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok:
                return server
        except requests.RequestException:  # not listening yet, or busy booting
            time.sleep(0.5)
    server.kill()
    raise RuntimeError(f"gunicorn did not answer /healthz within 120 s; see {log.name}")


def _login(base: str) -> requests.cookies.RequestsCookieJar:
    session = requests.Session()
    page = session.get(f"{base}/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    answer = session.post(f"{base}/login", data={"username": USER, "password": PASSWORD, "csrf_token": token.group(1)},
                          headers={"Origin": base}, allow_redirects=False)
    if answer.status_code not in (302, 303):
        raise RuntimeError(f"signing in as {USER} answered {answer.status_code}: {answer.text[:200]}")
    return session.cookies


class Tally:
    """Requests answered, per tab the moment it saw the new version, and errors (thread-safe)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.errors: list[str] = []
        self.seen: dict[int, float] = {}

    def answered(self) -> None:
        with self.lock:
            self.requests += 1

    def saw(self, tab: int, version: int, target: list[int]) -> None:
        if target and version >= target[0]:
            with self.lock:
                self.seen.setdefault(tab, time.monotonic())

    def failed(self, error: str) -> None:
        with self.lock:
            self.errors.append(error[:200])


def _poll_tab(tab: int, base: str, cookies, stop: threading.Event, tally: Tally, target: list[int]) -> None:
    """One tab of before: the version-poll callback every second."""
    session = requests.Session()
    session.cookies.update(cookies)
    ticks, known = 0, None
    next_at = time.monotonic() + (tab * 0.618) % 1.0  # tabs opened at different moments poll out of step
    while not stop.is_set():
        ticks += 1
        body = {**POLL_BODY, "inputs": [{**POLL_BODY["inputs"][0], "value": ticks}, POLL_BODY["inputs"][1]],
                "state": [{"id": "app-dataset-version", "property": "data", "value": known}]}
        try:
            answer = session.post(f"{base}/_dash-update-component", json=body, headers={"Origin": base}, timeout=30)
            tally.answered()
            if answer.status_code == 200:  # a new version, or an empty response when unchanged (no_update)
                changed = answer.json()["response"].get("app-dataset-version")
                known = changed["data"] if changed else known
                tally.saw(tab, known["version"], target)
            else:
                tally.failed(f"poll {answer.status_code}")
        except (requests.RequestException, KeyError, ValueError) as error:
            tally.failed(repr(error))
        next_at += 1.0
        stop.wait(max(0.0, next_at - time.monotonic()))


def _stream_tab(tab: int, base: str, cookies, stop: threading.Event, tally: Tally, target: list[int]) -> None:
    """One tab of after: hold a stream, reopen it when the server ends it."""
    session = requests.Session()
    session.cookies.update(cookies)
    while not stop.is_set():
        try:
            with session.get(f"{base}/api/v1/events", stream=True, timeout=(5, 30)) as answer:
                tally.answered()
                if answer.status_code != 200:
                    tally.failed(f"stream {answer.status_code}")
                    stop.wait(1.0)
                    continue
                for line in answer.iter_lines():
                    if line.startswith(b"data: {\"version\""):
                        tally.saw(tab, json.loads(line[6:])["version"], target)
                    if stop.is_set():
                        break
        except requests.RequestException as error:
            tally.failed(repr(error))


def _cpu_seconds(server: subprocess.Popen) -> float:
    process = psutil.Process(server.pid)
    total = 0.0
    for each in [process, *process.children(recursive=True)]:
        try:
            times = each.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def _phase(name: str, tab, server, base: str, url: str, tabs: int, seconds: float) -> dict:
    """Run ``tabs`` tabs for ``seconds``; write a new dataset version halfway; what the server served and spent."""
    cookies = _login(base)
    stop, tally, target = threading.Event(), Tally(), []
    threads = [threading.Thread(target=tab, args=(i, base, cookies, stop, tally, target), daemon=True)
               for i in range(tabs)]
    for thread in threads:
        thread.start()
    time.sleep(5)  # every tab connected and past its first request
    cpu0, requests0, start = _cpu_seconds(server), tally.requests, time.monotonic()
    time.sleep(seconds / 2)
    committed = _new_version(url, target)
    time.sleep(seconds / 2)
    cpu1, requests1, elapsed = _cpu_seconds(server), tally.requests, time.monotonic() - start
    stop.set()
    seen = sorted(at - committed for at in tally.seen.values())
    return {"phase": name, "tabs": tabs, "seconds": round(elapsed, 1),
            "requests_per_s": round((requests1 - requests0) / elapsed, 2),
            "server_cpu_percent": round(100 * (cpu1 - cpu0) / elapsed, 1),
            "tabs_that_saw_new_version": len(seen),
            "new_version_seen_p50_s": round(seen[len(seen) // 2], 2) if seen else None,
            "new_version_seen_max_s": round(seen[-1], 2) if seen else None,
            "errors": len(tally.errors), "first_errors": tally.errors[:3]}


def _new_version(url: str, target: list[int]) -> float:
    """Write one new dataset version (a changed customer, through data.store) and return its commit moment."""
    import pandas as pd
    from sqlalchemy import text

    from data.store import get_engine, write_transaction, write_changes

    engine = get_engine(url)
    row = pd.read_sql(text("SELECT * FROM customers ORDER BY customer_id LIMIT 1"), engine)
    row["name"] = row["name"] + " Jr"
    with write_transaction(engine) as connection:
        target.append(write_changes(connection, inserts={}, updates={"customers": row.drop(columns=["source",
                                    "updated_at"], errors="ignore")}, source="benchmark", description="one customer"))
    return time.monotonic()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tabs", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--customers", type=int, default=1500)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-push-"))
    url = _prepare_store(folder, args.customers)
    rows = []
    for name, tab, extra in [("before: 1 s polling, sync workers", _poll_tab, ["--worker-class", "sync"]),
                             ("after: SSE stream, gthread workers", _stream_tab, [])]:
        port = free_port()
        server = _serve(folder, url, port, ["--bind", f"127.0.0.1:{port}", *extra])
        try:
            rows.append(_phase(name, tab, server, f"http://127.0.0.1:{port}", url, args.tabs, args.seconds))
        finally:
            server.terminate()
            server.wait(timeout=30)
    result = {"benchmark": "push", "tabs": args.tabs, "customers": args.customers, "cpus": os.cpu_count(),
              "phases": rows}
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    print_result(result, table([{k: v for k, v in row.items() if k != "first_errors"} for row in rows]))


if __name__ == "__main__":
    main()
