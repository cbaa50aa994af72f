"""NAB scoring on hand-made windows: rewards, costs, probation, threshold choice and normalisation."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.health import NAB_COST_PROFILES, CostProfile, nab_score, probation_rows, scaled_sigmoid, window_rows

N = 1000  # probation: the first 150 rows
WINDOW = (400, 499)  # 100 rows
STANDARD = NAB_COST_PROFILES["standard"]
MAX_TP = 2 / (1 + np.exp(-5.0)) - 1


def _raw(detections, windows=(WINDOW,), profile=STANDARD, n=N):
    scores = np.zeros(n)
    scores[list(detections)] = 1.0
    return nab_score({"f.csv": scores}, {"f.csv": list(windows)}, profile, threshold=0.5).raw


def test_scaled_sigmoid_matches_nab():
    assert scaled_sigmoid(0.0) == pytest.approx(0.0)
    assert scaled_sigmoid(-1.0) == pytest.approx(MAX_TP)
    assert scaled_sigmoid(1.0) == pytest.approx(2 / (1 + np.exp(5.0)) - 1)
    assert scaled_sigmoid(3.5) == -1.0


def test_probationary_period_is_15_percent_capped_at_750_rows():
    assert probation_rows(4032) == 604
    assert probation_rows(22695) == 750


def test_detection_at_the_window_start_earns_a_tp():
    assert _raw([400]) == pytest.approx(1.0)
    assert _raw([400], profile=CostProfile(tp=2.0, fp=0.11, fn=1.0)) == pytest.approx(2.0)


def test_a_late_detection_earns_less_and_only_the_first_detection_counts():
    late = _raw([450])
    assert late == pytest.approx((2 / (1 + np.exp(-2.5)) - 1) / MAX_TP)
    assert 0 < _raw([490]) < late < 1.0
    assert _raw([400, 450, 490]) == pytest.approx(1.0)
    assert _raw([450, 490]) == pytest.approx(late)


def test_false_positive_just_after_a_window_costs_less_than_a_far_one():
    near = _raw([400, 500]) - 1.0
    far = _raw([400, 900]) - 1.0
    assert near == pytest.approx(0.11 * scaled_sigmoid(1 / 99))
    assert -0.11 < near < 0
    assert far == pytest.approx(-0.11)
    assert _raw([400, 200]) - 1.0 == pytest.approx(-0.11)  # before any window: the full cost


def test_a_missed_window_costs_a_fn_and_probation_is_not_scored():
    assert _raw([]) == pytest.approx(-1.0)
    assert _raw([], profile=NAB_COST_PROFILES["reward_low_fn"]) == pytest.approx(-2.0)
    assert _raw([100]) == pytest.approx(-1.0)  # row 100 is in the probationary period


def test_normalisation_puts_no_detections_at_0_and_a_perfect_detector_at_100():
    windows = {"a.csv": [WINDOW], "b.csv": [(300, 350), (700, 760)], "c.csv": []}
    null = {name: np.zeros(N) for name in windows}
    perfect = {name: np.zeros(N) for name in windows}
    for name, spans in windows.items():
        perfect[name][[first for first, _ in spans]] = 1.0
    for profile in NAB_COST_PROFILES.values():
        assert nab_score(null, windows, profile).normalised == pytest.approx(0.0)
        result = nab_score(perfect, windows, profile)
        assert result.normalised == pytest.approx(100.0)
        assert (result.null, result.perfect) == (-3 * profile.fn, 3 * profile.tp)
        assert (result.detected, result.missed, result.false_positives) == (3, 0, 0)


def test_the_threshold_is_chosen_over_the_whole_corpus():
    a, b = np.zeros(N), np.zeros(N)
    a[800], a[420] = 0.95, 0.9   # FP scores higher than the detection
    b[600:700] = 0.8             # a burst of FPs below it
    result = nab_score({"a.csv": a, "b.csv": b}, {"a.csv": [WINDOW], "b.csv": []})
    assert result.threshold == 0.9
    assert result.raw == pytest.approx(scaled_sigmoid(-80 / 100) / MAX_TP - 0.11)


@pytest.mark.parametrize("seed", range(5))
def test_the_optimised_threshold_is_the_best_of_all_thresholds(seed):
    rng = np.random.default_rng(seed)
    scores = {f"{i}.csv": np.round(rng.random(N), 2) for i in range(3)}
    windows = {"0.csv": [(300, 340), (600, 640)], "1.csv": [(900, 950)], "2.csv": []}
    for profile in NAB_COST_PROFILES.values():
        best = nab_score(scores, windows, profile)
        every = [nab_score(scores, windows, profile, threshold=t).raw for t in np.unique(np.r_[scores["0.csv"], 2.0])]
        every += [nab_score(scores, windows, profile, threshold=t).raw for t in np.unique(np.r_[scores["1.csv"],
                                                                                             scores["2.csv"]])]
        assert best.raw == pytest.approx(max(every))


def test_window_rows_maps_timestamps_to_inclusive_rows():
    stamps = pd.date_range("2024-01-01", periods=10, freq="5min")
    assert window_rows(stamps, [(stamps[2], stamps[4]), ("2024-01-01 00:31", "2024-01-01 00:45")]) == [(2, 4), (7, 9)]
    with pytest.raises(ValueError, match="holds no row"):
        window_rows(stamps, [("2025-01-01", "2025-01-02")])


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="must be in order"):
        nab_score({"f.csv": np.zeros(N)}, {"f.csv": [(400, 500), (450, 600)]})
    with pytest.raises(ValueError, match="but not both"):
        nab_score({"f.csv": np.zeros(N)}, {"g.csv": []})
    with pytest.raises(ValueError, match="no files"):
        nab_score({}, {})
