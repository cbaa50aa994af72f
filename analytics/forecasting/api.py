"""Batch API on long frames: ``forecast`` and ``backtest`` for many series at once.

Input: a long frame ``unique_id, ds, y`` (checked by ``validate_long``: missing columns,
duplicate (unique_id, ds), irregular timestamps, gaps/NaNs unless ``fill='interpolate'``
are errors; negative values are kept with a warning).

Which model a series gets (reported in the ``model`` column):

- ``"naive (short series)"``: fewer than ``MIN_POINTS`` (5) observations; the naive
  forecast with normal intervals from its differences (+/- 1% of the level if it has one point).
- ``"naive (constant series)"``: every value equal; the constant with a small interval of
  +/- 1% of the level, since there is no variation to measure.
- ``"ensemble"``: an ``EnsembleForecaster`` over ``models`` (default ``default_members``)
  with the seasons that fit at least twice into the series; a series too short for any
  season gets the non-seasonal ensemble and ``"ensemble (non-seasonal)"``.
- When the ensemble itself falls back, the label names the member used:
  ``"<member> (best member)"`` or ``"<member> (no backtest window)"``.

Global models (opt-in: ``forecast(..., global_models=global_members(season_length))``, with
``global_members`` and ``PrecomputedForecaster`` from ``analytics.forecasting``):
each model is trained once on all series together (``fit_global``) at every backtest cutoff
and once on the full data, and its forecasts join every series' ensemble as the member
``"<model> (global)"``, weighted on the same backtest windows as the local members. A series
takes part when it gets the ensemble and its earliest backtest training part holds two of the
longest seasons (the others get the local ensemble only). The cost is ``n_windows + 1`` global
fits (run in parallel with ``n_jobs``), which pays off on many long series. On M4 Hourly
(414 series, ``benchmarks/m4.py``): OWA 0.541 with the default members; 0.451 adding the
global GBM with ``criterion="mase_smape"``; 0.446 in 84 s with ``models=[SeasonalNaive(),
Theta()]`` plus the global GBM (MSTL no longer helps there and was most of the time).
For a few dozen short series leave it off. ``backtest()`` scores the local members only.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone

from analytics.forecasting._checks import (
    DS, ID, Y, Series, check_h, check_levels, check_season_length, usable_seasons, validate_long,
)
from analytics.forecasting.ensemble import EnsembleForecaster, mase_scale
from analytics.forecasting.members import PrecomputedForecaster, default_members
from analytics.forecasting.gbm import global_max_lag
from analytics.forecasting.base import interval_columns
from analytics.forecasting.models import SeasonalNaive

_Z80 = 1.2815515655446004

__all__ = ["MIN_POINTS", "forecast", "backtest"]

MIN_POINTS = 5


def _with_seasons(models, seasons):
    templates = default_members(list(seasons)) if models is None else list(models)
    out = []
    for est in templates:
        est = clone(est)
        if "season_length" in est.get_params():
            est.set_params(season_length=list(seasons) if len(seasons) > 1 else seasons[0])
        out.append(est)
    return out


def _plan(y, seasons, h, models, n_windows, extra=(), criterion="mase", calibration_windows=None):
    """The estimator for one series and the label saying which fallback, if any, applies."""
    if y.size < MIN_POINTS:
        return SeasonalNaive(1), "naive (short series)"
    if np.ptp(y) == 0:
        return SeasonalNaive(1), "naive (constant series)"
    fit = usable_seasons(seasons, y.size)
    label = "ensemble" if fit != (1,) or seasons == (1,) else "ensemble (non-seasonal)"
    members = _with_seasons(models, fit) + list(extra)
    return EnsembleForecaster(members, season_length=list(fit), h=h, n_windows=n_windows, criterion=criterion,
                              n_calibration_windows=calibration_windows), label


def _label(est, label):
    fallback = getattr(est, "fallback_", None)
    if not fallback:
        return label
    chosen = max(est.weights_, key=est.weights_.get)
    why = "best member" if fallback.startswith("best") else "no backtest window"
    return f"{chosen} ({why}{', non-seasonal' if 'non-seasonal' in label else ''})"


def _future_ds(s: Series, h):
    if isinstance(s.ds, pd.DatetimeIndex):
        return pd.date_range(s.ds[-1], periods=h + 1, freq=s.step)[1:]
    return s.ds[-1] + s.step * np.arange(1, h + 1)


def _forecast_one(uid, s, h, seasons, levels, models, n_windows, X_future, extra=(), criterion="mase",
                  calibration_windows=None):
    est, label = _plan(s.y, seasons, h, models, n_windows, extra, criterion, calibration_windows)
    est.fit(s.y, s.X)
    frame = est.predict(h, level=levels, X_future=X_future)
    frame.insert(0, DS, _future_ds(s, h))
    frame.insert(0, ID, uid)
    frame["model"] = _label(est, label)
    return frame


def _join_exog(df, X):
    if not isinstance(df, pd.DataFrame) or not {ID, DS, Y} <= set(df.columns):
        return df  # validate_long explains what is missing
    core = df[[ID, DS, Y]]  # other columns (region, ...) are not regressors unless given as X
    return core if X is None else core.merge(X, on=[ID, DS], how="left", validate="one_to_one")


def _future_exog(X_future, panel, h):
    if X_future is None:
        return {uid: None for uid in panel}
    rows = {uid: part.sort_values(DS).drop(columns=[ID, DS]).to_numpy(dtype=float)
            for uid, part in X_future.groupby(ID)}
    for uid in panel:
        got = rows.get(uid)
        if got is None or len(got) != h:
            raise ValueError(
                f"X_future needs {h} rows for series {uid!r} (one per forecast step), "
                f"got {0 if got is None else len(got)}; extend the regressors to the horizon."
            )
    return rows


def _global_eligible(panel, h, seasons, n_windows):
    """Series a global model is trained on: they get the ensemble and stay long at every cutoff."""
    need = max(2 * max(seasons), MIN_POINTS)
    return {uid: s for uid, s in panel.items() if np.ptp(s.y) > 0 and s.y.size - n_windows * h >= need}


def _stacked(series: dict) -> pd.DataFrame:
    """One long frame of validated series (regressors as columns ``x0, x1, ...``), with each row's position."""
    parts = []
    for uid, s in series.items():
        part = pd.DataFrame({ID: uid, DS: s.ds, Y: s.y, "_pos": np.arange(s.y.size), "_left": s.y.size})
        if s.X is not None:
            part[[f"x{j}" for j in range(s.X.shape[1])]] = s.X
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _global_run(template, frame, series, h, cut_back, futures):
    """Fit ``template`` on every series without its last ``cut_back`` points; (mean, sd) per series."""
    part = frame[frame["_pos"] < frame["_left"] - cut_back].drop(columns=["_pos", "_left"])
    if cut_back:
        futures = {uid: None if s.X is None else s.X[s.y.size - cut_back:s.y.size - cut_back + h]
                   for uid, s in series.items()}
    has_x = any(f is not None for f in futures.values())
    out = clone(template).fit_global(part).predict_global(h, level=(80,), X_future=futures if has_x else None)
    return {uid: (g["mean"].to_numpy(), (g["hi-80"] - g["lo-80"]).to_numpy() / (2 * _Z80))
            for uid, g in out.groupby(ID, sort=False)}


def _global_members(panel, h, seasons, n_windows, global_models, futures, n_jobs=None) -> dict:
    """For each eligible series, one ``PrecomputedForecaster`` per global model (empty lists for the rest)."""
    series = _global_eligible(panel, h, seasons, n_windows)
    extra = {uid: [] for uid in panel}
    if not series or not global_models:
        return extra
    frame = _stacked(series)
    shortest = min(s.y.size for s in series.values()) - n_windows * h
    names = [getattr(t, "name", None) or type(t).__name__ for t in global_models]
    for name, template in zip(names, global_models):
        template = clone(template)
        if "lags" in template.get_params() and template.lags is not None:
            # the same lags at every cutoff, so the backtest scores the model that makes the forecast
            template.set_params(lags=[l for l in template.lags if l <= global_max_lag(shortest)] or [1])
        cuts = range(n_windows, -1, -1)
        runs = dict(zip(cuts, Parallel(n_jobs=n_jobs)(
            delayed(_global_run)(template, frame, series, h, k * h, futures) for k in cuts)))
        for uid, s in series.items():
            forecasts = {s.y.size - k * h: run[uid] for k, run in runs.items()}
            extra[uid].append(PrecomputedForecaster(forecasts, name=f"{name} (global)"))
    return extra


def forecast(df: pd.DataFrame, h: int, season_length, level=(80, 95), n_jobs: int | None = None, models=None,
             X: pd.DataFrame | None = None, X_future: pd.DataFrame | None = None, fill: str | None = None,
             n_windows: int = 3, global_models=None, criterion: str = "mase",
             calibration_windows: int | None = None) -> pd.DataFrame:
    """Forecast every series of a long frame ``h`` steps ahead with intervals.

    Parameters
    ----------
    df : DataFrame
        Long frame ``unique_id, ds, y``.
    h : int
        Horizon in steps (> 0).
    season_length : int or list of int
        E.g. 24 or ``[24, 168]``; 1 for none.
    level : sequence of float
        Interval levels in percent.
    n_jobs : int, optional
        Processes across series (joblib); results equal the sequential run.
    models : list of forecasters, optional
        Ensemble members (their ``season_length`` is set per series); default ``default_members``.
    X, X_future : DataFrame, optional
        Regressors, long ``unique_id, ds, <columns>``: ``X`` on ``df``'s rows, ``X_future`` on the ``h`` next steps.
    fill : {None, "interpolate"}
        Gaps and NaNs are an error (default) or interpolated linearly.
    n_windows : int
        Backtest windows for the ensemble weights and intervals.
    global_models : list of forecasters with ``fit_global``, optional
        Trained once on all series, each joins every series' ensemble (module docstring); default none.
    criterion : {"mase", "mase_smape"}
        The ensemble's backtest score; ``"mase_smape"`` weighs sMAPE as much as MASE, as M4's OWA does.
    calibration_windows : int, optional
        Rolling windows the intervals are calibrated on (default ``n_windows``); the older ones only
        calibrate (the weights come from the ``n_windows`` latest). More scores for short horizons or
        series whose latest windows were calmer than usual, at the cost of more backtest fits.

    Returns
    -------
    DataFrame
        ``unique_id, ds, mean, lo-80, hi-80, lo-95, hi-95, model``.
    """
    h, levels, seasons = check_h(h), check_levels(level), check_season_length(season_length)
    panel = validate_long(_join_exog(df, X), fill=fill)
    futures = _future_exog(X_future, panel, h) if X is not None else {uid: None for uid in panel}
    if calibration_windows is not None and (isinstance(calibration_windows, bool) or not isinstance(
            calibration_windows, (int, np.integer)) or calibration_windows < 1):
        raise ValueError(f"calibration_windows must be a positive integer or None, got {calibration_windows!r}.")
    rolling = max(int(n_windows), int(calibration_windows or 0))
    extra = _global_members(panel, h, seasons, rolling, global_models, futures, n_jobs)
    frames = Parallel(n_jobs=n_jobs)(delayed(_forecast_one)(
        uid, s, h, seasons, levels, models, n_windows, futures[uid], extra[uid], criterion, calibration_windows)
        for uid, s in panel.items())
    return pd.concat(frames, ignore_index=True)


def _scores(actual, pred, scale, levels):
    mean = pred["mean"].to_numpy()
    denom = np.abs(actual) + np.abs(mean)
    smape = np.where(denom > 0, 200 * np.abs(actual - mean) / np.where(denom > 0, denom, 1), 0.0)
    mae = float(np.mean(np.abs(actual - mean)))
    row = {"mase": mae / scale if scale > 0 else np.nan, "smape": float(np.mean(smape))}
    for lv, lo, hi in zip(levels, interval_columns(levels)[1::2], interval_columns(levels)[2::2]):
        inside = (actual >= pred[lo].to_numpy()) & (actual <= pred[hi].to_numpy())
        row[f"coverage-{lo[3:]}"] = float(np.mean(inside))
    return row


def _backtest_one(uid, s, h, n_windows, seasons, levels, models):
    rows = []
    min_train = MIN_POINTS  # shorter training parts get the same fallbacks as forecast()
    cutoffs = [s.y.size - k * h for k in range(n_windows, 0, -1) if s.y.size - k * h >= min_train]
    for w, cut in enumerate(cutoffs):
        train, actual = s.y[:cut], s.y[cut:cut + h]
        m = seasons[0] if train.size > seasons[0] else 1
        scale = mase_scale(train, m, floor=False)
        est, label = _plan(train, seasons, h, models, n_windows)
        est.fit(train)
        fitted = {"ensemble": est, **getattr(est, "members_", {})}
        if not isinstance(est, EnsembleForecaster):
            fitted = {label: est}
        for name, model in fitted.items():
            rows.append({ID: uid, "model": name, "window": w,
                         **_scores(actual, model.predict(h, level=levels), scale, levels)})
    if not rows:
        return pd.DataFrame({ID: [uid], "model": ["(too short to backtest)"], "window": [np.nan]})
    return pd.DataFrame(rows)


def backtest(df: pd.DataFrame, h: int, n_windows: int, season_length, models=None, level=(80, 95),
             fill: str | None = None, n_jobs: int | None = None) -> pd.DataFrame:
    """Rolling-origin backtest per series and per model (every member and the ensemble).

    Windows end ``h, 2h, ...`` steps before each series' end; a window needs at least
    ``MIN_POINTS`` training points and its training part is forecast with the same
    fallbacks as ``forecast`` (the ``model`` column says which); a series with no window gets a row with model
    ``"(too short to backtest)"`` and NaN scores.
    The ensemble is refitted at each cutoff (its own weights are learned on earlier data only).

    Returns
    -------
    DataFrame
        ``unique_id, model, n_windows, mase, smape, coverage-80, coverage-95`` (one
        coverage column per level). MASE divides the mean absolute error by the in-sample
        seasonal-naive MAE of the training part (NaN where that MAE is 0, e.g. a constant
        training part: MASE is undefined there); sMAPE is M4's ``mean(200|y-f|/(|y|+|f|))``;
        both are averaged over windows.
    """
    h, levels, seasons = check_h(h), check_levels(level), check_season_length(season_length)
    if isinstance(n_windows, bool) or not isinstance(n_windows, (int, np.integer)) or n_windows < 1:
        raise ValueError(f"n_windows must be a positive integer, got {n_windows!r}; use e.g. n_windows=3.")
    panel = validate_long(_join_exog(df, None), fill=fill)
    parts = Parallel(n_jobs=n_jobs)(
        delayed(_backtest_one)(uid, s, h, int(n_windows), seasons, levels, models) for uid, s in panel.items()
    )
    rows = pd.concat(parts, ignore_index=True)
    metrics = [c for c in rows.columns if c not in (ID, "model", "window")]
    out = rows.groupby([ID, "model"], sort=False).agg(
        n_windows=("window", "count"), **{c: (c, "mean") for c in metrics}
    )
    return out.reset_index()
