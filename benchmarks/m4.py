"""M4 benchmark: our batch forecasting API scored exactly as the M4 organisers score, beside their figures.

Usage::

    python -m benchmarks.m4 --frequency hourly [--split test|validation] [--json]
                            [--models foresight foresight-local snaive naive2 official]
                            [--limit N] [--statsforecast] [--n-jobs -1] [--output PATH]

Reads the M4 files from ``$FORESIGHT_DATASETS/m4`` (see its README). For each method it forecasts every
series ``h`` steps ahead (48 for hourly), then reports the average sMAPE and MASE (m = 24 for hourly), OWA
relative to Naive2 computed by the same scorer on the same series (our Naive2 model), wall time, the
number of series and, for every method with intervals, the share of actuals inside the 80% and 95%
intervals: overall and per block of horizon steps (``STEP_BLOCKS``).
OWA follows the organisers' workbook, which divides sMAPE and MASE rounded to 3 decimals
(``owa_unrounded`` in the JSON divides the raw averages; the two differ by at most ~0.001).

Splits:

- ``test`` (default): the official split, train on the training file and score on the test file;
- ``validation``: each series' training part without its last ``h`` points is the training set and those
  ``h`` points are the test; the official test file is never read. Anything tuned (interval calibration,
  model settings) is chosen on this split, then confirmed once on ``test``.

Full runs (no ``--limit``) write the report to ``benchmarks/m4_<frequency>_<split>.json`` (or ``--output``).

Methods:

- ``foresight``: ``analytics.forecasting.forecast(df, h, season_length=[24, 168], n_jobs=-1,
  models=[SeasonalNaive(), Theta()], global_models=global_members([24, 168]), criterion="mase_smape")``
  (hourly): seasonal naive, Theta and a GBM trained across all series, weighted per series on backtest
  MASE and sMAPE (M4's two scores), on all cores by default (``--n-jobs``). MSTL is left out here: with
  the global GBM it no longer helped (OWA 0.451 with it, 0.446 without) and it was three quarters of the
  per-series time;
- ``foresight-local``: the same without ``global_models`` and with the default ``criterion="mase"``
  (the batch API's defaults: local members only);
- ``naive2`` and ``snaive``: ``analytics.forecasting.Naive2`` and ``SeasonalNaive`` with m = 24 (hourly),
  fitted per series, with their normal intervals; the scorer check: on ``test`` they must reproduce the
  official figures to 3 decimals;
- ``official``: the organisers' own Naive2/sNaive point forecasts from the datasets folder, scored by us
  (the check of the scorer alone; ``test`` split only);
- ``--statsforecast``: statsforecast's AutoETS and AutoTheta side by side, when it is installed.

``--json`` prints one line: ``smape, mase, owa, seconds, n_series`` of the main method (``foresight`` when
it ran, else sNaive) plus ``model``, ``split`` and every method's scores under ``methods``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.forecasting import Naive2, SeasonalNaive, Theta, forecast, global_members, mase, owa, smape
from benchmarks._common import table
from core.settings import datasets_folder
from data.public import (DatasetsNotFoundError, load_m4, load_m4_benchmark_forecasts,
                           load_m4_official_scores)

ID, DS, Y = "unique_id", "ds", "y"
SEASON_LENGTHS = {"hourly": [24, 168], "weekly": [52]}
# chosen on the validation split (docs/benchmarks.md): Weekly's three latest 13-week windows were calmer than
# what followed, so four windows calibrate its intervals (the weights still come from the latest three)
CALIBRATION_WINDOWS = {"hourly": None, "weekly": 4}
STEP_BLOCKS = {"hourly": [(1, 12), (13, 24), (25, 48)], "weekly": [(1, 4), (5, 8), (9, 13)]}
LEVELS = (80, 95)
SPLITS = ("test", "validation")
OFFICIAL_ROWS = {"Naive2": "Naive2", "sNaive": "sNaive", "Theta": "Theta", "winner (118 Smyl)": "118"}
METHODS = ("foresight", "foresight-local", "naive2", "snaive", "official")
DEFAULT_METHODS = ("foresight", "naive2", "snaive", "official")
COLUMNS = ("mean", *(f"{side}-{lv}" for lv in LEVELS for side in ("lo", "hi")))


# --- scoring ---

def _series(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    return {uid: g[Y].to_numpy() for uid, g in frame.sort_values([ID, DS]).groupby(ID, sort=False)}


def score(train: dict, test: dict, forecasts: dict, m: int) -> dict:
    """Average sMAPE and MASE over the series of ``test`` (every one must have a forecast).

    A forecast is the array of point forecasts or a dict with ``mean`` (and ``lo-80``, ``hi-80``, ...).
    """
    missing = [uid for uid in test if uid not in forecasts]
    if missing:
        raise ValueError(f"{len(missing)} series have no forecast, e.g. {missing[:3]}")
    means = {u: f["mean"] if isinstance(f, dict) else f for u, f in forecasts.items()}
    smapes = [smape(test[u], means[u]) for u in test]
    mases = [mase(test[u], means[u], train[u], m) for u in test]
    return {"smape": float(np.mean(smapes)), "mase": float(np.mean(mases))}


def coverage(test: dict, forecasts: dict, blocks: list[tuple[int, int]]) -> dict:
    """Share of actuals inside each level's interval: overall, per step, and per block of steps (1-based, inclusive).

    Empty when the forecasts carry no intervals.
    """
    if not all(isinstance(f, dict) and f"lo-{LEVELS[0]}" in f for f in forecasts.values()):
        return {}
    out = {}
    for lv in LEVELS:
        inside = np.array([(test[u] >= forecasts[u][f"lo-{lv}"]) & (test[u] <= forecasts[u][f"hi-{lv}"])
                           for u in test], dtype=float)  # series x step
        out[f"coverage-{lv}"] = float(inside.mean())
        out[f"coverage-{lv}-by-block"] = {f"{a}-{b}": float(inside[:, a - 1:b].mean()) for a, b in blocks}
        out[f"coverage-{lv}-by-step"] = [round(float(v), 4) for v in inside.mean(axis=0)]
    return out


def _timed(run: Callable[[], dict]) -> tuple[dict, float]:
    start = time.perf_counter()
    forecasts = run()
    return forecasts, time.perf_counter() - start


def _from_long(frame: pd.DataFrame, columns: dict[str, str], h: int) -> dict[str, dict[str, np.ndarray]]:
    """Per series, ``{our name: the first h values of its column}`` for ``columns`` (our name -> column)."""
    ordered = frame.sort_values([ID, DS])
    return {uid: {ours: g[col].to_numpy()[:h] for ours, col in columns.items() if col in g}
            for uid, g in ordered.groupby(ID, sort=False)}


def _models(train: dict, h: int, m: int) -> dict[str, Callable[[], dict]]:
    """Our Naive2 and seasonal naive, fitted per series, with their intervals."""

    def run(model_class) -> Callable[[], dict]:
        def fit_predict() -> dict:
            frames = {u: model_class(season_length=m).fit(x).predict(h, level=LEVELS) for u, x in train.items()}
            return {u: {c: f[c].to_numpy() for c in COLUMNS} for u, f in frames.items()}
        return fit_predict
    return {"Naive2": run(Naive2), "sNaive": run(SeasonalNaive)}


def _foresight(train_df: pd.DataFrame, h: int, frequency: str, n_jobs: int,
               with_global: bool = True) -> Callable[[], dict]:
    seasons = SEASON_LENGTHS[frequency]
    extra = {"models": [SeasonalNaive(), Theta()], "global_models": global_members(seasons),
             "criterion": "mase_smape"} if with_global else {}
    if CALIBRATION_WINDOWS.get(frequency):
        extra["calibration_windows"] = CALIBRATION_WINDOWS[frequency]
    return lambda: _from_long(forecast(train_df, h=h, season_length=seasons, level=LEVELS, n_jobs=n_jobs, **extra),
                              {c: c for c in COLUMNS}, h)


def _statsforecast(train_df: pd.DataFrame, h: int, m: int) -> dict[str, Callable[[], dict]]:
    try:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS, AutoTheta
    except ImportError:
        return {}

    def run(model) -> Callable[[], dict]:
        def fit_predict() -> dict:
            sf = StatsForecast(models=[model], freq=1, n_jobs=-1)
            out = sf.forecast(df=train_df, h=h, level=list(LEVELS))
            out = out if ID in out.columns else out.reset_index()
            name = str(model)
            return _from_long(out, {c: name if c == "mean" else f"{name}-{c}" for c in COLUMNS}, h)
        return fit_predict
    return {"statsforecast AutoETS": run(AutoETS(season_length=m)),
            "statsforecast AutoTheta": run(AutoTheta(season_length=m))}


def _official(frequency: str, ids: list[str]) -> dict[str, Callable[[], dict]]:
    bench = load_m4_benchmark_forecasts(frequency, datasets_folder())
    bench = bench[bench[ID].isin(ids)]
    runs = {}
    for method in ("Naive2", "sNaive"):
        rows = bench[bench["method"] == method].rename(columns={"step": DS})
        runs[f"official {method} forecasts"] = (lambda r=rows: _from_long(r, {"mean": "y_hat"}, 10**6))
    return runs


def _select_runs(methods: list[str], frequency: str, split: str, ids: list[str], train: dict,
                 train_df: pd.DataFrame, h: int, m: int, with_statsforecast: bool,
                 n_jobs: int) -> tuple[dict, str, list[str]]:
    """The methods to run (name -> callable), the name of the Naive2 reference, and notes on what was skipped."""
    models, notes = _models(train, h, m), []
    reference = "Naive2"
    runs: dict[str, Callable[[], dict]] = {reference: models["Naive2"]}
    if "snaive" in methods:
        runs["sNaive"] = models["sNaive"]
    if "official" in methods and split == "test":
        runs.update(_official(frequency, ids))
    elif "official" in methods:
        notes.append("the organisers' forecasts are for the test split only: 'official' skipped on validation")
    for name in ("foresight", "foresight-local"):
        if name in methods:
            runs[name] = _foresight(train_df, h, frequency, n_jobs, with_global=name == "foresight")
    if with_statsforecast:
        extra = _statsforecast(train_df, h, m)
        runs.update(extra)
        if not extra:
            notes.append("statsforecast is not installed: --statsforecast skipped")
    return runs, reference, notes


def split_data(frequency: str, split: str, limit: int | None) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """``(train, test, h, m)`` long frames of the first ``limit`` series for ``split`` (module docstring)."""
    if split not in SPLITS:
        raise ValueError(f"split={split!r} is not an option; use one of {SPLITS}.")
    data = load_m4(frequency, datasets_folder())
    h, m = data.horizon, data.seasonality
    ids = list(dict.fromkeys(data.train[ID]))[:limit]
    train = data.train[data.train[ID].isin(ids)].reset_index(drop=True)
    if split == "test":
        return train, data.test[data.test[ID].isin(ids)].reset_index(drop=True), h, m
    # the last h training points of each series are the validation test; the test file is not used
    from_end = train.groupby(ID, sort=False).cumcount(ascending=False)
    return train[from_end >= h].reset_index(drop=True), train[from_end < h].reset_index(drop=True), h, m


def run_benchmark(frequency: str, methods: list[str], limit: int | None, with_statsforecast: bool,
                  n_jobs: int = -1, split: str = "test") -> dict:
    """Forecast and score every requested method (Naive2 always runs: it is OWA's reference)."""
    train_df, test_df, h, m = split_data(frequency, split, limit)
    ids = list(dict.fromkeys(train_df[ID]))
    train, test = _series(train_df), _series(test_df)
    runs, reference, notes = _select_runs(methods, frequency, split, ids, train, train_df, h, m,
                                          with_statsforecast, n_jobs)
    results = {}
    for name, run in runs.items():
        forecasts, seconds = _timed(run)
        results[name] = {**score(train, test, forecasts, m), "seconds": round(seconds, 2), "n_series": len(test),
                         **coverage(test, forecasts, STEP_BLOCKS[frequency])}
    base = results[reference]
    for row in results.values():
        row["owa"] = owa(row["smape"], row["mase"], base["smape"], base["mase"], decimals=3)
        row["owa_unrounded"] = owa(row["smape"], row["mase"], base["smape"], base["mase"])
    return {"frequency": frequency, "split": split, "limit": limit, "results": results, "notes": notes}


def _coverage_text(r: dict, lv: int) -> str:
    if f"coverage-{lv}" not in r:
        return ""
    blocks = " / ".join(f"{100 * v:.1f}" for v in r[f"coverage-{lv}-by-block"].values())
    return f"{100 * r[f'coverage-{lv}']:.1f} ({blocks})"


def _rows(report: dict) -> list[dict]:
    rows = [{"method": name, "sMAPE": f"{r['smape']:.3f}", "MASE": f"{r['mase']:.3f}", "OWA": f"{r['owa']:.3f}",
             **{f"cov-{lv} (by steps {', '.join(f'{a}-{b}' for a, b in STEP_BLOCKS[report['frequency']])})":
                _coverage_text(r, lv) for lv in LEVELS},
             "seconds": r["seconds"], "n_series": r["n_series"], "source": "measured"}
            for name, r in report["results"].items()]
    if report["split"] != "test":
        return rows
    official = load_m4_official_scores(report["frequency"], datasets_folder())
    rows += [{**{k: "" for k in rows[0]}, "method": label, "sMAPE": f"{official.loc[key, 'smape']:.3f}",
              "MASE": f"{official.loc[key, 'mase']:.3f}", "OWA": f"{official.loc[key, 'owa']:.3f}",
              "source": "official M4"}
             for label, key in OFFICIAL_ROWS.items()]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frequency", default="hourly", choices=["hourly", "weekly"])
    parser.add_argument("--split", default="test", choices=SPLITS,
                        help="test: the official test set; validation: the last h training points of each series")
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_METHODS), choices=METHODS)
    parser.add_argument("--limit", type=int, default=None, help="only the first N series")
    parser.add_argument("--statsforecast", action="store_true", help="add statsforecast AutoETS and AutoTheta")
    parser.add_argument("--n-jobs", type=int, default=-1, help="processes for the batch API (-1: all cores)")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--output", default=None,
                        help="where to write the JSON report (default for full runs: benchmarks/m4_<freq>_<split>.json)")
    parser.add_argument("--calibration-windows", type=int, default=None,
                        help="rolling windows that calibrate the intervals (default: CALIBRATION_WINDOWS)")
    args = parser.parse_args(argv)
    if args.calibration_windows is not None:
        CALIBRATION_WINDOWS[args.frequency] = args.calibration_windows
    try:
        report = run_benchmark(args.frequency, args.models, args.limit, args.statsforecast, args.n_jobs, args.split)
    except DatasetsNotFoundError as error:
        sys.stderr.write(f"benchmarks.m4: {error}\n")
        return 2
    output = args.output or (None if args.limit else Path(__file__).with_name(f"m4_{args.frequency}_{args.split}.json"))
    if output:
        Path(output).write_text(json.dumps(report, indent=1) + "\n")
    results = report["results"]
    main_name = next(name for name in ("foresight", "sNaive", "official sNaive forecasts", "Naive2") if name in results)
    if args.json:
        line = {key: results[main_name][key] for key in ("smape", "mase", "owa", "seconds", "n_series")}
        sys.stdout.write(json.dumps({**line, "model": main_name, "frequency": args.frequency, "split": args.split,
                                     "methods": results, "notes": report["notes"]}) + "\n")
        return 0
    sys.stdout.write(table(_rows(report)) + "\n")
    for note in report["notes"]:
        sys.stdout.write(f"note: {note}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
