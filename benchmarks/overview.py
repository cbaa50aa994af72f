"""Overview performance at several company sizes: cold start, render in Chromium, KPI callback latency.

Usage::

    python -m benchmarks.overview [--customers 20000 200000] [--repeat 20] [--json]

For each size it generates the sample company once (into ``instance/bench``,
reused afterwards), starts the app with gunicorn as the Procfile does, and measures:

- ``cold_start_s``: process start until the first page is served (HTTP 200 on ``/``);
- ``first_kpis_s``: the first page load on an empty cache until the KPI cards show numbers (the page's KPI job
  reads the store and builds the model in the background);
- ``render_s``: headless Chromium, navigation start until the KPI cards show numbers (warm cache), median;
- ``kpi_warm_ms``: the KPI callback over HTTP with a warm cache, median and p95 over ``--repeat`` calls.

Targets: Overview interactive in under 2 s at 20k customers; warm KPI callbacks under 200 ms;
latency at the largest size at most 2x that at the smallest.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks._common import chromium, free_port, print_result, table

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "instance" / "bench"
SEED = 42
KPI_OUTPUT = "overview-kpis.children"


def ensure_store(customers: int) -> str:
    """Generate the sample company for this size once (a kept one is migrated to the current schema); return its
    database URL."""
    path = BENCH_DIR / f"sample-{customers}.db"
    url = f"sqlite:///{path}"
    command = ["upgrade"] if path.exists() else ["sample", "--customers", str(customers), "--seed", str(SEED)]
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "data", *command, "--database-url", url], check=True, cwd=ROOT)
    return url


class Server:
    """gunicorn serving ``app:server`` with a private instance folder (so the cache starts empty)."""

    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.instance = Path(tempfile.mkdtemp(prefix="nf-bench-"))
        env = {**os.environ, "FORESIGHT_DATABASE_URL": database_url,
               "FORESIGHT_INSTANCE_DIR": str(self.instance), "FORESIGHT_SECRET_KEY": "benchmark",
               "FORESIGHT_LOG_LEVEL": "WARNING"}
        env.pop("REDIS_URL", None)
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "app:server", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "1", "--timeout", "300"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_until_served(self, timeout: float = 120.0) -> float:
        """Seconds from process start to the first 200 on ``/``."""
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited with code {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=5) as response:
                    if response.status == 200:
                        return time.perf_counter() - self.started
            except OSError:
                time.sleep(0.02)
        raise TimeoutError(f"no page served within {timeout} s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        shutil.rmtree(self.instance, ignore_errors=True)


def _kpi_payload(base_url: str, store_url: str) -> bytes:
    """The request the browser sends for the Overview's main callback (30 days, no filters, the KPI model of the
    store's current version on screen)."""
    from data import store
    from data.watermark import complete_through

    engine = store.get_engine(store_url)
    ready = {"version": store.current_version(engine).version, "params": {"through": complete_through(engine).iso},
             "token": None, "at": time.time()}
    engine.dispose()
    with urllib.request.urlopen(base_url + "/_dash-dependencies", timeout=30) as response:
        dependencies = json.load(response)
    spec = next(d for d in dependencies if KPI_OUTPUT in d["output"])
    values = {"overview-period": {"window": 30}, "overview-filters": {"region": None, "category": None, "channel": None},
              "overview-ready": ready}
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in spec["output"].strip(".").split("...")]
    body = {
        "output": spec["output"],
        "outputs": outputs,
        "inputs": [{**i, "value": values[i["id"]]} for i in spec["inputs"]],
        "changedPropIds": ["overview-period.data"],
        "state": [],
    }
    return json.dumps(body).encode()


def _call(base_url: str, payload: bytes) -> float:
    request = urllib.request.Request(base_url + "/_dash-update-component", data=payload,
                                     headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=300) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"KPI callback answered {response.status}")
    return time.perf_counter() - started


_KPIS_SHOWN = ("return document.querySelectorAll('.nf-kpi-value[title]').length === 5 && "
               "document.querySelectorAll('#overview-trend .scatterlayer .trace').length >= 2 "
               "? performance.now() : null;")


def _render_seconds(base_url: str, repeat: int, timeout: float = 60) -> list[float]:
    """Seconds from navigation start until every KPI card shows its value and the trend is drawn, per page load."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver = chromium()
    times = []
    try:
        for _ in range(repeat):
            driver.get(base_url + "/")
            ms = WebDriverWait(driver, timeout, poll_frequency=0.01).until(lambda d: d.execute_script(_KPIS_SHOWN))
            times.append(ms / 1000)
    finally:
        driver.quit()
    return times


def measure(customers: int, repeat: int) -> dict:
    """All measurements for one company size."""
    url = ensure_store(customers)
    server = Server(url)
    try:
        cold_start = server.wait_until_served()
        first = _render_seconds(server.url, 1, timeout=600)[0]  # empty cache: the page's KPI job builds the model
        render = statistics.median(_render_seconds(server.url, max(3, repeat // 4)))
        payload = _kpi_payload(server.url, url)
        warm = sorted(_call(server.url, payload) * 1000 for _ in range(repeat))
    finally:
        server.stop()
    return {
        "customers": customers,
        "cold_start_s": round(cold_start, 3),
        "first_kpis_s": round(first, 3),
        "render_s": round(render, 3),
        "kpi_warm_ms_median": round(statistics.median(warm), 1),
        "kpi_warm_ms_p95": round(warm[int(0.95 * (len(warm) - 1))], 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print only one JSON line")
    args = parser.parse_args(argv)
    rows = [measure(n, args.repeat) for n in args.customers]
    smallest, largest = rows[0], rows[-1]
    result = {
        "sizes": rows,
        "latency_ratio_largest_vs_smallest": round(
            largest["kpi_warm_ms_median"] / smallest["kpi_warm_ms_median"], 2),
        "targets": {"render_s_at_smallest": 2.0, "kpi_warm_ms": 200, "latency_ratio": 2.0},
    }
    print_result(result, table(rows), f"warm KPI latency ratio, {largest['customers']} vs {smallest['customers']} "
                 f"customers: {result['latency_ratio_largest_vs_smallest']}x (target <= 2x)", json_only=args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
