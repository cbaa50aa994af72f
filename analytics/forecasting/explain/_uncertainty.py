"""A node's forecast uncertainty in a sentence: how wide, how wrong it was on the past, and what widens it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.forecasting.demand import DemandForecast, node_path_label

__all__ = ["UncertaintyNote", "describe_uncertainty"]

SHORT_HISTORY_DAYS = 2 * 365  # below two years the yearly season is learnt from one year or less
VOLATILE_RATIO = 1.5  # day-to-day variation this many times the whole business's makes a node volatile
VOLATILE_TOTAL = 0.3  # ... or, for the total, above 30% of its level
WIDER = 1.25  # a part of the horizon counts as wider when its interval is 25% wider than the rest


@dataclass(frozen=True)
class UncertaintyNote:
    """What a sentence about a node's uncertainty says, with the numbers behind it.

    ``width``: the median half-width of the level-L interval relative to the forecast, per level (0.12 = ±12%);
    ``first``/``last``: the 80% half-width on the first and the last day; ``mase``/``smape``: the ensemble's
    backtest errors (NaN without a backtest); ``reasons``: what widens it, in words.
    """

    node: str
    text: str
    width: dict
    first: float
    last: float
    mase: float
    smape: float
    reasons: tuple[str, ...]


def _half_width(frame: pd.DataFrame, level: int) -> np.ndarray:
    mean = frame["mean"].to_numpy(dtype=float)
    half = (frame[f"hi-{level}"].to_numpy(dtype=float) - frame[f"lo-{level}"].to_numpy(dtype=float)) / 2
    return np.divide(half, mean, out=np.full(mean.size, np.nan), where=mean > 0)


def _variation(history: pd.DataFrame) -> float:
    """Mean absolute change from the same weekday a week before, over the last year, relative to the level."""
    y = history["y"].to_numpy(dtype=float)[-365:]
    if y.size <= 7 or y.mean() <= 0:
        return np.nan
    return float(np.mean(np.abs(y[7:] - y[:-7])) / y.mean())


def _reasons(result: DemandForecast, node: str, width: np.ndarray, level: int) -> list[str]:
    reasons = []
    third = max(width.size // 3, 1)
    if width.size >= 6 and np.nanmean(width[-third:]) > WIDER * np.nanmean(width[:third]):
        reasons.append(f"the horizon (±{width[0]:.0%} on the first day, ±{width[-1]:.0%} by day {width.size})")
    events = result.events[(result.events["unique_id"] == node) & (result.events["ds"] > result.as_of)]
    days = pd.DatetimeIndex(result.forecast.loc[result.forecast["unique_id"] == node, "ds"])
    on = days.isin(pd.DatetimeIndex(events["ds"]))
    if on.any() and (~on).any() and np.nanmean(width[on]) > WIDER * np.nanmean(width[~on]):
        kinds = sorted({str(k).replace("_", "-") for k in events["kind"]})
        reasons.append(f"{int(on.sum())} event day{'s' if on.sum() != 1 else ''} ahead ({', '.join(kinds)}: "
                       f"±{np.nanmean(width[on]):.0%} at {level}%)")
    history = result.history[result.history["unique_id"] == node]
    if len(history) < SHORT_HISTORY_DAYS:
        reasons.append(f"a short history ({len(history) / 30.4:.0f} months: the time of year is known from "
                       f"{'less than ' if len(history) < 365 else ''}one year)")
    mine = _variation(history)
    whole = _variation(result.history[result.history["unique_id"] == result.nodes[0]])
    if node != result.nodes[0] and mine > VOLATILE_RATIO * whole:
        reasons.append(f"a volatile series (its day-to-day change is {mine / whole:.1f}× the whole business's)")
    elif node == result.nodes[0] and mine > VOLATILE_TOTAL:
        reasons.append(f"a volatile series (it moves {mine:.0%} from one week to the next)")
    return reasons


def _backtest_text(result: DemandForecast, node: str) -> tuple[str, float, float]:
    rows = result.backtest[(result.backtest["unique_id"] == node)].set_index("model")
    if "ensemble" not in rows.index:
        return "It has no backtest (too short a history for one).", np.nan, np.nan
    mase, smape = float(rows.at["ensemble", "mase"]), float(rows.at["ensemble", "smape"])
    naive = float(rows.at["SeasonalNaive", "mase"]) if "SeasonalNaive" in rows.index else np.nan
    versus = "" if not np.isfinite(naive) else (
        f", {'better' if mase < naive else 'no better'} than repeating last week ({naive:.2f})")
    return f"On past data it missed by MASE {mase:.2f} (sMAPE {smape:.1f}%){versus}.", mase, smape


def describe_uncertainty(result: DemandForecast, node: str) -> UncertaintyNote:
    """Describe ``node``'s forecast uncertainty in words: its 80% and 95% intervals, the backtest error, and what
    widens the intervals (the horizon, event days ahead, a short history, a volatile series).

    Parameters
    ----------
    result : DemandForecast
    node : str
        A node of ``result`` (KeyError naming the valid ones otherwise).

    Returns
    -------
    UncertaintyNote
    """
    result.path(node)  # KeyError naming the nodes for an unknown one
    frame = result.forecast[result.forecast["unique_id"] == node]
    levels = [lv for lv in (80, 95) if f"lo-{lv}" in frame.columns]
    if not levels:
        raise ValueError(f"the forecast has no 80% or 95% interval (levels {list(result.levels)}); "
                         "forecast with LEVELS to describe its uncertainty.")
    widths = {lv: _half_width(frame, lv) for lv in levels}
    width = {lv: float(np.nanmedian(w)) if np.isfinite(w).any() else np.nan for lv, w in widths.items()}
    spans = [f"±{width[lv]:.0%}" if np.isfinite(width[lv]) else "no finite width" for lv in levels]
    also = f" (the {levels[1]}% one {spans[1]})" if len(levels) > 1 else ""
    text = [f"{node_path_label(node)}: on a typical day of the next {result.h} days, the {levels[0]}% interval spans "
            f"{spans[0]} of the forecast{also}."]
    backtest, mase, smape = _backtest_text(result, node)
    text.append(backtest)
    main = widths[levels[0]]
    reasons = _reasons(result, node, main, levels[0]) if np.isfinite(main).any() else []
    if reasons:
        text.append("Wider because of " + "; ".join(reasons) + ".")
    return UncertaintyNote(node, " ".join(text), width, float(main[0]), float(main[-1]), mase, smape, tuple(reasons))
