"""Loader for the Numenta Anomaly Benchmark (NAB v1.1) kept in ``$FORESIGHT_DATASETS/nab``.

Each of the 58 files is a frame ``timestamp, value``; its labelled anomaly windows are pairs of timestamps
(``labels/combined_windows.json``), the cost profiles come from ``config/profiles.json`` and the official
normalised scores from ``results/final_results.json``. Nothing is read at import time.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from data.public.datasets import DatasetsNotFoundError, dataset_file

__all__ = ["NAB_PROFILES", "NabCorpus", "load_nab"]

TIMESTAMP, VALUE = "timestamp", "value"
# profile name in config/profiles.json -> the short name the benchmark reports
NAB_PROFILES = {"standard": "standard", "reward_low_FP_rate": "reward_low_fp", "reward_low_FN_rate": "reward_low_fn"}


@dataclass(frozen=True)
class NabCorpus:
    """The NAB corpus: series per ``<category>/<file>.csv``, their windows, the cost profiles, official scores."""

    series: dict[str, pd.DataFrame]
    windows: dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]]
    profiles: dict[str, dict[str, float]]
    official: dict[str, dict[str, float]]


def _read_json(name: str, folder: str | Path | None) -> dict:
    return json.loads(dataset_file("nab", name, folder).read_text())


def load_nab(folder: str | Path | None = None) -> NabCorpus:
    """The whole NAB corpus from ``<folder>/nab``.

    Parameters
    ----------
    folder : path
        The datasets folder (``core.settings.datasets_folder()``); None raises DatasetsNotFoundError.

    Returns
    -------
    NabCorpus
        ``series`` maps each labelled file to a frame ``timestamp, value``; ``windows`` maps it to its
        ``(start, end)`` timestamps; ``profiles`` maps each profile to its cost matrix (``tpWeight``,
        ``fpWeight``, ``fnWeight``); ``official`` maps each detector to its published normalised scores.
    """
    labels = _read_json("labels/combined_windows.json", folder)
    profiles = {name: spec["CostMatrix"] for name, spec in _read_json("config/profiles.json", folder).items()}
    official = _read_json("results/final_results.json", folder)
    series, windows = {}, {}
    for name in sorted(labels):
        path = dataset_file("nab", f"data/{name}", folder)
        frame = pd.read_csv(path)
        if list(frame.columns) != [TIMESTAMP, VALUE]:
            raise DatasetsNotFoundError(f"{path} has columns {list(frame.columns)}; NAB files hold "
                                        f"`{TIMESTAMP}, {VALUE}` (see nab/README.md)")
        frame[TIMESTAMP] = pd.to_datetime(frame[TIMESTAMP], format="%Y-%m-%d %H:%M:%S")
        series[name] = frame
        windows[name] = [(pd.Timestamp(start), pd.Timestamp(end)) for start, end in labels[name]]
    return NabCorpus(series=series, windows=windows, profiles=profiles, official=official)
