"""scikit-learn's estimator contract, checked on every retention estimator the same way.

``__init__`` only stores keyword hyperparameters; ``get_params``/``set_params``/``clone`` work; ``fit`` returns
``self`` and learns attributes ending in ``_``; every other public method (and fitted property) raises
scikit-learn's ``NotFittedError`` before ``fit``; the same hyperparameters (``random_state`` included) give
the same result. Data: the 1,500-customer sample company (seed 7).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError

from analytics.retention import CustomerSegmenter, RetentionAnalyzer, facts_from_tables, rfm_scores
from analytics.retention.churn import ChurnModel, churn_features, churn_labels
from analytics.retention.clv import BetaGeoModel, GammaGammaModel, rfm_summary
from data.sample import SampleConfig, generate_sample

Data = SimpleNamespace


def _repeat(summary):
    """Frequency and average spend of the customers with a repeat purchase (what ``repeat_spend`` takes)."""
    repeat = summary[summary["frequency"] > 0]
    return repeat["frequency"], repeat["monetary_value"]
Ask = Callable[[BaseEstimator, Data], object]


@dataclass(frozen=True)
class Case:
    make: Callable[[], BaseEstimator]  # an unfitted estimator with some non-default hyperparameters
    fit: Callable[[BaseEstimator, Data], BaseEstimator]
    questions: dict[str, Ask]  # every public method and fitted property but fit, called on the data
    result: Callable[[BaseEstimator], object]  # what two fits with the same hyperparameters must share


def _summary(d: Data) -> tuple:
    return d.summary["frequency"], d.summary["recency"], d.summary["T"]


CASES = {
    "BetaGeoModel": Case(
        make=lambda: BetaGeoModel(penalizer=0.001),
        fit=lambda est, d: est.fit(*_summary(d)),
        questions={"expected_purchases": lambda est, d: est.expected_purchases(10, *_summary(d)),
                   "p_alive": lambda est, d: est.p_alive(*_summary(d)),
                   "expected_purchases_population": lambda est, d: est.expected_purchases_population(10)},
        result=lambda est: (est.params_, est.log_likelihood_)),
    "GammaGammaModel": Case(
        make=lambda: GammaGammaModel(penalizer=0.001),
        fit=lambda est, d: est.fit(d.summary["frequency"], d.summary["monetary_value"]),
        questions={"expected_spend": lambda est, d: est.expected_spend(d.summary["frequency"],
                                                                       d.summary["monetary_value"]),
                   "repeat_spend": lambda est, d: est.repeat_spend(*_repeat(d.summary))},
        result=lambda est: (est.params_, est.log_likelihood_)),
    "ChurnModel": Case(
        make=lambda: ChurnModel(random_state=3, max_iter=20),
        fit=lambda est, d: est.fit(d.X, d.y),
        questions={"predict_proba": lambda est, d: est.predict_proba(d.X),
                   "decision_function": lambda est, d: est.decision_function(d.X),
                   "predict": lambda est, d: est.predict(d.X),
                   "explain": lambda est, d: est.explain(d.X.head(5)),
                   "expected_value_": lambda est, d: est.expected_value_,
                   "feature_importance_": lambda est, d: est.feature_importance_},
        result=lambda est: (est.linear_weight_, est.blend_scores_, est.feature_importance_)),
    "CustomerSegmenter": Case(
        make=lambda: CustomerSegmenter(k_range=range(2, 6), random_state=1),
        fit=lambda est, d: est.fit(d.rfm),
        questions={"predict": lambda est, d: est.predict(d.rfm)},
        result=lambda est: (est.k_, est.scores_, est.assignments_, est.profiles_)),
    "RetentionAnalyzer": Case(
        make=lambda: RetentionAnalyzer(horizon_days=90, random_state=1),
        fit=lambda est, d: est.fit(d.facts),
        questions={"churn_rate": lambda est, d: est.churn_rate(d.facts.as_of - pd.Timedelta(days=90), d.facts.as_of),
                   "top_at_risk": lambda est, d: est.top_at_risk(5),
                   "clv_by_segment": lambda est, d: est.clv_by_segment(),
                   "cohort_retention": lambda est, d: est.cohort_retention(1),
                   "kaplan_meier": lambda est, d: est.kaplan_meier(),
                   "customer": lambda est, d: est.customer(int(d.facts.customers["customer_id"].iloc[0]))},
        result=lambda est: (est.churn_.scores, est.churn_.reasons, est.churn_.auc, est.segments_.assignments,
                            est.clv_.customers, est.cox_.hazard_ratios)),
}


@pytest.fixture(scope="module")
def data() -> Data:
    facts = facts_from_tables(generate_sample(SampleConfig(customers=1500, seed=7)).tables)
    cutoff = pd.Timestamp("2026-01-01")
    return Data(facts=facts, summary=rfm_summary(facts.orders), X=churn_features(facts, cutoff),
                y=churn_labels(facts, cutoff, 120), rfm=rfm_scores(facts.orders, facts.as_of))


@pytest.fixture(scope="module", params=list(CASES))
def fitted(request, data) -> tuple[Case, BaseEstimator, BaseEstimator]:
    """A case, an estimator of it and what its ``fit`` returned."""
    case = CASES[request.param]
    estimator = case.make()
    return case, estimator, case.fit(estimator, data)


def _public_api(cls: type) -> set[str]:
    """The public methods and properties the project's own classes in ``cls``'s MRO define, ``fit`` aside."""
    names = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("analytics."):
            names |= {name for name, value in vars(klass).items()
                      if not name.startswith("_") and (callable(value) or isinstance(value, property))}
    return names - {"fit"}


def _assert_same(a, b) -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-10)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, check_exact=False, rtol=1e-10)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _assert_same(a[key], b[key])
    elif isinstance(a, tuple):
        assert len(a) == len(b)
        for left, right in zip(a, b):
            _assert_same(left, right)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-10)


@pytest.mark.parametrize("name", list(CASES))
def test_init_only_stores_keyword_hyperparameters(name):
    estimator = CASES[name].make()
    assert set(vars(estimator)) == set(estimator.get_params())
    assert type(estimator)().get_params().keys() == estimator.get_params().keys()  # every one has a default


@pytest.mark.parametrize("name", list(CASES))
def test_get_params_and_set_params_round_trip(name):
    params = CASES[name].make().get_params()
    fresh = type(CASES[name].make())()
    assert fresh.get_params() != params, "the case should set a non-default hyperparameter"
    assert fresh.set_params(**params) is fresh
    assert fresh.get_params() == params
    with pytest.raises(ValueError, match="Invalid parameter"):
        fresh.set_params(no_such_parameter=1)


@pytest.mark.parametrize("name", list(CASES))
def test_every_question_before_fit_raises_scikit_learns_not_fitted_error(name, data):
    case = CASES[name]
    assert set(case.questions) == _public_api(type(case.make())), "list every public method in the case"
    for ask in case.questions.values():
        with pytest.raises(NotFittedError, match=rf"This {name} is not fitted yet; call fit"):
            ask(case.make(), data)


def test_fit_returns_self_and_learns_only_attributes_ending_in_an_underscore(fitted, data):
    case, estimator, returned = fitted
    assert returned is estimator
    learned = set(vars(estimator)) - set(estimator.get_params())
    public = {name for name in learned if not name.startswith("_")}
    assert public and all(name.endswith("_") for name in public), sorted(public)
    for ask in case.questions.values():
        ask(estimator, data)  # answers once fitted


def test_clone_is_an_unfitted_copy_with_equal_hyperparameters(fitted, data):
    case, estimator, _ = fitted
    copy = clone(estimator)
    assert copy is not estimator and copy.get_params() == estimator.get_params()
    assert set(vars(copy)) == set(copy.get_params())
    with pytest.raises(NotFittedError):
        next(iter(case.questions.values()))(copy, data)


def test_the_same_hyperparameters_and_random_state_give_the_same_result(fitted, data):
    case, estimator, _ = fitted
    again = case.fit(clone(estimator), data)
    _assert_same(case.result(estimator), case.result(again))
