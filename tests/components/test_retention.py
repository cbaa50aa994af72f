"""Retention page builders: called on small seeded frames, asserted on structure."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest
from dash import dcc, html

from components import ids
from components.retention import AT_RISK_COLUMNS, AT_RISK_GRID_COLUMNS, CUSTOMER_PROMPT, MISSING, at_risk_csv, \
    at_risk_table, customer_panel, model_card, ph_note, retention_layout, segment_cards
from components.retention_figures import COHORT_COLORSCALE, calibration_figure, cohort_heatmap, cohort_surface, \
    customer_history_figure, forest_plot, importance_figure, km_figure, roc_figure, segment_colors, segments_map, \
    segments_scatter
from components.theme import PALETTE, TEMPLATE_NAME, register_template
from tests.layout_walk import walk as _walk

KM_GROUPS = [("segment", "Segment"), ("plan", "Plan"), ("region", "Region")]


def _texts(component) -> list[str]:
    return [c.children for c in _walk(component) if isinstance(getattr(c, "children", None), str)]


def _by_id(root) -> dict:
    return {c.id: c for c in _walk(root) if isinstance(getattr(c, "id", None), str)}


def _assert_valid_neon(fig: dict) -> None:
    register_template()
    assert fig["layout"]["template"]["layout"]["paper_bgcolor"] == pio.templates[TEMPLATE_NAME].layout.paper_bgcolor
    pio.from_json(pio.to_json(fig))  # a valid Plotly figure


def _assert_empty_with_message(fig: dict, words: str) -> None:
    assert fig["data"] == [] and words in fig["layout"]["annotations"][0]["text"]


def _cohorts(n: int = 4, revenue: bool = False) -> pd.DataFrame:
    """A triangle: the newest cohort is observed for one month, the oldest for ``n``."""
    rng = np.random.default_rng(3)
    values = np.full((n, n), np.nan)
    for i in range(n):
        values[i, : n - i] = np.r_[1.0, rng.uniform(0.2, 1.4 if revenue else 0.8, n - i - 1)]
    labels = [f"2024-{m:02d}" for m in range(1, n + 1)]
    return pd.DataFrame(values, index=pd.Index(labels, name="cohort"), columns=pd.Index(range(n), name="period"))


# ---------- cohorts ----------

def test_cohort_heatmap_puts_the_oldest_cohort_on_top_with_percent_hover_and_cell_text():
    table = _cohorts().iloc[::-1]  # given newest first: the builder sorts
    fig = cohort_heatmap(table, "Cohorts", "customers")
    _assert_valid_neon(fig)
    trace, labels = fig["data"]
    assert trace["y"] == ["2024-01", "2024-02", "2024-03", "2024-04"] and trace["x"] == [0, 1, 2, 3]
    assert fig["layout"]["yaxis"]["autorange"] == "reversed"
    assert trace["z"][3] == [1.0, None, None, None]  # not observed yet is a gap, not 0
    assert (trace["zmin"], trace["zmax"]) == (0, 1.0) and trace["colorscale"] == COHORT_COLORSCALE
    assert "of customers active" in trace["hovertemplate"]
    # one label per observed cell, dark on the bright half of the scale and light on the dark half
    assert len(labels["text"]) == 10 and labels["mode"] == "text" and labels["hoverinfo"] == "skip"
    first = table.sort_index().iloc[0]
    assert (labels["x"][:4], labels["y"][0], labels["text"][0]) == ([0, 1, 2, 3], "2024-01", "100%")
    expected = [PALETTE["bg"] if v >= 0.5 else PALETTE["text"] for v in first / trace["zmax"]]
    assert labels["textfont"]["color"][:4] == expected and len(set(expected)) == 2


def test_cohort_heatmap_of_revenue_says_so_and_scales_above_one_without_text_when_large():
    fig = cohort_heatmap(_cohorts(30, revenue=True), "Revenue", "revenue")
    (trace,) = fig["data"]  # 30 × 30 cells are too small for text labels
    assert "of month-0 revenue" in trace["hovertemplate"] and trace["zmax"] > 1
    low = cohort_heatmap(_cohorts(30) * 0.5, "Customers", "customers")["data"][0]
    assert low["zmax"] == pytest.approx(0.5, abs=0.01)  # the colour scale spans the shares that occur
    with pytest.raises(ValueError, match="unknown cohort value 'orders'; use one of 'customers', 'revenue'"):
        cohort_heatmap(_cohorts(), "t", "orders")


def test_cohort_surface_is_a_3d_surface_with_cohort_labels_on_hover():
    fig = cohort_surface(_cohorts(), "Cohorts", "customers")
    _assert_valid_neon(fig)
    (trace,) = fig["data"]
    assert trace["type"] == "surface" and len(trace["z"]) == 4 and len(trace["z"][0]) == 4
    assert trace["customdata"][1] == ["2024-02"] * 4 and "%{customdata}" in trace["hovertemplate"]
    assert fig["layout"]["scene"]["yaxis"]["ticktext"] == ["2024-01", "2024-02", "2024-03", "2024-04"]


@pytest.mark.parametrize("builder", [cohort_heatmap, cohort_surface])
def test_cohort_figures_of_nothing_observed_say_so(builder):
    _assert_empty_with_message(builder(_cohorts().iloc[:0], "t"), "No cohort")
    _assert_empty_with_message(builder(_cohorts() * np.nan, "t"), "No cohort")


# ---------- survival ----------

def _curves() -> pd.DataFrame:
    frames = []
    for group, rate in (("Enterprise", 0.001), ("Consumer", 0.003)):
        days = np.array([0.0, 30, 90, 200, 400])
        survival = np.exp(-rate * days)
        frames.append(pd.DataFrame({"group": group, "timeline_days": days, "survival": survival,
                                    "lower": survival - 0.05, "upper": np.minimum(survival + 0.05, 1)}))
    frames[0].loc[4, "lower"] = np.nan
    return pd.concat(frames, ignore_index=True)


def test_km_figure_draws_a_step_line_and_a_same_colour_band_per_group_in_months():
    fig = km_figure(_curves(), "Still active", note="log-rank p = 0.003")
    _assert_valid_neon(fig)
    assert [t["name"] for t in fig["data"]] == ["Consumer 95% CI (low)", "Consumer 95% CI", "Consumer",
                                                "Enterprise 95% CI (low)", "Enterprise 95% CI", "Enterprise"]
    lines = [t for t in fig["data"] if t.get("showlegend") is not False]
    assert all(t["line"]["shape"] == "hv" for t in fig["data"])
    assert lines[0]["x"][2] == pytest.approx(90 / 30.44, abs=1e-3) and lines[0]["customdata"][2][0] == 90
    for line in lines:
        upper = fig["data"][fig["data"].index(line) - 1]
        assert upper["fill"] == "tonexty" and upper["legendgroup"] == line["legendgroup"]
        red, green, blue = (int(line["line"]["color"][i:i + 2], 16) for i in (1, 3, 5))
        assert upper["fillcolor"] == f"rgba({red}, {green}, {blue}, 0.15)"
    assert fig["data"][3]["y"][4] is None  # a NaN bound is a gap
    assert fig["layout"]["annotations"][0]["text"] == "log-rank p = 0.003"
    assert fig["layout"]["yaxis"]["tickformat"] == ".0%" and "months" in fig["layout"]["xaxis"]["title"]["text"]
    assert km_figure(_curves(), "t")["layout"]["annotations"] == []
    _assert_empty_with_message(km_figure(_curves().iloc[:0], "t"), "No survival curve")


def _hazards() -> pd.DataFrame:
    return pd.DataFrame({"covariate": ["segment: Enterprise", "plan: Premium", "tickets_per_year", "region: EMEA",
                                       "bad"],
                         "hazard_ratio": [0.55, 0.74, 1.28, 0.95, np.nan], "lower": [0.45, 0.6, 1.2, 0.8, np.nan],
                         "upper": [0.67, 0.91, 1.37, 1.1, np.nan], "p_value": [1e-6, 0.004, 0.02, 0.4, np.nan]})


def test_forest_plot_is_on_a_log_axis_with_a_line_at_one_and_colours_by_direction():
    fig = forest_plot(_hazards(), "Cox")
    _assert_valid_neon(fig)
    assert fig["layout"]["xaxis"]["type"] == "log"
    (line,) = fig["layout"]["shapes"]
    assert line["x0"] == line["x1"] == 1
    raises, lowers = fig["data"]
    assert raises["name"].startswith("raises churn") and raises["marker"]["color"] == PALETTE["danger"]
    assert lowers["name"].startswith("lowers churn") and lowers["marker"]["color"] == PALETTE["lime"]
    assert raises["y"] == ["tickets_per_year"] and lowers["y"] == ["segment: Enterprise", "plan: Premium",
                                                                   "region: EMEA"]
    assert lowers["marker"]["symbol"] == ["diamond", "diamond", "diamond-open"]  # EMEA's CI includes 1
    assert lowers["error_x"]["array"] == pytest.approx([0.12, 0.17, 0.15]) and lowers["error_x"]["arrayminus"][0] == 0.1
    assert lowers["customdata"][0][2] == "p < 0.001" and raises["customdata"][0][2:] == ["p = 0.020", "+28% hazard", ""]
    assert fig["layout"]["yaxis"]["categoryarray"] == ["segment: Enterprise", "plan: Premium", "tickets_per_year",
                                                       "region: EMEA"]
    _assert_empty_with_message(forest_plot(_hazards().iloc[4:], "t"), "No hazard ratios")


# ---------- churn model ----------


def test_forest_plot_and_note_say_where_the_proportional_hazards_check_fails():
    ph = pd.DataFrame({"covariate": ["segment: Enterprise", "plan: Premium", "tickets_per_year", "region: EMEA"],
                       "statistic": [0.2, 9.1, 1.0, 0.3], "p_value": [0.65, 0.003, 0.32, 0.58],
                       "violated": [False, True, False, False]})
    fig = forest_plot(_hazards(), "Cox", ph)
    _assert_valid_neon(fig)
    raises, lowers = fig["data"]
    assert "holds (p = 0.320)" in raises["customdata"][0][4]
    premium = lowers["y"].index("plan: Premium")
    assert "effect changes with tenure (p = 0.003)" in lowers["customdata"][premium][4]
    assert "customdata[4]" in lowers["hovertemplate"]
    note = ph_note(ph, 20_000)
    assert "plan: Premium (1 of 4) changes with tenure" in note and "Enterprise" not in note and "20,000" in note
    assert "holds for all 4 covariates" in ph_note(ph.assign(violated=False), 100)
    assert "could not be run" in ph_note(ph.iloc[:0], 100)

def test_roc_and_calibration_have_a_diagonal_reference_and_the_model():
    roc = roc_figure(pd.DataFrame({"fpr": [0, 0.1, 0.4, 1], "tpr": [0, 0.5, 0.8, 1]}), 0.8123)
    _assert_valid_neon(roc)
    assert [t["name"] for t in roc["data"]] == ["Chance (AUC 0.5)", "Churn model (AUC 0.812)"]
    assert roc["data"][0]["x"] == [0, 1.0] and roc["data"][0]["line"]["dash"] == "dash"
    calibration = calibration_figure(pd.DataFrame({"mean_predicted": [0.05, 0.2, 0.5],
                                                   "observed": [0.04, 0.25, 0.45], "count": [400, 100, 25]}))
    _assert_valid_neon(calibration)
    reference, model = calibration["data"]
    assert reference["name"] == "Perfect calibration" and reference["x"] == reference["y"]
    assert model["marker"]["size"] == [30.0, 19.0, 13.5] and model["customdata"] == [400, 100, 25]
    _assert_empty_with_message(roc_figure(pd.DataFrame(columns=["fpr", "tpr"]), 0.5), "No ROC")
    _assert_empty_with_message(calibration_figure(pd.DataFrame(columns=["mean_predicted", "observed", "count"])),
                               "No calibration")


def test_importance_figure_shows_the_top_features_largest_on_top():
    importance = pd.DataFrame({"feature": [f"f{i}" for i in range(15)], "importance": np.arange(15) / 10})
    fig = importance_figure(importance, top=5)
    _assert_valid_neon(fig)
    (bar,) = fig["data"]
    assert bar["y"] == ["f14", "f13", "f12", "f11", "f10"] and bar["orientation"] == "h"
    assert fig["layout"]["yaxis"]["autorange"] == "reversed"
    _assert_empty_with_message(importance_figure(importance.iloc[:0]), "No feature importances")


# ---------- segments ----------

def _points(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    return pd.DataFrame({"customer_id": [f"C{i:04d}" for i in range(n)], "recency_days": rng.integers(0, 400, n),
                         "frequency": rng.integers(0, 40, n), "monetary": rng.gamma(2, 60, n) * (np.arange(n) % 7 > 0),
                         "segment": rng.choice(["Champions", "At risk", "Hibernating"], n)})


def test_segments_scatter_has_one_3d_trace_per_segment_with_customer_ids_as_flat_customdata():
    points = _points()
    fig = segments_scatter(points, "Segments")
    _assert_valid_neon(fig)
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
    _assert_empty_with_message(segments_scatter(points.iloc[:0], "t"), "No customers")


def test_segments_map_is_the_same_points_in_2d_and_clickable():
    points = _points()
    fig = segments_map(points, "Segments")
    _assert_valid_neon(fig)
    assert {t["type"] for t in fig["data"]} == {"scatter"} and "scene" not in fig["layout"]
    assert [t["name"] for t in fig["data"]] == ["At risk", "Champions", "Hibernating"]
    assert sorted(c for t in fig["data"] for c in t["customdata"]) == sorted(points["customer_id"])
    champions = fig["data"][1]
    first = points[points["segment"] == "Champions"].iloc[0]
    assert champions["x"][0] == first["recency_days"]
    assert champions["y"][0] == pytest.approx(np.log1p(first["monetary"]), abs=1e-4)
    assert fig["layout"]["clickmode"] == "event" and fig["layout"]["yaxis"]["ticktext"][:2] == ["$0", "$1"]
    _assert_empty_with_message(segments_map(points.iloc[:0], "t"), "No customers")


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


# ---------- model card, at-risk grid, customer ----------

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


def _at_risk() -> pd.DataFrame:
    """Three customers as RetentionAnalyzer.top_at_risk lists them: most value at risk first."""
    return pd.DataFrame({"customer_id": [7, 3, 9], "segment": ["SMB", "Consumer", "Enterprise"],
                         "region": ["EMEA", "NA", "APAC"], "plan": ["Plus", "Basic", "Premium"],
                         "orders": [12, 3, 0], "churn_probability": [0.355, 0.83, 0.12],
                         "risk": ["medium", "high", "medium"], "retention_score": [65, 17, 88],
                         "clv": [4100.5, 1200.25, np.nan], "value_at_risk": [1455.6775, 996.2075, np.nan],
                         "top_reason": ["No orders in the last 90 days raises risk",
                                        "About 6 support tickets a year raises risk", ""]})


def test_at_risk_table_keeps_the_value_at_risk_order_states_the_rule_and_formats():
    panel = at_risk_table(_at_risk(), base_rate=0.075, horizon_days=90)
    by_id = _by_id(panel)
    grid = by_id[ids.RETENTION_AT_RISK]
    assert [r["customer_id"] for r in grid.rowData] == [7, 3, 9]
    assert grid.rowData[2]["clv"] is None and grid.rowData[0]["churn_probability"] == 0.355  # raw numbers sort
    assert grid.rowData[0]["retention_score"] == 65  # exported, though not a grid column
    columns = {c["field"]: c for c in grid.columnDefs}
    assert list(columns) == list(AT_RISK_GRID_COLUMNS) and "sort" not in columns["churn_probability"]
    assert "d3.format('.1%')" in columns["churn_probability"]["valueFormatter"]["function"]
    assert "d3.format('$,.0f')" in columns["clv"]["valueFormatter"]["function"]
    assert columns["clv"]["headerName"] == "CLV" and columns["value_at_risk"]["headerName"] == "Value at risk"
    assert columns["top_reason"]["wrapText"] and columns["top_reason"]["autoHeight"]
    # every column's minimum fits the at-risk card at 1400 px (about 1,300 px of grid), so nothing scrolls away
    assert sum(c.get("minWidth", 110) for c in grid.columnDefs) <= 1300
    assert set(columns["risk"]["cellClassRules"]) == {"nf-risk-high", "nf-risk-medium", "nf-risk-low"}
    assert grid.dashGridOptions["rowSelection"] == {"mode": "singleRow", "enableClickSelection": True}
    note = " ".join(_texts(panel))
    assert "ranked by value at risk = P(churn) × CLV" in note and "7.50% churned in the latest 90 days" in note
    assert by_id[ids.RETENTION_EXPORT_BTN].children == "Export CSV"
    assert isinstance(by_id[ids.RETENTION_AT_RISK_DOWNLOAD], dcc.Download)
    empty = _by_id(at_risk_table(_at_risk().iloc[:0]))
    assert empty[ids.RETENTION_AT_RISK].rowData == [] and ids.RETENTION_EXPORT_BTN in empty


def test_at_risk_csv_holds_raw_numbers_and_empty_cells_for_missing_values():
    rows = at_risk_table(_at_risk()).children[1].rowData
    lines = at_risk_csv(rows).splitlines()
    assert lines[0] == ",".join(AT_RISK_COLUMNS)
    assert lines[1] == "7,SMB,EMEA,Plus,12,0.355,medium,65,4100.5,1455.68,No orders in the last 90 days raises risk"
    assert lines[3] == "9,Enterprise,APAC,Premium,0,0.12,medium,88,,,"
    assert "%" not in "".join(lines) and MISSING not in "".join(lines) and "$" not in "".join(lines)
    assert at_risk_csv([]).splitlines() == [",".join(AT_RISK_COLUMNS)]


def _customer(**changes) -> dict:
    customer = {"customer_id": 42, "segment": "SMB", "region": "EMEA", "channel": "web", "plan": "Plus",
                "signup_date": "2023-05-02", "status": "active", "churn_probability": 0.37, "retention_score": 63.0,
                "p_alive": 0.81, "clv": 930.0, "expected_purchases": 2.345}
    return {**customer, **changes}


def _reasons() -> pd.DataFrame:
    return pd.DataFrame({"direction": ["raises risk", "raises risk", "lowers risk"],
                         "feature": ["tickets_per_year", "orders_90d", "tenure_days"], "value": [6.0, 0, 812.5],
                         "shap": [0.11, 0.42, -0.3],
                         "reason": ["About 6 support tickets a year raises risk",
                                    "No orders in the last 90 days raises risk", "A customer for 2.2 years lowers risk"]})


def test_customer_panel_shows_scores_history_and_reasons_in_words():
    history = pd.DataFrame({"order_date": pd.to_datetime(["2024-01-03", "2024-01-03", "2024-03-09"]),
                            "revenue": [20.0, 5.5, 40.0]})
    panel = customer_panel(_customer(), history, _reasons())
    texts = _texts(panel)
    assert {"Customer 42", "active", "37.00%", "63 / 100", "81.00%", "$930.00", "2.35"} <= set(texts)
    items = [" ".join(str(getattr(part, "children", part)) for part in c.children)
             for c in _walk(panel) if isinstance(c, html.Li)]
    assert items == ["No orders in the last 90 days raises risk   (+0.42)",
                     "About 6 support tickets a year raises risk   (+0.11)",
                     "A customer for 2.2 years lowers risk   (-0.30)"]
    graph = _by_id(panel)[ids.RETENTION_CUSTOMER_HISTORY]
    assert isinstance(graph, dcc.Graph) and graph.figure["data"][0]["y"] == [25.5, 40.0]


def test_customer_panel_of_a_churned_customer_shows_dashes_and_why():
    customer = _customer(status="churned on 2024-06-01", churn_probability=None, retention_score=None,
                         p_alive=np.nan, clv=None, expected_purchases=None)
    texts = _texts(customer_panel(customer, pd.DataFrame(columns=["order_date", "revenue"]), _reasons().iloc[:0]))
    assert texts.count(MISSING) == 5
    assert "not scored: the customer has churned" in texts and "not estimated: the customer has churned" in texts
    assert any(t.startswith("No churn reasons: the customer has churned") for t in texts)
    _assert_empty_with_message(customer_history_figure(pd.DataFrame(columns=["order_date", "revenue"])), "No orders")


def test_customer_panel_of_a_churned_customer_shows_the_known_zero_value():
    customer = _customer(status="churned on 2024-06-01", churn_probability=None, retention_score=None,
                         p_alive=0.0, clv=0.0, expected_purchases=0.0)
    texts = _texts(customer_panel(customer, pd.DataFrame(columns=["order_date", "revenue"]), _reasons().iloc[:0]))
    assert texts.count(MISSING) == 2  # churn probability and retention score: not scored
    assert texts.count("the subscription is cancelled") == 3 and "0.00" in texts

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


def test_cohort_colour_scale_keeps_cell_text_aa_on_both_sides_of_its_step():
    from tests.components.test_theme_css import contrast_ratio
    below = [color for position, color in COHORT_COLORSCALE if position <= 0.5][:-1]
    above = [color for position, color in COHORT_COLORSCALE if position >= 0.5][1:]
    assert min(contrast_ratio(PALETTE["text"], c) for c in below) >= 4.5
    assert min(contrast_ratio(PALETTE["bg"], c) for c in above) >= 4.5


def _lightness(hex_colour: str) -> float:
    """CIELAB L* of an sRGB colour (from its WCAG relative luminance, which is CIE Y)."""
    from tests.components.test_theme_css import relative_luminance
    y = relative_luminance(hex_colour)
    return 116 * y ** (1 / 3) - 16 if y > 216 / 24389 else 24389 / 27 * y


def test_cohort_colour_scale_gets_lighter_all_the_way_as_plotly_interpolates_it():
    rgb = [(p, np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)) for p, c in COHORT_COLORSCALE]
    samples = []
    for (p0, c0), (p1, c1) in zip(rgb, rgb[1:]):
        for f in np.linspace(0, 1, 25) if p1 > p0 else [0.0, 1.0]:
            r, g, b = np.round(c0 + (c1 - c0) * f).astype(int)
            samples.append(_lightness(f"#{r:02x}{g:02x}{b:02x}"))
    assert np.all(np.diff(samples) >= -1e-9), "lightness must never fall along the scale"
    assert samples[-1] - samples[0] > 75  # dark to light, the whole range used


def test_forest_plot_ticks_are_few_and_cover_the_intervals():
    ratios = pd.DataFrame({"covariate": ["plan: Plus", "tickets"], "hazard_ratio": [0.6, 1.8], "lower": [0.45, 1.5],
                           "upper": [0.8, 2.2], "p_value": [0.001, 0.0001]})
    axis = forest_plot(ratios, "Drivers")["layout"]["xaxis"]
    assert axis["tickvals"] == [0.3, 0.5, 0.7, 1, 1.5, 2, 3] and axis["ticktext"][:3] == ["0.3", "0.5", "0.7"]


def _terms(component) -> dict[str, str]:
    """Label -> hover definition of every glossary term inside ``component``."""
    return {c.children[0]: c.title for c in _walk(component) if getattr(c, "className", None) == "nf-term"}


def test_retention_terms_explain_themselves_on_hover_and_focus():
    from components.glossary import definition
    card = _terms(model_card(0.8, 0.1, 0.1, 100, 50, 90, "2025-03-01"))
    assert card["ROC AUC"] == definition("auc") and card["Brier score"] == definition("brier")
    assert card["calibration"] == definition("calibration") and card["SHAP"] == definition("shap")
    panel = _terms(customer_panel(_customer(), pd.DataFrame(columns=["order_date", "revenue"]), _reasons()))
    assert panel["P(alive)"] == definition("p_alive") and panel["Lifetime value"] == definition("clv")
    assert "SHAP" in panel
    layout = _terms(retention_layout(KM_GROUPS, "segment"))
    assert layout["hazard ratios"] == definition("hazard_ratio")
    grid = at_risk_table(_at_risk()).children[1]
    assert {c["field"]: c.get("headerTooltip") for c in grid.columnDefs}["clv"] == definition("clv")
