"""NAB's per-point rewards for one file: where each point falls relative to the labelled windows.

Follows the sweep of Lavin & Ahmad (2015, arXiv:1510.03336) and NAB's scorer: a point inside a window is
worth ``A_tp * sigmoid(position) / sigmoid(-1)``, where the position runs from -1 at the window's first row to
about 0 at its last, so the earliest detection earns ``A_tp``; a point outside every window costs
``A_fp * sigmoid(distance)``, where the distance is counted in rows after the previous window's end divided by
that window's width minus one (-1, the full cost, before any window or more than three widths after one).
The first ``min(floor(0.15 * n), 750)`` rows are the probationary period and are not scored.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PROBATION_SHARE = 0.15
PROBATION_CAP_ROWS = 5000  # NAB caps the probationary period at 15% of 5,000 rows (750)
FAR_AFTER_WINDOW = 3.0  # beyond three window widths a false positive costs the full A_fp


def scaled_sigmoid(position: np.ndarray | float) -> np.ndarray:
    """``2 / (1 + exp(5 x)) - 1``: +1 far before 0, 0 at 0, -1 far after; -1 beyond ``FAR_AFTER_WINDOW``."""
    x = np.asarray(position, dtype=float)
    with np.errstate(over="ignore"):
        value = 2.0 / (1.0 + np.exp(5.0 * x)) - 1.0
    return np.where(x > FAR_AFTER_WINDOW, -1.0, value)


MAX_TP = float(scaled_sigmoid(-1.0))


def probation_rows(n_rows: int) -> int:
    """How many leading rows NAB leaves unscored: ``min(floor(0.15 n), 0.15 * 5000)``."""
    return int(min(np.floor(PROBATION_SHARE * n_rows), PROBATION_SHARE * PROBATION_CAP_ROWS))


@dataclass(frozen=True)
class FileSweep:
    """Every scored row of one file: its row index, its window (-1 outside), and its unit rewards.

    ``tp_reward`` (inside windows, before ``A_tp``) and ``fp_cost`` (outside, before ``A_fp``; negative) are
    zero where they do not apply.
    """

    rows: np.ndarray
    window: np.ndarray
    tp_reward: np.ndarray
    fp_cost: np.ndarray


def sweep_file(n_rows: int, windows: list[tuple[int, int]]) -> FileSweep:
    """Rewards of every scored row for ``n_rows`` rows and windows given as inclusive ``(first, last)`` rows.

    Raises
    ------
    ValueError
        When windows overlap, are out of order or fall outside the rows, naming the window.
    """
    index = np.arange(n_rows)
    window = np.full(n_rows, -1)
    tp_reward = np.zeros(n_rows)
    fp_cost = np.full(n_rows, -1.0)  # before any window: the full cost
    previous_last = -1
    for k, (first, last) in enumerate(windows):
        if not previous_last < first <= last < n_rows:
            raise ValueError(f"window {k} covers rows {first}..{last}; windows must be in order, not overlap "
                             f"and lie within the {n_rows} rows")
        width = last - first + 1
        inside = slice(first, last + 1)
        window[inside] = k
        tp_reward[inside] = scaled_sigmoid(-(last - index[inside] + 1) / width) / MAX_TP
        fp_cost[inside] = 0.0
        after = index > last
        # NAB divides by width - 1; a one-row window would divide by zero there, so it counts as two rows
        fp_cost[after] = scaled_sigmoid((index[after] - last) / max(width - 1, 1))
        previous_last = last
    scored = index >= probation_rows(n_rows)
    return FileSweep(rows=index[scored], window=window[scored], tp_reward=tp_reward[scored], fp_cost=fp_cost[scored])
