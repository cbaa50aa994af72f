"""Insights feed computation time at 20k and 200k customers (target: under 60 s at 200k on 2 cores).

Usage::

    nice -n 19 python -m benchmarks.insights_feed [--customers 20000 200000] [--seed 42] [--store-dir DIR]

For each size a sample company (3 years, ``--seed``) is written to its own SQLite store, then timed one after the
other in this process, as the page's background job meets them:

- ``feed_without_models_s``: ``build_feed`` alone (KPI changes, anomalies, patterns; retention shifts from the
  stored customers), what ``python -m analytics.insights feed`` runs;
- ``demand_forecast_s`` and ``retention_models_s``: the Forecast page's default forecast and the Retention page's
  models, which the page's feed job reads from the results cache (``core.insight_feed``) and which ``core.warm``
  and those pages compute anyway; they are timed only to say what a cold cache costs;
- ``feed_with_models_s``: ``build_feed`` given both (forecast risks and retention drivers included): the feed's
  own time on the page.

Writes ``benchmarks/insights_feed.json`` and ``benchmarks/insights_feed.md``. Nothing is tuned.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from analytics.forecasting import DEFAULT_HORIZON, DEFAULT_METRIC, store_demand_forecast
from analytics.insights import build_feed
from analytics.retention import load_retention_analyzer
from data import store
from data.sample import SampleConfig, generate_sample, write_sample
from data.watermark import complete_through

HERE = Path(__file__).resolve().parent
TARGET_S = 60.0


def _timed(fn, *args, **kwargs):
    started = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, round(time.perf_counter() - started, 1)


def run_size(customers: int, seed: int, folder: Path) -> dict:
    """Write one company and time the feed with and without the models (module docstring)."""
    engine = store.get_engine(f"sqlite:///{folder / f'store-{customers}-{seed}.db'}")
    write_sample(engine, generate_sample(SampleConfig(customers=customers, seed=seed)),
                 folder / f"truth-{customers}-{seed}.json")
    end = complete_through(engine).iso
    _feed, without = _timed(build_feed, engine, period_days=30, end=end)
    forecast, forecast_s = _timed(store_demand_forecast, engine, metric=DEFAULT_METRIC, h=DEFAULT_HORIZON,
                                  through=end, countries="US")
    retention, retention_s = _timed(load_retention_analyzer, engine)
    feed, with_models = _timed(build_feed, engine, period_days=30, end=end, forecast=forecast, retention=retention)
    engine.dispose()
    return {"customers": customers, "seed": seed, "end": end, "feed_without_models_s": without,
            "demand_forecast_s": forecast_s, "retention_models_s": retention_s, "feed_with_models_s": with_models,
            "findings": len(feed), "kinds": sorted({f.kind for f in feed}), "cores": os.cpu_count(),
            "meets_target": with_models < TARGET_S}


def _markdown(results: list[dict], command: str) -> str:
    lines = [f"Insights feed time (`{command}`); target: the feed under {TARGET_S:.0f} s at 200k customers.", "",
             "| customers | feed, models given (s) | feed alone (s) | demand forecast (s) | retention models (s) "
             "| findings | kinds |", "|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['customers']:,} | {r['feed_with_models_s']} | {r['feed_without_models_s']} | "
                     f"{r['demand_forecast_s']} | {r['retention_models_s']} | {r['findings']} | "
                     f"{', '.join(r['kinds'])} |")
    lines += ["", "The forecast and the retention models are the Forecast and Retention pages' own results, read "
              "from the results cache by the feed's job (and computed by `python -m core.warm`); they are shown "
              "for what a cold cache costs."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[20000, 200000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--store-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    folder = args.store_dir or Path(tempfile.mkdtemp(prefix="insights-feed-"))
    folder.mkdir(parents=True, exist_ok=True)
    results = [run_size(n, args.seed, folder) for n in args.customers]
    command = ("python -m benchmarks.insights_feed --customers " + " ".join(map(str, args.customers))
               + f" --seed {args.seed}")
    (HERE / "insights_feed.json").write_text(json.dumps({"command": command, "results": results}, indent=2) + "\n")
    (HERE / "insights_feed.md").write_text(_markdown(results, command))
    print(_markdown(results, command))


if __name__ == "__main__":
    main()
