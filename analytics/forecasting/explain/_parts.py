"""Turning a model's pieces into additive parts in the series' units, and naming them as drivers.

A member's value is ``A × exp(l_1 + … + l_k)`` (a base ``A`` times the calendar's multipliers, on the log
scale) or ``A + e_1 + … + e_k`` (additive calendar effects). Multipliers do not add up, so their joint lift
``A (exp(S) - 1)``, ``S = sum l_k``, is shared out in proportion to each ``l_k`` (the log-share rule: exact, and
each part keeps its sign); a lone multiplier ``l`` gets ``A (exp(l) - 1)``, its whole lift.
"""
from __future__ import annotations

import numpy as np

__all__ = ["BASE_REGRESSORS", "RECENT", "WEEKDAY", "YEAR", "NEARBY", "SPEND", "TYPICAL", "EXPECTED", "LEVEL", "TREND",
           "feature_group", "log_shares"]

RECENT = "Recent demand"
WEEKDAY = "Weekday"
YEAR = "Time of year"
NEARBY = "Nearby major events"
SPEND = "Marketing spend"
TYPICAL = "Typical level"
EXPECTED = "Expected lift of new events"
LEVEL = "Level"
TREND = "Trend"

# the gradient-boosted member's own regressors, in the order NodeCalendar.base_columns gives them
BASE_REGRESSORS = (NEARBY, NEARBY, SPEND)
_CYCLES = {7: WEEKDAY, 365: YEAR}


def feature_group(feature: str, regressors: dict[str, str]) -> str:
    """The driver a tree input belongs to: lags and the rolling mean are recent demand, a phase its cycle,
    a regressor what ``regressors`` calls it."""
    if feature.startswith(("lag ", "mean of last ")):
        return RECENT
    if feature.startswith("phase of "):
        period = int(feature.removeprefix("phase of "))
        return _CYCLES.get(period, f"{period}-day cycle")
    if feature in regressors:
        return regressors[feature]
    raise ValueError(f"tree input {feature!r} has no driver; name it in `regressors` (known: {sorted(regressors)}).")


def log_shares(anchor: np.ndarray, logs: np.ndarray) -> np.ndarray:
    """Additive parts of ``anchor × (exp(sum logs) - 1)``, one column per column of ``logs`` (rows: days).

    The parts add up exactly to the joint lift; each is proportional to its log multiplier.
    """
    anchor = np.asarray(anchor, dtype=float)
    logs = np.asarray(logs, dtype=float).reshape(anchor.size, -1)
    total = logs.sum(axis=1)
    lift = anchor * np.expm1(total)
    tiny = np.abs(total) < 1e-12
    ratio = np.divide(lift, total, out=anchor.copy(), where=~tiny)  # lift / S -> anchor as S -> 0
    return logs * ratio[:, None]
