"""Ingest throughput: a 1M-line orders CSV through `python -m data ingest`.

Usage::

    python -m benchmarks.ingest [--lines 1000000] [--json]

It copies the 20k-customer sample store of ``benchmarks.overview`` (generating it once if
needed), writes an orders file of new order lines for that company's customers and products
(one row per order line, canonical column names), and times the CLI end to end, twice: the
first run commits every line, the second finds them all as duplicates (idempotency).
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, text

from benchmarks._common import print_result, table
from benchmarks.overview import ROOT, ensure_store
from data.store import engine_url

SEED = 7


def write_orders_csv(database_url: str, path: Path, lines: int) -> int:
    """New order lines (about 2 per order) for existing customers and products; returns the rows."""
    engine = create_engine(engine_url(database_url))  # postgresql:// gets the installed driver
    with engine.connect() as conn:
        customers = pd.read_sql_query(text("SELECT customer_id, channel FROM customers"), conn)
        products = pd.read_sql_query(text("SELECT product_id, list_price FROM products"), conn)
        first_order = conn.execute(text("SELECT max(order_id) + 1 FROM orders")).scalar()
    engine.dispose()
    rng = np.random.default_rng(SEED)
    n_orders = lines // 2
    order_of_line = np.sort(rng.integers(0, n_orders, lines))
    line_number = pd.Series(order_of_line).groupby(order_of_line).cumcount().to_numpy() + 1
    customer = rng.integers(0, len(customers), n_orders)
    day = pd.Timestamp("2026-10-31") - pd.to_timedelta(rng.integers(0, 365, n_orders), unit="D")
    product = rng.integers(0, len(products), lines)
    frame = pd.DataFrame({
        "order_id": first_order + order_of_line,
        "line_number": line_number,
        "customer_id": customers["customer_id"].to_numpy()[customer][order_of_line],
        "order_date": day[order_of_line].strftime("%Y-%m-%d"),
        "channel": customers["channel"].to_numpy()[customer][order_of_line],
        "product_id": products["product_id"].to_numpy()[product],
        "quantity": rng.integers(1, 4, lines),
        "unit_price": products["list_price"].to_numpy()[product].round(2),
        "discount": rng.choice([0.0, 0.0, 0.0, 0.1, 0.2], lines),
    })
    frame.to_csv(path, index=False)
    return len(frame)


def _ingest(database_url: str, path: Path) -> tuple[float, dict, int]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "data", "ingest", "orders", str(path), "--database-url",
                           database_url, "--json"], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 3):
        raise RuntimeError(f"ingest exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return seconds, json.loads(done.stdout.strip().splitlines()[-1]), done.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true", help="print only one JSON line")
    args = parser.parse_args(argv)
    source = ensure_store(20_000).removeprefix("sqlite:///")
    with tempfile.TemporaryDirectory(prefix="nf-ingest-bench-") as work:
        work_dir = Path(work)
        store = work_dir / "store.db"
        shutil.copy(source, store)
        url = f"sqlite:///{store}"
        csv_path = work_dir / "orders.csv"
        rows = write_orders_csv(url, csv_path, args.lines)
        size_mb = csv_path.stat().st_size / 1024 / 1024
        first_s, first, first_code = _ingest(url, csv_path)
        again_s, again, _ = _ingest(url, csv_path)
    result = {
        "lines": rows, "file_mb": round(size_mb, 1),
        "first_run_s": round(first_s, 1), "rows_per_s": round(rows / first_s),
        "first_run": first, "exit_code": first_code,
        "second_run_s": round(again_s, 1), "second_run": again,
    }
    counts = ("accepted", "quarantined", "duplicates")
    rows_out = [{"run": "first (all new)", "seconds": result["first_run_s"], "rows/s": result["rows_per_s"],
                 **{k: first[k] for k in counts}},
                {"run": "second (same file)", "seconds": result["second_run_s"], "rows/s": round(rows / again_s),
                 **{k: again[k] for k in counts}}]
    print_result(result, table(rows_out), json_only=args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
