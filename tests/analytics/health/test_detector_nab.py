"""The streaming detector on the NAB corpus (skipped without ``$FORESIGHT_DATASETS/nab``): its frozen score."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def report():
    from benchmarks.nab import run_benchmark
    from data.public import DATASETS_ENV, DatasetsNotFoundError
    try:
        return run_benchmark("streaming")
    except DatasetsNotFoundError as error:
        pytest.skip(f"NAB needs ${DATASETS_ENV} with nab/: {error}")


@pytest.mark.slow
def test_streaming_detector_keeps_its_nab_scores(report):
    assert report["standard"] == pytest.approx(61.405, abs=0.01)
    assert report["standard"] >= 60.0
    assert (report["reward_low_fp"], report["reward_low_fn"]) == pytest.approx((57.427, 64.5), abs=0.01)
    split = report["split"]
    assert (split["validation"]["files"], split["held_out"]["files"]) == (30, 28)
    assert (split["validation"]["windows"], split["held_out"]["windows"]) == (56, 60)
    assert split["held_out"]["standard"] == pytest.approx(50.54, abs=0.01)
    assert report["machine_temperature"]["update_max_difference"] < 1e-9
