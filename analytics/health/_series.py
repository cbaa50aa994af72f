"""The metric-series contract shared by the predictions: a frame ``at, value`` checked once, then put on a grid.

Metric series come from the store at three resolutions (raw every ~10 s, 1-minute and 1-hour points), so
sampling may be irregular; the predictions bin a series onto a regular grid (mean per bin, gaps interpolated)
before trends or forecasts are fitted. Timestamps are UTC: naive ones are taken as UTC, aware ones converted.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

AT, VALUE = "at", "value"

# grid steps tried from the finest; the first that keeps the series within the point budget is used
_STEPS = tuple(pd.Timedelta(s) for s in ("10s", "30s", "1min", "5min", "15min", "30min", "1h", "3h", "6h", "1D"))


def _rows(mask: np.ndarray, limit: int = 5) -> str:
    where = np.flatnonzero(mask)
    return ", ".join(str(i) for i in where[:limit]) + (", ..." if where.size > limit else "")


def utc(when, name: str = "now") -> pd.Timestamp:
    """``when`` as a UTC timestamp (naive means UTC); a clear error for anything that is not a time."""
    try:
        ts = pd.Timestamp(when)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}={when!r} is not a timestamp; pass e.g. pd.Timestamp('2026-12-07 12:00', tz='UTC')."
                         ) from exc
    if ts is pd.NaT or pd.isna(ts):
        raise ValueError(f"{name} is missing (NaT); pass the current UTC time.")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def check_series(series, name: str = "series") -> pd.DataFrame:
    """Validate a metric frame and return ``at`` (UTC) and ``value`` (float) only.

    Raises ``ValueError`` naming the column, the rows and the fix for: not a frame, a missing column, no rows,
    unparseable or missing timestamps, non-numeric or missing values, timestamps out of order or repeated.
    """
    if not isinstance(series, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame with columns `at` and `value`, got "
                         f"{type(series).__name__}; build one with pd.DataFrame({{'at': times, 'value': values}}).")
    missing = [c for c in (AT, VALUE) if c not in series.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {', '.join(f'`{c}`' for c in missing)} (has "
                         f"{list(series.columns)}); rename the time column to `at` and the measurement to `value`.")
    if series.empty:
        raise ValueError(f"{name} has no rows; collect some history of the metric first.")
    try:
        with warnings.catch_warnings():  # pandas warns before failing on text it cannot parse; the error says it
            warnings.simplefilter("ignore", UserWarning)
            at = pd.to_datetime(series[AT], utc=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"column `at` of {name} holds values that are not timestamps ({exc}); "
                         "pass datetimes or ISO strings such as '2026-12-07T12:00:00Z'.") from exc
    if at.isna().any():
        bad = at.isna().to_numpy()
        raise ValueError(f"column `at` of {name} has {int(bad.sum())} missing timestamps in rows {_rows(bad)}; "
                         "drop those rows first, e.g. frame.dropna(subset=['at']).")
    value = pd.to_numeric(series[VALUE], errors="coerce")
    text = value.isna().to_numpy() & series[VALUE].notna().to_numpy()
    if text.any():
        raise ValueError(f"column `value` of {name} has {int(text.sum())} non-numeric entries in rows {_rows(text)} "
                         f"(e.g. {series[VALUE].iloc[int(np.argmax(text))]!r}); convert them with "
                         "pd.to_numeric(frame['value'], errors='coerce') and drop the NaNs.")
    bad = ~np.isfinite(value.to_numpy(dtype=float))
    if bad.any():
        raise ValueError(f"column `value` of {name} has {int(bad.sum())} NaN/inf values in rows {_rows(bad)}; "
                         "drop them first, e.g. frame.dropna(subset=['value']).")
    step = np.diff(at.dt.tz_localize(None).to_numpy().astype("datetime64[ns]").astype(np.int64))
    if (step < 0).any():
        back = np.r_[False, step < 0]
        raise ValueError(f"column `at` of {name} is not in time order (rows {_rows(back)} go back in time); "
                         "sort it first: frame.sort_values('at').")
    if (step == 0).any():
        dup = np.r_[False, step == 0]
        raise ValueError(f"column `at` of {name} repeats {int(dup.sum())} timestamps (rows {_rows(dup)}); "
                         "keep one value per time, e.g. frame.groupby('at', as_index=False)['value'].mean().")
    return pd.DataFrame({AT: at.reset_index(drop=True), VALUE: value.to_numpy(dtype=float)})


def grid_step(span: pd.Timedelta, max_points: int, at_least: pd.Timedelta | None = None) -> pd.Timedelta:
    """The finest standard step that puts ``span`` in at most ``max_points`` bins (and is >= ``at_least``)."""
    for step in _STEPS:
        if (at_least is None or step >= at_least) and span / step <= max_points:
            return step
    return _STEPS[-1]


def on_grid(frame: pd.DataFrame, step: pd.Timedelta, how: str = "mean") -> pd.Series:
    """The series binned to ``step`` (bins labelled by their start; mean, max or min per bin), gaps interpolated."""
    binned = frame.set_index(AT)[VALUE].resample(step).agg(how)
    return binned.interpolate(method="linear", limit_direction="both")


def native_step(frame: pd.DataFrame) -> pd.Timedelta:
    """The typical spacing of the points (median difference), for series already at a coarse resolution."""
    if len(frame) < 2:
        return _STEPS[0]
    return pd.Timedelta(frame[AT].diff().median())


def duration_text(days: float) -> str:
    """A human duration: minutes, hours or days with one decimal where it helps."""
    hours = days * 24
    if hours < 1:
        return f"{max(hours * 60, 1):.0f} min"
    if hours < 48:
        return f"{hours:.1f} hours"
    return f"{days:.1f} days"


def when_text(ts: pd.Timestamp) -> str:
    """A time the way operators read it: 'Thu 10 Dec ~14:00 UTC' (rounded to the hour)."""
    return ts.round("h").strftime("%a %d %b ~%H:%M UTC")


def clock_text(ts: pd.Timestamp) -> str:
    """A time to the minute: 'Thu 10 Dec 14:05 UTC'."""
    return ts.strftime("%a %d %b %H:%M UTC")
