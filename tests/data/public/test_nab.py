"""The NAB loader on a tiny corpus laid out like the real one."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from data.public import DatasetsNotFoundError, load_nab

PROFILES = {"standard": {"CostMatrix": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.11, "tnWeight": 1.0}}}


def _write(folder: Path, data: str) -> None:
    nab = folder / "nab"
    for sub in ("data/realTraffic", "labels", "config", "results"):
        (nab / sub).mkdir(parents=True, exist_ok=True)
    (nab / "data/realTraffic/speed.csv").write_text(data)
    windows = {"realTraffic/speed.csv": [["2015-09-08 11:44:00.000000", "2015-09-08 11:49:00.000000"]]}
    (nab / "labels/combined_windows.json").write_text(json.dumps(windows))
    (nab / "config/profiles.json").write_text(json.dumps(PROFILES))
    (nab / "results/final_results.json").write_text(json.dumps({"null": {"standard": 0.0}}))


def test_loader_reads_series_windows_profiles_and_scores(tmp_path):
    _write(tmp_path, "timestamp,value\n2015-09-08 11:39:00,73\n2015-09-08 11:44:00,62\n2015-09-08 11:49:00,64\n")
    corpus = load_nab(tmp_path)
    frame = corpus.series["realTraffic/speed.csv"]
    assert frame["value"].tolist() == [73, 62, 64]
    assert str(frame["timestamp"].dtype).startswith("datetime64")
    start, end = corpus.windows["realTraffic/speed.csv"][0]
    assert (start, end) == (frame["timestamp"][1], frame["timestamp"][2])
    assert corpus.profiles["standard"]["fpWeight"] == 0.11
    assert corpus.official == {"null": {"standard": 0.0}}


def test_loader_names_what_is_missing_or_malformed(tmp_path):
    with pytest.raises(DatasetsNotFoundError, match="not set"):
        load_nab(None)
    with pytest.raises(DatasetsNotFoundError, match="combined_windows.json is missing"):
        load_nab(tmp_path)
    _write(tmp_path, "time,speed\n2015-09-08 11:39:00,73\n")
    with pytest.raises(DatasetsNotFoundError, match="timestamp, value"):
        load_nab(tmp_path)
