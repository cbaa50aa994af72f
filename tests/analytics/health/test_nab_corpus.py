"""The NAB corpus (skipped without ``$FORESIGHT_DATASETS/nab``): windowedGaussian reproduces its published scores."""
from __future__ import annotations

import pytest

PUBLISHED_STANDARD = 39.6  # NAB scoreboard, Windowed Gaussian


@pytest.fixture(scope="module")
def report():
    from benchmarks.nab import run_benchmark
    from data.public import DATASETS_ENV, DatasetsNotFoundError
    try:
        return run_benchmark("windowedGaussian")
    except DatasetsNotFoundError as error:
        pytest.skip(f"NAB needs ${DATASETS_ENV} with nab/: {error}")


@pytest.mark.slow
def test_windowed_gaussian_reproduces_the_published_nab_scores(report):
    assert report["rows"] == 365558 and report["files"] == 58
    assert abs(report["standard"] - PUBLISHED_STANDARD) <= 2.0
    for profile in ("standard", "reward_low_fp", "reward_low_fn"):
        assert report[profile] == pytest.approx(report["official"][profile], abs=0.01)
        assert report["thresholds"][profile] == 1.0
