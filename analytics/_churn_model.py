"""The churn classifier: scikit-learn histogram gradient boosting, calibrated, explained with SHAP."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import StratifiedKFold

from analytics._churn_features import label_counts_error

__all__ = ["ChurnModel", "CALIBRATIONS", "RAISES", "LOWERS"]

CALIBRATIONS = ("isotonic", "sigmoid", None)
RAISES, LOWERS = "raises risk", "lowers risk"
REASON_COLUMNS = ["customer_id", "direction", "feature", "value", "shap"]


def _as_frame(X) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    array = np.asarray(X)
    if array.ndim != 2:
        raise ValueError(f"X must be a 2-D table (customers x features); got shape {array.shape}")
    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])


def _checked_matrix(X: pd.DataFrame) -> np.ndarray:
    if X.shape[0] == 0:
        raise ValueError("X has no rows; there is nobody to fit or score")
    bad = [str(c) for c in X.columns if not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))]
    if bad:
        raise ValueError(f"X columns {bad} are not numeric; one-hot encode categoricals first "
                         "(churn_features does this for the retention facts)")
    values = X.to_numpy(dtype=float)
    infinite = np.isinf(values)
    if infinite.any():
        columns = [str(c) for c in X.columns[infinite.any(axis=0)]]
        rows = np.flatnonzero(infinite.any(axis=1))[:5].tolist()
        raise ValueError(f"X columns {columns} hold infinite values (rows {rows}, ...); replace them with a finite "
                         "number or NaN (missing values are allowed)")
    return values


def _checked_labels(y, n_rows: int) -> np.ndarray:
    labels = pd.Series(np.asarray(y).ravel())
    if len(labels) != n_rows:
        raise ValueError(f"y has {len(labels)} labels but X has {n_rows} rows; pass one label per customer")
    bad = labels[~labels.isin([0, 1, True, False])]
    if len(bad):
        raise ValueError(f"y must be 0/1 (1 = churned); rows {bad.index[:5].tolist()} hold {bad.unique()[:5].tolist()}")
    labels = labels.astype(int)
    message = label_counts_error(labels, "the training labels")
    if message:
        raise ValueError(message)
    return labels.to_numpy()


class ChurnModel(ClassifierMixin, BaseEstimator):
    """Gradient-boosted churn classifier with calibrated probabilities and per-customer SHAP reasons.

    The booster is scikit-learn's ``HistGradientBoostingClassifier`` (missing values allowed). With a
    calibration method it is wrapped in ``CalibratedClassifierCV(ensemble=False)``: out-of-fold scores from
    ``cv`` stratified folds fit the calibration map, and one booster fitted on all rows produces the scores.

    Parameters
    ----------
    random_state : int
        Seed of the booster and the calibration folds.
    calibration : {"isotonic", "sigmoid", None}
        How scores become probabilities; None keeps the booster's own probabilities.
    cv : int
        Calibration folds (each needs churners, so at least ``cv`` of each class).
    learning_rate, max_iter, max_depth, max_leaf_nodes, min_samples_leaf, l2_regularization, monotonic_cst
        Passed to ``HistGradientBoostingClassifier`` (early stopping is off so fits are reproducible). The
        defaults are deliberately shallow and slow: churn windows hold few cancellations, and deeper boosters
        overfit them (out-of-time AUC on the sample company fell from about 0.64 to 0.58 with depth 3, 200 rounds).

    Attributes
    ----------
    booster_ : HistGradientBoostingClassifier
        The boosted model whose scores are calibrated and explained.
    calibrated_ : CalibratedClassifierCV or None
    classes_ : ndarray ``[0, 1]``
    feature_names_in_ : ndarray of str
    n_features_in_ : int
    feature_importance_ : pandas.Series
        Mean |SHAP| (log-odds) per feature over the training rows, descending (computed on first access).
    """

    def __init__(self, random_state: int = 0, calibration: str | None = "isotonic", cv: int = 5,
                 learning_rate: float = 0.03, max_iter: int = 100, max_depth: int | None = 2,
                 max_leaf_nodes: int | None = 31, min_samples_leaf: int = 40, l2_regularization: float = 5.0,
                 monotonic_cst=None):
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

    def _booster(self) -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(
            learning_rate=self.learning_rate, max_iter=self.max_iter, max_depth=self.max_depth,
            max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization, monotonic_cst=self.monotonic_cst, early_stopping=False,
            random_state=self.random_state)

    def fit(self, X, y) -> "ChurnModel":
        """Fit on features ``X`` (customers x numeric features) and 0/1 labels ``y`` (1 = churned)."""
        if self.calibration not in CALIBRATIONS:
            raise ValueError(f"calibration must be one of {list(CALIBRATIONS)}; got {self.calibration!r}")
        frame = _as_frame(X)
        values = _checked_matrix(frame)
        labels = _checked_labels(y, len(frame))
        self.feature_names_in_ = np.array([str(c) for c in frame.columns], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.classes_ = np.array([0, 1])
        if self.calibration is None:
            self.calibrated_ = None
            self.booster_ = self._booster().fit(values, labels)
        else:
            smallest = int(min(labels.sum(), len(labels) - labels.sum()))
            if not (isinstance(self.cv, (int, np.integer)) and 2 <= self.cv <= smallest):
                raise ValueError(f"cv={self.cv!r} calibration folds need at least cv churners and cv stayers; the "
                                 f"smaller class has {smallest}; lower cv (>= 2), add data or set calibration=None")
            folds = StratifiedKFold(int(self.cv), shuffle=True, random_state=self.random_state)
            self.calibrated_ = CalibratedClassifierCV(self._booster(), method=self.calibration, cv=folds,
                                                      ensemble=False).fit(values, labels)
            self.booster_ = self.calibrated_.calibrated_classifiers_[0].estimator
        self._training_values = values
        self._explainer = None
        self._importance = None
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "booster_"):
            raise NotFittedError("This ChurnModel is not fitted yet; call fit(X, y) first.")

    def _matrix(self, X) -> tuple[pd.DataFrame, np.ndarray]:
        self._check_fitted()
        frame = _as_frame(X)
        names = [str(c) for c in frame.columns]
        missing = [c for c in self.feature_names_in_ if c not in names]
        extra = [c for c in names if c not in set(self.feature_names_in_)]
        if missing or extra:
            raise ValueError(f"X does not have the fitted features: missing {missing}, unexpected {extra}; build X "
                             "the same way as for fit (e.g. churn_features on the same facts)")
        frame = frame.set_axis(names, axis=1)[list(self.feature_names_in_)]
        return frame, _checked_matrix(frame)

    def predict_proba(self, X) -> np.ndarray:
        """Calibrated probabilities, n x 2: columns P(stays), P(churns)."""
        _, values = self._matrix(X)
        model = self.booster_ if self.calibrated_ is None else self.calibrated_
        return model.predict_proba(values)

    def predict(self, X) -> np.ndarray:
        """1 where the calibrated churn probability is at least 0.5, else 0."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def _shap_explainer(self):
        """The TreeExplainer of the booster, created on first use and kept."""
        if self._explainer is None:
            import shap  # heavy import, only when an explanation is asked for

            self._explainer = shap.TreeExplainer(self.booster_)
        return self._explainer

    def _shap_values(self, values: np.ndarray) -> np.ndarray:
        contributions = np.asarray(self._shap_explainer().shap_values(values))
        return contributions[..., 1] if contributions.ndim == 3 else contributions

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

        SHAP values come from ``shap.TreeExplainer`` on the boosted model, so they explain the uncalibrated
        score in log-odds (calibration is monotone: what raises the score raises the probability). Features
        with zero contribution are not listed, so a customer can have fewer than ``top`` rows per direction.

        Returns
        -------
        pandas.DataFrame
            ``customer_id`` (X's index), ``direction`` ("raises risk" / "lowers risk"), ``feature``, ``value``
            (the customer's feature value), ``shap``; per customer in X's order, raises first, strongest first.
        """
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
