"""NAB scores over a corpus: the raw score at a threshold, the best corpus-wide threshold, normalisation.

A window's reward is that of its earliest detection (the rewards fall along the window, so this is the best
of its detections), or ``-A_fn`` when nothing in it reaches the threshold; false positives add their costs.
One threshold serves every file: NAB picks the one with the highest total raw score, trying each distinct
anomaly score (ties go to the higher threshold). Normalised scores put "no detections" at 0 and "every window
detected at its first row, nothing else" at 100.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.health._nab_sweep import sweep_file


@dataclass(frozen=True)
class CostProfile:
    """NAB's weights: ``tp`` (A_tp) for an early detection, ``fp`` (A_fp) per false positive, ``fn`` (A_fn) per miss."""

    tp: float = 1.0
    fp: float = 0.11
    fn: float = 1.0


NAB_COST_PROFILES = {"standard": CostProfile(1.0, 0.11, 1.0), "reward_low_fp": CostProfile(1.0, 0.22, 1.0),
                     "reward_low_fn": CostProfile(1.0, 0.11, 2.0)}


@dataclass(frozen=True)
class NabScore:
    """One detector's NAB result for one profile: ``raw`` total, its ``normalised`` value and the counts.

    ``detected`` and ``missed`` count windows; ``false_positives`` counts scored rows outside windows at or
    above ``threshold``.
    """

    threshold: float
    raw: float
    null: float
    perfect: float
    normalised: float
    detected: int
    missed: int
    false_positives: int


@dataclass(frozen=True)
class _Corpus:
    score: np.ndarray
    window: np.ndarray  # corpus-wide window number, -1 outside windows
    tp_reward: np.ndarray
    fp_cost: np.ndarray
    n_windows: int


def _corpus(scores: Mapping[str, np.ndarray], windows: Mapping[str, Sequence[tuple[int, int]]]) -> _Corpus:
    if not scores:
        raise ValueError("no files to score; pass at least one file's anomaly scores and windows")
    missing = sorted(set(scores) ^ set(windows))
    if missing:
        raise ValueError(f"files {missing[:5]} have scores or windows but not both; pass the same file names "
                         "to `scores` and `windows` (an empty list for a file without anomalies)")
    parts, offset = [], 0
    for name in scores:
        values = np.asarray(scores[name], dtype=float)
        if np.isnan(values).any():
            raise ValueError(f"file {name!r} has {int(np.isnan(values).sum())} NaN anomaly scores; "
                             "score every row (0 for 'no opinion')")
        sweep = sweep_file(len(values), list(windows[name]))
        window = np.where(sweep.window >= 0, sweep.window + offset, -1)
        offset += len(windows[name])
        parts.append((values[sweep.rows], window, sweep.tp_reward, sweep.fp_cost))
    score, window, tp_reward, fp_cost = (np.concatenate(column) for column in zip(*parts))
    return _Corpus(score, window.astype(int), tp_reward, fp_cost, len(np.unique(window[window >= 0])))


def _result(corpus: _Corpus, profile: CostProfile, threshold: float) -> NabScore:
    hit = corpus.score >= threshold
    inside = corpus.window >= 0
    best = np.full(corpus.window.max(initial=-1) + 1, -np.inf)
    np.maximum.at(best, corpus.window[hit & inside], corpus.tp_reward[hit & inside])
    counted = np.unique(corpus.window[inside])
    detected = np.isfinite(best[counted])
    raw = (profile.tp * best[counted][detected].sum() - profile.fn * (~detected).sum()
           + profile.fp * corpus.fp_cost[hit & ~inside].sum())
    null, perfect = -profile.fn * corpus.n_windows, profile.tp * corpus.n_windows
    normalised = 100.0 * (raw - null) / (perfect - null) if perfect > null else float("nan")
    return NabScore(threshold=float(threshold), raw=float(raw), null=float(null), perfect=float(perfect),
                    normalised=float(normalised), detected=int(detected.sum()), missed=int((~detected).sum()),
                    false_positives=int((hit & ~inside).sum()))


def _best_threshold(corpus: _Corpus, profile: CostProfile) -> float:
    """The threshold with the highest total raw score, sweeping every distinct score from the top."""
    if not len(corpus.score):
        return 1.0
    order = np.argsort(-corpus.score, kind="stable")
    score, window = corpus.score[order], corpus.window[order]
    gain = profile.fp * corpus.fp_cost[order]
    inside = window >= 0
    # a window's reward moves from -A_fn to its best detection so far: the gain is the step in its running max
    reward = pd.Series(profile.tp * corpus.tp_reward[order][inside])
    running = reward.groupby(window[inside]).cummax()
    before = running.groupby(window[inside]).shift(1).fillna(-profile.fn)
    gain[inside] = (running - before).to_numpy()
    total = np.cumsum(gain)
    run_ends = np.r_[score[1:] != score[:-1], True]
    thresholds = np.r_[np.nextafter(score.max(initial=0.0), np.inf), score[run_ends]]
    totals = np.r_[0.0, total[run_ends]]
    return float(thresholds[int(np.argmax(totals))])


def nab_score(scores: Mapping[str, np.ndarray], windows: Mapping[str, Sequence[tuple[int, int]]],
              profile: CostProfile | None = None, threshold: float | None = None) -> NabScore:
    """The NAB score of one detector over a corpus of files.

    Parameters
    ----------
    scores : mapping of file name -> array of anomaly scores, one per row (a detection is a score >= threshold)
    windows : mapping of file name -> inclusive ``(first_row, last_row)`` anomaly windows, in order
        (:func:`window_rows` turns timestamp windows into rows).
    profile : CostProfile, default the standard profile (A_tp 1, A_fp 0.11, A_fn 1)
    threshold : float, optional
        Score at this threshold; by default NAB's corpus-wide optimum for ``profile``.

    Returns
    -------
    NabScore
    """
    profile = profile or NAB_COST_PROFILES["standard"]
    corpus = _corpus(scores, windows)
    if threshold is None:
        threshold = _best_threshold(corpus, profile)
    return _result(corpus, profile, threshold)


def window_rows(timestamps: Sequence, windows: Sequence[tuple]) -> list[tuple[int, int]]:
    """Timestamp windows ``(start, end)`` as inclusive ``(first_row, last_row)`` of sorted ``timestamps``.

    Raises
    ------
    ValueError
        When a window holds no row, naming it.
    """
    stamps = pd.DatetimeIndex(pd.to_datetime(timestamps))
    rows = []
    for start, end in windows:
        first = int(stamps.searchsorted(pd.Timestamp(start), side="left"))
        last = int(stamps.searchsorted(pd.Timestamp(end), side="right")) - 1
        if last < first:
            raise ValueError(f"window {start}..{end} holds no row of the series "
                             f"({stamps[0]}..{stamps[-1]}); check the labels belong to this file")
        rows.append((first, last))
    return rows
