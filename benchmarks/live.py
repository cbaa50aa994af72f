"""Live dashboard latency: from a committed write to the Overview trend showing it in Chromium.

Usage::

    python -m benchmarks.live [--commits 10] [--json]

It serves a copy of the 20k-customer sample store with gunicorn, opens the Overview in headless
Chromium, then commits one order at a time (``data.store.write_frames``, as an ingest or the
stream does) and measures how long until the trend's last point includes it. The page learns
about new dataset versions by polling once a second and patches the trend in place.
Target: new data visible within 2 s of its commit.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd
from sqlalchemy import text

from benchmarks._common import chromium, print_result, table
from benchmarks.overview import Server, ensure_store
from data.store import get_engine, write_frames

_LAST_POINT = """
const el = document.getElementById('overview-trend');
const gd = el && el.querySelector('.js-plotly-plot');
if (!gd || !gd.data || !gd.data.length) { return null; }
const y = gd.data[0].y;
return Array.isArray(y) ? y[y.length - 1] : null;
"""


def _one_order(engine, amount: float) -> None:
    with engine.connect() as conn:
        as_of, customer, channel = conn.execute(text(
            "SELECT order_date, customer_id, channel FROM orders ORDER BY order_date DESC LIMIT 1")).one()
        order_id = conn.execute(text("SELECT max(order_id) + 1 FROM orders")).scalar()
        product, category = conn.execute(text("SELECT product_id, category FROM products LIMIT 1")).one()
    day = pd.Timestamp(str(as_of)[:10]).date()
    write_frames(engine, {
        "orders": pd.DataFrame([{"order_id": order_id, "customer_id": customer, "order_date": day,
                                 "channel": channel, "promo_id": None}]),
        "order_lines": pd.DataFrame([{"order_id": order_id, "line_number": 1, "product_id": product,
                                      "category": category, "quantity": 1, "unit_price": amount,
                                      "discount": 0.0, "order_date": day}]),
    }, source="benchmark", description="live latency probe")


def main(argv: list[str] | None = None) -> int:
    from selenium.webdriver.support.ui import WebDriverWait

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commits", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print only one JSON line")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nf-live-bench-") as work:
        store = Path(work) / "store.db"
        shutil.copy(ensure_store(20_000).removeprefix("sqlite:///"), store)
        url = f"sqlite:///{store}"
        engine = get_engine(url)
        server = Server(url)
        driver = chromium()
        latencies = []
        try:
            server.wait_until_served()
            driver.get(server.url + "/")
            WebDriverWait(driver, 120, poll_frequency=0.05).until(lambda d: d.execute_script(_LAST_POINT) is not None)
            for i in range(args.commits):
                before = driver.execute_script(_LAST_POINT)
                _one_order(engine, 1000.0 + i)
                committed = time.perf_counter()
                WebDriverWait(driver, 30, poll_frequency=0.01).until(
                    lambda d: abs((d.execute_script(_LAST_POINT) or 0) - before - (1000.0 + i)) < 0.01)
                latencies.append(time.perf_counter() - committed)
        finally:
            driver.quit()
            server.stop()
    ordered = sorted(latencies)
    result = {"commits": len(latencies), "p50_s": round(statistics.median(ordered), 3),
              "p95_s": round(ordered[int(0.95 * (len(ordered) - 1))], 3), "max_s": round(ordered[-1], 3),
              "target_s": 2.0}
    print_result(result, table([result]), json_only=args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
