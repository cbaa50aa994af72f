"""Hierarchies and reconciliation: the summing matrix, coherent levels for both methods, and bad input."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.forecasting.hierarchy import aggregate, build_hierarchy, reconcile

LEVELS = ["region", "category", "product"]
TREE = {("North", "Drinks"): ["Cola", "Tea"], ("North", "Snacks"): ["Chips"],
        ("South", "Drinks"): ["Cola", "Water", "Tea"]}


@pytest.fixture(scope="module")
def history():
    rng = np.random.default_rng(11)
    rows = [(r, c, p, ds, float(rng.poisson(20 + 5 * i)))
            for i, ((r, c), products) in enumerate(TREE.items()) for p in products for ds in range(60)]
    return pd.DataFrame(rows, columns=[*LEVELS, "ds", "y"])


@pytest.fixture(scope="module")
def aggregated(history):
    return aggregate(history, LEVELS)


def _children_sum_to_parents(out: pd.DataFrame, hierarchy) -> None:
    wide = out.pivot(index="ds", columns="unique_id", values="mean")
    for node in hierarchy.nodes:
        children = hierarchy.children(node)
        if children:
            np.testing.assert_allclose(wide[node], wide[list(children)].sum(axis=1), rtol=1e-12, atol=1e-9)


def _base(aggregated, seed: int) -> pd.DataFrame:
    """Noisy, incoherent base forecasts for every node over ds 60..65, with +-2 intervals."""
    frame, hierarchy = aggregated
    rng = np.random.default_rng(seed)
    last = frame[frame.ds == 59].set_index("unique_id")["y"]
    rows = [(n, ds, last[n] * rng.uniform(0.8, 1.2)) for n in hierarchy.nodes for ds in range(60, 66)]
    base = pd.DataFrame(rows, columns=["unique_id", "ds", "mean"])
    return base.assign(**{"lo-80": base["mean"] - 2, "hi-80": base["mean"] + 2})


def _residuals(aggregated, seed: int) -> pd.DataFrame:
    frame, _ = aggregated
    rng = np.random.default_rng(seed)
    return frame.assign(residual=rng.normal(0, np.sqrt(frame["y"]))).drop(columns="y")


def test_summing_matrix_has_one_row_per_node_and_one_column_per_bottom_series(aggregated):
    _, hierarchy = aggregated
    bottom = sum(len(p) for p in TREE.values())
    regions, categories = 2, len(TREE)
    assert hierarchy.summing_matrix.shape == (1 + regions + categories + bottom, bottom)
    assert hierarchy.nodes[0] == "total" and hierarchy.summing_matrix[0].tolist() == [1.0] * bottom
    np.testing.assert_array_equal(hierarchy.summing_matrix[-bottom:], np.eye(bottom))
    assert hierarchy.children("North") == ("North/Drinks", "North/Snacks")
    assert hierarchy.children("South/Drinks") == ("South/Drinks/Cola", "South/Drinks/Tea", "South/Drinks/Water")
    assert set(hierarchy.node_levels) == {"total", *LEVELS}


def test_aggregate_sums_every_level(history, aggregated):
    frame, _ = aggregated
    y = frame.set_index(["unique_id", "ds"])["y"]
    assert y[("total", 5)] == history[history.ds == 5].y.sum()
    north = history[(history.region == "North") & (history.ds == 7)].y.sum()
    assert y[("North", 7)] == north
    assert y[("South/Drinks/Tea", 3)] == history[(history.region == "South") & (history["product"] == "Tea")
                                                 & (history.ds == 3)].y.item()


def test_bottom_up_keeps_the_bottom_and_sums_it_exactly(aggregated):
    _, hierarchy = aggregated
    base = _base(aggregated, 1)
    out = reconcile(base, hierarchy, method="bottom_up")
    assert out.unique_id.unique().tolist() == list(hierarchy.nodes)
    bottom_in = base[base.unique_id.isin(hierarchy.bottom)].set_index(["unique_id", "ds"])["mean"]
    bottom_out = out.set_index(["unique_id", "ds"]).loc[bottom_in.index, "mean"]
    np.testing.assert_array_equal(bottom_out, bottom_in)
    _children_sum_to_parents(out, hierarchy)


def test_bottom_up_needs_only_bottom_forecasts(aggregated):
    _, hierarchy = aggregated
    base = _base(aggregated, 2)
    out = reconcile(base[base.unique_id.isin(hierarchy.bottom)], hierarchy)
    _children_sum_to_parents(out, hierarchy)
    assert out.loc[out.unique_id == "total", "lo-80"].isna().all()  # no base interval to move


def test_mint_shrink_is_coherent_at_every_level(aggregated):
    _, hierarchy = aggregated
    out = reconcile(_base(aggregated, 3), hierarchy, method="mint_shrink", residuals=_residuals(aggregated, 4))
    _children_sum_to_parents(out, hierarchy)


def test_mint_shrink_leaves_coherent_forecasts_unchanged(aggregated):
    _, hierarchy = aggregated
    base = reconcile(_base(aggregated, 5), hierarchy)  # coherent by bottom-up
    out = reconcile(base, hierarchy, method="mint_shrink", residuals=_residuals(aggregated, 6))
    np.testing.assert_allclose(out["mean"], base["mean"], rtol=1e-8)


def test_mint_shrink_differs_from_bottom_up_and_moves_intervals_with_the_mean(aggregated):
    _, hierarchy = aggregated
    base = _base(aggregated, 7)
    mint = reconcile(base, hierarchy, method="mint_shrink", residuals=_residuals(aggregated, 8))
    bottom_up = reconcile(base, hierarchy)
    assert not np.allclose(mint["mean"], bottom_up["mean"])
    np.testing.assert_allclose(mint["hi-80"] - mint["mean"], 2.0)
    np.testing.assert_allclose(mint["mean"] - mint["lo-80"], 2.0)


def test_a_missing_bottom_series_is_named(aggregated):
    _, hierarchy = aggregated
    base = _base(aggregated, 9)
    with pytest.raises(ValueError, match=r"missing 1 series, e.g. \['North/Snacks/Chips'\]"):
        reconcile(base[base.unique_id != "North/Snacks/Chips"], hierarchy)


def test_a_bottom_series_with_a_shorter_horizon_is_named(aggregated):
    _, hierarchy = aggregated
    base = _base(aggregated, 9)
    with pytest.raises(ValueError, match=r"\['South/Drinks/Tea'\] do not cover every ds"):
        reconcile(base[(base.unique_id != "South/Drinks/Tea") | (base.ds < 63)], hierarchy)


def test_duplicate_nodes_are_refused():
    with pytest.raises(ValueError, match=r"duplicate nodes \['North/Drinks'\]"):
        build_hierarchy([("North", "Drinks"), ("South", "Drinks"), ("North", "Drinks")], ["region", "category"])


def test_duplicate_rows_are_refused(history, aggregated):
    with pytest.raises(ValueError, match="repeat a \\(series, ds\\) pair"):
        aggregate(pd.concat([history, history.iloc[[3]]], ignore_index=True), LEVELS)
    base = _base(aggregated, 10)
    with pytest.raises(ValueError, match="repeat \\(unique_id, ds\\) pairs"):
        reconcile(pd.concat([base, base.iloc[[0]]]), aggregated[1])


def test_unknown_series_methods_and_missing_residuals_are_refused(aggregated):
    _, hierarchy = aggregated
    base = _base(aggregated, 11)
    with pytest.raises(ValueError, match="valid options: bottom_up, mint_shrink"):
        reconcile(base, hierarchy, method="ols")
    with pytest.raises(ValueError, match="mint_shrink needs residuals"):
        reconcile(base, hierarchy, method="mint_shrink")
    with pytest.raises(ValueError, match=r"\['East'\] that are not nodes"):
        reconcile(pd.concat([base, base.iloc[[0]].assign(unique_id="East")]), hierarchy)
    with pytest.raises(ValueError, match="lack columns \\['mean'\\]"):
        reconcile(base.drop(columns="mean"), hierarchy)


def test_bad_paths_are_refused():
    with pytest.raises(ValueError, match="must not contain '/'"):
        build_hierarchy([("North/East", "Drinks")], ["region", "category"])
    with pytest.raises(ValueError, match="has 1 parts"):
        build_hierarchy([("North",)], ["region", "category"])
    with pytest.raises(ValueError, match="at least one level"):
        build_hierarchy([()], [])


def test_mint_shrink_trusts_the_nodes_with_small_errors(aggregated):
    frame, hierarchy = aggregated
    rng = np.random.default_rng(12)
    is_bottom = frame.unique_id.isin(hierarchy.bottom)
    residuals = frame.assign(residual=rng.normal(size=len(frame)) * np.where(is_bottom, 1e-3, 1e3))
    base = _base(aggregated, 13)
    mint = reconcile(base, hierarchy, method="mint_shrink", residuals=residuals.drop(columns="y"))
    np.testing.assert_allclose(mint["mean"], reconcile(base, hierarchy)["mean"], rtol=1e-4)
