"""EnsembleForecaster: backtest weights, the 2% guarantee and calibrated conformal intervals."""
from __future__ import annotations

import numpy as np
import pytest

from analytics.forecasting import EnsembleForecaster, SeasonalNaive, Theta
from analytics.forecasting.ensemble import TOLERANCE
from analytics.forecasting.members import PrecomputedForecaster, global_members
from analytics.forecasting.models import MSTLForecaster


def _seasonal(n, seed, m=12, noise=1.0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 20 + 0.05 * t + 5 * np.sin(2 * np.pi * t / m) + rng.normal(0, noise, n)


MEMBERS = [SeasonalNaive(12), Theta(12), MSTLForecaster(12), SeasonalNaive(1)]


@pytest.mark.parametrize("method", ["inverse_mase", "stacking"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weights_sum_to_one_and_backtest_mase_within_two_percent_of_best(method, seed):
    ens = EnsembleForecaster(MEMBERS, season_length=12, h=12, n_windows=3, method=method).fit(_seasonal(120, seed))
    assert set(ens.weights_) == {"SeasonalNaive", "Theta", "MSTLForecaster", "SeasonalNaive_2"}
    assert sum(ens.weights_.values()) == pytest.approx(1.0)
    assert min(ens.weights_.values()) >= 0
    best = min(v for k, v in ens.mase_.items() if k != "ensemble")
    assert ens.mase_["ensemble"] <= TOLERANCE * best
    assert list(ens.backtest_.columns[:4]) == ["window", "cutoff", "step", "y"]
    assert len(ens.backtest_) == 3 * 12


def test_falls_back_to_best_member_when_the_combination_is_worse():
    y = 10 + 5 * np.sin(2 * np.pi * np.arange(96) / 12)  # seasonal naive is exact here
    ens = EnsembleForecaster([SeasonalNaive(12), SeasonalNaive(1)], season_length=12, h=12).fit(y)
    assert ens.weights_ == {"SeasonalNaive": 1.0, "SeasonalNaive_2": 0.0}
    assert "best member only" in ens.fallback_
    np.testing.assert_allclose(ens.predict(12)["mean"], y[-12:])


def test_too_short_for_a_backtest_window_uses_the_first_member():
    ens = EnsembleForecaster([SeasonalNaive(1), Theta(1)], h=6).fit(np.arange(8.0))
    assert ens.weights_ == {"SeasonalNaive": 1.0, "Theta": 0.0}
    assert "too short" in ens.fallback_
    assert len(ens.predict(3)) == 3


def test_unknown_method_lists_the_options():
    with pytest.raises(ValueError, match="inverse_mase"):
        EnsembleForecaster(MEMBERS, method="median").fit(_seasonal(60, 0))


def test_conformal_intervals_cover_about_the_nominal_rate_out_of_sample():
    h, hits80, hits95 = 12, [], []
    for seed in range(30):
        y = _seasonal(108 + h, seed)
        ens = EnsembleForecaster(MEMBERS[:2], season_length=12, h=h, n_windows=3).fit(y[:-h])
        out, actual = ens.predict(h), y[-h:]
        hits80.append((actual >= out["lo-80"]) & (actual <= out["hi-80"]))
        hits95.append((actual >= out["lo-95"]) & (actual <= out["hi-95"]))
    assert 0.70 <= np.mean(hits80) <= 0.90
    assert 0.88 <= np.mean(hits95) <= 0.99


def test_without_conformal_the_intervals_are_the_weighted_member_intervals():
    y = _seasonal(96, 3)
    ens = EnsembleForecaster([SeasonalNaive(12)], season_length=12, h=12, conformal=False).fit(y)
    np.testing.assert_allclose(ens.predict(5).to_numpy(), SeasonalNaive(12).fit(y).predict(5).to_numpy())


def test_precomputed_member_is_looked_up_by_training_length_and_weighed_like_any_member():
    y = _seasonal(96, 4)
    exact = {n: (y[n:n + 12] if n < 96 else np.full(12, y[-1]), np.ones(12)) for n in (72, 84, 96)}
    ens = EnsembleForecaster([SeasonalNaive(12), PrecomputedForecaster(exact, name="oracle (global)")],
                             season_length=12, h=12, n_windows=2).fit(y)
    assert ens.weights_ == {"SeasonalNaive": 0.0, "oracle (global)": 1.0}  # perfect on both backtest windows
    np.testing.assert_allclose(ens.predict(12)["mean"], y[-1])
    with pytest.raises(ValueError, match="no forecast was made from 50 points"):
        PrecomputedForecaster(exact, name="oracle").fit(y[:50])
    with pytest.raises(ValueError, match="12 steps were precomputed but h=13"):
        PrecomputedForecaster(exact).fit(y).predict(13)


def test_global_members_lags_cover_the_first_season_and_its_multiples():
    (gbm,) = global_members([24, 168])
    assert gbm.lags == [*range(1, 25), 48, 72, 96, 120, 144, 168, 336]
    assert gbm.scaling == "last_season" and gbm.seasonal_difference
    assert global_members(1)[0].lags == [1, 2, 3]


def test_mase_smape_criterion_prefers_small_relative_errors():
    y = np.where(np.arange(96) % 2 == 0, 100.0, 2.0)
    high = (np.arange(12) % 2 == 0).astype(float)  # the steps where y is 100

    def member(name, error):
        return PrecomputedForecaster({n: (y[n % 84:n % 84 + 12] + error, np.ones(12)) for n in (72, 84, 96)}, name)

    members = [member("high-level errors", 5 * high), member("low-level errors", 3 * (1 - high))]
    by_mase = EnsembleForecaster(members, h=12, n_windows=2).fit(y)
    by_both = EnsembleForecaster(members, h=12, n_windows=2, criterion="mase_smape").fit(y)
    assert by_mase.weights_ == {"high-level errors": 0.0, "low-level errors": 1.0}  # MAE 1.5 < 2.5
    assert by_both.weights_ == {"high-level errors": 1.0, "low-level errors": 0.0}  # sMAPE 2.4 << 43
    assert by_both.mase_["ensemble"] == pytest.approx(by_both.mase_["high-level errors"])
    with pytest.raises(ValueError, match="'mase', 'mase_smape'"):
        EnsembleForecaster(members, h=12, criterion="owa").fit(y)


def test_global_lags_may_reach_three_quarters_of_the_shortest_series():
    from analytics.forecasting.gbm import global_max_lag
    assert global_max_lag(556) == 417  # M4 Hourly's shortest backtest part keeps the two-week lag 336
    assert global_max_lag(1) == 1


def test_older_calibration_windows_add_scores_without_changing_the_weights():
    rng = np.random.default_rng(11)
    y = 50 + np.cumsum(rng.normal(0, 1, 300)) + 5 * np.sin(np.arange(300) * 2 * np.pi / 12)
    base = EnsembleForecaster(season_length=12, h=12, n_windows=3).fit(y)
    more = EnsembleForecaster(season_length=12, h=12, n_windows=3, n_calibration_windows=6).fit(y)
    assert more.weights_ == pytest.approx(base.weights_)
    assert sorted(base.backtest_["cutoff"].unique()) == sorted(more.backtest_["cutoff"].unique())
    assert more.calibration_.scores.size == 2 * base.calibration_.scores.size
    np.testing.assert_allclose(more.predict(12)["mean"], base.predict(12)["mean"])
