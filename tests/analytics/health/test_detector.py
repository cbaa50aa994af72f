"""The streaming detector: known answers on seeded series, past-only scores, update() == stream_scores()."""
from __future__ import annotations

import math

import numpy as np
import pytest

from analytics.health import DETECTOR_DEFAULTS, StreamingDetector, stream_scores

ALARM = DETECTOR_DEFAULTS["alarm"]
SMALL = {"window": 300, "min_history": 50, "likelihood_window": 400, "suppress": 30}


def _seasonal(n: int = 3000, seed: int = 17) -> np.ndarray:
    """A noisy daily cycle at 5-minute steps (288 a day): 50 +- 10, noise sd 2."""
    rng = np.random.default_rng(seed)
    return 50 + 10 * np.sin(2 * np.pi * np.arange(n) / 288) + rng.normal(0, 2, n)


def test_a_noisy_seasonal_stretch_stays_below_the_alarm():
    scores = stream_scores(_seasonal())
    # after the first cycle (while the cycle is new its extremes are beyond everything seen)
    assert scores[400:].max() < ALARM
    assert scores[400:].max() == pytest.approx(0.0793, abs=1e-3)


def test_a_planted_spike_alarms_on_its_own_row():
    values = _seasonal()
    values[2000] += 40
    scores = stream_scores(values)
    assert scores[2000] == 1.0
    assert scores[400:2000].max() < ALARM
    assert (scores[2001:] < ALARM).all()  # one alarm for one event


def test_a_planted_level_shift_alarms_within_a_few_rows():
    values = _seasonal()
    values[2000:] += 15  # within the range seen so far: found by the level-shift statistic, not the range check
    scores = stream_scores(values)
    alarms = np.flatnonzero(scores[400:] >= ALARM) + 400
    assert alarms.min() == 2021
    assert (scores[400:2000] < ALARM).all()


@pytest.mark.parametrize("cut", [1, 60, 700, 1999])
def test_scores_use_only_the_past(cut):
    values = _seasonal(2500)
    changed = values.copy()
    changed[cut:] = np.random.default_rng(3).normal(500, 100, len(values) - cut)
    before, after = stream_scores(values, **SMALL), stream_scores(changed, **SMALL)
    assert np.array_equal(before[:cut], after[:cut])
    assert not np.array_equal(before[cut:], after[cut:])


@pytest.mark.parametrize("params", [{}, SMALL, {**SMALL, "shift_window": 1, "average_window": 1, "suppress": 1}])
def test_update_one_at_a_time_equals_stream_scores(params):
    values = _seasonal(2500)
    values[[300, 1200]] = [np.nan, np.inf]
    values[1500:] += 12
    detector = StreamingDetector(**params)
    streamed = np.array([detector.update(value) for value in values])
    assert np.allclose(streamed, stream_scores(values, **params), rtol=0, atol=1e-12)
    assert detector.n_seen_ == 2498


def test_scores_lie_in_the_unit_interval_and_start_at_zero():
    values = np.r_[np.zeros(500), np.random.default_rng(0).standard_cauchy(2000)]
    scores = stream_scores(values, **SMALL)
    assert scores.min() >= 0.0 and scores.max() <= 1.0
    assert (scores[:SMALL["min_history"]] == 0.0).all()


def test_non_finite_values_score_zero_and_are_skipped():
    values = _seasonal(1500)
    holed = np.insert(values, [100, 700, 700], [np.nan, np.inf, -np.inf])
    scores = stream_scores(holed, **SMALL)
    finite = np.isfinite(holed)
    assert (scores[~finite] == 0.0).all()
    assert np.array_equal(scores[finite], stream_scores(values, **SMALL))
    assert StreamingDetector().update(math.nan) == 0.0


def test_suppression_scales_the_scores_after_an_alarm():
    values = _seasonal(1500)
    values[1000] += 60
    values[1010] += 80  # a second, bigger spike inside the quiet period
    loud = stream_scores(values, **{**SMALL, "suppressed_factor": 1.0})
    quiet = stream_scores(values, **{**SMALL, "suppressed_factor": 0.25})
    assert loud[1000] == quiet[1000] == 1.0
    assert loud[1010] == 1.0 and quiet[1010] == 0.25
    assert np.array_equal(loud[1031:], quiet[1031:])  # suppress=30 rows after the alarm


def test_init_only_stores_hyperparameters():
    detector = StreamingDetector(window=500, alarm=0.7)
    assert detector.get_params() == {**DETECTOR_DEFAULTS, "window": 500, "alarm": 0.7}
    assert not [name for name in vars(detector) if name.endswith("_")]


@pytest.mark.parametrize(("params", "message"), [
    ({"window": 0}, r"window=0 must be an integer >= 1 \(default 4000\)"),
    ({"suppress": 2.5}, r"suppress=2.5 must be an integer >= 1"),
    ({"shift_window": True}, r"shift_window=True must be an integer >= 1"),
    ({"z_cap": 0.0}, r"z_cap=0.0 must be a finite number > 0"),
    ({"likelihood_std_floor": math.inf}, r"likelihood_std_floor=inf must be a finite number > 0"),
    ({"alarm": 1.5}, r"alarm=1.5 must be a number in \[0, 1\]"),
    ({"spread_floor": -0.1}, r"spread_floor=-0.1 must be a number in \[0, 1\]"),
    ({"min_history": 200, "window": 100}, r"min_history=200 must not exceed window=100"),
    ({"windows": 10}, r"unknown detector parameter\(s\) \['windows'\]; valid options: window, shift_window"),
])
def test_bad_hyperparameters_are_named(params, message):
    with pytest.raises(ValueError, match=message):
        stream_scores(np.ones(10), **params)
    if "windows" not in params:
        with pytest.raises(ValueError, match=message):
            StreamingDetector(**params).update(1.0)


def test_bad_shapes_and_timestamps_are_refused():
    with pytest.raises(ValueError, match=r"values must be one series \(1-d\), got shape \(2, 3\)"):
        stream_scores(np.ones((2, 3)))
    with pytest.raises(ValueError, match="timestamps has 2 entries for 3 values"):
        stream_scores(np.ones(3), timestamps=[1, 2])
    detector = StreamingDetector()
    detector.update(1.0, timestamp=10)
    with pytest.raises(ValueError, match="timestamp 5 is before the previous one 10; feed values in time order"):
        detector.update(1.0, timestamp=5)
    assert detector.last_timestamp_ == 10
