"""Input validation shared by every forecaster and by the batch API.

Every check raises ``ValueError`` saying what is wrong, where, and how to fix it.
"""
from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError

__all__ = ["NotFittedError", "Series", "validate_long"]

ID, DS, Y = "unique_id", "ds", "y"
REQUIRED_COLUMNS: tuple[str, ...] = (ID, DS, Y)


def _positions(mask: np.ndarray, limit: int = 5) -> str:
    where = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in where[:limit])
    return shown + (", ..." if where.size > limit else "")


def check_y(y, where: str = "y") -> np.ndarray:
    """Return ``y`` as a 1-d float array; reject empty, 2-d, NaN or infinite input."""
    arr = np.asarray(y, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{where} must be 1-d (one series), got shape {arr.shape}; pass one column.")
    if arr.size == 0:
        raise ValueError(f"{where} is empty; pass at least one observation.")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(
            f"{where} has {int(bad.sum())} NaN/inf values at positions {_positions(bad)}; "
            "models need a complete series: fill or drop them first "
            "(forecast(..., fill='interpolate') interpolates them)."
        )
    return arr


def check_h(h) -> int:
    """Return the horizon as a positive int."""
    if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h <= 0:
        raise ValueError(f"horizon h must be a positive integer (steps ahead), got {h!r}; use e.g. h=24.")
    return int(h)


def check_levels(level: Iterable[float]) -> tuple[float, ...]:
    """Return interval levels as a tuple of numbers strictly between 0 and 100."""
    levels = (level,) if np.isscalar(level) else tuple(level)
    for lv in levels:
        if not 0 < float(lv) < 100:
            raise ValueError(f"interval level {lv!r} must lie strictly between 0 and 100, e.g. level=(80, 95).")
    return tuple(sorted(levels))


def check_season_length(season_length) -> tuple[int, ...]:
    """Return season lengths as a tuple of positive ints (an int becomes a 1-tuple)."""
    seasons = (season_length,) if np.isscalar(season_length) else tuple(season_length)
    if not seasons:
        raise ValueError("season_length is empty; pass an int (1 for no season) or a list such as [24, 168].")
    for m in seasons:
        if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
            raise ValueError(
                f"season_length {m!r} must be a positive integer (1 = no seasonality), "
                "or a list of them such as [24, 168]."
            )
    return tuple(int(m) for m in seasons)


def usable_seasons(seasons: Sequence[int], n: int) -> tuple[int, ...]:
    """Seasons that fit at least twice into ``n`` observations (never empty: falls back to 1)."""
    fit = tuple(m for m in seasons if m > 1 and n >= 2 * m)
    return fit or (1,)


def check_exog(X, n: int, where: str) -> np.ndarray | None:
    """Return exogenous regressors as a 2-d float array with ``n`` rows, or None."""
    if X is None:
        return None
    arr = np.asarray(X, dtype=float)
    arr = arr.reshape(-1, 1) if arr.ndim == 1 else arr
    if arr.shape[0] != n:
        raise ValueError(f"{where} has {arr.shape[0]} rows but {n} are needed (one per time step).")
    if not np.isfinite(arr).all():
        raise ValueError(f"{where} contains NaN/inf values; fill them before forecasting.")
    return arr


@dataclass(frozen=True)
class Series:
    """One validated series: timestamps (regular), values, optional regressors, the step."""

    ds: pd.Index
    y: np.ndarray
    X: np.ndarray | None
    step: object  # a Timedelta / DateOffset-free step, or an int for integer ds


def _step_of(uid, ds: pd.Index):
    if isinstance(ds, pd.DatetimeIndex) and ds.size >= 3 and pd.infer_freq(ds) is not None:
        return pd.tseries.frequencies.to_offset(pd.infer_freq(ds))  # calendar steps such as month ends
    diffs = np.diff(ds.to_numpy())
    if diffs.size == 0:
        return pd.Timedelta(1, "D") if isinstance(ds, pd.DatetimeIndex) else 1
    step = np.min(diffs)
    ratio = diffs / step
    if not np.allclose(ratio, np.round(ratio)):
        first = int(np.flatnonzero(~np.isclose(ratio, np.round(ratio)))[0])
        raise ValueError(
            f"series {uid!r} has irregular timestamps: step {ds[first]} -> {ds[first + 1]} is not a multiple of "
            f"its smallest step {pd.Timedelta(step) if isinstance(ds, pd.DatetimeIndex) else step}; "
            "resample it to a regular frequency (e.g. df.resample('h').sum()) first."
        )
    return pd.Timedelta(step) if isinstance(ds, pd.DatetimeIndex) else step


def _complete(uid, ds, y, X, step, fill):
    full = pd.date_range(ds[0], ds[-1], freq=step) if isinstance(ds, pd.DatetimeIndex) else pd.Index(
        np.arange(ds[0], ds[-1] + step, step))
    gaps = full.size != ds.size
    nans = np.isnan(y)
    if not (gaps or nans.any()):
        return ds, y, X
    if fill != "interpolate":
        if gaps:
            first = full[~full.isin(ds)][0]
            what = f"a gap: {full.size - ds.size} missing timestamps, the first at {first}"
        else:
            what = f"{int(nans.sum())} NaN values in y, the first at ds={ds[int(np.argmax(nans))]}"
        raise ValueError(
            f"series {uid!r} has {what}; fill them upstream or pass fill='interpolate' "
            "to interpolate linearly."
        )
    frame = pd.DataFrame(np.column_stack([y, X]) if X is not None else y[:, None], index=ds).reindex(full)
    frame = frame.interpolate(method="linear", limit_direction="both")
    values = frame.to_numpy()
    return full, values[:, 0], (values[:, 1:] if X is not None else None)


def _check_frame(df: pd.DataFrame, fill: str | None) -> None:
    """The frame-level checks: a DataFrame, the three columns, a known ``fill``, rows, no repeated pair."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"expected a pandas DataFrame with columns {list(REQUIRED_COLUMNS)}, got {type(df).__name__}.")
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(
            f"input frame is missing column(s) {missing}; it has {list(df.columns)}. "
            f"Rename to the long format {list(REQUIRED_COLUMNS)} (e.g. df.rename(columns={{'date': 'ds'}}))."
        )
    if fill not in (None, "interpolate"):
        raise ValueError(f"fill={fill!r} is not an option; use None (gaps are errors) or 'interpolate'.")
    if df.empty:
        raise ValueError("input frame has no rows; pass at least one observation per series.")
    dup = df.duplicated([ID, DS], keep=False)
    if dup.any():
        rows = df.loc[dup, [ID, DS]].head(3).to_dict("records")
        raise ValueError(
            f"{int(dup.sum())} rows share a (unique_id, ds) pair, e.g. {rows}; aggregate them first "
            "(df.groupby(['unique_id', 'ds'], as_index=False)['y'].sum())."
        )


def _one_series(uid, part: pd.DataFrame, extra: list[str], fill: str | None) -> Series:
    """One series' rows (sorted by ds) as a regular, complete ``Series``."""
    ds = pd.Index(part[DS])
    ds = pd.DatetimeIndex(ds) if not pd.api.types.is_numeric_dtype(ds) else ds
    y = pd.to_numeric(part[Y], errors="coerce").to_numpy(dtype=float)
    X = part[extra].to_numpy(dtype=float) if extra else None
    if X is not None and np.isnan(X).any():
        col = extra[int(np.flatnonzero(np.isnan(X).any(axis=0))[0])]
        raise ValueError(
            f"regressor {col!r} of series {uid!r} has {int(np.isnan(X).sum())} missing values; "
            "give a value for every timestamp of y (0 where there was no promotion, for example)."
        )
    step = _step_of(uid, ds)
    ds, y, X = _complete(uid, ds, y, X, step, fill)
    if np.isinf(y).any():
        raise ValueError(f"series {uid!r} has infinite values in y; replace them before forecasting.")
    return Series(ds, y, X, step)


def validate_long(df: pd.DataFrame, fill: str | None = None) -> dict:
    """Check a long frame ``unique_id, ds, y[, regressors...]`` and split it into ``Series``.

    Errors name the series and the problem: missing columns, duplicate (unique_id, ds),
    irregular timestamps, gaps or NaNs (unless ``fill='interpolate'``). Negative values
    are allowed (returns, corrections) but trigger a ``UserWarning`` naming the series.
    """
    _check_frame(df, fill)
    extra = [c for c in df.columns if c not in REQUIRED_COLUMNS]
    out = {uid: _one_series(uid, part, extra, fill) for uid, part in df.sort_values([ID, DS]).groupby(ID, sort=True)}
    negative = [uid for uid, s in out.items() if (s.y < 0).any()]
    if negative:
        warnings.warn(
            f"{len(negative)} series have negative values (e.g. {negative[:3]}); they are forecast as they are. "
            "If negatives are returns or corrections you do not want forecast, remove them first.",
            UserWarning, stacklevel=3,
        )
    return out
