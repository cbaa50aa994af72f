"""Retention page layout, segment cards and the churn model's card: called directly, asserted on structure."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dash import dcc

from components import ids
from components.churn_figures import segment_colors
from components.format import MISSING
from components.glossary import definition
from components.retention import CUSTOMER_PROMPT, model_card, retention_layout, segment_cards
from components.theme import PALETTE
from tests.components.helpers import by_id as _by_id, glossary_terms as _terms, texts as _texts
from tests.layout_walk import walk as _walk

KM_GROUPS = [("segment", "Segment"), ("plan", "Plan"), ("region", "Region")]


def test_segment_cards_show_one_card_per_segment_with_missing_churn_as_a_dash():
    profiles = pd.DataFrame({"segment": ["Champions", "New"], "size": [120, 40], "share": [0.75, 0.25],
                             "churn_rate": [0.05, np.nan], "value": [1520.0, 80.0],
                             "description": ["Buy often and recently.", "Signed up lately."]})
    cards = segment_cards(profiles)
    assert len(cards.children) == 2
    texts = _texts(cards)
    assert "120 customers" in texts and "Buy often and recently." in texts
    assert "75.00% of customers · churn 5.00% · value $1.52k" in texts
    assert f"25.00% of customers · churn {MISSING} · value $80.00" in texts
    color = segment_colors(["Champions", "New"])["Champions"]
    assert cards.children[0].style == {"--nf-accent": color, "--nf-accent-rgb": "0, 229, 255"} == {
        "--nf-accent": PALETTE["cyan"], "--nf-accent-rgb": "0, 229, 255"}
    assert "No segments" in _texts(segment_cards(profiles.iloc[:0]))[0]


# ---------- model card ----------

def test_model_card_shows_scores_and_explains_the_out_of_time_validation():
    card = model_card(0.8123, 0.0912, 0.12, 12000, 3000, 90, "2025-03-01")
    texts = _texts(card)
    assert {"0.812", "0.091", "12.00%", "12,000", "3,000", "customers active at the test cutoff"} <= set(texts)
    assert any("base rate scores 0.106" in t for t in texts)
    assert any(t.startswith("Out-of-time validation") and "90 days after 2025-03-01" in t for t in texts)
    assert MISSING in _texts(model_card(float("nan"), 0.1, 0.1, 1, 1, 90, "2025-03-01"))


def _count_tiles(card) -> dict[str, tuple[str, str | None, str]]:
    """Label -> (value, its hover title, subtitle) of the model card's tiles."""
    tiles = [c for c in _walk(card) if "nf-kpi-card" in (getattr(c, "className", None) or "")]
    return {label.children: (value.children, getattr(value, "title", None), sub.children)
            for label, value, sub in (tile.children for tile in tiles)}


def test_model_card_says_what_the_score_blends():
    text = " ".join(_texts(model_card(0.8, 0.1, 0.1, 100, 50, 90, "2025-03-01", linear_weight=0.25)))
    assert "gradient boosting (75%)" in text and "spline logit (25%)" in text
    assert "spline logit" not in " ".join(_texts(model_card(0.8, 0.1, 0.1, 100, 50, 90, "2025-03-01")))


def test_model_card_counts_fit_a_tile_at_200k_customers_and_keep_the_exact_numbers():
    small = _count_tiles(model_card(0.8, 0.1, 0.1, 38_421, 10_987, 90, "2025-03-01"))
    assert small["Training rows"] == ("38,421", "38,421", "customer × snapshot rows from earlier cutoffs")
    assert small["Test customers"] == ("10,987", "10,987", "customers active at the test cutoff")
    large = _count_tiles(model_card(0.8, 0.1, 0.1, 768_402, 109_874, 90, "2025-03-01"))
    assert large["Training rows"] == ("768.4k", "768,402", "768,402 customer × snapshot rows from earlier cutoffs")
    assert large["Test customers"] == ("109.9k", "109,874", "109,874 customers active at the test cutoff")
    huge = _count_tiles(model_card(0.8, 0.1, 0.1, 12_345_678, 999_950, 90, "2025-03-01"))
    assert huge["Training rows"][0] == "12.35M" and huge["Test customers"][0] == "1.00M"
    # No tile value longer than the longest score ("12.00%"): they all fit the same 11rem tile.
    assert max(len(value) for tiles in (small, large, huge) for value, _, _ in tiles.values()) <= len("12.00%")


# ---------- retention_layout ----------

_MADE_BY_BUILDERS = {ids.RETENTION_AT_RISK, ids.RETENTION_EXPORT_BTN, ids.RETENTION_AT_RISK_DOWNLOAD,
                     ids.RETENTION_CUSTOMER_HISTORY}


def test_layout_has_every_retention_id_exactly_once():
    found = [c.id for c in _walk(retention_layout(KM_GROUPS, "segment")) if getattr(c, "id", None) is not None]
    expected = ({v for k, v in vars(ids).items() if k.startswith("RETENTION_") and isinstance(v, str)}
                | set(vars(ids.RETENTION_JOB).values())) - _MADE_BY_BUILDERS
    assert {value: found.count(value) for value in expected} == {value: 1 for value in expected}
    assert not {f for f in found if isinstance(f, str)} & _MADE_BY_BUILDERS


def test_layout_controls_stores_accessibility_and_loaders():
    root = retention_layout(KM_GROUPS, "plan")
    by_id = _by_id(root)
    assert by_id[ids.RETENTION_KM_BY].value == "plan" and by_id[ids.RETENTION_KM_BY].clearable is False
    assert by_id[ids.RETENTION_KM_BY].options[0] == {"label": "Segment", "value": "segment"}
    assert [o["value"] for o in by_id[ids.RETENTION_COHORT_METRIC].options] == ["customers", "revenue"]
    assert by_id[ids.RETENTION_READY].data is None and by_id[ids.RETENTION_CUSTOMER].data is None
    assert by_id[ids.RETENTION_MESSAGE].role == "alert" and by_id[ids.RETENTION_JOB_STATUS].role == "status"
    assert by_id[ids.RETENTION_REFIT].children == "Refit models"
    assert by_id[ids.RETENTION_COHORT_3D].style == {"display": "none"}
    assert ids.RETENTION_COHORT_SURFACE in _by_id(by_id[ids.RETENTION_COHORT_3D])
    assert ids.RETENTION_COHORT_HEATMAP in _by_id(by_id[ids.RETENTION_COHORT_2D])
    assert _texts(by_id[ids.RETENTION_CUSTOMER_PANEL]) == [CUSTOMER_PROMPT]
    loaders = [c for c in _walk(root) if isinstance(c, dcc.Loading)]
    wrapped = {c.children.id for c in loaders}
    graphs = {c.id for c in _walk(root) if isinstance(c, dcc.Graph)}
    assert graphs == wrapped and len(graphs) == 9
    assert by_id[ids.RETENTION_SEGMENTS_3D].style == {"display": "none"}
    assert ids.RETENTION_SEGMENTS in _by_id(by_id[ids.RETENTION_SEGMENTS_3D])
    assert ids.RETENTION_SEGMENTS_FLAT in _by_id(by_id[ids.RETENTION_SEGMENTS_2D])
    assert all("nf-matrix" in c.custom_spinner.className for c in loaders)
    with pytest.raises(ValueError, match="default_group 'tier' is not one of the km_groups"):
        retention_layout(KM_GROUPS, "tier")


def test_retention_terms_explain_themselves_on_hover_and_focus():
    card = _terms(model_card(0.8, 0.1, 0.1, 100, 50, 90, "2025-03-01"))
    assert card["ROC AUC"] == definition("auc") and card["Brier score"] == definition("brier")
    assert card["calibration"] == definition("calibration") and card["SHAP"] == definition("shap")
    layout = _terms(retention_layout(KM_GROUPS, "segment"))
    assert layout["hazard ratios"] == definition("hazard_ratio")
