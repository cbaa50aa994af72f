"""The churn model's additive half: a logistic regression on a cubic spline of each feature.

An additive model gets smooth shapes such as the effect of tenure or charges right from few rows, where a
booster needs many splits; the booster catches interactions the additive model cannot. ``ChurnModel`` adds
their log-odds, so its explanation stays additive too: a feature's contribution is the booster's SHAP value
and this model's term for the feature, each times its weight.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import SplineTransformer, StandardScaler

__all__ = ["SplineLogit"]

_DEGREE = 3


class SplineLogit(ClassifierMixin, BaseEstimator):
    """Logistic regression on per-feature cubic B-splines (knots at quantiles), L2-penalised.

    A column with at most two distinct values (a flag, a one-hot column) enters as it is; a missing value
    becomes the training median plus an is-missing flag in the same feature's block. Every block is
    standardised, so ``contributions`` (coefficient times standardised block, summed per feature) average zero
    over the training rows and add up with ``intercept_`` to ``decision_function``.

    Parameters
    ----------
    C : float
        Inverse L2 strength of the logistic regression.
    n_knots : int
        Knots per continuous feature (fewer when the feature has fewer distinct quantiles).
    """

    def __init__(self, C: float = 0.1, n_knots: int = 5):
        self.C = C
        self.n_knots = n_knots

    def _fit_columns(self, X: np.ndarray) -> None:
        self.medians_, self.has_missing_, self.splines_ = [], [], []
        for column in X.T:
            seen = column[~np.isnan(column)]
            self.medians_.append(float(np.median(seen)) if len(seen) else 0.0)
            self.has_missing_.append(bool(len(seen) < len(column)))
            knots = np.unique(np.quantile(seen, np.linspace(0, 1, self.n_knots))) if len(seen) else np.array([])
            spline = None
            if len(np.unique(seen)) > 2 and len(knots) >= 2:
                spline = SplineTransformer(knots=knots.reshape(-1, 1), degree=_DEGREE, extrapolation="linear")
                spline.fit(knots.reshape(-1, 1))
            self.splines_.append(spline)

    def _blocks(self, X: np.ndarray) -> list[np.ndarray]:
        blocks = []
        for j, column in enumerate(X.T):
            missing = np.isnan(column)
            filled = np.where(missing, self.medians_[j], column).reshape(-1, 1)
            block = filled if self.splines_[j] is None else self.splines_[j].transform(filled)
            blocks.append(np.hstack([block, missing.reshape(-1, 1).astype(float)]) if self.has_missing_[j] else block)
        return blocks

    def _design(self, X) -> np.ndarray:
        return self.scaler_.transform(np.hstack(self._blocks(np.asarray(X, dtype=float))))

    def fit(self, X, y) -> "SplineLogit":
        values = np.asarray(X, dtype=float)
        self._fit_columns(values)
        blocks = self._blocks(values)
        self.bounds_ = np.cumsum([0] + [block.shape[1] for block in blocks])
        self.scaler_ = StandardScaler().fit(np.hstack(blocks))
        self.logit_ = LogisticRegression(C=self.C, max_iter=5000).fit(self._design(values), y)
        self.classes_ = self.logit_.classes_
        self.intercept_ = float(self.logit_.intercept_[0])
        return self

    def decision_function(self, X) -> np.ndarray:
        return self.logit_.decision_function(self._design(X))

    def predict(self, X) -> np.ndarray:
        return self.classes_[(self.decision_function(X) > 0).astype(int)]

    def contributions(self, X) -> np.ndarray:
        """Log-odds contribution of each feature (rows x features), relative to the training average."""
        terms = self._design(X) * self.logit_.coef_[0]
        return np.add.reduceat(terms, self.bounds_[:-1], axis=1)
