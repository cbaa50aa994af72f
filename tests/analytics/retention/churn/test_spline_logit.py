"""The additive spline logit (the churn model's additive half) on small seeded data."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from analytics.retention.churn.spline_logit import SplineLogit


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n = 3000
    tenure = rng.uniform(0, 72, n)
    flag = rng.integers(0, 2, n).astype(float)
    charge = rng.normal(70, 20, n)
    charge[rng.random(n) < 0.1] = np.nan  # 10% missing
    # a U-shaped effect of tenure that a straight line cannot fit, and a flag
    logit = 0.004 * (tenure - 36) ** 2 - 2.0 + 1.2 * flag
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return np.column_stack([tenure, flag, charge]), y, logit


def test_contributions_add_up_to_the_score_and_average_zero(data):
    X, y, _ = data
    model = SplineLogit().fit(X, y)
    parts = model.contributions(X)
    assert parts.shape == X.shape
    np.testing.assert_allclose(parts.sum(axis=1) + model.intercept_, model.decision_function(X), atol=1e-9)
    np.testing.assert_allclose(parts.mean(axis=0), 0, atol=1e-9)
    assert model.splines_[1] is None and model.splines_[0] is not None  # the flag enters as it is
    assert model.has_missing_ == [False, False, True]


def test_splines_recover_a_curved_effect_a_line_misses(data):
    X, y, truth = data
    curved = SplineLogit().fit(X, y).contributions(X)[:, 0]
    assert np.corrcoef(curved, 0.004 * (X[:, 0] - 36) ** 2)[0, 1] > 0.95
    assert roc_auc_score(y, SplineLogit().fit(X, y).decision_function(X)) > 0.95 * roc_auc_score(y, truth)


def test_missing_values_score_like_the_median_plus_their_own_flag(data):
    X, y, _ = data
    model = SplineLogit().fit(X, y)
    row = X[:1].copy()
    row[0, 2] = np.nan
    assert np.isfinite(model.decision_function(row)).all()
