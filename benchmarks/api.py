"""REST API latency (p50/p95 per read endpoint) and throughput (50 concurrent clients) against a real gunicorn.

Each ``--store`` folder holds a sample store, made beforehand with
``python -m data sample --customers N --seed 42 --database-url sqlite:///FOLDER/foresight.db``. Per store this
adds an analyst ``bench`` with a token (``python -m core.users``), fills the results cache (``python -m core.warm``,
as ``make run`` does), serves ``app:server`` with gunicorn.conf.py (2 workers) on loopback, then measures:

* latency: ``--requests`` sequential requests per endpoint on one keep-alive connection (after two warm-up
  requests), p50 and p95 in milliseconds; ``kpis 304`` revalidates with ``If-None-Match``;
* throughput: locust headless (benchmarks/api_locust.py), ``--users`` clients with no think time for
  ``--seconds``, the requests per second served and their p50/p95.

    python -m benchmarks.api --store /tmp/api-20k --store /tmp/api-200k --out benchmarks/api.json

The API's rate limit is raised for the run (FORESIGHT_API_RATE_LIMIT): 50 clients share one token.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from benchmarks._common import free_port, print_result, table

ROOT = Path(__file__).resolve().parent.parent
USER, PASSWORD = "bench", "neon-meter-key-5521"
ENDPOINTS = (
    ("kpis", "/api/v1/kpis?window=30"), ("kpis region", "/api/v1/kpis?window=7&region={region}"),
    ("kpis range", "/api/v1/kpis?start={start}&end={end}"), ("forecast", "/api/v1/forecast?metric=revenue&h=30"),
    ("backtests", "/api/v1/forecast/backtests?metric=revenue&h=30&node=total"), ("churn", "/api/v1/churn"),
    ("at-risk", "/api/v1/customers/at-risk?limit=50"), ("customer", "/api/v1/customers/{customer}"),
    ("clv", "/api/v1/clv?by=segment"), ("segments", "/api/v1/segments"), ("sources", "/api/v1/sources"),
    ("versions", "/api/v1/versions?limit=20"), ("kpis csv", "/api/v1/kpis?window=30&format=csv"),
)


def _env(folder: Path) -> dict:
    return {**os.environ, "FORESIGHT_DATABASE_URL": f"sqlite:///{folder / 'foresight.db'}",
            "FORESIGHT_INSTANCE_DIR": str(folder), "FORESIGHT_SECRET_KEY": "benchmark-api-0123456789abcdef",
            "FORESIGHT_API_RATE_LIMIT": "1000000/minute", "WEB_CONCURRENCY": "2"}


def _prepare(folder: Path, warm_cache: bool) -> tuple[str, dict, float | None]:
    """The bench user's token, the store's facts the requests need, and the seconds ``core.warm`` took (None when
    skipped: results not cached yet answer 202 while a job computes them)."""
    env = _env(folder)
    added = subprocess.run([sys.executable, "-m", "core.users", "add", USER, "--role", "analyst", "--password-stdin"],
                           input=PASSWORD + "\n", text=True, capture_output=True, env=env, cwd=ROOT)
    if added.returncode and "exists" not in added.stderr:  # the user stays from an earlier run
        raise RuntimeError(f"adding {USER}: {added.stderr.strip()}")
    token = subprocess.run([sys.executable, "-m", "core.users", "token", USER, "--days", "1"], text=True,
                           capture_output=True, check=True, env=env, cwd=ROOT).stdout.strip()
    started = time.perf_counter()
    if warm_cache:
        subprocess.run([sys.executable, "-m", "core.warm"], check=True, capture_output=True, env=env, cwd=ROOT)
    warm = time.perf_counter() - started if warm_cache else None
    engine = create_engine(env["FORESIGHT_DATABASE_URL"])
    with engine.connect() as connection:
        customers = connection.execute(text("SELECT COUNT(*) FROM customers")).scalar_one()
        region = connection.execute(text("SELECT region FROM customers ORDER BY customer_id LIMIT 1")).scalar_one()
        last = connection.execute(text("SELECT MAX(order_date) FROM orders")).scalar_one()
    engine.dispose()
    end = dt.date.fromisoformat(str(last)[:10]) - dt.timedelta(days=1)
    facts = {"customers": customers, "region": region, "end": end.isoformat(),
             "start": (end - dt.timedelta(days=13)).isoformat()}
    return token, facts, warm


def _serve(folder: Path, port: int) -> subprocess.Popen:
    """gunicorn app:server with the repository's gunicorn.conf.py on 127.0.0.1:``port``, once /healthz answers."""
    env = {**_env(folder), "HOST": "127.0.0.1", "PORT": str(port)}
    log = open(folder / "gunicorn-api.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "app:server", "--config", "gunicorn.conf.py"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(240):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok:
                return server
        except requests.RequestException:  # still booting
            time.sleep(0.5)
    server.kill()
    raise RuntimeError(f"gunicorn did not answer /healthz in time; see {log.name}")


def _percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=20, method="inclusive")
    return round(statistics.median(samples) * 1000, 1), round(cuts[18] * 1000, 1)


def _latencies(base: str, token: str, facts: dict, count: int) -> list[dict]:
    """p50/p95 per endpoint, sequential on one keep-alive connection."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    rows = []
    for name, path in ENDPOINTS:
        url = base + path.format(**facts)
        for _ in range(2):  # the first call may compute the result (a range) or wait for the job to finish
            first = session.get(url, timeout=600)
        samples, statuses = [], set()
        for _ in range(count):
            started = time.perf_counter()
            answer = session.get(url, timeout=120)
            samples.append(time.perf_counter() - started)
            statuses.add(answer.status_code)
        p50, p95 = _percentiles(samples)
        rows.append({"endpoint": name, "path": path, "status": sorted(statuses), "p50_ms": p50, "p95_ms": p95,
                     "bytes": len(first.content)})
        if name == "kpis":
            rows.append(_revalidation(session, url, first.headers["ETag"], count))
    return rows


def _revalidation(session: requests.Session, url: str, etag: str, count: int) -> dict:
    samples, statuses = [], set()
    for _ in range(count):
        started = time.perf_counter()
        statuses.add(session.get(url, headers={"If-None-Match": etag}, timeout=120).status_code)
        samples.append(time.perf_counter() - started)
    p50, p95 = _percentiles(samples)
    return {"endpoint": "kpis 304", "path": "If-None-Match", "status": sorted(statuses), "p50_ms": p50,
            "p95_ms": p95, "bytes": 0}


def _customer(base: str, token: str) -> int:
    """An at-risk customer's id (1 while the retention models are still being fitted: the answer is 202 anyway)."""
    answer = requests.get(f"{base}/api/v1/customers/at-risk?limit=1", headers={"Authorization": f"Bearer {token}"},
                          timeout=600)
    return answer.json()["items"][0]["customer_id"] if answer.status_code == 200 else 1


def _throughput(base: str, token: str, facts: dict, users: int, seconds: int, folder: Path) -> dict:
    """Locust headless: requests per second and latency with ``users`` concurrent clients."""
    prefix = folder / "locust"
    subprocess.run([sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "api_locust.py"), "--headless",
                    "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", base, "--api-token", token,
                    "--customer-id", str(facts["customer"]), "--region", facts["region"], "--csv", str(prefix),
                    "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"], check=True,
                   capture_output=True, cwd=ROOT)
    with open(f"{prefix}_stats.csv") as handle:
        total = next(row for row in csv.DictReader(handle) if row["Name"] == "Aggregated")
    return {"users": users, "seconds": seconds, "requests": int(total["Request Count"]),
            "failures": int(total["Failure Count"]), "requests_per_s": round(float(total["Requests/s"]), 1),
            "p50_ms": float(total["50%"]), "p95_ms": float(total["95%"])}


def measure(folder: Path, count: int, users: int, seconds: int, warm_cache: bool = True) -> dict:
    """Every number for one store."""
    token, facts, warm = _prepare(folder, warm_cache)
    port = free_port()
    server = _serve(folder, port)
    base = f"http://127.0.0.1:{port}"
    try:
        facts["customer"] = _customer(base, token)
        load = os.getloadavg()[0]
        latency = _latencies(base, token, facts, count)
        throughput = _throughput(base, token, facts, users, seconds, folder)
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a worker still inside a long computation
            server.kill()
            server.wait(timeout=30)
    return {"customers": facts["customers"], "warm_seconds": warm and round(warm, 1),
            "load_average_before": round(load, 1),
            "latency": latency, "throughput": throughput}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, action="append", required=True, help="a folder with foresight.db")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--skip-warm", action="store_true", help="do not run core.warm first")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    stores = [measure(folder, args.requests, args.users, args.seconds, not args.skip_warm) for folder in args.store]
    result = {"benchmark": "api", "cpus": os.cpu_count(), "workers": 2, "requests_per_endpoint": args.requests,
              "stores": stores}
    if args.out:  # stores measured in an earlier run stay, unless measured again
        earlier = json.loads(args.out.read_text())["stores"] if args.out.exists() else []
        measured = {s["customers"] for s in stores}
        result["stores"] = sorted([s for s in earlier if s["customers"] not in measured] + stores,
                                  key=lambda s: s["customers"])
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    rows = [{"customers": s["customers"], **{k: v for k, v in row.items() if k != "path"}}
            for s in stores for row in s["latency"]]
    rows += [{"customers": s["customers"], "endpoint": f"{s['throughput']['users']} clients (locust)",
              "status": f"{s['throughput']['failures']} failed", "p50_ms": s["throughput"]["p50_ms"],
              "p95_ms": s["throughput"]["p95_ms"], "bytes": f"{s['throughput']['requests_per_s']} req/s"}
             for s in stores]
    print_result(result, table(rows))


if __name__ == "__main__":
    main()
