"""Error-rate and latency degradation: the recent window against a baseline, compared robustly.

The level of each window is a quantile (the median by default, so a few slow requests do not move it); the
change is the ratio of the recent level to the baseline's, and its significance a one-sided Mann–Whitney rank
test (recent values larger, or smaller for ``direction="down"``). Consecutive metric points are correlated,
which makes the p-value optimistic, so a change also needs the ratio to reach ``min_ratio``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

from analytics.health._series import check_series, clock_text


@dataclass(frozen=True)
class Degradation:
    """How the recent window of a metric compares with its baseline.

    ``status`` is ``"degraded"``, ``"stable"`` or ``"not_enough_data"``; ``ratio`` is the recent level over
    the baseline level (the ``quantile`` of each; ``inf`` when the baseline level is 0 and the recent one is
    not), ``p95_ratio`` the same for the 95th percentiles, ``p_value`` the one-sided Mann–Whitney p-value.
    """

    changed: bool
    status: str
    ratio: float | None
    p95_ratio: float | None
    p_value: float | None
    baseline_level: float | None
    recent_level: float | None
    n_baseline: int
    n_recent: int
    sentence: str


def _window(spec, end: pd.Timestamp, what: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``(start, end]`` of a window given as a duration ending at ``end`` or as a ``(start, end)`` pair."""
    if isinstance(spec, tuple) and len(spec) == 2:
        start, stop = (pd.Timestamp(x) for x in spec)
        start, stop = (x.tz_localize("UTC") if x.tzinfo is None else x.tz_convert("UTC") for x in (start, stop))
        if not start < stop:
            raise ValueError(f"{what} window ({start}, {stop}) is empty; give (start, end) with start < end.")
        return start, stop
    try:
        length = pd.Timedelta(spec)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}={spec!r} is neither a duration nor a (start, end) pair; use e.g. "
                         f"{what}='6h' or {what}=(start, end).") from exc
    if length <= pd.Timedelta(0):
        raise ValueError(f"{what}={spec!r} must be a positive duration, e.g. '1h'.")
    return end - length, end


def _ratio(recent: float, base: float) -> float:
    if base == 0:
        return 1.0 if recent == 0 else float(np.inf)
    return recent / base


def degradation(series: pd.DataFrame, *, baseline="24h", recent="1h", name: str = "value", quantile: float = 0.5,
                min_ratio: float = 1.5, alpha: float = 0.01, direction: str = "up",
                min_points: int = 5) -> Degradation:
    """Has the metric got worse in the recent window compared with the baseline?

    Parameters
    ----------
    series : DataFrame
        ``at, value`` (UTC timestamps in order): an error rate, a latency, ...
    baseline, recent : duration or (start, end)
        Durations (``"24h"``, ``pd.Timedelta``) place ``recent`` at the end of the series and ``baseline``
        just before it; ``(start, end)`` pairs give the windows explicitly (start excluded, end included).
    name : str
        How the sentence names the metric.
    quantile : float
        The level compared (0.5: medians).
    min_ratio : float
        Smallest change that counts: recent/baseline >= ``min_ratio`` (``direction="up"``) or <= 1/``min_ratio``.
    alpha : float
        Significance level of the rank test.
    direction : {"up", "down"}
        Which way is worse (error rate and latency: up; hit rate, throughput: down).
    min_points : int
        Each window needs this many points, otherwise ``status="not_enough_data"``.

    Returns
    -------
    Degradation
    """
    if direction not in ("up", "down"):
        raise ValueError(f"direction must be 'up' or 'down', got {direction!r}.")
    if not 0 <= quantile <= 1:
        raise ValueError(f"quantile must lie in [0, 1], got {quantile!r}; 0.5 compares medians.")
    frame = check_series(series, name)
    end = frame["at"].iloc[-1]
    r_start, r_end = _window(recent, end, "recent")
    b_start, b_end = _window(baseline, r_start, "baseline")
    at, values = frame["at"], frame["value"].to_numpy()
    now = values[((at > r_start) & (at <= r_end)).to_numpy()]
    base = values[((at > b_start) & (at <= b_end)).to_numpy()]
    if now.size < min_points or base.size < min_points:
        return Degradation(False, "not_enough_data", None, None, None, None, None, int(base.size), int(now.size),
                           f"{name}: not enough data to compare ({base.size} baseline and {now.size} recent points; "
                           f"need {min_points} each)")
    lvl_b, lvl_r = float(np.quantile(base, quantile)), float(np.quantile(now, quantile))
    ratio = _ratio(lvl_r, lvl_b)
    p95 = _ratio(float(np.quantile(now, 0.95)), float(np.quantile(base, 0.95)))
    side = "greater" if direction == "up" else "less"
    p = float(mannwhitneyu(now, base, alternative=side).pvalue) if np.ptp(np.r_[now, base]) > 0 else 1.0
    big = ratio >= min_ratio if direction == "up" else ratio <= 1 / min_ratio
    changed = bool(big and p < alpha)
    level = "median" if quantile == 0.5 else f"q{quantile * 100:g}"
    ratio_text = "from 0" if np.isinf(ratio) else f"{ratio:.2g}x"
    detail = (f"{level} {lvl_r:.3g} vs {lvl_b:.3g} in the baseline, {ratio_text}, "
              f"{'p < 0.001' if p < 0.001 else f'p = {p:.2g}'}")
    if changed:
        verb = "rose" if direction == "up" else "fell"
        return Degradation(True, "degraded", ratio, p95, p, lvl_b, lvl_r, int(base.size), int(now.size),
                           f"{name} {verb} since {clock_text(r_start)} ({detail})")
    return Degradation(False, "stable", ratio, p95, p, lvl_b, lvl_r, int(base.size), int(now.size),
                       f"{name} is stable ({detail})")
