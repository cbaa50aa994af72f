"""Hierarchies (total -> region -> category (-> product)) and forecast reconciliation so levels add up.

Data contract: long frames. :func:`aggregate` takes ``<level columns>, ds, y`` at the bottom level and returns
``unique_id, ds, y`` for every node; :func:`reconcile` takes base forecasts ``unique_id, ds, mean, ...``
for the nodes and returns coherent ones in the same shape.

Node ids are paths: ``"total"``, ``"North"``, ``"North/Beverages"``, ``"North/Beverages/Cola"`` (the total's
id is ``total``; the separator is ``/``), so a category with the same name in two regions is two nodes.

Reconciliation, with S the (n_nodes x n_bottom) summing matrix and y_hat the base forecasts of all nodes:

- ``bottom_up``: y_tilde = S b_hat, the bottom forecasts summed upwards (upper-level base forecasts unused).
- ``mint_shrink`` (Wickramasuriya, Athanasopoulos & Hyndman 2019): y_tilde = S (S' W^-1 S)^-1 S' W^-1 y_hat,
  where W is the covariance of the base forecasts' one-step errors shrunk towards its diagonal,
  W = lambda diag(W1) + (1 - lambda) W1, with the Schafer-Strimmer intensity
  lambda = sum_{i!=j} Var(r_ij) / sum_{i!=j} r_ij^2 computed from the standardised residuals.

Both return y_tilde = S b_tilde, so every aggregate is exactly the sum of its bottom series. Interval columns
(``lo-80``, ``hi-95``, ...) are moved by the same amount as their ``mean``: they keep the base forecast's
width. That is a documented approximation, not a probabilistic reconciliation.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["TOTAL", "SEPARATOR", "RECONCILIATION_METHODS", "Hierarchy", "build_hierarchy", "aggregate",
           "reconcile"]

TOTAL = "total"
SEPARATOR = "/"
ID, DS, Y, MEAN, RESIDUAL = "unique_id", "ds", "y", "mean", "residual"
RECONCILIATION_METHODS = ("bottom_up", "mint_shrink")


@dataclass(frozen=True)
class Hierarchy:
    """Nodes top-down (total first, bottom series last), their levels and parents, and the summing matrix."""

    levels: tuple[str, ...]
    nodes: tuple[str, ...]
    node_levels: tuple[str, ...]
    parents: tuple[str | None, ...]
    summing_matrix: np.ndarray = field(repr=False)

    @property
    def bottom(self) -> tuple[str, ...]:
        """The bottom series, in the column order of the summing matrix."""
        return self.nodes[len(self.nodes) - self.summing_matrix.shape[1]:]

    def children(self, node: str) -> tuple[str, ...]:
        """The nodes directly below ``node`` (empty for a bottom series)."""
        if node not in self.nodes:
            raise KeyError(f"{node!r} is not a node of this hierarchy; nodes are e.g. {list(self.nodes[:5])}")
        return tuple(n for n, p in zip(self.nodes, self.parents) if p == node)


def _path(values: Sequence[str], depth: int) -> str:
    return TOTAL if depth == 0 else SEPARATOR.join(values[:depth])


def _checked_paths(bottom_paths: Sequence[Sequence[str]], levels: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The bottom paths as tuples of str, each one level value per level, non-empty, without ``/``, once."""
    if not levels:
        raise ValueError("a hierarchy needs at least one level under the total, e.g. levels=('region',)")
    paths = [tuple(str(v) for v in p) for p in bottom_paths]
    if not paths:
        raise ValueError("no bottom series given; a hierarchy needs at least one")
    for p in paths:
        if len(p) != len(levels):
            raise ValueError(f"bottom path {p} has {len(p)} parts but the levels are {levels}")
        if any(not v or SEPARATOR in v for v in p):
            raise ValueError(f"bottom path {p}: level values must be non-empty and must not contain "
                             f"{SEPARATOR!r}; rename them first")
    duplicates = sorted({p for p in paths if paths.count(p) > 1})
    if duplicates:
        raise ValueError(f"duplicate nodes {[SEPARATOR.join(p) for p in duplicates][:5]}: every bottom series "
                         "must appear once; sum duplicated rows before building the hierarchy")
    return paths


def build_hierarchy(bottom_paths: Sequence[Sequence[str]], levels: Sequence[str]) -> Hierarchy:
    """The hierarchy whose bottom series are ``bottom_paths`` (one tuple of level values each).

    Parameters
    ----------
    bottom_paths : sequence of tuples
        E.g. ``[("North", "Beverages"), ("North", "Snacks"), ("South", "Beverages")]``.
    levels : sequence of str
        The level names under the total, e.g. ``("region", "category")``.

    Raises
    ------
    ValueError
        No levels, a path of the wrong length, an empty name or one containing ``/``, or a duplicate path.
    """
    levels = tuple(levels)
    paths = sorted(_checked_paths(bottom_paths, levels))
    nodes: list[str] = [TOTAL]
    node_levels, parents = [TOTAL], [None]
    for depth, level in enumerate(levels, start=1):
        for node in dict.fromkeys(_path(p, depth) for p in paths):
            nodes.append(node)
            node_levels.append(level)
            parents.append(_path(node.split(SEPARATOR), depth - 1))
    bottom_ids = [SEPARATOR.join(p) for p in paths]
    summing = np.array([[1.0 if node == TOTAL or b == node or b.startswith(node + SEPARATOR) else 0.0
                         for b in bottom_ids] for node in nodes])
    return Hierarchy(levels=levels, nodes=tuple(nodes), node_levels=tuple(node_levels), parents=tuple(parents),
                     summing_matrix=summing)


def aggregate(df: pd.DataFrame, levels: Sequence[str]) -> tuple[pd.DataFrame, Hierarchy]:
    """Every node's series from bottom-level rows ``<levels>, ds, y``: returns ``(unique_id, ds, y)`` and the hierarchy.

    A bottom series missing at some ``ds`` counts 0 there in its parents (and is absent at the bottom).
    """
    levels = list(levels)
    missing = [c for c in [*levels, DS, Y] if c not in df.columns]
    if missing:
        raise ValueError(f"columns {missing} are missing; aggregate needs {[*levels, DS, Y]}")
    keys = df[levels].astype(str)
    duplicated = df.index[pd.concat([keys, df[DS]], axis=1).duplicated(keep=False)]
    if len(duplicated):
        raise ValueError(f"{len(duplicated)} rows repeat a (series, ds) pair, e.g. rows {list(duplicated[:5])}; "
                         "sum them first so each bottom series has one value per ds")
    hierarchy = build_hierarchy(list(dict.fromkeys(map(tuple, keys.to_numpy()))), levels)
    wide = (df.assign(**{ID: keys[levels[0]].str.cat([keys[c] for c in levels[1:]], sep=SEPARATOR)})
            .pivot(index=DS, columns=ID, values=Y).reindex(columns=list(hierarchy.bottom)))
    observed = wide.notna().to_numpy()
    values = np.nan_to_num(wide.to_numpy(dtype=float)) @ hierarchy.summing_matrix.T
    present = (observed.astype(float) @ hierarchy.summing_matrix.T) > 0
    out = pd.DataFrame(values, index=wide.index, columns=list(hierarchy.nodes)).where(present)
    long = out.melt(ignore_index=False, var_name=ID, value_name=Y).reset_index().dropna(subset=[Y])
    return long[[ID, DS, Y]].reset_index(drop=True), hierarchy


def _wide(frame: pd.DataFrame, column: str, nodes: Sequence[str], what: str) -> pd.DataFrame:
    """``frame`` as ds x node, with clear errors for duplicates, unknown nodes, missing nodes and gaps."""
    missing_cols = [c for c in (ID, DS, column) if c not in frame.columns]
    if missing_cols:
        raise ValueError(f"{what} lack columns {missing_cols}; expected long format {ID}, {DS}, {column}")
    repeated = frame[frame.duplicated([ID, DS], keep=False)]
    if len(repeated):
        raise ValueError(f"{what} repeat (unique_id, ds) pairs, e.g. {repeated[ID].unique()[:5].tolist()}; "
                         "give each node one row per ds")
    unknown = sorted(set(frame[ID].astype(str)) - set(nodes))
    if unknown:
        raise ValueError(f"{what} hold series {unknown[:5]} that are not nodes of the hierarchy")
    absent = [n for n in nodes if n not in set(frame[ID].astype(str))]
    if absent:
        raise ValueError(f"{what} are missing {len(absent)} series, e.g. {absent[:5]}; every one of them "
                         "is needed")
    return frame.assign(**{ID: frame[ID].astype(str)}).pivot(index=DS, columns=ID, values=column)[list(nodes)]


def _shrunk_covariance(errors: np.ndarray) -> np.ndarray:
    """Schafer-Strimmer shrinkage of the error covariance towards its diagonal (errors: T x n)."""
    t = errors.shape[0]
    w1 = errors.T @ errors / t
    centred = errors - errors.mean(axis=0)
    std = centred.std(axis=0, ddof=1)
    std = np.where(std > 0, std, 1.0)
    x = centred / std
    # sum_t (x_ti x_tj - mean)^2 = sum_t x_ti^2 x_tj^2 - T mean^2, without a T x n x n array
    mean_products = x.T @ x / t
    var_r = t / (t - 1) ** 3 * ((x ** 2).T @ (x ** 2) - t * mean_products ** 2)
    r = t / (t - 1) * mean_products
    off = ~np.eye(errors.shape[1], dtype=bool)
    denominator = (r[off] ** 2).sum()
    lam = 1.0 if denominator == 0 else float(np.clip(var_r[off].sum() / denominator, 0.0, 1.0))
    shrunk = lam * np.diag(np.diag(w1)) + (1 - lam) * w1
    floor = max(float(np.diag(w1).max()), 1.0) * 1e-10
    return shrunk + floor * np.eye(shrunk.shape[0])


def _mint_weights(summing: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """G = (S' W^-1 S)^-1 S' W^-1, mapping all base forecasts to the bottom level."""
    w_inv_s = np.linalg.solve(covariance, summing)
    return np.linalg.solve(summing.T @ w_inv_s, w_inv_s.T)


def reconcile(base_forecasts: pd.DataFrame, hierarchy: Hierarchy, method: str = "bottom_up",
              residuals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Coherent forecasts: every aggregate equals the sum of its bottom series.

    Parameters
    ----------
    base_forecasts : DataFrame
        Long ``unique_id, ds, mean`` (plus optional interval columns) for the bottom series
        (``bottom_up``) or for every node (``mint_shrink``).
    hierarchy : Hierarchy
        From :func:`aggregate` or :func:`build_hierarchy`.
    method : {"bottom_up", "mint_shrink"}
    residuals : DataFrame, optional
        Required by ``mint_shrink``: long ``unique_id, ds, residual`` with the base models' in-sample (or
        backtest) one-step errors y - y_hat for every node; timestamps missing for any node are dropped and at
        least two complete ones must remain.

    Returns
    -------
    DataFrame
        ``unique_id, ds`` and the input's forecast columns for every node, top-down, ``mean`` reconciled and
        other numeric columns shifted by the same adjustment (NaN for a node that had no base forecast,
        e.g. the aggregates under ``bottom_up`` when only bottom forecasts were given).
    """
    if method not in RECONCILIATION_METHODS:
        raise ValueError(f"unknown method {method!r}; valid options: {', '.join(RECONCILIATION_METHODS)}")
    means = _base_means(base_forecasts, hierarchy, method)
    if method == "bottom_up":
        bottom = means.to_numpy(dtype=float)
    else:
        weights = _mint_weights(hierarchy.summing_matrix, _error_covariance(residuals, hierarchy))
        bottom = means.to_numpy(dtype=float) @ weights.T
    coherent = pd.DataFrame(bottom @ hierarchy.summing_matrix.T, index=means.index, columns=list(hierarchy.nodes))
    return _long_with_intervals(coherent, base_forecasts)


def _base_means(base_forecasts: pd.DataFrame, hierarchy: Hierarchy, method: str) -> pd.DataFrame:
    """The base forecasts' means as ds x node for the nodes ``method`` uses, after checking them."""
    absent_columns = [c for c in (ID, DS, MEAN) if c not in base_forecasts.columns]
    if absent_columns:
        raise ValueError(f"base forecasts lack columns {absent_columns}; expected long format {ID}, {DS}, "
                         f"{MEAN} (as analytics.forecasting.forecast returns)")
    needed = hierarchy.bottom if method == "bottom_up" else hierarchy.nodes
    frame = base_forecasts[base_forecasts[ID].astype(str).isin(needed)] if method == "bottom_up" \
        else base_forecasts
    repeated = base_forecasts[base_forecasts.duplicated([ID, DS], keep=False)]
    if len(repeated):
        raise ValueError(f"base forecasts repeat (unique_id, ds) pairs, e.g. "
                         f"{repeated[ID].unique()[:5].tolist()}; give each node one row per ds")
    unknown = sorted(set(base_forecasts[ID].astype(str)) - set(hierarchy.nodes))
    if unknown:
        raise ValueError(f"base forecasts hold series {unknown[:5]} that are not nodes of the hierarchy")
    means = _wide(frame, MEAN, needed, "base forecasts")
    if means.isna().any().any():
        gaps = means.columns[means.isna().any()].tolist()
        raise ValueError(f"base forecasts of {gaps[:5]} do not cover every ds of the others; forecast every "
                         "node over the same horizon")
    return means


def _error_covariance(residuals: pd.DataFrame | None, hierarchy: Hierarchy) -> np.ndarray:
    """MinT's W: the shrunk covariance of every node's one-step errors (timestamps complete for all nodes)."""
    if residuals is None:
        raise ValueError("mint_shrink needs residuals: a long frame unique_id, ds, residual of the base "
                         "models' in-sample one-step errors for every node")
    errors = _wide(residuals, RESIDUAL, hierarchy.nodes, "residuals").dropna().to_numpy(dtype=float)
    if errors.shape[0] < 2:
        raise ValueError(f"residuals have {errors.shape[0]} timestamps complete for every node; "
                         "mint_shrink needs at least 2")
    return _shrunk_covariance(errors)


def _long_with_intervals(coherent: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
    """Long reconciled means, with each node's other columns moved by its mean's adjustment when present."""
    long = coherent.melt(ignore_index=False, var_name=ID, value_name=MEAN).reset_index()
    extra = [c for c in base.columns if c not in (ID, DS, MEAN) and pd.api.types.is_numeric_dtype(base[c])]
    if not extra:
        return long[[ID, DS, MEAN]]
    base = base.assign(**{ID: base[ID].astype(str)})
    merged = long.merge(base[[ID, DS, MEAN, *extra]], on=[ID, DS], how="left", suffixes=("", "_base"))
    shift = merged[MEAN] - merged[f"{MEAN}_base"]
    for column in extra:
        merged[column] = merged[column] + shift
    return merged[[ID, DS, MEAN, *extra]]
