"""Forecast page workload: fitting every node of total -> region -> category on the sample company.

Usage::

    python -m benchmarks.demand [--customers 20000] [--horizons 14 30 90] [--json]

For each horizon it fits :func:`analytics.forecasting.forecast_demand` on the store's data (the work the
page's background job does, without the cache) and reports the wall time, the number of nodes, and
the backtest MASE of the ensemble against the seasonal naive's over the nodes. Target: the default
forecast (30 days) ready in under 2 minutes on this 2-core machine, so it is worth precomputing
(``python -m core.warm``) but never blocks a page.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from analytics.forecasting import forecast_demand, load_demand_inputs
from benchmarks._common import table
from benchmarks.overview import ensure_store
from data.store import get_engine


def measure(customers: int, h: int) -> dict:
    """Fit every node ``h`` days ahead on the ``customers``-sized sample company."""
    engine = get_engine(ensure_store(customers))
    started = time.perf_counter()
    inputs = load_demand_inputs(engine)
    result = forecast_demand(inputs, "revenue", h)
    seconds = time.perf_counter() - started
    mase = result.backtest.pivot(index="unique_id", columns="model", values="mase")
    return {
        "customers": customers, "h": h, "nodes": len(result.nodes), "seconds": round(seconds, 1),
        "mase_ensemble_mean": round(float(mase["ensemble"].mean()), 3),
        "mase_snaive_mean": round(float(mase["SeasonalNaive"].mean()), 3),
        "beats_snaive": f"{int((mase['ensemble'] < mase['SeasonalNaive']).sum())}/{len(mase)}",
        "mase_total": round(float(mase.loc["total", "ensemble"]), 3),
        "reconciliation": result.reconciliation.split(" ")[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--horizons", type=int, nargs="+", default=[14, 30, 90])
    parser.add_argument("--json", action="store_true", help="print one JSON line per horizon only")
    args = parser.parse_args(argv)
    rows = [measure(args.customers, h) for h in args.horizons]
    if args.json:
        for row in rows:
            print(json.dumps(row))
    else:
        print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
