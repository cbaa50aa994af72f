"""Cohort and survival figures: called on small seeded frames, asserted on structure."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from components.retention import ph_note
from components.retention_figures import COHORT_COLORSCALE, cohort_heatmap, cohort_surface, forest_plot, km_figure
from components.theme import PALETTE
from tests.components.helpers import assert_empty_with_message, assert_valid_neon, contrast_ratio, relative_luminance


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
    assert_valid_neon(fig)
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
    assert_valid_neon(fig)
    (trace,) = fig["data"]
    assert trace["type"] == "surface" and len(trace["z"]) == 4 and len(trace["z"][0]) == 4
    assert trace["customdata"][1] == ["2024-02"] * 4 and "%{customdata}" in trace["hovertemplate"]
    assert fig["layout"]["scene"]["yaxis"]["ticktext"] == ["2024-01", "2024-02", "2024-03", "2024-04"]


@pytest.mark.parametrize("builder", [cohort_heatmap, cohort_surface])
def test_cohort_figures_of_nothing_observed_say_so(builder):
    assert_empty_with_message(builder(_cohorts().iloc[:0], "t"), "No cohort")
    assert_empty_with_message(builder(_cohorts() * np.nan, "t"), "No cohort")


def test_cohort_colour_scale_keeps_cell_text_aa_on_both_sides_of_its_step():
    below = [color for position, color in COHORT_COLORSCALE if position <= 0.5][:-1]
    above = [color for position, color in COHORT_COLORSCALE if position >= 0.5][1:]
    assert min(contrast_ratio(PALETTE["text"], c) for c in below) >= 4.5
    assert min(contrast_ratio(PALETTE["bg"], c) for c in above) >= 4.5


def _lightness(hex_colour: str) -> float:
    """CIELAB L* of an sRGB colour (from its WCAG relative luminance, which is CIE Y)."""
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
    assert_valid_neon(fig)
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
    assert_empty_with_message(km_figure(_curves().iloc[:0], "t"), "No survival curve")


def _hazards() -> pd.DataFrame:
    return pd.DataFrame({"covariate": ["segment: Enterprise", "plan: Premium", "tickets_per_year", "region: EMEA",
                                       "bad"],
                         "hazard_ratio": [0.55, 0.74, 1.28, 0.95, np.nan], "lower": [0.45, 0.6, 1.2, 0.8, np.nan],
                         "upper": [0.67, 0.91, 1.37, 1.1, np.nan], "p_value": [1e-6, 0.004, 0.02, 0.4, np.nan]})


def test_forest_plot_is_on_a_log_axis_with_a_line_at_one_and_colours_by_direction():
    fig = forest_plot(_hazards(), "Cox")
    assert_valid_neon(fig)
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
    assert_empty_with_message(forest_plot(_hazards().iloc[4:], "t"), "No hazard ratios")


def test_forest_plot_and_note_say_where_the_proportional_hazards_check_fails():
    ph = pd.DataFrame({"covariate": ["segment: Enterprise", "plan: Premium", "tickets_per_year", "region: EMEA"],
                       "statistic": [0.2, 9.1, 1.0, 0.3], "p_value": [0.65, 0.003, 0.32, 0.58],
                       "violated": [False, True, False, False]})
    fig = forest_plot(_hazards(), "Cox", ph)
    assert_valid_neon(fig)
    raises, lowers = fig["data"]
    assert "holds (p = 0.320)" in raises["customdata"][0][4]
    premium = lowers["y"].index("plan: Premium")
    assert "effect changes with tenure (p = 0.003)" in lowers["customdata"][premium][4]
    assert "customdata[4]" in lowers["hovertemplate"]
    note = ph_note(ph, 20_000)
    assert "plan: Premium (1 of 4) changes with tenure" in note and "Enterprise" not in note and "20,000" in note
    assert "holds for all 4 covariates" in ph_note(ph.assign(violated=False), 100)
    assert "could not be run" in ph_note(ph.iloc[:0], 100)



def test_forest_plot_ticks_are_few_and_cover_the_intervals():
    ratios = pd.DataFrame({"covariate": ["plan: Plus", "tickets"], "hazard_ratio": [0.6, 1.8], "lower": [0.45, 1.5],
                           "upper": [0.8, 2.2], "p_value": [0.001, 0.0001]})
    axis = forest_plot(ratios, "Drivers")["layout"]["xaxis"]
    assert axis["tickvals"] == [0.3, 0.5, 0.7, 1, 1.5, 2, 3] and axis["ticktext"][:3] == ["0.3", "0.5", "0.7"]


