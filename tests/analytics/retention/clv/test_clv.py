"""CLV models: parameters recovered from simulated BG/NBD and Gamma-Gamma customers, the optimum, published
CDNOW figures (skipped without datasets), hand-computed RFM summaries, edge cases and error messages."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from sklearn.exceptions import NotFittedError

from analytics.retention.clv import formulas as _clv_math
from analytics.retention.clv import (BetaGeoModel, CLVResult, GammaGammaModel, customer_lifetime_value, fit_clv,
                                     rfm_summary)

BG_TRUTH = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
GG_TRUTH = {"p": 6.0, "q": 4.0, "gamma": 15.0}
HARDIE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
HOLDOUT = 39.0


def simulate_bg(n: int, params: dict, rng: np.random.Generator, holdout: float = 0.0):
    """BG/NBD customers: (x, t_x, T) in calibration and the repeat purchases in the next ``holdout`` periods."""
    T = rng.uniform(30, 52, n)
    lam, p = rng.gamma(params["r"], 1 / params["alpha"], n), rng.beta(params["a"], params["b"], n)
    x, t_x, later, now = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    active = np.ones(n, bool)
    while active.any():
        idx = np.flatnonzero(active)
        now[idx] += rng.exponential(1 / lam[idx])
        in_window = now[idx] <= T[idx] + holdout
        active[idx[~in_window]] = False
        idx = idx[in_window]
        calibration = now[idx] <= T[idx]
        x[idx[calibration]] += 1
        t_x[idx[calibration]] = now[idx[calibration]]
        later[idx[~calibration]] += 1
        active[idx[rng.random(len(idx)) < p[idx]]] = False
    return x, t_x, T, later


def simulate_gg(n: int, params: dict, rng: np.random.Generator):
    x = 1 + rng.poisson(2.0, n)
    nu = rng.gamma(params["q"], 1 / params["gamma"], n)
    zbar = np.array([rng.gamma(params["p"], 1 / v, k).mean() for v, k in zip(nu, x)])
    return x, zbar


@pytest.fixture(scope="module")
def bg_data():
    return simulate_bg(5000, BG_TRUTH, np.random.default_rng(0), holdout=HOLDOUT)


@pytest.fixture(scope="module")
def bg_fit(bg_data):
    x, t_x, T, _ = bg_data
    return BetaGeoModel().fit(x, t_x, T)


@pytest.fixture(scope="module")
def gg_data():
    return simulate_gg(5000, GG_TRUTH, np.random.default_rng(1))


@pytest.fixture(scope="module")
def gg_fit(gg_data):
    return GammaGammaModel().fit(*gg_data)


def with_params(model, params: dict):
    model.params_, model.converged_ = dict(params), True
    return model


# --- BG/NBD ---

def test_bg_recovers_simulated_parameters(bg_fit):
    # tolerances from the spread over 10 seeds of 5,000 customers: r and alpha are sharp, a and b less so
    fitted = bg_fit.params_
    assert fitted["r"] == pytest.approx(BG_TRUTH["r"], rel=0.1)
    assert fitted["alpha"] == pytest.approx(BG_TRUTH["alpha"], rel=0.15)
    assert fitted["a"] == pytest.approx(BG_TRUTH["a"], rel=0.4)
    assert fitted["b"] == pytest.approx(BG_TRUTH["b"], rel=0.4)
    mean_dropout = fitted["a"] / (fitted["a"] + fitted["b"])
    assert mean_dropout == pytest.approx(0.8 / 3.3, rel=0.1)
    assert bg_fit.n_customers_ == 5000 and bg_fit.converged_


def test_bg_log_likelihood_at_the_optimum_beats_nearby_points(bg_data, bg_fit):
    x, t_x, T, _ = bg_data
    best = np.array(list(bg_fit.params_.values()))
    assert bg_fit.log_likelihood_ == pytest.approx(_clv_math.bg_log_likelihood(best, x, t_x, T).sum())
    for i in range(4):
        for step in (0.98, 1.02):
            nearby = best.copy()
            nearby[i] *= step
            assert _clv_math.bg_log_likelihood(nearby, x, t_x, T).sum() < bg_fit.log_likelihood_


def test_bg_likelihood_equals_the_integral_over_lambda_and_p():
    r, alpha, a, b = params = np.array([0.7, 3.0, 1.2, 2.5])
    x, t_x, T = 3, 8.0, 12.0

    def joint(p, lam):  # FHL 2005 eq. 3 times the gamma and beta densities
        given = (1 - p) ** x * lam ** x * np.exp(-lam * T) + p * (1 - p) ** (x - 1) * lam ** x * np.exp(-lam * t_x)
        return given * stats.gamma.pdf(lam, r, scale=1 / alpha) * stats.beta.pdf(p, a, b)

    expected, _ = integrate.dblquad(joint, 0, np.inf, 0, 1)
    got = _clv_math.bg_log_likelihood(params, np.array([x]), np.array([t_x]), np.array([T]))
    assert np.exp(got[0]) == pytest.approx(expected, rel=1e-6)


def test_bg_conditional_expectation_matches_hardies_spreadsheet():
    model = with_params(BetaGeoModel(), HARDIE)
    assert model.expected_purchases(39, 2, 30.43, 38.86)[0] == pytest.approx(1.226, abs=0.001)


def test_bg_predicts_the_simulated_holdout(bg_data, bg_fit):
    x, t_x, T, later = bg_data
    predicted = bg_fit.expected_purchases(HOLDOUT, x, t_x, T)
    assert predicted.sum() == pytest.approx(later.sum(), rel=0.05)
    for lo, hi in ((0, 0), (1, 2), (3, 100)):
        rows = (x >= lo) & (x <= hi)
        assert predicted[rows].mean() == pytest.approx(later[rows].mean(), rel=0.15)


def test_bg_population_expectation_matches_simulation():
    model = with_params(BetaGeoModel(), BG_TRUTH)
    rng = np.random.default_rng(3)
    lam, p = rng.gamma(0.25, 1 / 4.0, 20000), rng.beta(0.8, 2.5, 20000)
    t = 52.0
    exact_given_lambda_p = (1 - np.exp(-lam * p * t)) / p  # FHL 2005 eq. 7
    assert model.expected_purchases_population(t) == pytest.approx(exact_given_lambda_p.mean(), rel=0.03)
    assert model.expected_purchases_population(0.0) == 0.0
    assert model.expected_purchases_population([10, 20]).shape == (2,)


def test_p_alive_is_one_without_repeats_and_falls_with_silence():
    model = with_params(BetaGeoModel(), HARDIE)
    assert model.p_alive([0, 0], [0, 0], [5, 40]).tolist() == [1.0, 1.0]
    silent = model.p_alive([4, 4, 4], [10, 10, 10], [10, 20, 40])
    assert silent[0] > silent[1] > silent[2] > 0
    assert model.expected_purchases(10, 0, 0, 20)[0] > 0


def test_predictions_for_a_single_customer_are_arrays_of_one():
    model = with_params(BetaGeoModel(), HARDIE)
    assert model.p_alive(2, 30.43, 38.86).shape == (1,)
    assert model.expected_purchases(0, 2, 30.43, 38.86).tolist() == [0.0]


def test_fitting_a_single_customer_is_flagged_as_not_identified():
    model = BetaGeoModel().fit([3], [20.0], [30.0])
    assert not model.converged_
    assert all(np.isfinite(v) for v in model.params_.values())
    assert model.p_alive([3], [20.0], [30.0])[0] == pytest.approx(1.0, abs=1e-3)


def test_penalizer_shrinks_the_parameters(bg_data, bg_fit):
    x, t_x, T, _ = bg_data
    shrunk = BetaGeoModel(penalizer=0.1).fit(x, t_x, T)
    assert sum(v ** 2 for v in shrunk.params_.values()) < sum(v ** 2 for v in bg_fit.params_.values())
    assert shrunk.log_likelihood_ < bg_fit.log_likelihood_


@pytest.mark.parametrize("frequency, recency, T, match", [
    ([1, 2], [5.0, 12.0], [10.0, 10.0], r"`recency` exceeds `T` in rows 1 \(1 in all\)"),
    ([1, -2], [5.0, 1.0], [10.0, 10.0], r"`frequency` is negative in rows 1"),
    ([1, 2], [-5.0, 1.0], [10.0, 10.0], r"`recency` is negative in rows 0"),
    ([1, 2], [5.0, 1.0], [10.0, -1.0], r"`T` is negative in rows 1"),
    ([0, 2], [5.0, 1.0], [10.0, 10.0], r"`recency` is positive while `frequency` is 0 in rows 0"),
    ([1, 2], [5.0, np.nan], [10.0, 10.0], r"`recency` has missing or infinite values in rows 1"),
    ([1, 2], [5.0], [10.0, 10.0], r"`recency` has 1 values but `frequency` has 2"),
    ([], [], [], r"there are no customers"),
])
def test_bg_rejects_bad_summaries_naming_the_rows(frequency, recency, T, match):
    with pytest.raises(ValueError, match=match):
        BetaGeoModel().fit(frequency, recency, T)


def test_errors_name_customer_ids_when_given_series():
    index = pd.Index(["c1", "c2", "c3"])
    with pytest.raises(ValueError, match=r"rows c3 \(1 in all\)"):
        BetaGeoModel().fit(pd.Series([1, 1, 2], index), pd.Series([1.0, 2, 9], index), pd.Series([5.0, 5, 5], index))


def test_unfitted_models_and_bad_hyperparameters_raise():
    with pytest.raises(NotFittedError, match="call fit"):
        BetaGeoModel().p_alive([1], [1], [2])
    with pytest.raises(NotFittedError, match="call fit"):
        GammaGammaModel().expected_spend([1], [10.0])
    with pytest.raises(ValueError, match="penalizer must be"):
        BetaGeoModel(penalizer=-1).fit([1], [1], [2])
    with pytest.raises(ValueError, match="t must be"):
        with_params(BetaGeoModel(), HARDIE).expected_purchases(-1, [1], [1], [2])


# --- Gamma-Gamma ---

def test_gg_recovers_simulated_parameters(gg_data, gg_fit):
    fitted = gg_fit.params_
    assert fitted["p"] == pytest.approx(GG_TRUTH["p"], rel=0.25)
    assert fitted["q"] == pytest.approx(GG_TRUTH["q"], rel=0.1)
    assert fitted["gamma"] == pytest.approx(GG_TRUTH["gamma"], rel=0.3)
    population_mean = fitted["p"] * fitted["gamma"] / (fitted["q"] - 1)
    assert population_mean == pytest.approx(6.0 * 15.0 / 3.0, rel=0.03)


def test_gg_log_likelihood_at_the_optimum_beats_nearby_points(gg_data, gg_fit):
    x, zbar = gg_data
    best = np.array(list(gg_fit.params_.values()))
    assert gg_fit.log_likelihood_ == pytest.approx(_clv_math.gg_log_likelihood(best, x, zbar).sum())
    for i in range(3):
        for step in (0.98, 1.02):
            nearby = best.copy()
            nearby[i] *= step
            assert _clv_math.gg_log_likelihood(nearby, x, zbar).sum() < gg_fit.log_likelihood_


def test_gg_density_integrates_to_one():
    params, x = np.array([3.0, 4.0, 10.0]), 2
    total, _ = integrate.quad(lambda z: np.exp(_clv_math.gg_log_likelihood(params, x, z)), 0, np.inf)
    assert total == pytest.approx(1.0, rel=1e-6)


def test_gg_excludes_one_time_buyers_and_gives_them_the_population_mean(gg_data, gg_fit):
    x, zbar = gg_data
    with_one_timers = GammaGammaModel().fit(np.r_[x, [0, 0]], np.r_[zbar, [0.0, 0.0]])
    assert with_one_timers.params_ == pytest.approx(gg_fit.params_, rel=1e-6)
    assert with_one_timers.n_customers_ == len(x)
    p, q, gamma = gg_fit.params_.values()
    spend = gg_fit.expected_spend([0, 1, 50], [0.0, 100.0, 100.0])
    assert spend[0] == pytest.approx(p * gamma / (q - 1))
    assert spend[0] < spend[1] < spend[2] < 100.0  # shrinks towards the mean, less with more purchases


def test_gg_matches_hardies_conditional_spend():
    model = with_params(GammaGammaModel(), {"p": 6.25, "q": 3.74, "gamma": 15.44})
    assert model.expected_spend([2, 1, 0], [22.35, 11.77, 0.0]) == pytest.approx([24.65, 18.91, 35.22], abs=0.06)


def test_gg_repeat_spend_is_hardies_conditional_spend_and_stays_finite_when_q_is_below_one():
    model = with_params(GammaGammaModel(), {"p": 6.25, "q": 3.74, "gamma": 15.44})
    assert model.repeat_spend([2, 1], [22.35, 11.77]) == pytest.approx([24.65, 18.91], abs=0.06)
    heavy_tailed = with_params(GammaGammaModel(), {"p": 2.0, "q": 0.99, "gamma": 10.0})
    with pytest.raises(ValueError, match="no finite mean"):
        heavy_tailed.expected_spend([1], [10.0])
    # p (gamma + x zbar) / (p x + q - 1): 2 (10 + 10) / (2 - 0.01)
    assert heavy_tailed.repeat_spend([1], [10.0]) == pytest.approx([40.0 / 1.99])
    with pytest.raises(ValueError, match=r"1 customer\(s\) have no repeat purchase .*use expected_spend"):
        model.repeat_spend([0, 2], [0.0, 22.35])


def test_gg_rejects_zero_or_negative_spend_naming_rows_and_fix():
    with pytest.raises(ValueError, match=r"zero or negative .* rows 1, 3 \(2 in all\).*filter refunds"):
        GammaGammaModel().fit([2, 1, 0, 3], [10.0, 0.0, 0.0, -4.0])


def test_gg_needs_a_repeat_buyer():
    with pytest.raises(ValueError, match="none of the 2 customers has frequency > 0"):
        GammaGammaModel().fit([0, 0], [0.0, 0.0])


# --- lifetime value ---

def test_clv_is_the_discounted_sum_of_incremental_purchases_times_spend():
    bg = with_params(BetaGeoModel(), HARDIE)
    gg = with_params(GammaGammaModel(), {"p": 6.25, "q": 3.74, "gamma": 15.44})
    x, t_x, T, zbar = [2, 0, 5], [30.43, 0.0, 20.0], [38.86, 38.86, 38.86], [22.35, 0.0, 40.0]
    spend = gg.expected_spend(x, zbar)
    cumulative = np.array([bg.expected_purchases(k, x, t_x, T) for k in range(0, 11)])
    by_hand = sum((cumulative[k] - cumulative[k - 1]) * spend / 1.02 ** k for k in range(1, 11))
    clv = customer_lifetime_value(bg, gg, x, t_x, T, zbar, horizon=10, discount_rate=0.02)
    assert clv == pytest.approx(by_hand)
    undiscounted = customer_lifetime_value(bg, gg, x, t_x, T, zbar, horizon=10, discount_rate=0.0)
    assert undiscounted == pytest.approx(bg.expected_purchases(10, x, t_x, T) * spend)
    assert np.all(clv < undiscounted)
    with pytest.raises(ValueError, match="horizon must be a whole number"):
        customer_lifetime_value(bg, gg, x, t_x, T, zbar, horizon=0)


# --- RFM summary ---

def orders_frame(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "order_date", "revenue"])
    return frame.assign(order_date=pd.to_datetime(frame["order_date"], format="ISO8601"))


def test_rfm_summary_equals_a_hand_computed_example():
    orders = orders_frame([
        ("A", "2024-01-01 09:00", 10.0), ("A", "2024-01-01 17:00", 5.0),  # same day: one transaction of 15
        ("A", "2024-01-08", 20.0), ("A", "2024-01-22", 30.0),
        ("B", "2024-01-15", 99.0),
        ("A", "2024-02-05", 1.0), ("A", "2024-02-06", 2.0), ("A", "2024-02-06", 3.0),  # holdout: 2 days
        ("C", "2024-02-01", 7.0),  # first purchase after the calibration end: left out
        ("B", "2024-03-01", 4.0),  # after the observation end
    ])
    summary = rfm_summary(orders, calibration_end="2024-01-29", observation_end="2024-02-20")
    expected = pd.DataFrame({"frequency": [2, 0], "recency": [3.0, 0.0], "T": [4.0, 2.0],
                             "monetary_value": [25.0, 0.0], "holdout_frequency": [2, 0]},
                            index=pd.Index(["A", "B"], name="customer_id"))
    pd.testing.assert_frame_equal(summary, expected)


def test_rfm_summary_defaults_to_the_newest_order_and_other_units():
    orders = orders_frame([(1, "2024-01-01", 10.0), (1, "2024-01-11", 30.0), (2, "2024-01-21", 5.0)])
    summary = rfm_summary(orders, period_days=1.0)
    assert summary.loc[1].tolist() == [1.0, 10.0, 20.0, 30.0]
    assert summary.loc[2].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert "holdout_frequency" not in summary


@pytest.mark.parametrize("mutate, match", [
    (lambda f: f.drop(columns="revenue"), r"orders lack columns \['revenue'\]"),
    (lambda f: f.assign(order_date=f["order_date"].astype(str)), r"`order_date` has dtype .* pd.to_datetime"),
    (lambda f: f.assign(revenue=[10.0, -1.0, 3.0, -2.0]), r"`revenue` has negative values in rows 1, 3 .*refunds"),
    (lambda f: f.assign(customer_id=[1, None, 2, 2]), r"`customer_id` is empty in rows 1"),
])
def test_rfm_summary_rejects_bad_orders(mutate, match):
    good = orders_frame([(1, "2024-01-01", 10.0), (1, "2024-01-05", 1.0), (2, "2024-01-02", 3.0),
                         (2, "2024-01-09", 4.0)])
    with pytest.raises(ValueError, match=match):
        rfm_summary(mutate(good))


def test_rfm_summary_rejects_a_holdout_before_calibration():
    orders = orders_frame([(1, "2024-01-01", 10.0)])
    with pytest.raises(ValueError, match="observation_end 2024-01-01 is not after calibration_end"):
        rfm_summary(orders, calibration_end="2024-01-05", observation_end="2024-01-01")


# --- fit_clv on the sample company ---

@pytest.fixture(scope="module")
def sample_facts():
    from analytics.retention import facts_from_tables
    from data.sample import SampleConfig, generate_sample
    return facts_from_tables(generate_sample(SampleConfig(customers=1500, seed=7)).tables)


def test_fit_clv_values_every_customer_of_the_sample_company(sample_facts):
    result = fit_clv(sample_facts.orders, sample_facts.as_of, horizon_days=365)
    customers = result.customers
    assert list(customers.columns) == ["customer_id", "frequency", "recency", "T", "monetary_value", "p_alive",
                                       "expected_purchases", "expected_spend", "clv"]
    assert set(customers["customer_id"]) == set(sample_facts.orders["customer_id"])
    assert set(result.bg_params) == {"r", "alpha", "a", "b"} and set(result.gg_params) == {"p", "q", "gamma"}
    assert (customers["clv"] >= 0).all() and customers["p_alive"].between(0, 1).all()
    assert np.corrcoef(customers["clv"], customers["expected_purchases"] * customers["expected_spend"])[0, 1] > 0.99
    cancelled = sample_facts.customers.set_index("customer_id")["cancel_date"].notna()
    p_alive = customers.set_index("customer_id")["p_alive"]
    assert p_alive[cancelled.reindex(p_alive.index)].mean() < p_alive[~cancelled.reindex(p_alive.index)].mean()
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.horizon_days = 30
    assert isinstance(result, CLVResult)


def test_fit_clv_forecasts_a_held_out_half_year_roughly(sample_facts):
    calibration_end = sample_facts.as_of - pd.Timedelta(days=182)
    result = fit_clv(sample_facts.orders, calibration_end, horizon_days=182)
    holdout = rfm_summary(sample_facts.orders, calibration_end=calibration_end, observation_end=sample_facts.as_of)
    # the sample company's churn is Weibull, not BG/NBD: expect the right size, not precision
    assert result.customers["expected_purchases"].sum() == pytest.approx(holdout["holdout_frequency"].sum(), rel=0.25)


# --- CDNOW (Fader & Hardie); skipped without $FORESIGHT_DATASETS ---

@pytest.fixture(scope="module")
def cdnow():
    from core.settings import datasets_folder
    from data.public import load_cdnow_summary, load_cdnow_transactions
    from data.public import DATASETS_ENV, DatasetsNotFoundError
    try:
        return load_cdnow_transactions("sample", datasets_folder()), load_cdnow_summary(datasets_folder())
    except DatasetsNotFoundError as error:
        pytest.skip(f"CDNOW needs ${DATASETS_ENV} with cdnow/: {error}")


def test_rfm_summary_reproduces_the_cdnow_summary_file(cdnow):
    from data.public import CDNOW_CALIBRATION_END, CDNOW_OBSERVATION_END
    transactions, published = cdnow
    ours = rfm_summary(transactions, calibration_end=CDNOW_CALIBRATION_END, observation_end=CDNOW_OBSERVATION_END)
    assert ours.index.equals(published.index)
    assert (ours["frequency"] == published["frequency"]).all()
    for column in ("recency", "T", "monetary_value"):  # the files round to 2 decimals
        assert np.abs(ours[column] - published[column]).max() <= 0.0051
    assert ours["frequency"].sum() == 2457 and ours["holdout_frequency"].sum() == 1882


def test_cdnow_summary_fits_give_the_published_parameters(cdnow):
    _, summary = cdnow
    bg = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    assert bg.params_ == pytest.approx(HARDIE, rel=0.01)
    assert bg.log_likelihood_ == pytest.approx(-9582.4, abs=0.1)
    predicted = bg.expected_purchases(39, summary["frequency"], summary["recency"], summary["T"]).sum()
    assert predicted == pytest.approx(1653.4, abs=1.0)
    gg = GammaGammaModel().fit(summary["frequency"], summary["monetary_value"])
    assert gg.n_customers_ == 946
    assert gg.params_ == pytest.approx({"p": 6.25, "q": 3.74, "gamma": 15.44}, rel=0.01)
    first_ten = gg.expected_spend(summary["frequency"][:10], summary["monetary_value"][:10])
    assert first_ten == pytest.approx([24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17], abs=0.01)
