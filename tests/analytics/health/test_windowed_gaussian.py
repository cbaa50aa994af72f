"""The streaming Windowed Gaussian detector: past-only scores, NAB's window updates, tail probabilities."""
from __future__ import annotations

import math

import numpy as np
import pytest

from analytics.health import WindowedGaussian, windowed_gaussian_scores


def _streaming_reference(values, window, step):
    """NAB's detector as described, one value at a time."""
    data, buffer, mean, std, scores = [], [], 0.0, 1.0, []
    for x in values:
        z = abs(x - mean) / std
        scores.append(1 - 0.5 * math.erfc(z / math.sqrt(2)) if data else 0.0)
        if len(data) < window:
            data.append(x)
        else:
            buffer.append(x)
            if len(buffer) < step:
                continue
            data, buffer = data[step:] + buffer, []
        mean, std = float(np.mean(data)), float(np.std(data)) or 1e-6
    return np.array(scores)


@pytest.mark.parametrize(("window", "step"), [(50, 10), (6400, 100), (7, 1)])
def test_matches_a_value_by_value_implementation(window, step):
    values = np.random.default_rng(0).normal(100, 5, 400).cumsum() / 50
    expected = _streaming_reference(values, window, step)
    assert np.allclose(windowed_gaussian_scores(values, window, step), expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("cut", [1, 60, 123, 299])
def test_scores_use_only_the_past(cut):
    rng = np.random.default_rng(1)
    values = rng.normal(0, 1, 300)
    changed = values.copy()
    changed[cut:] = rng.normal(50, 20, 300 - cut)
    before = windowed_gaussian_scores(values, window=50, step=10)
    after = windowed_gaussian_scores(changed, window=50, step=10)
    assert np.array_equal(before[:cut], after[:cut])
    assert not np.array_equal(before[cut:], after[cut:])


def test_scores_are_tail_probabilities():
    values = np.r_[np.tile([-1.0, 1.0], 50), 0.0, 3.0, 20.0]
    scores = windowed_gaussian_scores(values)
    assert scores[0] == 0.0
    assert scores[100] == pytest.approx(0.5)  # at the window's mean
    assert scores[101] == pytest.approx(1 - 0.5 * math.erfc(3 / math.sqrt(2)), rel=1e-2)
    assert 1 - scores[102] < 1e-12


def test_a_flat_window_uses_a_tiny_spread():
    scores = windowed_gaussian_scores(np.r_[np.ones(20), 1.001])
    assert scores[1:20].tolist() == [0.5] * 19
    assert scores[20] == 1.0


def test_nans_are_refused():
    with pytest.raises(ValueError, match="NaN"):
        windowed_gaussian_scores(np.array([1.0, np.nan]))


@pytest.mark.parametrize(("history", "window", "step"), [(0, 50, 10), (30, 50, 10), (50, 50, 10), (187, 50, 10),
                                                         (300, 6400, 100)])
def test_the_stream_goes_on_where_the_history_ends(history, window, step):
    values = np.random.default_rng(2).gamma(2.0, 3.0, 400)
    detector = WindowedGaussian(window=window, step=step).fit(values[:history])
    streamed = [detector.update(v) for v in values[history:]]
    whole = windowed_gaussian_scores(values, window, step)
    assert np.array_equal(detector.scores_, whole[:history])
    assert np.allclose(streamed, whole[history:], rtol=0, atol=1e-9)


def test_the_stream_must_be_fitted_first():
    with pytest.raises(RuntimeError, match="fit"):
        WindowedGaussian().update(1.0)
