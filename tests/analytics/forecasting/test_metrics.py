"""M4 accuracy metrics: hand-computed values, the workbook's OWA rounding, and every zero denominator."""
from __future__ import annotations

import math

import numpy as np
import pytest

from analytics.forecasting.metrics import interval_coverage, mase, mase_scale, owa, smape


def test_smape_matches_a_hand_computed_example():
    # 200*10/210 = 9.5238..., 200*20/380 = 10.5263...
    assert smape([100, 200], [110, 180]) == pytest.approx((2000 / 210 + 4000 / 380) / 2)


def test_smape_is_symmetric_and_bounded():
    assert smape([100, 50], [50, 100]) == pytest.approx(smape([50, 100], [100, 50]))
    assert smape([10, 10], [10, 10]) == 0.0
    assert smape([5.0], [-5.0]) == pytest.approx(200.0)


def test_smape_counts_both_zero_as_perfect_and_one_zero_as_worst():
    assert smape([0.0, 0.0], [0.0, 0.0]) == 0.0
    assert smape([0.0, 4.0], [3.0, 4.0]) == pytest.approx(100.0)


def test_mase_divides_forecast_mae_by_the_in_sample_seasonal_naive_mae():
    insample = [1, 2, 3, 4, 5, 6]  # |x_t - x_{t-2}| = 2 everywhere
    assert mase_scale(insample, 2) == 2.0
    assert mase([7, 8], [8, 6], insample, 2) == pytest.approx(0.75)  # MAE 1.5 / 2


def test_mase_with_m1_is_the_naive_scale():
    assert mase_scale([1, 4, 2], 1) == pytest.approx(2.5)
    assert mase([3], [8], [1, 4, 2], 1) == pytest.approx(2.0)


def test_mase_on_a_flat_history_is_zero_when_perfect_and_infinite_otherwise():
    assert mase([5, 5], [5, 5], [5, 5, 5, 5], 1) == 0.0
    assert math.isinf(mase([5, 6], [5, 5], [5, 5, 5, 5], 1))


def test_mase_rejects_a_history_no_longer_than_the_season():
    with pytest.raises(ValueError, match="more than m=24"):
        mase([1.0], [1.0], np.arange(24.0), 24)
    with pytest.raises(ValueError, match="positive integer"):
        mase_scale([1, 2, 3], 0)


def test_owa_is_the_mean_of_the_two_ratios_to_naive2():
    assert owa(10.0, 1.0, 20.0, 2.0) == pytest.approx(0.5)
    assert owa(18.383, 2.395, 18.383, 2.395) == 1.0


def test_owa_with_three_decimals_reproduces_the_workbook():
    # Our unrounded sNaive / Naive2 averages on M4 Hourly; the workbook prints 0.627453623...
    raw = (13.912272896330167, 1.1932102074200355, 18.38287811775006, 2.395040006893022)
    assert owa(*raw, decimals=3) == pytest.approx(0.627453623361059, abs=1e-12)
    assert round(owa(*raw), 3) == 0.628


def test_owa_refuses_a_zero_reference():
    with pytest.raises(ValueError, match="Naive2 scores must be positive"):
        owa(1.0, 1.0, 0.0, 1.0)


def test_interval_coverage_counts_closed_intervals():
    assert interval_coverage([1, 2, 3, 4], [0, 2, 4, 0], [2, 2, 5, 3]) == 0.5


def test_interval_coverage_rejects_swapped_bounds():
    with pytest.raises(ValueError, match="lower > upper"):
        interval_coverage([1, 2], [0, 3], [2, 2])


@pytest.mark.parametrize("metric", [smape, lambda y, f: mase(y, f, [1, 2, 3], 1)])
def test_bad_shapes_nans_and_empty_input_are_refused(metric):
    with pytest.raises(ValueError, match="shape"):
        metric([1, 2], [1])
    with pytest.raises(ValueError, match="NaN"):
        metric([1, np.nan], [1, 2])
    with pytest.raises(ValueError, match="empty"):
        metric([], [])
