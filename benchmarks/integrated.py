"""The customer-driven revenue forecast against the demand forecast, and their combination, on sample companies.

Usage::

    python -m benchmarks.integrated [--seeds 101 202 303] [--customers 20000] [--h 90] [--store-dir DIR]

For each seed it writes the sample company (3 years ending 31 October 2026) to a SQLite store and fits
``IntegratedForecastingEngine(h, n_windows=3, demand_model="ensemble")`` with ``as_of`` = the end - h days, so:

- **backtest**: the engine's own rows (``backtest_``): three cutoffs h days apart before ``as_of``; MASE (weekly
  seasonal-naive scale), daily 80/95% interval coverage (customer and combined intervals learnt on the other
  windows) and the mean absolute error of the h-day total, for demand (the Forecast page's calendar-aware
  ensemble for the business total, before reconciliation), customers and combined (inverse-MASE weights);
- **held out**: the forecast made at ``as_of`` scored on the h days after it, which no fit saw.

Nothing is tuned on these seeds: the one setting chosen on data (the index's trend damping, 0.5) was chosen on
seeds 42 and 7 (the test seeds). Writes ``benchmarks/integrated.json`` and ``benchmarks/integrated.md``.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.forecasting import interval_coverage, mase
from analytics.forecasting.customers import IntegratedForecastingEngine, load_integrated_inputs, revenue_by_part
from data import store
from data.sample import SampleConfig, generate_sample, write_sample

SEEDS, CUSTOMERS, H, SEASON = (101, 202, 303), 20000, 90, 7
HERE = Path(__file__).parent


def _held_out(engine: IntegratedForecastingEngine, inputs) -> tuple[list[dict], dict]:
    """Each model's forecast at ``as_of`` scored on the days after it."""
    actual = revenue_by_part(inputs.facts, engine.as_of_, engine.model_.days)["total"]
    insample = engine.model_.history
    total = engine.forecast_[engine.forecast_["part"] == "total"]
    frames = {"customers": total, "demand": engine.demand_, "combined": engine.combined_}
    rows = []
    for model, frame in frames.items():
        row = {"model": model, "mase": mase(actual, frame["mean"], insample, SEASON),
               "total_error": float(frame["mean"].sum() / actual.sum() - 1)}
        for level in (80, 95):
            row[f"coverage-{level}"] = interval_coverage(actual, frame[f"lo-{level}"], frame[f"hi-{level}"])
        rows.append(row)
    new_share = {"forecast": float(engine.totals_.set_index("part").loc["new", "mean"]
                                   / engine.totals_.set_index("part").loc["total", "mean"])}
    parts = revenue_by_part(inputs.facts, engine.as_of_, engine.model_.days)
    new_share["actual"] = float(parts["new"].sum() / parts["total"].sum())
    return rows, new_share


def run_seed(seed: int, customers: int, h: int, folder: Path) -> dict:
    """Write one company, fit the engine h days before its end and score it."""
    db = folder / f"integrated-{seed}-{customers}.db"
    engine = store.get_engine(f"sqlite:///{db}")
    write_sample(engine, generate_sample(SampleConfig(customers=customers, seed=seed)), db.with_suffix(".json"))
    inputs = load_integrated_inputs(engine)
    engine.dispose()
    as_of = pd.Timestamp(inputs.facts.as_of) - pd.Timedelta(days=h)
    started = time.perf_counter()
    fitted = IntegratedForecastingEngine(h=h, n_windows=3, demand_model="ensemble").fit(inputs, as_of=as_of)
    seconds = time.perf_counter() - started
    held, share = _held_out(fitted, inputs)
    what_if = fitted.what_if(churn_multiplier={"region=North America": 2.0}).summary.set_index("part")
    return {"seed": seed, "customers": customers, "h": h, "as_of": str(as_of.date()), "fit_seconds": round(seconds, 1),
            "weights": fitted.weights_, "backtest": fitted.backtest_.to_dict("records"), "held_out": held,
            "new_share": share,
            "what_if_double_churn_north_america": float(what_if.loc["existing", "change_pct"])}


def _markdown(results: list[dict], command: str) -> str:
    lines = ["# Customer-driven vs demand revenue forecast", "", f"Command: `{command}`", "",
             "Backtest: mean over three cutoffs 90 days apart before as_of (customer and combined intervals learnt "
             "on the other windows). Held out: the forecast at as_of scored on the next 90 days.", "",
             "| seed | part | model | MASE | cov 80 | cov 95 | abs. error of 90-day total | weight |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for result in results:
        for row in result["backtest"]:
            lines.append(f"| {result['seed']} | backtest | {row['model']} | {row['mase']:.3f} | {row['coverage-80']:.2f} "
                         f"| {row['coverage-95']:.2f} | {row['total_error']:.1%} | {row['weight']:.2f} |")
        for row in result["held_out"]:
            lines.append(f"| {result['seed']} | held out | {row['model']} | {row['mase']:.3f} | {row['coverage-80']:.2f} "
                         f"| {row['coverage-95']:.2f} | {row['total_error']:+.1%} | |")
    lines += ["", "| seed | customers | fit seconds | new part share (forecast / actual) | double NA churn: existing |",
              "| --- | --- | --- | --- | --- |"]
    for r in results:
        lines.append(f"| {r['seed']} | {r['customers']} | {r['fit_seconds']} | {r['new_share']['forecast']:.1%} / "
                     f"{r['new_share']['actual']:.1%} | {r['what_if_double_churn_north_america']:+.2%} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--customers", type=int, default=CUSTOMERS)
    parser.add_argument("--h", type=int, default=H)
    parser.add_argument("--store-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    folder = args.store_dir or Path(tempfile.mkdtemp(prefix="integrated-"))
    folder.mkdir(parents=True, exist_ok=True)
    results = [run_seed(seed, args.customers, args.h, folder) for seed in args.seeds]
    command = ("python -m benchmarks.integrated --seeds " + " ".join(map(str, args.seeds))
               + f" --customers {args.customers} --h {args.h}")
    (HERE / "integrated.json").write_text(json.dumps({"command": command, "results": results}, indent=2,
                                                     default=lambda v: float(v) if isinstance(v, np.floating) else str(v)))
    (HERE / "integrated.md").write_text(_markdown(results, command))


if __name__ == "__main__":
    main()
