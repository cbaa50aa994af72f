"""M4 benchmark: our batch forecasting API scored exactly as the M4 organisers score, beside their figures.

Usage::

    python -m benchmarks.m4 --frequency hourly [--json] [--models foresight snaive naive2 official]
                            [--limit N] [--statsforecast]

Reads the M4 files from ``$FORESIGHT_DATASETS/m4`` (see its README). For each method it forecasts every
series ``h`` steps ahead (48 for hourly), then reports the average sMAPE and MASE (m = 24 for hourly), OWA
relative to Naive2 computed by the same scorer on the same series, wall time and the number of series.
OWA follows the organisers' workbook, which divides sMAPE and MASE rounded to 3 decimals
(``owa_unrounded`` in the JSON divides the raw averages; the two differ by at most ~0.001).

Methods:

- ``foresight``: ``analytics.forecasting.forecast(df, h, season_length=[24, 168])`` (hourly) when the
  package provides it; skipped with a note otherwise;
- ``naive2`` and ``snaive``: small reference implementations of the organisers' benchmarks, kept here only
  as the scorer check (they must reproduce the official figures to 3 decimals);
- ``official``: the organisers' own Naive2/sNaive point forecasts from the datasets folder, scored by us;
- ``--statsforecast``: statsforecast's AutoETS and AutoTheta side by side, when it is installed.

``--json`` prints one line: ``smape, mase, owa, seconds, n_series`` of the main method (``foresight`` when
available, else ``snaive``) plus ``model`` and every method's scores under ``methods``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from analytics.metrics import mase, owa, smape
from benchmarks._common import table
from data.datasets import load_m4, load_m4_benchmark_forecasts, load_m4_official_scores

ID, DS, Y = "unique_id", "ds", "y"
SEASON_LENGTHS = {"hourly": [24, 168], "weekly": [52]}
OFFICIAL_ROWS = {"Naive2": "Naive2", "sNaive": "sNaive", "Theta": "Theta", "winner (118 Smyl)": "118"}
METHODS = ("foresight", "naive2", "snaive", "official")


# --- reference benchmarks (the organisers' "Benchmarks and Evaluation.R", reimplemented for the check) ---

def _acf(x: np.ndarray, max_lag: int) -> np.ndarray:
    """R's ``acf``: lags 1..max_lag, demeaned, every lag divided by the lag-0 sum."""
    d = x - x.mean()
    denominator = d @ d
    return np.array([d[:-k] @ d[k:] / denominator for k in range(1, max_lag + 1)])


def _is_seasonal(x: np.ndarray, m: int) -> bool:
    """The M4 90% seasonality test at lag m (needs m > 1 and at least 3m values)."""
    if m <= 1 or x.size < 3 * m:
        return False
    r = _acf(x, m)
    limit = 1.645 / np.sqrt(x.size) * np.sqrt(1 + 2 * np.sum(r[:-1] ** 2))
    return bool(abs(r[-1]) > limit)


def _seasonal_indices(x: np.ndarray, m: int) -> np.ndarray:
    """R's ``decompose(type="multiplicative")`` seasonal figure, one value per position 0..m-1."""
    weights = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    half = len(weights) // 2
    trend = np.full(x.size, np.nan)
    trend[half:x.size - half] = np.convolve(x, weights, mode="valid")
    ratio = x / trend
    figure = np.array([np.nanmean(ratio[i::m]) for i in range(m)])
    return figure / figure.mean()


def naive2(x: np.ndarray, h: int, m: int) -> np.ndarray:
    """Naive on the seasonally adjusted series (when the M4 test finds seasonality), reseasonalised."""
    if not _is_seasonal(x, m):
        return np.repeat(x[-1], h)
    figure = _seasonal_indices(x, m)
    last_index = figure[(x.size - 1) % m]
    future = figure[(x.size + np.arange(h)) % m]
    return x[-1] / last_index * future


def seasonal_naive(x: np.ndarray, h: int, m: int) -> np.ndarray:
    """The last full season repeated."""
    return np.resize(x[-m:], h) if x.size >= m else np.repeat(x[-1], h)


# --- scoring ---

def _series(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    return {uid: g[Y].to_numpy() for uid, g in frame.sort_values([ID, DS]).groupby(ID, sort=False)}


def score(train: dict, test: dict, forecasts: dict, m: int) -> dict:
    """Average sMAPE and MASE over the series of ``test`` (every one must have a forecast)."""
    missing = [uid for uid in test if uid not in forecasts]
    if missing:
        raise ValueError(f"{len(missing)} series have no forecast, e.g. {missing[:3]}")
    smapes = [smape(test[u], forecasts[u]) for u in test]
    mases = [mase(test[u], forecasts[u], train[u], m) for u in test]
    return {"smape": float(np.mean(smapes)), "mase": float(np.mean(mases))}


def _timed(run: Callable[[], dict]) -> tuple[dict, float]:
    start = time.perf_counter()
    forecasts = run()
    return forecasts, time.perf_counter() - start


def _from_long(frame: pd.DataFrame, column: str, h: int) -> dict[str, np.ndarray]:
    ordered = frame.sort_values([ID, DS])
    return {uid: g[column].to_numpy()[:h] for uid, g in ordered.groupby(ID, sort=False)}


def _foresight(train_df: pd.DataFrame, h: int, frequency: str) -> Callable[[], dict] | None:
    try:
        from analytics.forecasting import forecast
    except ImportError:
        return None
    return lambda: _from_long(forecast(train_df, h=h, season_length=SEASON_LENGTHS[frequency]), "mean", h)


def _statsforecast(train_df: pd.DataFrame, h: int, m: int) -> dict[str, Callable[[], dict]]:
    try:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS, AutoTheta
    except ImportError:
        return {}

    def run(model) -> Callable[[], dict]:
        def fit_predict() -> dict:
            sf = StatsForecast(models=[model], freq=1, n_jobs=-1)
            out = sf.forecast(df=train_df, h=h).reset_index()
            return _from_long(out, [c for c in out.columns if c not in (ID, DS)][0], h)
        return fit_predict
    return {"statsforecast AutoETS": run(AutoETS(season_length=m)),
            "statsforecast AutoTheta": run(AutoTheta(season_length=m))}


def _official(frequency: str, ids: list[str]) -> dict[str, Callable[[], dict]]:
    bench = load_m4_benchmark_forecasts(frequency)
    bench = bench[bench[ID].isin(ids)]
    runs = {}
    for method in ("Naive2", "sNaive"):
        rows = bench[bench["method"] == method].rename(columns={"step": DS})
        runs[f"official {method} forecasts"] = (lambda r=rows: _from_long(r, "y_hat", 10**6))
    return runs


def run_benchmark(frequency: str, methods: list[str], limit: int | None, with_statsforecast: bool) -> dict:
    """Forecast and score every requested method; returns rows keyed by method name."""
    data = load_m4(frequency)
    h, m = data.horizon, data.seasonality
    ids = list(dict.fromkeys(data.train[ID]))[:limit]
    train_df = data.train[data.train[ID].isin(ids)].reset_index(drop=True)
    train, test = _series(train_df), _series(data.test[data.test[ID].isin(ids)])
    runs: dict[str, Callable[[], dict]] = {
        "Naive2 (ours)": lambda: {u: naive2(x, h, m) for u, x in train.items()}}
    notes = []
    if "snaive" in methods:
        runs["sNaive (ours)"] = lambda: {u: seasonal_naive(x, h, m) for u, x in train.items()}
    if "official" in methods:
        runs.update(_official(frequency, ids))
    if "foresight" in methods:
        foresight = _foresight(train_df, h, frequency)
        if foresight is None:
            notes.append("analytics.forecasting.forecast is not available yet: only reference methods ran")
        else:
            runs["foresight"] = foresight
    if with_statsforecast:
        extra = _statsforecast(train_df, h, m)
        runs.update(extra)
        if not extra:
            notes.append("statsforecast is not installed: --statsforecast skipped")
    results = {}
    for name, run in runs.items():
        forecasts, seconds = _timed(run)
        results[name] = {**score(train, test, forecasts, m), "seconds": round(seconds, 2), "n_series": len(test)}
    reference = results["Naive2 (ours)"]
    for row in results.values():
        row["owa"] = owa(row["smape"], row["mase"], reference["smape"], reference["mase"], decimals=3)
        row["owa_unrounded"] = owa(row["smape"], row["mase"], reference["smape"], reference["mase"])
    return {"frequency": frequency, "results": results, "notes": notes}


def _rows(report: dict) -> list[dict]:
    official = load_m4_official_scores(report["frequency"])
    rows = [{"method": name, "sMAPE": f"{r['smape']:.3f}", "MASE": f"{r['mase']:.3f}", "OWA": f"{r['owa']:.3f}",
             "seconds": r["seconds"], "n_series": r["n_series"], "source": "measured"}
            for name, r in report["results"].items()]
    rows += [{"method": label, "sMAPE": f"{official.loc[key, 'smape']:.3f}",
              "MASE": f"{official.loc[key, 'mase']:.3f}", "OWA": f"{official.loc[key, 'owa']:.3f}",
              "seconds": "", "n_series": "", "source": "official M4"}
             for label, key in OFFICIAL_ROWS.items()]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frequency", default="hourly", choices=["hourly", "weekly"])
    parser.add_argument("--models", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--limit", type=int, default=None, help="only the first N series")
    parser.add_argument("--statsforecast", action="store_true", help="add statsforecast AutoETS and AutoTheta")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args(argv)
    report = run_benchmark(args.frequency, args.models, args.limit, args.statsforecast)
    results = report["results"]
    main_name = "foresight" if "foresight" in results else "sNaive (ours)" if "sNaive (ours)" in results \
        else "Naive2 (ours)"
    if args.json:
        line = {key: results[main_name][key] for key in ("smape", "mase", "owa", "seconds", "n_series")}
        sys.stdout.write(json.dumps({**line, "model": main_name, "frequency": args.frequency,
                                     "methods": results, "notes": report["notes"]}) + "\n")
        return 0
    sys.stdout.write(table(_rows(report)) + "\n")
    for note in report["notes"]:
        sys.stdout.write(f"note: {note}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
