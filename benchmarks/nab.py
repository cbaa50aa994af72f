"""NAB benchmark: a streaming detector scored on the Numenta Anomaly Benchmark corpus, beside NAB's scoreboard.

Usage::

    python -m benchmarks.nab [--detector windowedGaussian] [--full-precision] [--json] [--output PATH]

Reads the 58 files, windows, cost profiles and official results from ``$FORESIGHT_DATASETS/nab`` (see its
README), scores every row with the detector (``analytics.health.windowed_gaussian_scores``: NAB's window of
6,400 values, refreshed every 100), and scores the detector with ``analytics.health.nab_score`` under the three
profiles (standard, reward_low_FP_rate, reward_low_FN_rate), each with its own corpus-wide best threshold.

NAB's published results files hold anomaly scores to 12 significant digits (Python 2's ``str`` of a float), so
a score within 5e-13 of 1 was read back as exactly 1.0; the official windowedGaussian threshold is 1.0 for all
three profiles. By default the scores are rounded the same way before scoring, which reproduces the official
per-file TP/FP counts and scores; ``--full-precision`` scores the unrounded values instead.

``--json`` prints one line: ``detector``, ``standard``, ``reward_low_fp``, ``reward_low_fn`` (normalised
scores), ``thresholds`` and ``raw`` per profile, ``official`` per profile, ``seconds``. Full report written to
``benchmarks/nab.json`` (or ``--output``).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from analytics.health import CostProfile, nab_score, window_rows, windowed_gaussian_scores
from benchmarks._common import table
from core.settings import datasets_folder
from data.public import NAB_PROFILES, DatasetsNotFoundError, load_nab

DETECTORS = {"windowedGaussian": windowed_gaussian_scores}
PUBLISHED_DIGITS = "%.12g"
DEFAULT_OUTPUT = Path(__file__).with_name("nab.json")


def as_published(scores: np.ndarray) -> np.ndarray:
    """Scores as NAB's results files carry them: 12 significant digits."""
    return np.char.mod(PUBLISHED_DIGITS, np.asarray(scores, dtype=float)).astype(float)


def run_benchmark(detector: str = "windowedGaussian", full_precision: bool = False) -> dict:
    """Score ``detector`` on the NAB corpus under every profile and return the report."""
    if detector not in DETECTORS:
        raise ValueError(f"unknown detector {detector!r}; valid options: {', '.join(DETECTORS)}")
    start = time.perf_counter()
    corpus = load_nab(datasets_folder())
    loaded = time.perf_counter()
    scores = {name: DETECTORS[detector](frame["value"].to_numpy()) for name, frame in corpus.series.items()}
    if not full_precision:
        scores = {name: as_published(values) for name, values in scores.items()}
    detected = time.perf_counter()
    windows = {name: window_rows(corpus.series[name]["timestamp"], corpus.windows[name]) for name in corpus.series}
    report = {"detector": detector, "full_precision": full_precision, "files": len(scores),
              "rows": int(sum(len(v) for v in scores.values())), "thresholds": {}, "raw": {}, "official": {},
              "detected_windows": {}, "missed_windows": {}, "false_positives": {}}
    for profile_name, short in NAB_PROFILES.items():
        costs = corpus.profiles[profile_name]
        profile = CostProfile(tp=costs["tpWeight"], fp=costs["fpWeight"], fn=costs["fnWeight"])
        result = nab_score(scores, windows, profile)
        report[short] = round(result.normalised, 3)
        report["thresholds"][short] = result.threshold
        report["raw"][short] = round(result.raw, 4)
        report["official"][short] = round(corpus.official.get(detector, {}).get(profile_name, float("nan")), 3)
        report["detected_windows"][short] = result.detected
        report["missed_windows"][short] = result.missed
        report["false_positives"][short] = result.false_positives
    report["seconds"] = {"load": round(loaded - start, 3), "detect": round(detected - loaded, 3),
                         "score": round(time.perf_counter() - detected, 3)}
    return report


def _rows(report: dict) -> list[dict]:
    return [{"profile": short, "score": report[short], "official": report["official"][short],
             "difference": round(report[short] - report["official"][short], 3),
             "threshold": report["thresholds"][short], "raw": report["raw"][short],
             "windows detected": report["detected_windows"][short], "false positives": report["false_positives"][short]}
            for short in NAB_PROFILES.values()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detector", default="windowedGaussian", choices=sorted(DETECTORS))
    parser.add_argument("--full-precision", action="store_true",
                        help="score the detector's unrounded scores (default: 12 digits, as NAB's results files)")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the full report")
    args = parser.parse_args(argv)
    try:
        report = run_benchmark(args.detector, args.full_precision)
    except DatasetsNotFoundError as error:
        sys.stderr.write(f"benchmarks.nab: {error}\n")
        return 2
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    if args.json:
        keys = ("detector", "standard", "reward_low_fp", "reward_low_fn", "thresholds", "raw", "official", "seconds")
        sys.stdout.write(json.dumps({key: report[key] for key in keys}) + "\n")
        return 0
    sys.stdout.write(table(_rows(report)) + "\n")
    sys.stdout.write(f"{report['detector']} on {report['files']} files, {report['rows']} rows; "
                     f"seconds {report['seconds']}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
