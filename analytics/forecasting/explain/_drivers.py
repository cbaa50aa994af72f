"""The gradient-boosted member's value on every day, split into named drivers in the series' units.

The member (:class:`~analytics.forecasting.events.EventAdjusted` around a
:class:`~analytics.forecasting.GBMForecaster`) is trees on the event-adjusted series, put back on the calendar:
``value = A × exp(events + yearly season + expected lifts)`` (or ``+ events`` for a series with many zero days).

- ``A``: SHAP values of the trees (``shap.TreeExplainer``, exact for trees) on each day's inputs, unscaled to the
  series' units, plus the trees' expected output (the *typical level*). Forecast days' lags are the forecasts
  before them, exactly as the member forecasts recursively.
- The calendar: each event column's coefficient times the day's value, the regression's yearly season, and the
  lift analysts expect of events never seen before, shared out by :func:`._parts.log_shares`.

Parts plus the typical level add up to the member's value on every day (tested).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.forecasting.demand_calendar import NodeCalendar
from analytics.forecasting.explain._parts import BASE_REGRESSORS, EXPECTED, RECENT, YEAR, feature_group, log_shares

__all__ = ["CONTRIBUTION_COLUMNS", "DAY_COLUMNS", "member_drivers"]

CONTRIBUTION_COLUMNS = ["ds", "driver", "group", "contribution", "share"]
DAY_COLUMNS = ["ds", "ahead", "value", "typical"]


def _shap(regressor, frame: pd.DataFrame) -> tuple[np.ndarray, float]:
    import shap  # heavy import, only when an explanation is asked for

    explainer = shap.TreeExplainer(regressor)
    values = np.asarray(explainer.shap_values(frame.to_numpy(dtype=float)), dtype=float)
    return values, float(np.ravel(explainer.expected_value)[0])


def _tree_parts(gbm, frame: pd.DataFrame, carried: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``(typical level per row, {driver: part})`` of the trees' output in the series' units."""
    phi, expected = _shap(gbm.regressor_, frame)
    names = dict(zip(gbm.regressor_names_, BASE_REGRESSORS))
    groups = [feature_group(str(c), names) for c in frame.columns]
    logs = {g: np.zeros(len(frame)) for g in dict.fromkeys(groups)}
    for j, g in enumerate(groups):
        logs[g] = logs[g] + phi[:, j]
    logs[RECENT] = logs.get(RECENT, 0.0) + carried  # the value a season ago, when the trees learn the change
    st = gbm.series_[None]
    if not st.log:  # value = mu + sd * (expected + sum phi): linear, each part is sd * phi
        return np.full(len(frame), st.mu + st.sd * expected), {g: st.sd * v for g, v in logs.items()}
    anchor = np.full(len(frame), np.exp(st.mu + expected))
    split = log_shares(anchor, np.column_stack(list(logs.values())))
    return anchor, dict(zip(logs, split.T))


def _day_labels(cal: NodeCalendar, column: str | None, days: pd.DatetimeIndex) -> np.ndarray:
    """What each day's event of ``column`` is called ("Spring Sitewide Sale 2026"); None: events never seen."""
    rows = cal.design.rows
    mine = rows[rows["column"] == column] if column else rows[~rows["column"].isin(cal.design.columns)]
    names = mine.groupby("ds")["label"].agg(lambda s: " / ".join(dict.fromkeys(s)))
    return names.reindex(days).to_numpy(dtype=object)


def _calendar_parts(member, cal: NodeCalendar, t: np.ndarray, base: np.ndarray) -> list[tuple]:
    """``(driver per row or None, group, part)`` of the calendar on top of ``base``, and the value."""
    fit, k = member.fit_, cal.n_events
    days = cal.design.days[t]
    columns = []
    if fit is not None:  # a node without events in its history has no event regression, only expected lifts
        columns = [(_day_labels(cal, c, days), label, cal.X[t, j] * fit.coef[j])
                   for j, (c, label) in enumerate(zip(cal.design.columns, cal.design.labels))]
        columns.append((None, YEAR, fit.effect(np.zeros((t.size, k)), t if member.yearly else None)))
    offset = (_day_labels(cal, None, days), EXPECTED, cal.X[t, k])
    if fit is None or fit.multiplicative:
        logs = np.column_stack([part for *_, part in columns] + [offset[2]])
        split = log_shares(base, logs)
        return [(names, group, split[:, j]) for j, (names, group, _) in enumerate([*columns, offset])]
    added = base + sum(part for *_, part in columns)
    return [*columns, (offset[0], offset[1], log_shares(added, offset[2])[:, 0])]


def member_drivers(member, cal: NodeCalendar, n: int, h: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The fitted member's drivers on its training days and the ``h`` days after the ``n`` of history.

    Returns ``(days, contributions)``: ``DAY_COLUMNS`` (``value``: the member's fit or forecast with the analysts'
    expected lifts, as the page applies them; ``typical``: the trees' expected output) and
    ``CONTRIBUTION_COLUMNS`` (``share`` = contribution / the day's value; zero parts left out).
    """
    gbm = member.base_
    frame, carried = gbm.tree_inputs(h, cal.X[n:n + h][:, list(cal.base_columns)] if h else None)
    t = frame.index.to_numpy()
    typical, tree = _tree_parts(gbm, frame, carried)
    trees = typical + sum(tree.values())
    parts = [(None, group, part) for group, part in tree.items()]
    parts += _calendar_parts(member, cal, t, trees)
    value = typical + sum(part for *_, part in parts)
    ds = cal.design.days[t]
    frames = []
    for names, group, part in parts:
        keep = np.abs(part) > 1e-12
        driver = np.where(pd.isna(names), group, names) if names is not None else np.full(t.size, group, object)
        frames.append(pd.DataFrame({"ds": ds[keep], "driver": driver[keep], "group": group,
                                    "contribution": part[keep]}))
    # a driver with two sources (the trees' yearly phase and the regression's yearly season) is one driver
    long = pd.concat(frames, ignore_index=True).groupby(["ds", "driver", "group"], as_index=False, sort=False).sum()
    day_value = pd.Series(value, index=ds).reindex(long["ds"]).to_numpy()
    safe = np.where(np.abs(day_value) > 1e-9, day_value, np.nan)
    long["share"] = long["contribution"].to_numpy() / safe
    days = pd.DataFrame({"ds": ds, "ahead": t >= n, "value": value, "typical": typical})
    return days, long[CONTRIBUTION_COLUMNS].sort_values(["ds", "group"], kind="stable").reset_index(drop=True)
