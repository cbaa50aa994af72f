"""The churn classifier: gradient boosting blended with a spline logit, calibrated, explained with SHAP."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from analytics._checks import check_fitted
from analytics.retention.churn.inputs import as_frame, checked_labels, checked_matrix
from analytics.retention.churn.spline_logit import SplineLogit

__all__ = ["ChurnModel", "CALIBRATIONS", "BLEND_WEIGHTS", "RAISES", "LOWERS"]

CALIBRATIONS = ("isotonic", "sigmoid", None)
BLEND_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # spline-logit weights tried by linear_weight="auto"
RAISES, LOWERS = "raises risk", "lowers risk"
REASON_COLUMNS = ["customer_id", "direction", "feature", "value", "shap"]


def _calibrator(method: str):
    """Isotonic regression, or Platt's logistic curve (practically unpenalised) on the 1-D score."""
    if method == "isotonic":
        return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    return LogisticRegression(C=1e6)


class ChurnModel(ClassifierMixin, BaseEstimator):
    """Churn classifier with calibrated probabilities and per-customer SHAP reasons.

    The score is a blend in log-odds of two halves: scikit-learn's ``HistGradientBoostingClassifier`` and an
    additive spline logit (:class:`analytics.retention.churn.spline_logit.SplineLogit`), both allowing missing values:
    ``score = w * spline_logit + (1 - w) * booster``. The additive half gets smooth effects such as tenure right
    from few churners; the booster adds interactions. Both halves are fitted on ``cv`` stratified folds; their
    out-of-fold scores choose ``w`` (with ``linear_weight="auto"``, the weight in ``BLEND_WEIGHTS`` with the
    best out-of-fold AUC) and fit the calibration map, so neither sees the rows it is judged on. The halves
    are then refitted on all rows.

    Parameters
    ----------
    random_state : int
        Seed of the booster and the folds.
    calibration : {"sigmoid", "isotonic", None}
        How scores become probabilities: a logistic (Platt) curve or isotonic regression fitted on the
        out-of-fold scores; None applies the logistic function to the blended log-odds. Sigmoid is the default
        because it is strictly increasing: isotonic's steps give many customers the same probability, which
        leaves the at-risk list ordered by id within a step (the comparison is in docs/retention.md).
    cv : int
        Folds for the weight and the calibration (each needs churners, so at least ``cv`` of each class).
    learning_rate, max_iter, max_depth, max_leaf_nodes, min_samples_leaf, l2_regularization, monotonic_cst
        Passed to ``HistGradientBoostingClassifier`` (early stopping is off so fits are reproducible). The
        defaults are deliberately shallow and slow: churn windows hold few cancellations, and deeper boosters
        overfit them (docs/retention.md).
    linear_weight : float or "auto"
        Weight ``w`` of the spline logit, in [0, 1] (0 is the booster alone, 1 the spline logit alone), or
        "auto" to choose it out of fold.
    linear_C : float
        Inverse L2 strength of the spline logit.

    Attributes
    ----------
    booster_ : HistGradientBoostingClassifier or None
        The boosted half (None when ``linear_weight_`` is 1).
    linear_ : SplineLogit or None
        The additive half (None when ``linear_weight_`` is 0).
    linear_weight_ : float
        The weight used.
    blend_scores_ : pandas.Series
        Out-of-fold AUC of each weight tried (empty when nothing was fitted out of fold).
    calibrator_ : IsotonicRegression, LogisticRegression or None
    classes_ : ndarray ``[0, 1]``
    feature_names_in_ : ndarray of str
    n_features_in_ : int
    feature_importance_ : pandas.Series
        Mean |SHAP| (log-odds) per feature over the training rows, descending (computed on first access).
    """

    def __init__(self, random_state: int = 0, calibration: str | None = "sigmoid", cv: int = 5,
                 learning_rate: float = 0.03, max_iter: int = 100, max_depth: int | None = 2,
                 max_leaf_nodes: int | None = 31, min_samples_leaf: int = 40, l2_regularization: float = 5.0,
                 monotonic_cst=None, linear_weight: float | str = "auto", linear_C: float = 0.1):
        self.random_state = random_state
        self.calibration = calibration
        self.cv = cv
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_depth = max_depth
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.monotonic_cst = monotonic_cst
        self.linear_weight = linear_weight
        self.linear_C = linear_C

    def _weights(self) -> tuple[float, ...]:
        weight = self.linear_weight
        if isinstance(weight, str) and weight == "auto":
            return BLEND_WEIGHTS
        if isinstance(weight, (int, float, np.integer, np.floating)) and not isinstance(weight, bool) \
                and 0 <= weight <= 1:
            return (float(weight),)
        raise ValueError(f"linear_weight must be a number in [0, 1] (0 = booster only, 1 = spline logit only) or "
                         f"'auto'; got {weight!r}")

    def _fit_halves(self, values: np.ndarray, labels: np.ndarray, weights) -> tuple:
        booster = linear = None
        if any(w < 1 for w in weights):
            booster = HistGradientBoostingClassifier(
                learning_rate=self.learning_rate, max_iter=self.max_iter, max_depth=self.max_depth,
                max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf,
                l2_regularization=self.l2_regularization, monotonic_cst=self.monotonic_cst, early_stopping=False,
                random_state=self.random_state).fit(values, labels)
        if any(w > 0 for w in weights):
            linear = SplineLogit(C=self.linear_C).fit(values, labels)
        return booster, linear

    def _out_of_fold(self, values: np.ndarray, labels: np.ndarray, weights) -> tuple[np.ndarray, np.ndarray]:
        smallest = int(min(labels.sum(), len(labels) - labels.sum()))
        if not (isinstance(self.cv, (int, np.integer)) and 2 <= self.cv <= smallest):
            raise ValueError(f"cv={self.cv!r} folds need at least cv churners and cv stayers; the smaller class "
                             f"has {smallest}; lower cv (>= 2), add data, or set calibration=None and a fixed "
                             "linear_weight")
        boosted, additive = np.zeros(len(labels)), np.zeros(len(labels))
        folds = StratifiedKFold(int(self.cv), shuffle=True, random_state=self.random_state)
        for train, held in folds.split(values, labels):
            booster, linear = self._fit_halves(values[train], labels[train], weights)
            if booster is not None:
                boosted[held] = booster.decision_function(values[held])
            if linear is not None:
                additive[held] = linear.decision_function(values[held])
        return boosted, additive

    def fit(self, X, y) -> "ChurnModel":
        """Fit on features ``X`` (customers x numeric features) and 0/1 labels ``y`` (1 = churned)."""
        if self.calibration not in CALIBRATIONS:
            raise ValueError(f"calibration must be one of {list(CALIBRATIONS)}; got {self.calibration!r}")
        weights = self._weights()
        frame = as_frame(X)
        values = checked_matrix(frame)
        labels = checked_labels(y, len(frame))
        self.feature_names_in_ = np.array([str(c) for c in frame.columns], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.classes_ = np.array([0, 1])
        self.calibrator_, self.blend_scores_ = None, pd.Series(dtype=float, name="out-of-fold AUC")
        self.linear_weight_ = weights[0]
        if self.calibration is not None or len(weights) > 1:
            boosted, additive = self._out_of_fold(values, labels, weights)
            self.blend_scores_ = pd.Series({w: roc_auc_score(labels, w * additive + (1 - w) * boosted)
                                            for w in weights}, name="out-of-fold AUC").rename_axis("linear_weight")
            self.linear_weight_ = float(self.blend_scores_.idxmax())
            if self.calibration is not None:
                blended = self.linear_weight_ * additive + (1 - self.linear_weight_) * boosted
                self.calibrator_ = _calibrator(self.calibration).fit(blended.reshape(-1, 1), labels)
        self.booster_, self.linear_ = self._fit_halves(values, labels, (self.linear_weight_,))
        self._training_values = values
        self._explainer = None
        self._importance = None
        return self

    def _check_fitted(self) -> None:
        check_fitted(self, "linear_weight_", "fit(X, y)")

    def _matrix(self, X) -> tuple[pd.DataFrame, np.ndarray]:
        self._check_fitted()
        frame = as_frame(X)
        names = [str(c) for c in frame.columns]
        missing = [c for c in self.feature_names_in_ if c not in names]
        extra = [c for c in names if c not in set(self.feature_names_in_)]
        if missing or extra:
            raise ValueError(f"X does not have the fitted features: missing {missing}, unexpected {extra}; build X "
                             "the same way as for fit (e.g. churn_features on the same facts)")
        frame = frame.set_axis(names, axis=1)[list(self.feature_names_in_)]
        return frame, checked_matrix(frame)

    def predict_proba(self, X) -> np.ndarray:
        """Calibrated probabilities, n x 2: columns P(stays), P(churns)."""
        score = self.decision_function(X)
        if self.calibrator_ is None:
            churn = 1.0 / (1.0 + np.exp(-score))
        elif isinstance(self.calibrator_, IsotonicRegression):
            churn = self.calibrator_.predict(score)
        else:
            churn = self.calibrator_.predict_proba(score.reshape(-1, 1))[:, 1]
        return np.column_stack([1.0 - churn, churn])

    def decision_function(self, X) -> np.ndarray:
        """The blended log-odds score before calibration (what ``explain`` decomposes)."""
        _, values = self._matrix(X)
        score = np.zeros(len(values))
        if self.booster_ is not None:
            score += (1 - self.linear_weight_) * self.booster_.decision_function(values)
        if self.linear_ is not None:
            score += self.linear_weight_ * self.linear_.decision_function(values)
        return score

    def predict(self, X) -> np.ndarray:
        """1 where the calibrated churn probability is at least 0.5, else 0."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def _shap_explainer(self):
        """The TreeExplainer of the booster (None without one), created on first use and kept."""
        if self._explainer is None and self.booster_ is not None:
            import shap  # heavy import, only when an explanation is asked for

            self._explainer = shap.TreeExplainer(self.booster_)
        return self._explainer

    def _shap_values(self, values: np.ndarray) -> np.ndarray:
        """Each feature's share of the blended log-odds: weighted tree SHAP plus weighted spline terms."""
        weight = self.linear_weight_
        total = np.zeros(values.shape, dtype=float)
        if self.booster_ is not None:
            tree = np.asarray(self._shap_explainer().shap_values(values))
            total += (1 - weight) * (tree[..., 1] if tree.ndim == 3 else tree)
        if self.linear_ is not None:
            total += weight * self.linear_.contributions(values)
        return total

    @property
    def expected_value_(self) -> float:
        """The blended log-odds of the average customer: ``decision_function = expected_value_ + sum(SHAP)``."""
        self._check_fitted()
        weight, value = self.linear_weight_, 0.0
        if self.booster_ is not None:
            value += (1 - weight) * float(np.ravel(self._shap_explainer().expected_value)[-1])
        if self.linear_ is not None:
            value += weight * self.linear_.intercept_
        return value

    @property
    def feature_importance_(self) -> pd.Series:
        """Mean |SHAP| (log-odds) of each feature over the training rows, descending."""
        self._check_fitted()
        if self._importance is None:
            mean_abs = np.abs(self._shap_values(self._training_values)).mean(axis=0)
            self._importance = pd.Series(mean_abs, index=list(self.feature_names_in_), name="importance") \
                .sort_values(ascending=False, kind="stable")
        return self._importance.copy()

    def explain(self, X, top: int = 3) -> pd.DataFrame:
        """The ``top`` features that raise and the ``top`` that lower each customer's churn score.

        The contributions explain the uncalibrated blended score in log-odds (calibration is monotone: what
        raises the score raises the probability): ``shap.TreeExplainer`` values of the booster and the spline
        logit's per-feature terms, each times its weight. Features
        with zero contribution are not listed, so a customer can have fewer than ``top`` rows per direction.

        Returns
        -------
        pandas.DataFrame
            ``customer_id`` (X's index), ``direction`` ("raises risk" / "lowers risk"), ``feature``, ``value``
            (the customer's feature value), ``shap``; per customer in X's order, raises first, strongest first.
        """
        self._check_fitted()
        if not (isinstance(top, (int, np.integer)) and top >= 1):
            raise ValueError(f"top must be a whole number >= 1; got {top!r}")
        frame, values = self._matrix(X)
        contributions = self._shap_values(values)
        k = min(int(top), contributions.shape[1])
        rows, names = np.arange(len(frame))[:, None], np.asarray(self.feature_names_in_)
        parts = []
        for direction, order, rank in ((RAISES, np.argsort(-contributions, axis=1, kind="stable")[:, :k], 0),
                                       (LOWERS, np.argsort(contributions, axis=1, kind="stable")[:, :k], 1)):
            shap_values = contributions[rows, order]
            parts.append(pd.DataFrame({
                "customer_id": np.repeat(frame.index.to_numpy(), k), "direction": direction,
                "feature": names[order].ravel(), "value": values[rows, order].ravel(),
                "shap": shap_values.ravel(), "_row": np.repeat(np.arange(len(frame)), k), "_rank": rank,
                "_position": np.tile(np.arange(k), len(frame))}))
        reasons = pd.concat(parts, ignore_index=True)
        keep = np.where(reasons["_rank"] == 0, reasons["shap"] > 0, reasons["shap"] < 0)
        reasons = reasons[keep].sort_values(["_row", "_rank", "_position"], kind="stable")
        return reasons[REASON_COLUMNS].reset_index(drop=True)
