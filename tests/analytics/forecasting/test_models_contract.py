"""One contract, every forecaster: the shape statsforecast and scikit-learn users expect.

scikit-learn's rules: ``__init__`` only stores keyword hyperparameters; ``get_params``/``set_params``/``clone``
work; ``fit`` returns ``self`` and learns attributes ending in ``_``; every other public method raises
scikit-learn's own ``NotFittedError`` before ``fit``. statsforecast's: ``predict`` returns ``mean`` and
``lo-L``/``hi-L`` columns, with clear errors for bad input.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sklearn.exceptions
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from analytics.forecasting import (
    ETS,
    EnsembleForecaster,
    GBMForecaster,
    MSTLForecaster,
    Naive2,
    NotFittedError,
    PrecomputedForecaster,
    SeasonalNaive,
    Theta,
)
from analytics.forecasting.models import m4_seasonality_test

MODELS = [
    SeasonalNaive(season_length=12),
    Naive2(season_length=12),
    ETS(season_length=12, seasonal=None),
    Theta(season_length=12),
    MSTLForecaster(season_length=[12, 24]),
    GBMForecaster(season_length=12, max_iter=30, random_state=0),
    GBMForecaster(season_length=12, max_iter=30, random_state=0, scaling="last_season", seasonal_difference=True,
                  loss="absolute_error", holdout=0.0),
    EnsembleForecaster([SeasonalNaive(12), Theta(12)], season_length=12, h=6, n_windows=2),
]
IDS = [type(m).__name__ for m in MODELS]
IDS[IDS.index("GBMForecaster", IDS.index("GBMForecaster") + 1)] = "GBMForecaster-last-season"
# Forecasts made elsewhere only fit series of the lengths they were made from, so this one joins the
# contract checks that need no particular series (parameters, clone, not-fitted errors), on 96 points.
PRECOMPUTED = PrecomputedForecaster({96: (np.arange(8.0), np.ones(8))}, name="global GBM")
ESTIMATORS = [*MODELS, PRECOMPUTED]
ESTIMATOR_IDS = [*IDS, "PrecomputedForecaster"]
# Every public method but the fits, asked of an estimator (a new public method must be added here).
QUESTIONS = {
    "predict": lambda est: est.predict(3),
    "predict_global": lambda est: est.predict_global(3),
    "regressor_effects": lambda est: est.regressor_effects(),
    "tree_inputs": lambda est: est.tree_inputs(3),
}
FITS = {"fit", "fit_global"}


def _series(n=96, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 50 + 0.1 * t + 8 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, n)


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_fit_returns_self_and_predict_has_the_contract_shape(model):
    est = clone(model)
    assert est.fit(_series()) is est
    out = est.predict(7, level=(80, 95))
    assert list(out.columns) == ["mean", "lo-80", "hi-80", "lo-95", "hi-95"]
    assert len(out) == 7 and np.isfinite(out.to_numpy()).all()
    assert (out["lo-95"] <= out["lo-80"]).all() and (out["lo-80"] <= out["mean"]).all()
    assert (out["mean"] <= out["hi-80"]).all() and (out["hi-80"] <= out["hi-95"]).all()
    assert list(est.predict(3, level=[90]).columns) == ["mean", "lo-90", "hi-90"]
    np.testing.assert_allclose(est.predict(3, level=())["mean"], out["mean"].iloc[:3])


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_predict_before_fit_raises_not_fitted(model):
    with pytest.raises(NotFittedError, match="fit"):
        clone(model).predict(3)


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_same_random_state_gives_identical_forecasts(model):
    a = clone(model).fit(_series()).predict(5)
    b = clone(model).fit(_series()).predict(5)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_bad_input_gives_clear_errors(model):
    y = _series()
    y[10] = np.nan
    with pytest.raises(ValueError, match="NaN.*positions 10"):
        clone(model).fit(y)
    fitted = clone(model).fit(_series())
    for h in (0, -3, 2.5):
        with pytest.raises(ValueError, match="positive integer"):
            fitted.predict(h)
    with pytest.raises(ValueError, match="between 0 and 100"):
        fitted.predict(3, level=(80, 120))


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_constant_and_short_series_still_forecast_with_a_nonzero_interval(model):
    for y in (np.full(40, 5.0), np.array([3.0, 4.0, 5.0, 4.0, 6.0])):
        out = clone(model).fit(y).predict(4)
        assert np.isfinite(out.to_numpy()).all()
        assert (out["hi-95"] > out["lo-95"]).all()


def test_constructor_only_stores_hyperparameters():
    est = GBMForecaster(season_length=[12, 24], random_state=3)
    assert est.get_params()["season_length"] == [12, 24]
    assert not [k for k in vars(est) if k.endswith("_")]


def test_naive2_applies_m4_seasonality_test():
    seasonal = _series(120)
    noise = np.random.default_rng(1).normal(100, 1, 120)
    assert m4_seasonality_test(seasonal, 12) and not m4_seasonality_test(noise, 12)
    assert Naive2(season_length=12).fit(seasonal).season_length_ == 12
    flat = Naive2(season_length=12).fit(noise).predict(4)
    assert np.allclose(flat["mean"], noise[-1])


def test_seasonal_naive_repeats_last_season():
    y = np.arange(24, dtype=float)
    assert np.array_equal(SeasonalNaive(12).fit(y).predict(14)["mean"], np.r_[y[12:], y[12:14]])


def test_gbm_global_training_forecasts_every_series():
    ds = pd.date_range("2024-01-01", periods=96, freq="h")
    df = pd.concat([pd.DataFrame({"unique_id": u, "ds": ds, "y": k * _series(seed=k)}) for k, u in [(1, "a"), (3, "b")]])
    out = GBMForecaster(season_length=12, max_iter=30, random_state=0).fit_global(df).predict_global(6)
    assert out.groupby("unique_id").size().to_dict() == {"a": 6, "b": 6}
    assert out.loc[out.unique_id == "b", "mean"].mean() > 2 * out.loc[out.unique_id == "a", "mean"].mean()


def test_seasonal_naive_intervals_cover_gaussian_noise_at_the_nominal_rate():
    hits80, hits95 = [], []
    for seed in range(60):
        y = _series(84, seed=seed)
        out = SeasonalNaive(12).fit(y[:-12]).predict(12)
        actual = y[-12:]
        hits80.append((actual >= out["lo-80"]) & (actual <= out["hi-80"]))
        hits95.append((actual >= out["lo-95"]) & (actual <= out["hi-95"]))
    assert 0.70 <= np.mean(hits80) <= 0.90
    assert 0.88 <= np.mean(hits95) <= 0.99


def test_gbm_global_training_handles_calendar_steps_and_staggered_starts():
    a = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2020-01-31", periods=36, freq="ME"), "y": _series(36)})
    b = pd.DataFrame({"unique_id": "b", "ds": pd.date_range("2021-01-31", periods=24, freq="ME"), "y": _series(24, 1)})
    gbm = GBMForecaster(season_length=12, max_iter=20, random_state=0).fit_global(pd.concat([a, b]))
    assert gbm.series_["b"].start == 12
    assert len(gbm.predict_global(3)) == 6


def test_m4_seasonality_test_matches_the_r_reference_formula():
    y = _series(120, seed=5)
    dev = y - y.mean()
    acf = np.array([np.sum(dev[k:] * dev[: y.size - k]) / np.sum(dev**2) for k in range(13)])
    limit = 1.645 / np.sqrt(y.size) * np.sqrt(1 + 2 * np.sum(acf[1:12] ** 2))
    assert m4_seasonality_test(y, 12) == (abs(acf[12]) > limit)
    assert not m4_seasonality_test(_series(30), 12)  # fewer than three seasons
    assert not m4_seasonality_test(_series(200), 24)  # R's acf stops at lag 23 for n = 200


def test_gbm_reports_the_measured_effect_of_a_regressor():
    rng = np.random.default_rng(7)
    promo = (np.arange(150) % 5 == 0).astype(float)
    y = _series(150) + 6 * promo
    X = pd.DataFrame({"promo": promo, "noise": rng.normal(size=150)})
    effects = GBMForecaster(season_length=12, max_iter=80, random_state=0).fit(y, X).regressor_effects()
    effect = effects.set_index("regressor")["effect"]
    assert 4.5 < effect["promo"] < 7.5  # true lift 6
    assert abs(effect["noise"]) < 1.5
    with pytest.raises(NotFittedError):
        GBMForecaster().regressor_effects()


def test_gbm_last_season_scaling_learns_the_seasonal_change_on_the_log_scale():
    t = np.arange(240)
    y = 100 * np.exp(0.002 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 24))  # positive, multiplicative season
    gbm = GBMForecaster(24, max_iter=60, random_state=0, scaling="last_season", seasonal_difference=True).fit(y)
    st = gbm.series_[None]
    assert st.log and st.mu == pytest.approx(np.log(np.mean(y[-24:])))
    out = gbm.predict(24)
    np.testing.assert_allclose(out["mean"], y[-24:], rtol=0.06)  # close to the last season, not the mean level
    assert (out["hi-95"] > out["lo-95"]).all()
    negative = GBMForecaster(24, max_iter=20, random_state=0, scaling="last_season").fit(y - 150)
    assert not negative.series_[None].log  # log needs a positive series: deviations from the level instead
    with pytest.raises(ValueError, match="'series', 'last_season'"):
        GBMForecaster(12, scaling="mean").fit(_series())


@pytest.mark.parametrize("n", [729, 730, 731])
def test_mstl_at_exactly_two_cycles_of_its_longest_season(n):
    """Two years of daily history (n == 2 × 365) once crashed: statsmodels drops that period silently."""
    days = np.arange(n)
    y = 100 + 10 * np.sin(2 * np.pi * days / 7) + 5 * np.sin(2 * np.pi * days / 365)
    model = MSTLForecaster(season_length=[7, 365]).fit(y)
    forecast = model.predict(14)
    weekly = 100 + 10 * np.sin(2 * np.pi * np.arange(n, n + 14) / 7)
    assert np.abs(np.asarray(forecast["mean"]) - weekly).max() < 6  # the weekly cycle is carried on


def _public_api(cls: type) -> set[str]:
    """The public methods the project's own classes in ``cls``'s MRO define, the fits aside."""
    names = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("analytics."):
            names |= {name for name, value in vars(klass).items() if not name.startswith("_") and callable(value)}
    return names - FITS


def _comparable(value):
    """Hyperparameter values made comparable with ``==``: estimators by class and parameters, arrays as tuples."""
    if hasattr(value, "get_params"):
        return type(value).__name__, _comparable(value.get_params(deep=False))
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_comparable(item) for item in value]
    if isinstance(value, np.ndarray):
        return tuple(value.tolist())
    return value


def test_the_not_fitted_error_is_scikit_learns():
    assert NotFittedError is sklearn.exceptions.NotFittedError


@pytest.mark.parametrize("model", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_init_only_stores_keyword_hyperparameters(model):
    est = clone(model)
    assert set(vars(est)) == set(est.get_params(deep=False))
    assert type(est)().get_params().keys() == est.get_params().keys()  # every one has a default


@pytest.mark.parametrize("model", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_get_params_and_set_params_round_trip(model):
    params = model.get_params(deep=False)
    fresh = type(model)()
    assert fresh.get_params(deep=False) != params, "the case should set a non-default hyperparameter"
    assert fresh.set_params(**params) is fresh
    assert fresh.get_params(deep=False) == params
    with pytest.raises(ValueError, match="Invalid parameter"):
        fresh.set_params(no_such_parameter=1)


@pytest.mark.parametrize("model", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_every_public_method_before_fit_raises_scikit_learns_not_fitted_error(model):
    name = type(model).__name__
    asked = _public_api(type(model))
    assert asked <= set(QUESTIONS), f"add {sorted(asked - set(QUESTIONS))} to QUESTIONS"
    for question in asked:
        with pytest.raises(sklearn.exceptions.NotFittedError, match=rf"This {name} is not fitted yet; call fit"):
            QUESTIONS[question](clone(model))
    with pytest.raises(sklearn.exceptions.NotFittedError):
        check_is_fitted(clone(model))


@pytest.mark.parametrize("model", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_fit_learns_only_attributes_ending_in_an_underscore_and_clone_is_an_unfitted_copy(model):
    est = clone(model).fit(_series())
    check_is_fitted(est)
    learned = {name for name in set(vars(est)) - set(est.get_params(deep=False)) if not name.startswith("_")}
    assert learned and all(name.endswith("_") for name in learned), sorted(learned)
    copy = clone(est)
    assert copy is not est and _comparable(copy.get_params(deep=False)) == _comparable(est.get_params(deep=False))
    assert set(vars(copy)) == set(copy.get_params(deep=False))
    with pytest.raises(NotFittedError):
        copy.predict(3)
