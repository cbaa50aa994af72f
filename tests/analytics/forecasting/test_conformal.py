"""Conformal calibration: the finite-sample quantile, per-step and event-day multipliers, and the
ensemble's intervals covering close to nominal on series with known Gaussian noise."""
from __future__ import annotations

import numpy as np
import pytest

from analytics.forecasting import EnsembleForecaster, SeasonalNaive
from analytics.forecasting.conformal import MIN_EVENT_SCORES, conformal_quantile, fit_calibration


def _ar_seasonal(n, seed, phi=0.6):
    """50 + a 6-step season + AR(1) noise with unit Gaussian innovations."""
    rng = np.random.default_rng(seed)
    e, x = rng.normal(0, 1, n), np.zeros(n)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return 50 + 3 * np.sin(2 * np.pi * np.arange(n) / 6) + x


def _coverage(h, n_windows, seeds=100, n=120):
    inside = {80: [], 95: []}
    for seed in range(seeds):
        y = _ar_seasonal(n + h, seed)
        ens = EnsembleForecaster([SeasonalNaive(1), SeasonalNaive(6)], season_length=6, h=h,
                                 n_windows=n_windows).fit(y[:n])
        frame = ens.predict(h)
        for lv in inside:
            inside[lv].append((y[n:] >= frame[f"lo-{lv}"]) & (y[n:] <= frame[f"hi-{lv}"]))
    return {lv: float(np.mean(v)) for lv, v in inside.items()}


@pytest.mark.parametrize(("h", "n_windows"), [(6, 3), (12, 4)])
def test_ensemble_intervals_cover_close_to_nominal_out_of_sample(h, n_windows):
    # 100 series x h future points; the standard error of a coverage is about 2 points here
    got = _coverage(h, n_windows)
    assert got[80] == pytest.approx(0.80, abs=0.05)
    assert got[95] == pytest.approx(0.95, abs=0.035)


def test_ensemble_intervals_widen_with_the_horizon_on_a_random_walk():
    y = 50 + np.cumsum(np.random.default_rng(7).normal(0, 1, 200))
    frame = EnsembleForecaster([SeasonalNaive(1)], h=12, n_windows=4).fit(y).predict(12)
    width = (frame["hi-80"] - frame["lo-80"]).to_numpy()
    assert width[-1] > 2 * width[0]
    assert (frame["hi-95"] >= frame["hi-80"]).all() and (frame["lo-95"] <= frame["lo-80"]).all()


@pytest.mark.parametrize(("n", "level", "rank"), [(9, 80, 8), (19, 95, 19), (9, 95, 9), (1, 80, 1), (99, 50, 50)])
def test_conformal_quantile_is_the_finite_sample_rank(n, level, rank):
    scores = np.random.default_rng(n).permutation(np.arange(1.0, n + 1))
    assert conformal_quantile(scores, level) == rank  # ceil((n + 1) L)-th smallest, capped at n


def test_conformal_quantile_without_scores_says_what_is_missing():
    with pytest.raises(ValueError, match="backtest window"):
        conformal_quantile(np.array([]), 80)


def test_early_steps_with_larger_errors_get_wider_multipliers_and_the_rest_keep_the_pooled_one():
    rng = np.random.default_rng(0)
    steps = np.tile(np.arange(1, 49), 3)
    scores = np.abs(rng.normal(0, 1, steps.size)) * np.where(steps <= 8, 3.0, 1.0)  # planted: steps 1-8 three times
    cal = fit_calibration(scores, steps)
    q = cal.multiplier(80, np.arange(1, 49))
    pooled = conformal_quantile(scores, 80)
    assert q[:4].min() > 1.5 * pooled  # the early steps take their own, larger quantile
    assert np.allclose(q[20:], pooled)  # never below the pooled one, equal to it where errors are ordinary
    assert (cal.multiplier(95, np.arange(1, 49)) >= q).all()


def test_steps_beyond_the_backtest_take_the_nearest_steps_quantile():
    steps = np.tile(np.arange(1, 13), 5)
    scores = np.where(steps == 12, 4.0, 1.0)  # pooled, the 80% quantile is 1
    q = fit_calibration(scores, steps, min_step_scores=10).multiplier(80, np.array([1, 12, 30]))
    assert q.tolist() == [1.0, 4.0, 4.0]


def test_event_days_with_larger_errors_get_a_wider_multiplier():
    rng = np.random.default_rng(1)
    steps = np.tile(np.arange(1, 31), 4)
    events = np.zeros(steps.size, dtype=bool)
    events[::6] = True  # 20 event days: enough for their own quantile
    scores = np.abs(rng.normal(0, 1, steps.size)) * np.where(events, 4.0, 1.0)  # planted: 4x errors on events
    cal = fit_calibration(scores, steps, events)
    future_events = np.array([False, True, False, True])
    q = cal.multiplier(80, np.arange(1, 5), future_events)
    assert q[1] == pytest.approx(conformal_quantile(scores[events], 80))
    assert q[1] > 2 * q[0] and q[3] > 2 * q[2]
    assert np.allclose(cal.multiplier(80, np.arange(1, 5)), q[[0, 0, 2, 2]])  # without events: ordinary only


def test_few_event_scores_give_at_least_the_largest_event_error():
    steps = np.tile(np.arange(1, 11), 3)
    events = np.zeros(30, dtype=bool)
    events[[3, 17]] = True
    assert events.sum() < MIN_EVENT_SCORES
    scores = np.where(events, [0.0] * 3 + [9.0] + [0.0] * 13 + [5.0] + [0.0] * 12, 1.0)
    q = fit_calibration(scores, steps, events).multiplier(95, np.array([1, 2]), np.array([False, True]))
    assert q.tolist() == [1.0, 9.0]


def test_event_days_are_never_narrower_than_ordinary_days():
    steps = np.tile(np.arange(1, 11), 3)
    events = np.arange(30) % 2 == 0  # 15 event days with tiny errors
    scores = np.where(events, 0.01, 2.0)
    q = fit_calibration(scores, steps, events).multiplier(80, np.array([1, 2]), np.array([False, True]))
    assert q[1] == q[0] == 2.0


def test_all_zero_scores_have_no_spread_and_zero_multipliers():
    cal = fit_calibration(np.zeros(12), np.tile(np.arange(1, 5), 3))
    assert not cal.any_spread()
    assert cal.multiplier(95, np.arange(1, 5)).tolist() == [0.0] * 4


def test_a_constant_series_keeps_a_nonzero_interval():
    frame = EnsembleForecaster([SeasonalNaive(1)], h=4, n_windows=3).fit(np.full(40, 5.0)).predict(4)
    assert (frame["hi-95"] > frame["lo-95"]).all()


def test_mismatched_inputs_are_refused_with_the_fix():
    with pytest.raises(ValueError, match="one entry per backtest point"):
        fit_calibration(np.ones(5), np.arange(1, 5))
    with pytest.raises(ValueError, match="min_step_scores"):
        fit_calibration(np.ones(4), np.arange(1, 5), min_step_scores=0)
