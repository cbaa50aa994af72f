"""Retention page figures of single customers: the churn model's diagnostics, RFM segments, one customer's orders.

Plain dicts on the neon template (:mod:`components.primitives`); a themed empty figure with a message when
there is nothing to draw. Cohort and survival figures are in :mod:`components.retention_figures`.
"""
from __future__ import annotations

import html as html_text

import numpy as np
import pandas as pd

from components.format import format_value
from components.primitives import LEGEND_ABOVE, empty_figure, rgba, rounded, titled_figure
from components.theme import PALETTE, SERIES_COLORS

__all__ = ["segment_colors", "roc_figure", "calibration_figure", "importance_figure", "segments_scatter",
           "segments_map", "customer_history_figure"]

_AXIS_PERCENT = {"tickformat": ".0%", "rangemode": "tozero"}


def segment_colors(names) -> dict[str, str]:
    """A stable colour per segment name (sorted), shared by the scatter and the segment cards."""
    return {name: SERIES_COLORS[i % len(SERIES_COLORS)] for i, name in enumerate(sorted({str(n) for n in names}))}


def _square(trace: dict, reference: str, title: str, x_title: str, y_title: str, top: float = 1.0) -> dict:
    """``trace`` over a dashed diagonal named ``reference``, both axes in % from 0 to ``top``."""
    diagonal = {"type": "scatter", "x": [0, top], "y": [0, top], "mode": "lines", "hoverinfo": "skip",
                "name": reference, "line": {"color": PALETTE["muted"], "width": 1, "dash": "dash"}}
    return titled_figure([diagonal, trace], title, pinned=True,
                         height=340, margin={"t": 96, "l": 64}, hovermode="closest", legend=LEGEND_ABOVE,
                         xaxis={"title": {"text": x_title}, "range": [0, top], **_AXIS_PERCENT},
                         yaxis={"title": {"text": y_title}, "range": [0, top * 1.02], **_AXIS_PERCENT})


def roc_figure(roc: pd.DataFrame, auc: float) -> dict:
    """The out-of-time ROC curve against the chance diagonal."""
    if roc.empty:
        return empty_figure("No ROC curve: the churn model has no test customers")
    curve = {"type": "scatter", "x": rounded(roc["fpr"]), "y": rounded(roc["tpr"]), "mode": "lines",
             "name": f"Churn model (AUC {auc:.3f})", "line": {"color": PALETTE["cyan"], "width": 2},
             "fill": "tozeroy", "fillcolor": rgba(PALETTE["cyan"], 0.08),
             "hovertemplate": "%{y:.1%} of churners caught<br>%{x:.1%} of stayers flagged<extra></extra>"}
    return _square(curve, "Chance (AUC 0.5)", "ROC on the test window", "false positive rate",
                   "true positive rate")


def calibration_figure(calibration: pd.DataFrame) -> dict:
    """Observed churn against predicted probability per bin; marker area grows with the bin's customers."""
    if calibration.empty:
        return empty_figure("No calibration bins: the churn model has no test customers")
    counts = calibration["count"].to_numpy(dtype=float)
    top = float(min(1.0, max(0.1, np.nanmax(calibration[["mean_predicted", "observed"]].to_numpy(dtype=float)) * 1.1)))
    points = {"type": "scatter", "x": rounded(calibration["mean_predicted"]), "y": rounded(calibration["observed"]),
              "mode": "lines+markers", "name": "Churn model", "customdata": [int(c) for c in counts],
              "line": {"color": PALETTE["magenta"], "width": 1.5},
              "marker": {"color": PALETTE["magenta"], "size": rounded(8 + 22 * np.sqrt(counts / counts.max()), 1),
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
    bar = {"type": "bar", "orientation": "h", "x": rounded(shown["importance"]), "y": shown["feature"].tolist(),
           "marker": {"color": PALETTE["cyan"], "opacity": 0.85, "line": {"color": PALETTE["cyan"], "width": 1}},
           "hovertemplate": "<b>%{y}</b><br>importance %{x:.3f}<extra></extra>"}
    return titled_figure([bar], f"Top {len(shown)} churn drivers", pinned=True, margin={"l": 170, "t": 40},
                         yaxis={"autorange": "reversed", "type": "category"},
                         xaxis={"title": {"text": "importance"}, "rangemode": "tozero"})


_LOG1P_TICKS = (0, 1, 10, 100, 1e3, 1e4, 1e5, 1e6)  # one per decade, so labels never crowd a small scene


def _log1p_axis(values: np.ndarray, title: str, prefix: str = "") -> dict:
    """A log(1 + v) axis labelled in original units (zeros stay on the chart, unlike a log axis)."""
    top = max(1.0, float(np.nanmax(values)))
    ticks = [t for t in _LOG1P_TICKS if t <= top]
    labels = [prefix + format(t, ",.0f") if t < 1e3 else f"{prefix}{t / 1e3:g}k" for t in ticks]
    return {"title": {"text": f"{title} (log scale)"}, "tickvals": rounded(np.log1p(ticks)), "ticktext": labels,
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
    data = [{"type": "scatter3d", "mode": "markers", "name": name, "x": rounded(rows["recency_days"], 1),
             "y": rounded(np.log1p(rows["frequency"].to_numpy(dtype=float)), 4),
             "z": rounded(np.log1p(rows["monetary"].to_numpy(dtype=float)), 4),
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
    return titled_figure(data, title, pinned=True, margin={"l": 0, "r": 0, "t": 84, "b": 0}, scene=scene,
                         clickmode="event", uirevision="retention-segments", legend=_SEGMENT_LEGEND)


def segments_map(points: pd.DataFrame, title: str) -> dict:
    """RFM points in 2D: recency across, amount spent up (log scale), marker area by orders; one trace per
    segment, ``customdata`` the customer id (click to open)."""
    if points.empty:
        return empty_figure("No customers with purchases to segment yet")
    data = []
    for name, color, rows, text, hover in _segment_points(points):
        size = 4 + 3 * np.sqrt(np.log1p(rows["frequency"].to_numpy(dtype=float)))
        data.append({"type": "scatter", "mode": "markers", "name": name, "x": rounded(rows["recency_days"], 1),
                     "y": rounded(np.log1p(rows["monetary"].to_numpy(dtype=float)), 4),
                     "customdata": rows["customer_id"].tolist(), "text": text, "hovertemplate": hover,
                     "marker": {"size": rounded(size, 1), "color": color, "opacity": 0.7,
                                "line": {"width": 0.5, "color": PALETTE["bg"]}}})
    money = _log1p_axis(points["monetary"].to_numpy(dtype=float), "amount spent", "$")
    return titled_figure(data, title, pinned=True, height=460, hovermode="closest", clickmode="event",
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
    bar = {"type": "bar", "x": daily["order_date"].dt.strftime("%Y-%m-%d").tolist(), "y": rounded(daily["revenue"], 2),
           "width": width_ms, "name": "Revenue",
           "marker": {"color": PALETTE["cyan"], "line": {"color": PALETTE["cyan"], "width": 2}},
           "hovertemplate": "%{x|%a %d %b %Y}<br>$%{y:,.2f}<extra></extra>"}
    title = f"{len(history):,} orders · {format_value(float(daily['revenue'].sum()), 'currency')}"
    return titled_figure([bar], title, pinned=True, height=220, margin={"t": 36, "l": 56, "b": 32}, bargap=0.2,
                         xaxis={"type": "date", "hoverformat": "%d %b %Y"},
                         yaxis={"tickprefix": "$", "tickformat": "~s", "rangemode": "tozero"})
