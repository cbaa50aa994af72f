"""Input checks for ``analytics.retention.clv``: arrays of customer summaries, with errors that name the rows and the fix."""
from __future__ import annotations

import numpy as np
import pandas as pd

SHOWN_ROWS = 5


def where(mask: np.ndarray, labels: np.ndarray | None = None) -> str:
    """'rows 4, 9, 12, ... (12 in all)': the first offending row labels (positions when there are none)."""
    positions = np.flatnonzero(mask)
    shown = (positions if labels is None else np.asarray(labels)[positions])[:SHOWN_ROWS]
    more = ", ..." if len(positions) > SHOWN_ROWS else ""
    return f"rows {', '.join(str(v) for v in shown)}{more} ({len(positions)} in all)"


def labels_of(*values) -> np.ndarray | None:
    """The index of the first pandas argument, so errors name customer ids rather than positions."""
    for value in values:
        if isinstance(value, (pd.Series, pd.DataFrame)):
            return value.index.to_numpy()
    return None


def as_vector(name: str, value, length: int | None = None) -> np.ndarray:
    """A finite 1-d float array (a scalar becomes length 1)."""
    array = np.atleast_1d(np.asarray(value, dtype=float))
    if array.ndim != 1:
        raise ValueError(f"`{name}` must be one-dimensional (one value per customer); got shape {array.shape}")
    if length is not None and len(array) != length:
        raise ValueError(f"`{name}` has {len(array)} values but `frequency` has {length}; pass one value per "
                         "customer in the same order")
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(f"`{name}` has missing or infinite values in {where(bad)}; drop or fill those customers")
    return array


def summary_arrays(frequency, recency, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated ``(x, t_x, T)`` for the BG/NBD model."""
    labels = labels_of(frequency, recency, T)
    x = as_vector("frequency", frequency)
    if len(x) == 0:
        raise ValueError("there are no customers; pass at least one (frequency, recency, T) row")
    t_x, age = as_vector("recency", recency, len(x)), as_vector("T", T, len(x))
    checks = [
        (x < 0, "`frequency` is negative", "frequency counts repeat purchases and must be >= 0"),
        (t_x < 0, "`recency` is negative", "recency is the age at the last purchase and must be >= 0"),
        (age < 0, "`T` is negative", "T is the customer's age at the end of calibration and must be >= 0"),
        (t_x > age + 1e-9, "`recency` exceeds `T`", "the last purchase cannot come after the calibration end; "
         "check that both use the same time unit and calibration end (rfm_summary builds them consistently)"),
        ((x == 0) & (t_x > 0), "`recency` is positive while `frequency` is 0",
         "recency must be 0 for customers without repeat purchases"),
    ]
    for mask, what, fix in checks:
        if mask.any():
            raise ValueError(f"{what} in {where(mask, labels)}; {fix}")
    return x, t_x, age


def spend_arrays(frequency, monetary_value) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``(x, zbar)`` for the Gamma-Gamma model (every customer, frequency 0 included)."""
    labels = labels_of(frequency, monetary_value)
    x = as_vector("frequency", frequency)
    if len(x) == 0:
        raise ValueError("there are no customers; pass at least one (frequency, monetary_value) row")
    zbar = as_vector("monetary_value", monetary_value, len(x))
    if (x < 0).any():
        raise ValueError(f"`frequency` is negative in {where(x < 0, labels)}; it counts repeat purchases (>= 0)")
    bad = (x > 0) & (zbar <= 0)
    if bad.any():
        raise ValueError(f"`monetary_value` is zero or negative for customers with repeat purchases in "
                         f"{where(bad, labels)}; the Gamma-Gamma model needs positive spend: filter refunds and "
                         "zero-value orders out of the orders before building the summary")
    return x, zbar
