"""Overview callbacks served to 50 concurrent clients while 50 tabs follow the dataset version: by 1 s polling on
sync workers (before) or by one event stream per tab on gthread workers (after).

Each client sends the Overview's two main callbacks (KPIs, trend and breakdowns; the 3D matrix) back to back, as
fast as they are answered, for ``--seconds``; the requests are the ones Chromium sent for the sample store's
Overview (benchmarks/push_overview_requests.json). The store and its warm results cache come from ``--instance``
(a folder with foresight.db whose Overview was opened once, so the KPI model is cached, and a user made by
``benchmarks.push``'s credentials).

    python -m benchmarks.push_overview --instance /tmp/d-push --clients 50 --seconds 60 --out benchmarks/push_overview.json
"""
from __future__ import annotations

import argparse
import json
import os
import threading
import time
from pathlib import Path

import requests

from benchmarks._common import free_port, print_result, table
from benchmarks.push import _cpu_seconds, _login, _poll_tab, _serve, _stream_tab

REQUESTS = json.loads((Path(__file__).parent / "push_overview_requests.json").read_text())


def _overview_client(base: str, cookies, stop: threading.Event, latencies: list[float], errors: list[str]) -> None:
    session = requests.Session()
    session.cookies.update(cookies)
    while not stop.is_set():
        for body in REQUESTS.values():
            started = time.monotonic()
            try:
                answer = session.post(f"{base}/_dash-update-component", json=body, headers={"Origin": base},
                                      timeout=120)
            except requests.RequestException as error:
                errors.append(repr(error)[:200])
                continue
            if answer.status_code == 200 and "response" in answer.json():
                latencies.append(time.monotonic() - started)
            else:
                errors.append(f"{answer.status_code} {answer.text[:100]}")


def _phase(name: str, tab, server, base: str, clients: int, seconds: float) -> dict:
    cookies = _login(base)
    stop, latencies, errors, seen = threading.Event(), [], [], []
    tabs = [threading.Thread(target=tab, args=(i, base, cookies, stop, _Quiet(), seen), daemon=True)
            for i in range(clients)]
    callers = [threading.Thread(target=_overview_client, args=(base, cookies, stop, latencies, errors), daemon=True)
               for _ in range(clients)]
    for thread in [*tabs, *callers]:
        thread.start()
    time.sleep(10)  # every tab and client under way
    cpu0, done0, start = _cpu_seconds(server), len(latencies), time.monotonic()
    time.sleep(seconds)
    cpu1, window = _cpu_seconds(server), sorted(latencies[done0:])
    elapsed = time.monotonic() - start
    stop.set()
    return {"phase": name, "clients": clients, "seconds": round(elapsed, 1),
            "overview_requests_per_s": round(len(window) / elapsed, 2),
            "p50_ms": round(1000 * window[len(window) // 2]) if window else None,
            "p95_ms": round(1000 * window[int(len(window) * 0.95)]) if window else None,
            "server_cpu_percent": round(100 * (cpu1 - cpu0) / elapsed, 1), "errors": len(errors),
            "first_errors": errors[:3]}


class _Quiet:
    """The tabs' tally, unused here: only their load on the server matters."""

    requests = 0

    def answered(self) -> None:
        pass

    def saw(self, *_args) -> None:
        pass

    def failed(self, _error: str) -> None:
        pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    url = f"sqlite:///{args.instance / 'foresight.db'}"
    rows = []
    for name, tab, extra in [("before: 1 s polling tabs, sync workers", _poll_tab, ["--worker-class", "sync"]),
                             ("after: SSE tabs, gthread workers", _stream_tab, [])]:
        port = free_port()
        server = _serve(args.instance, url, port, ["--bind", f"127.0.0.1:{port}", *extra])
        try:
            rows.append(_phase(name, tab, server, f"http://127.0.0.1:{port}", args.clients, args.seconds))
        finally:
            server.terminate()
            server.wait(timeout=60)
    result = {"benchmark": "push_overview", "clients": args.clients, "cpus": os.cpu_count(), "phases": rows}
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    print_result(result, table([{k: v for k, v in row.items() if k != "first_errors"} for row in rows]))


if __name__ == "__main__":
    main()
