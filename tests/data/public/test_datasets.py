"""Public-dataset loaders on tiny synthetic files laid out like the M4 folder (no real data needed)."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import datasets_folder
from data.public.datasets import (DATASETS_ENV, DatasetsNotFoundError, datasets_dir, load_m4,
                           load_m4_benchmark_forecasts, load_m4_official_scores)

HOURS = 48


def _wide(path: Path, rows: dict[str, list[float]], width: int) -> None:
    header = ",".join(f'"V{i}"' for i in range(1, width + 2))
    lines = [header] + [",".join([f'"{uid}"'] + [f'"{v:g}"' for v in values] + [""] * (width - len(values)))
                        for uid, values in rows.items()]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def m4_folder(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "m4"
    folder.mkdir()
    _wide(folder / "Hourly-train.csv", {"H1": [1, 2, 3, 4, 5], "H2": [10, 20, 30]}, width=5)
    _wide(folder / "Hourly-test.csv", {"H1": list(range(100, 100 + HOURS)), "H2": [7.0] * HOURS}, width=HOURS)
    steps = ",".join(f"F{i}" for i in range(1, 4))
    (folder / "benchmark_point_forecasts_hourly.csv").write_text(
        f"method,id,{steps}\nNaive2,H1,5.0,5.0,5.0\nsNaive,H1,4.0,5.0,4.0\n")
    (folder / "m4_point_forecast_scores_by_frequency.csv").write_text(
        "Method,sMAPE_Hourly,MASE_Hourly,OWA_Hourly,sMAPE_Weekly\nNaive2,18.383,2.395,1,9.1\n118,9.328,0.893,0.44,7.8\n")
    monkeypatch.setenv(DATASETS_ENV, str(tmp_path))
    return folder


def test_datasets_dir_names_the_variable_when_unset(monkeypatch):
    monkeypatch.delenv(DATASETS_ENV, raising=False)
    with pytest.raises(DatasetsNotFoundError, match=DATASETS_ENV):
        datasets_dir(datasets_folder())


def test_datasets_dir_names_the_variable_when_the_folder_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv(DATASETS_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(DatasetsNotFoundError, match=f"{DATASETS_ENV}=.*nowhere"):
        datasets_dir(datasets_folder())


def test_load_m4_returns_long_frames_with_continuing_positions(m4_folder):
    data = load_m4("Hourly", m4_folder.parent)
    assert (data.horizon, data.seasonality, data.frequency) == (48, 24, "hourly")
    assert list(data.train.columns) == ["unique_id", "ds", "y"]
    h1 = data.train[data.train.unique_id == "H1"]
    assert h1.ds.tolist() == [1, 2, 3, 4, 5] and h1.y.tolist() == [1, 2, 3, 4, 5]
    assert data.train[data.train.unique_id == "H2"].ds.tolist() == [1, 2, 3]  # right padding dropped
    test_h2 = data.test[data.test.unique_id == "H2"]
    assert test_h2.ds.tolist() == list(range(4, 4 + HOURS)) and len(data.test) == 2 * HOURS


def test_load_m4_lists_valid_frequencies(m4_folder):
    with pytest.raises(ValueError, match="valid options: hourly, weekly"):
        load_m4("yearly", m4_folder.parent)


def test_load_m4_names_a_missing_file(m4_folder):
    (m4_folder / "Hourly-test.csv").unlink()
    with pytest.raises(DatasetsNotFoundError, match="Hourly-test.csv is missing"):
        load_m4("hourly", m4_folder.parent)


def test_load_m4_refuses_inner_gaps_and_short_tests(m4_folder):
    (m4_folder / "Hourly-train.csv").write_text('"V1","V2","V3","V4"\n"H1","1","","3"\n"H2","1","2","3"\n')
    with pytest.raises(ValueError, match=r"\['H1'\] have empty cells"):
        load_m4("hourly", m4_folder.parent)
    _wide(m4_folder / "Hourly-train.csv", {"H1": [1, 2], "H2": [1, 2]}, width=2)
    _wide(m4_folder / "Hourly-test.csv", {"H1": [1.0] * HOURS, "H2": [1.0] * 3}, width=HOURS)
    with pytest.raises(ValueError, match=r"\['H2'\] do not have 48 test values"):
        load_m4("hourly", m4_folder.parent)


def test_benchmark_forecasts_and_official_scores(m4_folder):
    bench = load_m4_benchmark_forecasts("hourly", m4_folder.parent)
    assert list(bench.columns) == ["method", "unique_id", "step", "y_hat"]
    assert bench[bench.method == "sNaive"].y_hat.tolist() == [4.0, 5.0, 4.0]
    scores = load_m4_official_scores("hourly", m4_folder.parent)
    assert list(scores.columns) == ["smape", "mase", "owa"]
    assert scores.loc["118", "owa"] == 0.44 and scores.loc["Naive2", "mase"] == 2.395
