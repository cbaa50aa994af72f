"""The churn model's input checks: a numeric feature table ``X`` and 0/1 labels ``y``, with errors naming the
columns, the rows and the fix."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics._checks import where
from analytics.retention.churn.features import label_counts_error

__all__ = ["as_frame", "checked_matrix", "checked_labels"]


def as_frame(X) -> pd.DataFrame:
    """``X`` as a DataFrame (an array's columns are named ``x0, x1, ...``)."""
    if isinstance(X, pd.DataFrame):
        return X
    array = np.asarray(X)
    if array.ndim != 2:
        raise ValueError(f"X must be a 2-D table (customers x features); got shape {array.shape}")
    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])


def checked_matrix(X: pd.DataFrame) -> np.ndarray:
    """The float values of ``X``: at least one row, numeric columns, no infinities (NaN is allowed)."""
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
        raise ValueError(f"X columns {columns} hold infinite values in {where(infinite.any(axis=1), X.index)}; "
                         "replace them with a finite number or NaN (missing values are allowed)")
    return values


def checked_labels(y, n_rows: int) -> np.ndarray:
    """``y`` as an integer 0/1 array of ``n_rows`` labels holding both classes."""
    labels = pd.Series(np.asarray(y).ravel())
    if len(labels) != n_rows:
        raise ValueError(f"y has {len(labels)} labels but X has {n_rows} rows; pass one label per customer")
    bad = ~labels.isin([0, 1, True, False]).to_numpy()
    if bad.any():
        raise ValueError(f"y must be 0/1 (1 = churned); {where(bad)} hold {labels[bad].unique()[:5].tolist()}")
    labels = labels.astype(int)
    message = label_counts_error(labels, "the training labels")
    if message:
        raise ValueError(message)
    return labels.to_numpy()
