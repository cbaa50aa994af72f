"""Stream latency and throughput: replayed events -> Redis Stream -> StreamingDataProcessor -> SQLite store.

Usage::

    python -m benchmarks.stream [--events 5000] [--rate 500] [--customers 20000] [--json]

Uses ``$REDIS_URL`` when set, else starts a private redis-server on 127.0.0.1 (and stops it).
The store is a copy of the sample company (``instance/bench/sample-<customers>.db``, generated
once, as ``benchmarks.overview`` does), so the benchmark never changes it. The events are the
company's following days from the replay producer (seed 42), cut at ``--events``.

Two runs, each on a fresh copy of the store and its own stream:

- **paced**: a producer thread publishes at ``--rate`` events/s while the processor consumes;
  end-to-end latency is from each event's ``produced_at`` (stamped when it is sent) to the
  commit that made it visible in the store, as the processor's metrics record it;
- **backlog**: all events are published first, then the processor drains them; this gives
  the throughput ceiling (events/s and batches), its latencies are mostly queueing.

Target (issue 3): new data visible within 2 s of being produced; the Overview polls every
second on top of this.
"""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks._common import free_port, print_result, table
from benchmarks.overview import ensure_store
from core import settings as config

_SEED = 42
_READY = "Ready to accept connections"


def _private_redis(workdir: Path) -> tuple[subprocess.Popen, str]:
    """A throwaway redis-server on 127.0.0.1, ready when this returns."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed and REDIS_URL is not set; apt-get install redis-server")
    port = free_port()
    process = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                                "--appendonly", "no", "--dir", str(workdir)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        if _READY in line:
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return process, f"redis://127.0.0.1:{port}/0"
    raise SystemExit(f"redis-server exited with {process.wait()} before it was ready")


def _events(url: str, wanted: int) -> tuple[list, dt.date]:
    """At least ``wanted`` replay events (cut to exactly that many) and the last replayed day."""
    from data import store
    from data.sample import following_days, replay_events

    engine = store.get_engine(url)
    days = 1
    while True:
        drawn = following_days(engine, days=days, seed=_SEED)
        events = replay_events(drawn, _SEED)
        if len(events) >= wanted:
            return events[:wanted], drawn.last
        days = max(days + 1, int(days * wanted / max(len(events), 1) * 1.1) + 1)


def _copy(url: str, workdir: Path, name: str) -> str:
    target = workdir / f"{name}.db"
    shutil.copy(url.removeprefix("sqlite:///"), target)
    return f"sqlite:///{target}"


def _run(redis_url: str, store_url: str, stream: str, events: list, today: dt.date, rate: float | None) -> dict:
    import redis

    from data.stream import StreamingDataProcessor, dead_letter_stream, publish_events

    client = redis.Redis.from_url(redis_url)
    processor = StreamingDataProcessor(redis_url=redis_url, database_url=store_url, stream=stream,
                                       consumer="bench", block_ms=100, today=today).start()
    producer = threading.Thread(target=publish_events, args=(client, events), kwargs={"stream": stream, "rate": rate})
    if rate is None:
        producer.run()  # the whole backlog is in the stream before consuming starts
    else:
        producer.start()
    started = time.perf_counter()
    metrics = processor.run(max_events=len(events))
    seconds = time.perf_counter() - started
    if rate is not None:
        producer.join()
    processor.close()
    client.delete(stream, dead_letter_stream(stream))  # leave a shared $REDIS_URL as it was
    client.close()
    latencies = sorted(metrics.latencies_ms)
    return {
        "events": metrics.processed,
        "applied": metrics.applied,
        "dead_lettered": metrics.dead_lettered,
        "batches": metrics.batches,
        "seconds": round(seconds, 2),
        "events_per_s": round(metrics.processed / seconds, 1),
        "p50_ms": round(metrics.latency_ms(50), 1),
        "p95_ms": round(metrics.latency_ms(95), 1),
        "max_ms": latencies[-1],
    }


def measure(events: int, rate: float, customers: int) -> dict:
    """Both runs against a private copy of the sample store."""
    source = ensure_store(customers)
    workdir = Path(tempfile.mkdtemp(prefix="nf-bench-stream-"))
    server = None
    try:
        redis_url = config.redis_url()
        if not redis_url:
            server, redis_url = _private_redis(workdir)
        replayed, last_day = _events(source, events)
        today = max(last_day, dt.date.today())
        run_id = int(time.time())
        paced = _run(redis_url, _copy(source, workdir, "paced"), f"bench:{run_id}:paced", replayed, today, rate)
        backlog = _run(redis_url, _copy(source, workdir, "backlog"), f"bench:{run_id}:backlog", replayed, today,
                       None)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
    return {"customers": customers, "events": events, "rate": rate, "store": "sqlite", "paced": paced,
            "backlog": backlog, "target_p95_ms": 2000}


def _table(result: dict) -> str:
    return table([{"run": name, "events": r["events"], "batches": r["batches"], "events/s": r["events_per_s"],
                   "p50 ms": r["p50_ms"], "p95 ms": r["p95_ms"], "max ms": r["max_ms"],
                   "dead-lettered": r["dead_lettered"]}
                  for name, r in (("paced", result["paced"]), ("backlog", result["backlog"]))])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=5000, help="events per run (default %(default)s)")
    parser.add_argument("--rate", type=float, default=500.0, help="paced run's events/s (default %(default)s)")
    parser.add_argument("--customers", type=int, default=20_000, help="sample company size (default %(default)s)")
    parser.add_argument("--json", action="store_true", help="print only one JSON line")
    args = parser.parse_args(argv)
    result = measure(args.events, args.rate, args.customers)
    print_result(result, _table(result), f"paced at {args.rate:g} events/s: p95 {result['paced']['p95_ms']} ms from "
                 f"produced to committed (target: visible within {result['target_p95_ms']} ms)", json_only=args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
