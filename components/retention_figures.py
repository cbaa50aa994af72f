"""Retention page figures as plain dicts on the neon template: cohorts, survival, churn model, segments.

Every builder takes the frame the analytics return (columns named in each docstring) and gives a
themed empty figure with a message when there is nothing to draw.
"""
from __future__ import annotations

import html as html_text

import numpy as np
import pandas as pd

from components.figures import empty_figure
from components.format import format_value
from components.theme import PALETTE, SERIES_COLORS, template_json

__all__ = ["COHORT_VALUES", "COHORT_COLORSCALE", "DAYS_PER_MONTH", "segment_colors", "cohort_heatmap",
           "cohort_surface", "km_figure", "forest_plot", "roc_figure", "calibration_figure", "importance_figure",
           "segments_scatter", "segments_map", "customer_history_figure"]

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
_AXIS_PERCENT = {"tickformat": ".0%", "rangemode": "tozero"}


def _figure(data: list[dict], title: str, **layout) -> dict:
    # pinned to the top edge, so a legend that wraps onto a second row on a phone grows under it, not over it
    heading = {"text": title, "font": {"size": 14, "color": PALETTE["muted"]}, "x": 0.01, "yref": "container",
               "y": 1, "yanchor": "top", "pad": {"t": 8}}
    return {"data": data, "layout": {"template": template_json(), "title": heading, **layout}}


def _values(values, digits: int = 4) -> list:
    """JSON-safe rounded numbers, NaN as null."""
    array = np.asarray(values, dtype=float)
    return [None if not np.isfinite(v) else round(float(v), digits) for v in array]


def _rgba(color: str, alpha: float) -> str:
    red, green, blue = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def segment_colors(names) -> dict[str, str]:
    """A stable colour per segment name (sorted), shared by the scatter and the segment cards."""
    return {name: SERIES_COLORS[i % len(SERIES_COLORS)] for i, name in enumerate(sorted({str(n) for n in names}))}


def _cohort_matrix(table: pd.DataFrame, value: str) -> tuple[pd.DataFrame, str, str] | None:
    if value not in COHORT_VALUES:
        raise ValueError(f"unknown cohort value {value!r}; use one of {', '.join(map(repr, COHORT_VALUES))}")
    if table.empty or not np.isfinite(table.to_numpy(dtype=float)).any():
        return None
    ordered = table.sort_index().sort_index(axis=1)
    return (ordered, *COHORT_VALUES[value])


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
    found = _cohort_matrix(table, value)
    if found is None:
        return empty_figure("No cohort has been observed yet: the store needs orders after signups")
    matrix, wording, bar_title = found
    months = [int(m) for m in matrix.columns]
    trace = {
        "type": "heatmap", "z": [_values(row) for row in matrix.to_numpy(dtype=float)], "x": months,
        "y": [str(c) for c in matrix.index], "zmin": 0, "zmax": _cohort_zmax(matrix, value),
        "colorscale": COHORT_COLORSCALE, "xgap": 1, "ygap": 1, "hoverongaps": False,
        "colorbar": {"title": {"text": bar_title}, "tickformat": ".0%", "outlinewidth": 0},
        "hovertemplate": f"Cohort %{{y}} · month %{{x}}<br>%{{z:.1%}} {wording}<extra></extra>",
    }
    data = [trace]
    if matrix.size <= _MAX_TEXT_CELLS and len(months) <= 25:
        data.append(_cell_labels(matrix, trace["zmax"]))
    return _figure(data, title, margin={"l": 88, "t": 40},
                   xaxis={"title": {"text": "months since signup"}, "showgrid": False,
                          **({"dtick": 1} if len(months) <= 25 else {})},
                   yaxis={"title": {"text": "signup cohort", "standoff": 8}, "type": "category",
                          "autorange": "reversed", "showgrid": False, "automargin": True})


def cohort_surface(table: pd.DataFrame, title: str, value: str = "customers") -> dict:
    """The cohort table as a rotatable surface (cohort × month × value); gaps where not observed yet."""
    found = _cohort_matrix(table, value)
    if found is None:
        return empty_figure("No cohort has been observed yet: the store needs orders after signups")
    matrix, wording, bar_title = found
    cohorts = [str(c) for c in matrix.index]
    step = max(1, len(cohorts) // 8)
    trace = {
        "type": "surface", "x": [int(m) for m in matrix.columns], "y": list(range(len(cohorts))),
        "z": [_values(row) for row in matrix.to_numpy(dtype=float)], "cmin": 0, "cmax": _cohort_zmax(matrix, value),
        "colorscale": COHORT_COLORSCALE, "customdata": [[c] * matrix.shape[1] for c in cohorts],
        "colorbar": {"title": {"text": bar_title, "side": "top"}, "tickformat": ".0%", "outlinewidth": 0,
                     "orientation": "h", "len": 0.6, "thickness": 12, "x": 0.5, "xanchor": "center", "y": 0,
                     "yanchor": "top"},
        "lighting": {"ambient": 0.7, "diffuse": 0.6, "specular": 0.3, "roughness": 0.5},
        "hovertemplate": f"Cohort %{{customdata}} · month %{{x}}<br>%{{z:.1%}} {wording}<extra></extra>",
    }
    ticks = {"tickfont": {"color": PALETTE["text"], "size": 10}}
    titled = {"font": {"size": 11}}
    scene = {
        "xaxis": {"title": {"text": "months since signup", **titled}, "nticks": 6, **ticks},
        "yaxis": {"title": {"text": "signup cohort", **titled}, "tickvals": list(range(0, len(cohorts), step)),
                  "ticktext": cohorts[::step], **ticks},
        "zaxis": {"title": {"text": bar_title, **titled}, "tickformat": ".0%", "nticks": 4, **ticks},
        "camera": {"eye": {"x": 1.86, "y": -1.86, "z": 1.02}, "center": {"x": 0, "y": 0, "z": -0.1}},
        "aspectmode": "manual", "aspectratio": {"x": 1.25, "y": 1.25, "z": 0.6},
        "domain": {"x": [0, 1], "y": [0.08, 1]},
    }
    # no fixed height: the plot fills its container, which CSS makes about square on phones (46-retention.css)
    return _figure([trace], title, margin={"l": 0, "r": 0, "t": 40, "b": 56}, scene=scene,
                   uirevision="retention-cohort-surface")


def _km_traces(rows: pd.DataFrame, name: str, color: str) -> list[dict]:
    rows = rows.sort_values("timeline_days")
    days = rows["timeline_days"].to_numpy(dtype=float)
    x, group = _values(days / DAYS_PER_MONTH, 3), f"km-{name}"
    lower, upper = _values(rows["lower"]), _values(rows["upper"])
    band = {"type": "scatter", "x": x, "mode": "lines", "line": {"width": 0, "shape": "hv"}, "hoverinfo": "skip",
            "showlegend": False, "legendgroup": group}
    escaped = html_text.escape(name)
    return [
        {**band, "y": lower, "name": f"{name} 95% CI (low)"},
        {**band, "y": upper, "name": f"{name} 95% CI", "fill": "tonexty", "fillcolor": _rgba(color, 0.15)},
        {"type": "scatter", "x": x, "y": _values(rows["survival"]), "name": name, "mode": "lines",
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
    return _figure(data, title, hovermode="x unified", height=400, annotations=annotations,
                   legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.0, "yanchor": "bottom"},
                   margin={"t": 100, "l": 64}, uirevision=title,
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
    return {"type": "scatter", "mode": "markers", "name": name, "x": _values(hr), "y": rows["covariate"].tolist(),
            "marker": {"color": color, "size": 10, "symbol": ["diamond" if c else "diamond-open" for c in clear],
                       "line": {"color": color, "width": 1.5}},
            "error_x": {"type": "data", "symmetric": False, "array": _values(np.nan_to_num(upper - hr)),
                        "arrayminus": _values(np.nan_to_num(hr - lower)), "color": color, "thickness": 2, "width": 4},
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
    return _figure(data, title, shapes=[line], hovermode="closest", margin={"l": 8, "t": 100},
                   legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.0, "yanchor": "bottom"},
                   xaxis={"type": "log", "title": {"text": "hazard ratio (log; 1 = none)"},
                          **_ratio_ticks(frame)},
                   yaxis={"type": "category", "categoryorder": "array", "autorange": "reversed",
                          "categoryarray": frame["covariate"].tolist(), "automargin": True})


def _square(trace: dict, reference: str, title: str, x_title: str, y_title: str, top: float = 1.0) -> dict:
    """``trace`` over a dashed diagonal named ``reference``, both axes in % from 0 to ``top``."""
    diagonal = {"type": "scatter", "x": [0, top], "y": [0, top], "mode": "lines", "hoverinfo": "skip",
                "name": reference, "line": {"color": PALETTE["muted"], "width": 1, "dash": "dash"}}
    return _figure([diagonal, trace], title,
                   height=340, margin={"t": 96, "l": 64}, hovermode="closest",
                   legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.0, "yanchor": "bottom"},
                   xaxis={"title": {"text": x_title}, "range": [0, top], **_AXIS_PERCENT},
                   yaxis={"title": {"text": y_title}, "range": [0, top * 1.02], **_AXIS_PERCENT})


def roc_figure(roc: pd.DataFrame, auc: float) -> dict:
    """The out-of-time ROC curve against the chance diagonal."""
    if roc.empty:
        return empty_figure("No ROC curve: the churn model has no test customers")
    curve = {"type": "scatter", "x": _values(roc["fpr"]), "y": _values(roc["tpr"]), "mode": "lines",
             "name": f"Churn model (AUC {auc:.3f})", "line": {"color": PALETTE["cyan"], "width": 2},
             "fill": "tozeroy", "fillcolor": _rgba(PALETTE["cyan"], 0.08),
             "hovertemplate": "%{y:.1%} of churners caught<br>%{x:.1%} of stayers flagged<extra></extra>"}
    return _square(curve, "Chance (AUC 0.5)", "ROC on the test window", "false positive rate",
                   "true positive rate")


def calibration_figure(calibration: pd.DataFrame) -> dict:
    """Observed churn against predicted probability per bin; marker area grows with the bin's customers."""
    if calibration.empty:
        return empty_figure("No calibration bins: the churn model has no test customers")
    counts = calibration["count"].to_numpy(dtype=float)
    top = float(min(1.0, max(0.1, np.nanmax(calibration[["mean_predicted", "observed"]].to_numpy(dtype=float)) * 1.1)))
    points = {"type": "scatter", "x": _values(calibration["mean_predicted"]), "y": _values(calibration["observed"]),
              "mode": "lines+markers", "name": "Churn model", "customdata": [int(c) for c in counts],
              "line": {"color": PALETTE["magenta"], "width": 1.5},
              "marker": {"color": PALETTE["magenta"], "size": _values(8 + 22 * np.sqrt(counts / counts.max()), 1),
                         "line": {"color": PALETTE["bg"], "width": 1}},
              "hovertemplate": ("predicted %{x:.1%} · observed %{y:.1%}<br>%{customdata:,} customers"
                                "<extra></extra>")}
    return _square(points, "Perfect calibration", "Calibration on the test window", "predicted churn probability",
                   "observed churn rate", top)


def importance_figure(importance: pd.DataFrame, top: int = 12) -> dict:
    """The ``top`` most important features as horizontal bars, largest on top."""
    if importance.empty:
        return empty_figure("No feature importances: the churn model has not been fitted")
    shown = importance.sort_values("importance", ascending=False).head(int(top))
    bar = {"type": "bar", "orientation": "h", "x": _values(shown["importance"]), "y": shown["feature"].tolist(),
           "marker": {"color": PALETTE["cyan"], "opacity": 0.85, "line": {"color": PALETTE["cyan"], "width": 1}},
           "hovertemplate": "<b>%{y}</b><br>importance %{x:.3f}<extra></extra>"}
    return _figure([bar], f"Top {len(shown)} churn drivers", margin={"l": 170, "t": 40}, yaxis={"autorange": "reversed", "type": "category"},
                   xaxis={"title": {"text": "importance"}, "rangemode": "tozero"})


_LOG1P_TICKS = (0, 1, 10, 100, 1e3, 1e4, 1e5, 1e6)  # one per decade, so labels never crowd a small scene


def _log1p_axis(values: np.ndarray, title: str, prefix: str = "") -> dict:
    """A log(1 + v) axis labelled in original units (zeros stay on the chart, unlike a log axis)."""
    top = max(1.0, float(np.nanmax(values)))
    ticks = [t for t in _LOG1P_TICKS if t <= top]
    labels = [prefix + format(t, ",.0f") if t < 1e3 else f"{prefix}{t / 1e3:g}k" for t in ticks]
    return {"title": {"text": f"{title} (log scale)"}, "tickvals": _values(np.log1p(ticks)), "ticktext": labels,
            "tickfont": {"color": PALETTE["text"]}}


def _segment_points(points: pd.DataFrame):
    """Per segment (sorted, coloured as the cards): its name, colour, rows and hover text."""
    colors = segment_colors(points["segment"])
    for name, color in colors.items():
        rows = points[points["segment"].astype(str) == name]
        text = [f"<b>Customer {html_text.escape(str(c))}</b><br>{r:,.0f} days since last order<br>"
                f"{f:,.0f} orders · {format_value(m, 'currency')} spent"
                for c, r, f, m in zip(rows["customer_id"], rows["recency_days"], rows["frequency"], rows["monetary"])]
        hover = f"%{{text}}<br>{html_text.escape(name)}<br><i>click to open</i><extra></extra>"
        yield name, color, rows, text, hover


_SEGMENT_LEGEND = {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "itemsizing": "constant",
                   "font": {"size": 11}}


def segments_scatter(points: pd.DataFrame, title: str) -> dict:
    """RFM points in 3D, one trace per segment; ``customdata`` is a flat list of customer ids (click to open).

    Framed for any width: the legend sits above the scene, the plot takes its container's height (about
    square on phones, see 46-retention.css) so no side is cropped, and one tick per decade keeps the log axes'
    labels apart.
    """
    if points.empty:
        return empty_figure("No customers with purchases to segment yet")
    data = [{"type": "scatter3d", "mode": "markers", "name": name, "x": _values(rows["recency_days"], 1),
             "y": _values(np.log1p(rows["frequency"].to_numpy(dtype=float)), 4),
             "z": _values(np.log1p(rows["monetary"].to_numpy(dtype=float)), 4),
             "customdata": rows["customer_id"].tolist(), "text": text,
             "marker": {"size": 3, "color": color, "opacity": 0.8}, "hovertemplate": hover}
            for name, color, rows, text, hover in _segment_points(points)]
    axis_title = {"font": {"size": 11}}
    scene = {"xaxis": {"title": {"text": "recency (days)", **axis_title}, "tickfont": {"color": PALETTE["text"]},
                       "nticks": 5},
             "yaxis": {**_log1p_axis(points["frequency"].to_numpy(dtype=float), "orders"), "title": {
                 "text": "orders (log)", **axis_title}},
             "zaxis": {**_log1p_axis(points["monetary"].to_numpy(dtype=float), "spent", "$"), "title": {
                 "text": "spent (log)", **axis_title}},
             "aspectmode": "cube", "domain": {"x": [0, 1], "y": [0, 1]},
             "camera": {"eye": {"x": 1.92, "y": 1.92, "z": 1.08}, "center": {"x": 0, "y": 0, "z": -0.08}}}
    return _figure(data, title, margin={"l": 0, "r": 0, "t": 84, "b": 0}, scene=scene,
                   clickmode="event", uirevision="retention-segments", legend=_SEGMENT_LEGEND)


def segments_map(points: pd.DataFrame, title: str) -> dict:
    """RFM points in 2D: recency across, amount spent up (log scale), marker area by orders; one trace per
    segment, ``customdata`` the customer id (click to open)."""
    if points.empty:
        return empty_figure("No customers with purchases to segment yet")
    data = []
    for name, color, rows, text, hover in _segment_points(points):
        size = 4 + 3 * np.sqrt(np.log1p(rows["frequency"].to_numpy(dtype=float)))
        data.append({"type": "scatter", "mode": "markers", "name": name, "x": _values(rows["recency_days"], 1),
                     "y": _values(np.log1p(rows["monetary"].to_numpy(dtype=float)), 4),
                     "customdata": rows["customer_id"].tolist(), "text": text, "hovertemplate": hover,
                     "marker": {"size": _values(size, 1), "color": color, "opacity": 0.7,
                                "line": {"width": 0.5, "color": PALETTE["bg"]}}})
    money = _log1p_axis(points["monetary"].to_numpy(dtype=float), "amount spent", "$")
    return _figure(data, title, height=460, hovermode="closest", clickmode="event",
                   margin={"t": 84, "l": 64, "r": 16, "b": 48}, legend=_SEGMENT_LEGEND,
                   xaxis={"title": {"text": "days since last order"}, "rangemode": "tozero"},
                   yaxis={**money, "zeroline": False})


def customer_history_figure(history: pd.DataFrame) -> dict:
    """One customer's orders over time as neon bars (revenue per order day)."""
    if history.empty:
        return empty_figure("No orders in the store for this customer")
    daily = history.assign(order_date=pd.to_datetime(history["order_date"]).dt.normalize())
    daily = daily.groupby("order_date", as_index=False)["revenue"].sum()
    span_days = (daily["order_date"].max() - daily["order_date"].min()).days
    width_ms = int(np.clip(span_days / 60, 1, 7) * 86_400_000)  # a few orders must not become wide slabs
    bar = {"type": "bar", "x": daily["order_date"].dt.strftime("%Y-%m-%d").tolist(), "y": _values(daily["revenue"], 2),
           "width": width_ms, "name": "Revenue", "marker": {"color": PALETTE["cyan"], "line": {"color": PALETTE["cyan"], "width": 2}},
           "hovertemplate": "%{x|%a %d %b %Y}<br>$%{y:,.2f}<extra></extra>"}
    return _figure([bar], f"{len(history):,} orders · {format_value(float(daily['revenue'].sum()), 'currency')}",
                   height=220, margin={"t": 36, "l": 56, "b": 32}, bargap=0.2,
                   xaxis={"type": "date", "hoverformat": "%d %b %Y"},
                   yaxis={"tickprefix": "$", "tickformat": "~s", "rangemode": "tozero"})
