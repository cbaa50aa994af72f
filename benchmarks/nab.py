"""NAB benchmark: a streaming detector scored on the Numenta Anomaly Benchmark corpus, beside NAB's scoreboard.

Usage::

    python -m benchmarks.nab [--detector streaming|windowed_gaussian] [--full-precision] [--json] [--output PATH]

Reads the 58 files, windows, cost profiles and official results from ``$FORESIGHT_DATASETS/nab`` (see its
README), scores every row with the detector and scores the detector with ``analytics.health.nab_score`` under the
three profiles (standard, reward_low_FP_rate, reward_low_FN_rate), each with its own corpus-wide best threshold.

Detectors:

- ``streaming`` (default): ``analytics.health.stream_scores`` with its frozen defaults
  (``analytics.health.DETECTOR_DEFAULTS``). They were tuned once, on the *validation* half of the files only
  (:func:`split_of`: a file is in the validation half when the first byte of the SHA-256 of its name
  ``<category>/<file>.csv`` is even; 30 files, 56 windows), never looking at the *held-out* half (28 files,
  60 windows). The report gives the full corpus (the number NAB publishes), each half with its own best
  threshold, and the held-out half at the validation half's threshold.
- ``windowed_gaussian``: NAB's baseline (``analytics.health.windowed_gaussian_scores``: window 6,400, refreshed
  every 100), which reproduces the official scores and so checks the scorer.

NAB's published results files hold anomaly scores to 12 significant digits (Python 2's ``str`` of a float), so
a score within 5e-13 of 1 was read back as exactly 1.0; the official windowedGaussian threshold is 1.0 for all
three profiles. By default the scores are rounded the same way before scoring, which reproduces the official
per-file TP/FP counts and scores; ``--full-precision`` scores the unrounded values instead.

``--json`` prints one line: ``detector``, ``standard``, ``reward_low_fp``, ``reward_low_fn`` (normalised
scores), ``thresholds``, ``raw``, ``official``, ``split``, ``settings``, ``machine_temperature`` (the
catastrophic failure in realKnownCause/machine_temperature_system_failure.csv: detections and hours of warning at
the standard threshold), ``seconds``. The full report goes to ``benchmarks/nab.json`` and a table to
``benchmarks/nab.md`` for the default detector (other detectors write only with ``--output``).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.health import (
    DETECTOR_DEFAULTS, CostProfile, StreamingDetector, nab_score, stream_scores, window_rows,
    windowed_gaussian_scores)
from benchmarks._common import table
from core.settings import datasets_folder
from data.public import NAB_PROFILES, DatasetsNotFoundError, load_nab

DEFAULT_DETECTOR = "streaming"
DETECTORS = {"streaming": stream_scores, "windowed_gaussian": windowed_gaussian_scores}
ALIASES = {"windowedGaussian": "windowed_gaussian"}
OFFICIAL_NAMES = {"windowed_gaussian": "windowedGaussian"}
PUBLISHED_DIGITS = "%.12g"
DEFAULT_OUTPUT = Path(__file__).with_name("nab.json")
SCOREBOARD = {"Numenta HTM": (70.5, 62.6, 75.2), "Twitter ADVec": (47.1, 33.6, 53.5),
              "Windowed Gaussian": (39.6, 20.9, 47.4)}

MACHINE = "realKnownCause/machine_temperature_system_failure.csv"
FAILURE_LABEL = pd.Timestamp("2014-02-08 14:30:00")  # labels/combined_labels.json, in the last window
RUN_UP = pd.Timedelta(days=7)


def split_of(name: str) -> str:
    """``validation`` when the first byte of sha256(name) is even, else ``held_out``: fixed, documented, ~half."""
    return "validation" if hashlib.sha256(name.encode()).digest()[0] % 2 == 0 else "held_out"


def as_published(scores: np.ndarray) -> np.ndarray:
    """Scores as NAB's results files carry them: 12 significant digits."""
    return np.char.mod(PUBLISHED_DIGITS, np.asarray(scores, dtype=float)).astype(float)


def _profiles(corpus) -> dict[str, CostProfile]:
    return {short: CostProfile(tp=corpus.profiles[name]["tpWeight"], fp=corpus.profiles[name]["fpWeight"],
                               fn=corpus.profiles[name]["fnWeight"]) for name, short in NAB_PROFILES.items()}


def _subset(mapping: dict, names: list[str]) -> dict:
    return {name: mapping[name] for name in names}


def _split_report(scores: dict, windows: dict, profiles: dict[str, CostProfile]) -> dict:
    """Each half with its own best threshold, and the held-out half at the validation half's threshold."""
    halves = {half: sorted(name for name in scores if split_of(name) == half) for half in ("validation", "held_out")}
    report = {half: {"files": len(names), "windows": sum(len(windows[n]) for n in names)}
              for half, names in halves.items()}
    for short, profile in profiles.items():
        tuned = {}
        for half, names in halves.items():
            tuned[half] = nab_score(_subset(scores, names), _subset(windows, names), profile)
            report[half][short] = round(tuned[half].normalised, 3)
        fixed = nab_score(_subset(scores, halves["held_out"]), _subset(windows, halves["held_out"]), profile,
                          threshold=tuned["validation"].threshold)
        report["held_out"][f"{short}_at_validation_threshold"] = round(fixed.normalised, 3)
    report["validation"]["names"] = halves["validation"]
    return report


def _window_warning(hits: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> dict:
    """One window with the first detection in its 7-day run-up or inside it, and the hours before it opens."""
    near = hits[(hits >= start - RUN_UP) & (hits <= end)]
    first = near.iloc[0] if len(near) else None
    hours = round((start - first) / pd.Timedelta(hours=1), 2) if first is not None else None
    return {"window": [str(start), str(end)], "first_detection": str(first) if first is not None else None,
            "warning_hours_before_window_start": hours}


def machine_temperature(corpus, scores: np.ndarray, threshold: float, detector: str) -> dict:
    """Detections in the machine-temperature file and the warning before its catastrophic-failure window."""
    frame = corpus.series[MACHINE]
    start, end = corpus.windows[MACHINE][-1]
    stamps = frame["timestamp"]
    hits = stamps[scores >= threshold]
    failure = _window_warning(hits, start, end)
    first = failure["first_detection"]
    run_up = ((stamps >= start - RUN_UP) & (stamps <= end)).to_numpy()
    earlier = list(hits[hits < start])
    block = {"threshold": threshold, "failure_window": failure["window"], "failure_label": str(FAILURE_LABEL),
             "first_detection_in_run_up": first,
             "warning_hours_before_window_start": failure["warning_hours_before_window_start"],
             "warning_hours_before_failure_label": round((FAILURE_LABEL - pd.Timestamp(first)) / pd.Timedelta(hours=1),
                                                         2) if first is not None else None,
             "highest_score_in_run_up": round(float(scores[run_up].max()), 4),
             # the earliest warning of all: the last detection before the failure window, however long before
             "last_detection_before_window": str(earlier[-1]) if len(earlier) else None,
             "hours_from_last_detection_to_window": round((start - earlier[-1]) / pd.Timedelta(hours=1), 2)
             if len(earlier) else None,
             "detections": [str(stamp) for stamp in hits],
             "windows": [_window_warning(hits, a, b) for a, b in corpus.windows[MACHINE]],
             "note": "NAB's data README names a planned shutdown (first window) and a hard-to-detect anomaly that led "
                     "to a catastrophic failure; the corpus README takes the last window as the failure"}
    if detector == DEFAULT_DETECTOR:
        # the app scores one value at a time: check it gives the same scores as the whole-series function
        online = StreamingDetector()
        streamed = np.array([online.update(value) for value in frame["value"].to_numpy()])
        block["update_max_difference"] = float(np.abs(streamed - stream_scores(frame["value"].to_numpy())).max())
    return block


def run_benchmark(detector: str = DEFAULT_DETECTOR, full_precision: bool = False) -> dict:
    """Score ``detector`` on the NAB corpus under every profile and return the report."""
    detector = ALIASES.get(detector, detector)
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
    official = corpus.official.get(OFFICIAL_NAMES.get(detector, detector), {})
    report = {"detector": detector, "full_precision": full_precision, "files": len(scores),
              "rows": int(sum(len(v) for v in scores.values())), "thresholds": {}, "raw": {}, "official": {},
              "detected_windows": {}, "missed_windows": {}, "false_positives": {}}
    profiles = _profiles(corpus)
    for profile_name, short in NAB_PROFILES.items():
        result = nab_score(scores, windows, profiles[short])
        report[short] = round(result.normalised, 3)
        report["thresholds"][short] = result.threshold
        report["raw"][short] = round(result.raw, 4)
        report["official"][short] = round(official[profile_name], 3) if profile_name in official else None
        report["detected_windows"][short] = result.detected
        report["missed_windows"][short] = result.missed
        report["false_positives"][short] = result.false_positives
    report["split"] = _split_report(scores, windows, profiles)
    report["settings"] = ({"defaults": DETECTOR_DEFAULTS, "tuned_on": "validation half only (see split)"}
                          if detector == DEFAULT_DETECTOR else {"window": 6400, "step": 100})
    report["machine_temperature"] = machine_temperature(corpus, scores[MACHINE], report["thresholds"]["standard"],
                                                        detector)
    report["scoreboard"] = {name: dict(zip(NAB_PROFILES.values(), values)) for name, values in SCOREBOARD.items()}
    report["seconds"] = {"load": round(loaded - start, 3), "detect": round(detected - loaded, 3),
                         "score": round(time.perf_counter() - detected, 3)}
    return report


def _or_dash(value):
    return "-" if value is None else value


def _rows(report: dict) -> list[dict]:
    split = report["split"]
    return [{"profile": short, "score": report[short], "official": _or_dash(report["official"][short]),
             "validation": split["validation"][short], "held out": split["held_out"][short],
             "held out at validation threshold": split["held_out"][f"{short}_at_validation_threshold"],
             "threshold": report["thresholds"][short], "raw": report["raw"][short],
             "windows detected": report["detected_windows"][short], "false positives": report["false_positives"][short]}
            for short in NAB_PROFILES.values()]


def markdown(report: dict) -> str:
    """The report as a Markdown page: the three profiles, the halves, the scoreboard, the machine's warning."""
    rows = _rows(report)
    lines = [f"# NAB v1.1: `{report['detector']}` detector", "",
             f"{report['files']} files, {report['rows']} rows; command `python -m benchmarks.nab`. Settings tuned on "
             f"the validation half only ({report['split']['validation']['files']} files, "
             f"{report['split']['validation']['windows']} windows).", "",
             "| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(str(value) for value in row.values()) + " |" for row in rows]
    lines += ["", "| published detector | standard | low FP | low FN |", "|---|---|---|---|"]
    lines += [f"| {name} | {v['standard']} | {v['reward_low_fp']} | {v['reward_low_fn']} |"
              for name, v in report["scoreboard"].items()]
    machine = report["machine_temperature"]
    lines += ["", f"machine_temperature_system_failure, catastrophic-failure window {machine['failure_window'][0]} .. "
              f"{machine['failure_window'][1]} (label {machine['failure_label']}), standard threshold "
              f"{machine['threshold']}: first detection in the 7-day run-up {machine['first_detection_in_run_up']}, "
              f"**{machine['warning_hours_before_window_start']} h** before the window opens "
              f"({machine['warning_hours_before_failure_label']} h before the labelled failure); the last detection "
              f"before the window, {machine['last_detection_before_window']}, came "
              f"{machine['hours_from_last_detection_to_window']} h before it opens. "
              f"All detections: {', '.join(machine['detections'])}.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detector", default=DEFAULT_DETECTOR, choices=sorted([*DETECTORS, *ALIASES]))
    parser.add_argument("--full-precision", action="store_true",
                        help="score the detector's unrounded scores (default: 12 digits, as NAB's results files)")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--output", type=Path, default=None,
                        help="where to write the full report (default benchmarks/nab.json for the default detector)")
    args = parser.parse_args(argv)
    try:
        report = run_benchmark(args.detector, args.full_precision)
    except DatasetsNotFoundError as error:
        sys.stderr.write(f"benchmarks.nab: {error}\n")
        return 2
    output = args.output or (DEFAULT_OUTPUT if report["detector"] == DEFAULT_DETECTOR else None)
    if output is not None:
        output.write_text(json.dumps(report, indent=2) + "\n")
        output.with_suffix(".md").write_text(markdown(report))
    if args.json:
        keys = ("detector", "standard", "reward_low_fp", "reward_low_fn", "thresholds", "raw", "official", "split",
                "settings", "machine_temperature", "seconds")
        sys.stdout.write(json.dumps({key: report[key] for key in keys}) + "\n")
        return 0
    sys.stdout.write(table(_rows(report)) + "\n")
    sys.stdout.write(f"{report['detector']} on {report['files']} files, {report['rows']} rows; "
                     f"seconds {report['seconds']}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
