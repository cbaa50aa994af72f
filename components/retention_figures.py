"""Retention page figures of the whole customer base: cohorts and survival (Kaplan–Meier curves, Cox hazard ratios).

Plain dicts on the neon template (:mod:`components.primitives`). Every builder takes the frame the analytics
return (columns named in each docstring) and gives a themed empty figure with a message when there is nothing
to draw. The churn model's and the customers' figures are in :mod:`components.churn_figures`.
"""
from __future__ import annotations

import html as html_text
from typing import NamedTuple

import numpy as np
import pandas as pd

from components.primitives import LEGEND_ABOVE, empty_figure, rgba, rounded, titled_figure
from components.theme import PALETTE, SERIES_COLORS

__all__ = ["COHORT_VALUES", "COHORT_COLORSCALE", "DAYS_PER_MONTH", "cohort_heatmap", "cohort_surface", "km_figure",
           "forest_plot"]

DAYS_PER_MONTH = 30.44
# value -> (hover wording, colour bar title); revenue is relative to month 0 and may exceed 100%.
COHORT_VALUES = {"customers": ("of customers active", "active"), "revenue": ("of month-0 revenue", "vs month 0")}
# Navy through violet, magenta, coral and amber to pale yellow (a neon take on magma): CIELAB lightness rises
# monotonically along the whole scale, also between the stops as Plotly interpolates them, so more retention
# always reads as more light. The step at the middle skips the lightness where neither light nor dark text
# reaches 4.5:1, so cell text is AA on every cell: light text below the step (>= 4.8:1), dark above (>= 4.9:1).
COHORT_COLORSCALE = [[0, PALETTE["surface_2"]], [0.125, "#2c1c5a"], [0.25, "#4f2082"], [0.375, "#8a2499"],
                     [0.5, "#b52aa0"], [0.5, "#dc35aa"], [0.625, "#f65a94"], [0.75, "#ff8670"], [0.875, "#ffb85e"],
                     [1, "#f5ee8a"]]
_MAX_TEXT_CELLS = 400  # cells get their % written in them up to this many (and at most 25 months wide)
_NO_COHORT = "No cohort has been observed yet: the store needs orders after signups"


class _Cohorts(NamedTuple):
    matrix: pd.DataFrame  # cohorts (oldest first) × months since signup, NaN where not observed yet
    wording: str  # what a share is of, for the hover
    bar_title: str  # the colour bar's title
    zmax: float  # top of the colour scale


def _cohorts(table: pd.DataFrame, value: str) -> _Cohorts | None:
    """The sorted cohort table with its wording and colour range; None when no cell has been observed."""
    if value not in COHORT_VALUES:
        raise ValueError(f"unknown cohort value {value!r}; use one of {', '.join(map(repr, COHORT_VALUES))}")
    if table.empty or not np.isfinite(table.to_numpy(dtype=float)).any():
        return None
    ordered = table.sort_index().sort_index(axis=1)
    return _Cohorts(ordered, *COHORT_VALUES[value], _cohort_zmax(ordered, value))


def _cohort_zmax(matrix: pd.DataFrame, value: str) -> float:
    """Top of the colour scale: the 98th percentile, so typical shares use the whole scale (colour bar shows it).

    Customers are capped at 100%; revenue always reaches month 0's 100% and may go beyond it.
    """
    finite = matrix.to_numpy(dtype=float)
    top = float(np.nanpercentile(finite[np.isfinite(finite)], 98))
    return round(min(1.0, max(0.05, top)) if value == "customers" else max(1.0, top), 4)


def _cell_labels(matrix: pd.DataFrame, zmax: float) -> dict:
    """The % of each observed cell as text, light below the colour scale's step and dark above it.

    A text scatter rather than the heatmap's own text: only it can colour each label for its cell.
    """
    stacked = matrix.stack().dropna()
    z = stacked.to_numpy(dtype=float)
    return {"type": "scatter", "mode": "text", "x": [int(m) for m in stacked.index.get_level_values(1)],
            "y": [str(c) for c in stacked.index.get_level_values(0)], "text": [f"{v:.0%}" for v in z],
            "textfont": {"size": 10, "color": [PALETTE["bg"] if v / zmax >= 0.5 else PALETTE["text"] for v in z]},
            "hoverinfo": "skip", "showlegend": False, "name": "cell labels"}


def cohort_heatmap(table: pd.DataFrame, title: str, value: str = "customers") -> dict:
    """Cohorts (oldest on top) × months since signup, coloured by share; % in the cells when they fit."""
    cohorts = _cohorts(table, value)
    return empty_figure(_NO_COHORT) if cohorts is None else _heatmap(cohorts, title)


def _heatmap(cohorts: _Cohorts, title: str) -> dict:
    matrix = cohorts.matrix
    months = [int(m) for m in matrix.columns]
    trace = {
        "type": "heatmap", "z": [rounded(row) for row in matrix.to_numpy(dtype=float)], "x": months,
        "y": [str(c) for c in matrix.index], "zmin": 0, "zmax": cohorts.zmax,
        "colorscale": COHORT_COLORSCALE, "xgap": 1, "ygap": 1, "hoverongaps": False,
        "colorbar": {"title": {"text": cohorts.bar_title}, "tickformat": ".0%", "outlinewidth": 0},
        "hovertemplate": f"Cohort %{{y}} · month %{{x}}<br>%{{z:.1%}} {cohorts.wording}<extra></extra>",
    }
    data = [trace]
    if matrix.size <= _MAX_TEXT_CELLS and len(months) <= 25:
        data.append(_cell_labels(matrix, trace["zmax"]))
    return titled_figure(data, title, pinned=True, margin={"l": 88, "t": 40},
                         xaxis={"title": {"text": "months since signup"}, "showgrid": False,
                                **({"dtick": 1} if len(months) <= 25 else {})},
                         yaxis={"title": {"text": "signup cohort", "standoff": 8}, "type": "category",
                                "autorange": "reversed", "showgrid": False, "automargin": True})


def cohort_surface(table: pd.DataFrame, title: str, value: str = "customers") -> dict:
    """The cohort table as a rotatable surface (cohort × month × value); gaps where not observed yet."""
    cohorts = _cohorts(table, value)
    return empty_figure(_NO_COHORT) if cohorts is None else _surface(cohorts, title)


def _surface(cohorts: _Cohorts, title: str) -> dict:
    matrix, bar_title = cohorts.matrix, cohorts.bar_title
    labels = [str(c) for c in matrix.index]
    step = max(1, len(labels) // 8)
    trace = {
        "type": "surface", "x": [int(m) for m in matrix.columns], "y": list(range(len(labels))),
        "z": [rounded(row) for row in matrix.to_numpy(dtype=float)], "cmin": 0, "cmax": cohorts.zmax,
        "colorscale": COHORT_COLORSCALE, "customdata": [[c] * matrix.shape[1] for c in labels],
        "colorbar": {"title": {"text": bar_title, "side": "top"}, "tickformat": ".0%", "outlinewidth": 0,
                     "orientation": "h", "len": 0.6, "thickness": 12, "x": 0.5, "xanchor": "center", "y": 0,
                     "yanchor": "top"},
        "lighting": {"ambient": 0.7, "diffuse": 0.6, "specular": 0.3, "roughness": 0.5},
        "hovertemplate": f"Cohort %{{customdata}} · month %{{x}}<br>%{{z:.1%}} {cohorts.wording}<extra></extra>",
    }
    ticks = {"tickfont": {"color": PALETTE["text"], "size": 10}}
    titled = {"font": {"size": 11}}
    scene = {
        "xaxis": {"title": {"text": "months since signup", **titled}, "nticks": 6, **ticks},
        "yaxis": {"title": {"text": "signup cohort", **titled}, "tickvals": list(range(0, len(labels), step)),
                  "ticktext": labels[::step], **ticks},
        "zaxis": {"title": {"text": bar_title, **titled}, "tickformat": ".0%", "nticks": 4, **ticks},
        "camera": {"eye": {"x": 1.86, "y": -1.86, "z": 1.02}, "center": {"x": 0, "y": 0, "z": -0.1}},
        "aspectmode": "manual", "aspectratio": {"x": 1.25, "y": 1.25, "z": 0.6},
        "domain": {"x": [0, 1], "y": [0.08, 1]},
    }
    # no fixed height: the plot fills its container, which CSS makes about square on phones (46-retention.css)
    return titled_figure([trace], title, pinned=True, margin={"l": 0, "r": 0, "t": 40, "b": 56}, scene=scene,
                         uirevision="retention-cohort-surface")


def _km_traces(rows: pd.DataFrame, name: str, color: str) -> list[dict]:
    rows = rows.sort_values("timeline_days")
    days = rows["timeline_days"].to_numpy(dtype=float)
    x, group = rounded(days / DAYS_PER_MONTH, 3), f"km-{name}"
    lower, upper = rounded(rows["lower"]), rounded(rows["upper"])
    band = {"type": "scatter", "x": x, "mode": "lines", "line": {"width": 0, "shape": "hv"}, "hoverinfo": "skip",
            "showlegend": False, "legendgroup": group}
    escaped = html_text.escape(name)
    return [
        {**band, "y": lower, "name": f"{name} 95% CI (low)"},
        {**band, "y": upper, "name": f"{name} 95% CI", "fill": "tonexty", "fillcolor": rgba(color, 0.15)},
        {"type": "scatter", "x": x, "y": rounded(rows["survival"]), "name": name, "mode": "lines",
         "legendgroup": group, "line": {"color": color, "width": 2, "shape": "hv"},
         "customdata": [[int(d), lo, hi] for d, lo, hi in zip(days, lower, upper)],
         "hovertemplate": (f"<b>{escaped}</b>: %{{y:.1%}} still active (day %{{customdata[0]}}; "
                           "95% CI %{customdata[1]:.1%}–%{customdata[2]:.1%})<extra></extra>")},
    ]


def km_figure(curves: pd.DataFrame, title: str, note: str = "") -> dict:
    """Kaplan–Meier step curves per group with a translucent 95% band each; x in months since signup."""
    if curves.empty:
        return empty_figure("No survival curve to show: no customer has been observed yet")
    data = []
    for i, (name, rows) in enumerate(curves.groupby("group", sort=True)):
        data += _km_traces(rows, str(name), SERIES_COLORS[i % len(SERIES_COLORS)])
    annotations = [{"text": html_text.escape(note), "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.01,
                    "y": 0.02, "xanchor": "left", "yanchor": "bottom", "bgcolor": PALETTE["surface"],
                    "font": {"color": PALETTE["text"], "size": 11}}] if note else []
    return titled_figure(data, title, pinned=True, hovermode="x unified", height=400, annotations=annotations,
                         legend=LEGEND_ABOVE, margin={"t": 100, "l": 64}, uirevision=title,
                         xaxis={"title": {"text": "months since signup"}, "rangemode": "tozero", "hoverformat": ".1f"},
                         yaxis={"title": {"text": "customers still active"}, "tickformat": ".0%", "range": [0, 1.02]})


def _p_text(p: float) -> str:
    return "p = n/a" if not np.isfinite(p) else "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _ph_note(covariates: pd.Series, ph_test: pd.DataFrame | None) -> list[str]:
    """Per covariate, what the proportional-hazards check says (empty text when it was not run)."""
    if ph_test is None or ph_test.empty:
        return [""] * len(covariates)
    tested = ph_test.set_index("covariate")
    notes = []
    for covariate in covariates:
        if covariate not in tested.index:
            notes.append("")
            continue
        row = tested.loc[covariate]
        notes.append(f"<br>PH check: effect changes with tenure ({_p_text(row['p_value'])}); read as an average"
                     if row["violated"] else f"<br>PH check: holds ({_p_text(row['p_value'])})")
    return notes


def _forest_trace(rows: pd.DataFrame, name: str, color: str, ph_test: pd.DataFrame | None) -> dict:
    hr = rows["hazard_ratio"].to_numpy(dtype=float)
    lower, upper = rows["lower"].to_numpy(dtype=float), rows["upper"].to_numpy(dtype=float)
    custom = [[round(lo, 3), round(hi, 3), _p_text(p), f"{(h - 1) * 100:+.0f}% hazard", ph]
              for h, lo, hi, p, ph in zip(hr, lower, upper, rows["p_value"].to_numpy(dtype=float),
                                          _ph_note(rows["covariate"], ph_test))]
    clear = (lower > 1) | (upper < 1)  # hollow markers: the interval includes "no effect"
    return {"type": "scatter", "mode": "markers", "name": name, "x": rounded(hr), "y": rows["covariate"].tolist(),
            "marker": {"color": color, "size": 10, "symbol": ["diamond" if c else "diamond-open" for c in clear],
                       "line": {"color": color, "width": 1.5}},
            "error_x": {"type": "data", "symmetric": False, "array": rounded(np.nan_to_num(upper - hr)),
                        "arrayminus": rounded(np.nan_to_num(hr - lower)), "color": color, "thickness": 2, "width": 4},
            "customdata": custom,
            "hovertemplate": ("<b>%{y}</b><br>HR %{x:.2f} (95% CI %{customdata[0]}–%{customdata[1]})"
                              "<br>%{customdata[3]} · %{customdata[2]}%{customdata[4]}<extra></extra>")}


_RATIO_TICKS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10, 20)  # roughly evenly spaced on a log axis


def _ratio_ticks(frame: pd.DataFrame) -> dict:
    """Explicit log-axis ticks covering the intervals (Plotly's own add minor 2-9 labels that collide on phones)."""
    bounds = frame[["lower", "upper", "hazard_ratio"]].to_numpy(dtype=float)
    finite = bounds[np.isfinite(bounds) & (bounds > 0)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.5, 2.0)
    inside = [t for t in _RATIO_TICKS if low / 1.5 <= t <= high * 1.5] or [1]
    return {"tickvals": inside, "ticktext": [f"{t:g}" for t in inside]}


def forest_plot(hazard_ratios: pd.DataFrame, title: str, ph_test: pd.DataFrame | None = None) -> dict:
    """Cox hazard ratios with 95% CIs on a log axis; red raises churn (HR > 1), lime lowers it, hollow if unclear.

    With ``ph_test`` (``CoxResult.ph_test``) each hover says whether the proportional-hazards check holds
    (``components.retention.ph_note`` sums it up under the plot).
    """
    frame = hazard_ratios[np.isfinite(hazard_ratios["hazard_ratio"].to_numpy(dtype=float))
                          & (hazard_ratios["hazard_ratio"].to_numpy(dtype=float) > 0)]
    if frame.empty:
        return empty_figure("No hazard ratios to show: the Cox model has not been fitted")
    raises = frame["hazard_ratio"] >= 1
    data = [_forest_trace(frame[mask], name, color, ph_test) for mask, name, color in (
        (raises, "raises churn (HR > 1)", PALETTE["danger"]), (~raises, "lowers churn (HR < 1)", PALETTE["lime"]))
        if mask.any()]
    line = {"type": "line", "xref": "x", "yref": "paper", "x0": 1, "x1": 1, "y0": 0, "y1": 1,
            "line": {"color": PALETTE["muted"], "width": 1, "dash": "dot"}}
    return titled_figure(data, title, pinned=True, shapes=[line], hovermode="closest", margin={"l": 8, "t": 100},
                         legend=LEGEND_ABOVE,
                         xaxis={"type": "log", "title": {"text": "hazard ratio (log; 1 = none)"},
                                **_ratio_ticks(frame)},
                         yaxis={"type": "category", "categoryorder": "array", "autorange": "reversed",
                                "categoryarray": frame["covariate"].tolist(), "automargin": True})
