"""Input checks shared by ``analytics.retention``: order logs, customer summaries and fitted-ness.

Every error says what is wrong, where (the column, the first offending rows or customer ids) and what to do:
"column `revenue` has negative values in rows 4, 9 (2 in all); amounts must be >= 0: filter refunds and
returns out first". :func:`check_order_log` is the one checker of order logs (one row per order with a
customer id, a date and an amount) that cohorts, RFM scores, the CLV summary and the retention facts apply.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError

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


def require_columns(frame: pd.DataFrame, columns, name: str, fix: str, *, plural: bool = False) -> None:
    """Raise ``ValueError("<name> lacks columns [...]; <fix>")`` when ``frame`` misses any of ``columns``.

    ``plural`` words it for a plural name ("orders lack columns").
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} {'lack' if plural else 'lacks'} columns {missing}; {fix}")


def check_fitted(estimator, attribute: str, how: str) -> None:
    """Raise scikit-learn's ``NotFittedError`` naming the class and the call to make when ``attribute`` is unset."""
    if not hasattr(estimator, attribute):
        raise NotFittedError(f"This {type(estimator).__name__} is not fitted yet; call {how} first.")


def check_order_log(frame: pd.DataFrame, customer: str = "customer_id", date: str = "order_date",
                    amount: str = "revenue", *, name: str = "orders", parse_dates: bool = False) -> pd.DataFrame:
    """The ``customer``, ``date`` and ``amount`` columns of an order log, checked.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per order (or transaction); ``customer``, ``date`` and ``amount`` name its columns.
    name : str
        What the frame is called in messages ("orders", "transactions").
    parse_dates : bool
        Convert ``date`` with ``pd.to_datetime``; otherwise it must already be datetime64.

    Returns
    -------
    pandas.DataFrame
        A copy of the three columns with the index kept (so later messages can name rows).

    Raises
    ------
    TypeError, ValueError
        Not a DataFrame, missing columns, no rows, empty cells, dates that are not dates, amounts that are
        not numbers or are negative; each message names the column, the rows and the fix.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame with columns {customer!r}, {date!r}, {amount!r}; "
                        f"got {type(frame).__name__}")
    # "orders lack columns", "transactions lack columns"
    require_columns(frame, (customer, date, amount), name, f"found {list(frame.columns)}; name the right ones "
                    "with customer=, date= and amount=", plural=name.endswith("s"))
    if frame.empty:
        raise ValueError(f"{name} is empty; pass at least one order")
    out = frame[[customer, date, amount]].copy()
    for column in (customer, date, amount):
        empty = out[column].isna().to_numpy()
        if empty.any():
            raise ValueError(f"column `{column}` is empty in {where(empty, out.index)}; drop or fill those rows")
    out[date] = _dates(out[date], parse_dates, name)
    _check_amounts(out[amount], name)
    return out


def _check_amounts(values: pd.Series, name: str) -> None:
    if not pd.api.types.is_numeric_dtype(values):
        raise ValueError(f"column `{values.name}` has dtype {values.dtype}, not numeric; convert it with "
                         f"pd.to_numeric({name}[{values.name!r}])")
    negative = (values < 0).to_numpy()
    if negative.any():
        raise ValueError(f"column `{values.name}` has negative values in {where(negative, values.index)}; amounts "
                         "must be >= 0: filter refunds and returns out first")


def _dates(values: pd.Series, parse: bool, name: str) -> pd.Series:
    if parse:
        try:
            return pd.to_datetime(values)
        except (ValueError, TypeError) as error:
            raise ValueError(f"column `{values.name}` is not a date ({error}); convert it with pd.to_datetime") \
                from None
    if not pd.api.types.is_datetime64_any_dtype(values):
        raise ValueError(f"column `{values.name}` has dtype {values.dtype}, not datetime; convert it first with "
                         f"{name}[{values.name!r}] = pd.to_datetime({name}[{values.name!r}])")
    return values


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
