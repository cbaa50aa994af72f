"""Churn model, segment and customer figures: called on small seeded frames, asserted on structure."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from components.churn_figures import calibration_figure, importance_figure, roc_figure, segment_colors, segments_map, \
    segments_scatter
from tests.components.helpers import assert_empty_with_message, assert_valid_neon


# ---------- churn model ----------

def test_roc_and_calibration_have_a_diagonal_reference_and_the_model():
    roc = roc_figure(pd.DataFrame({"fpr": [0, 0.1, 0.4, 1], "tpr": [0, 0.5, 0.8, 1]}), 0.8123)
    assert_valid_neon(roc)
    assert [t["name"] for t in roc["data"]] == ["Chance (AUC 0.5)", "Churn model (AUC 0.812)"]
    assert roc["data"][0]["x"] == [0, 1.0] and roc["data"][0]["line"]["dash"] == "dash"
    calibration = calibration_figure(pd.DataFrame({"mean_predicted": [0.05, 0.2, 0.5],
                                                   "observed": [0.04, 0.25, 0.45], "count": [400, 100, 25]}))
    assert_valid_neon(calibration)
    reference, model = calibration["data"]
    assert reference["name"] == "Perfect calibration" and reference["x"] == reference["y"]
    assert model["marker"]["size"] == [30.0, 19.0, 13.5] and model["customdata"] == [400, 100, 25]
    assert_empty_with_message(roc_figure(pd.DataFrame(columns=["fpr", "tpr"]), 0.5), "No ROC")
    assert_empty_with_message(calibration_figure(pd.DataFrame(columns=["mean_predicted", "observed", "count"])),
                               "No calibration")


def test_importance_figure_shows_the_top_features_largest_on_top():
    importance = pd.DataFrame({"feature": [f"f{i}" for i in range(15)], "importance": np.arange(15) / 10})
    fig = importance_figure(importance, top=5)
    assert_valid_neon(fig)
    (bar,) = fig["data"]
    assert bar["y"] == ["f14", "f13", "f12", "f11", "f10"] and bar["orientation"] == "h"
    assert fig["layout"]["yaxis"]["autorange"] == "reversed"
    assert_empty_with_message(importance_figure(importance.iloc[:0]), "No feature importances")


# ---------- segments ----------

def _points(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    return pd.DataFrame({"customer_id": [f"C{i:04d}" for i in range(n)], "recency_days": rng.integers(0, 400, n),
                         "frequency": rng.integers(0, 40, n), "monetary": rng.gamma(2, 60, n) * (np.arange(n) % 7 > 0),
                         "segment": rng.choice(["Champions", "At risk", "Hibernating"], n)})


def test_segments_scatter_has_one_3d_trace_per_segment_with_customer_ids_as_flat_customdata():
    points = _points()
    fig = segments_scatter(points, "Segments")
    assert_valid_neon(fig)
    assert [t["name"] for t in fig["data"]] == ["At risk", "Champions", "Hibernating"]
    assert {t["type"] for t in fig["data"]} == {"scatter3d"}
    ids_drawn = [c for t in fig["data"] for c in t["customdata"]]
    assert sorted(ids_drawn) == sorted(points["customer_id"]) and all(isinstance(c, str) for c in ids_drawn)
    champions = fig["data"][1]
    first = points[points["segment"] == "Champions"].iloc[0]
    assert champions["customdata"][0] == first["customer_id"] and first["customer_id"] in champions["text"][0]
    assert champions["z"][0] == pytest.approx(np.log1p(first["monetary"]), abs=1e-4)  # zeros stay drawable
    assert [t["marker"]["color"] for t in fig["data"]] == list(segment_colors(points["segment"]).values())
    assert fig["layout"]["scene"]["zaxis"]["ticktext"] == ["$0", "$1", "$10", "$100"]  # one tick per decade
    assert fig["layout"]["legend"]["yanchor"] == "bottom" and fig["layout"]["scene"]["aspectmode"] == "cube"
    assert_empty_with_message(segments_scatter(points.iloc[:0], "t"), "No customers")


def test_segments_map_is_the_same_points_in_2d_and_clickable():
    points = _points()
    fig = segments_map(points, "Segments")
    assert_valid_neon(fig)
    assert {t["type"] for t in fig["data"]} == {"scatter"} and "scene" not in fig["layout"]
    assert [t["name"] for t in fig["data"]] == ["At risk", "Champions", "Hibernating"]
    assert sorted(c for t in fig["data"] for c in t["customdata"]) == sorted(points["customer_id"])
    champions = fig["data"][1]
    first = points[points["segment"] == "Champions"].iloc[0]
    assert champions["x"][0] == first["recency_days"]
    assert champions["y"][0] == pytest.approx(np.log1p(first["monetary"]), abs=1e-4)
    assert fig["layout"]["clickmode"] == "event" and fig["layout"]["yaxis"]["ticktext"][:2] == ["$0", "$1"]
    assert_empty_with_message(segments_map(points.iloc[:0], "t"), "No customers")


