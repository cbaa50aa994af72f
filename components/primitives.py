"""The pieces every page's builders share: cards, stat tiles, segmented controls and the figure basics.

Figures are plain dicts (the Plotly JSON schema) on the neon template, never ``go.Figure``: the pages
rebuild many of them per interaction and ``go.Figure`` validation would cost more than the analytics
behind them. A chart's slot on a page (a Graph with its CSV export) is :func:`components.charts.chart`.
"""
from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
import numpy as np
from dash import html

from components.theme import PALETTE, template_json

__all__ = [
    "ACCENTS", "LEGEND_ABOVE", "RANGE_BUTTONS", "card", "stat_tiles", "segmented", "figure", "figure_title",
    "titled_figure", "empty_figure", "top_rows", "range_selector", "rounded", "rgba",
]

ACCENTS = ("cyan", "magenta", "lime", "amber", "cyan")  # the tiles' and KPI cards' accent colours, in turn

# ---------- layout ----------


def card(title: str | None, *body, className: str = "", **kwargs) -> html.Section:
    """A neon card: an optional ``h2`` title over ``body``; ``className`` adds to ``nf-card``."""
    children = ([html.H2(title, className="nf-card-title")] if title else []) + list(body)
    return html.Section(children, className=f"nf-card {className}".strip(), **kwargs)


def _tile(label, value: str, detail, accent: str, exact: str | None = None) -> html.Div:
    shown = html.Div(value, className="nf-kpi-value", **({"title": exact} if exact else {}))
    return html.Div([html.Span(label, className="nf-kpi-label"), shown, html.Span(detail, className="nf-kpi-sub")],
                    className=f"nf-kpi-card accent-{accent}")


def stat_tiles(tiles: Sequence[tuple], className: str = "") -> html.Div:
    """Tiles in the KPI cards' style, accents in turn: ``(label, value, detail)`` or
    ``(label, value, detail, exact value shown on hover)``; ``className`` adds to ``nf-kpi-grid``."""
    cards = [_tile(label, value, detail, ACCENTS[i % len(ACCENTS)], *exact)
             for i, (label, value, detail, *exact) in enumerate(tiles)]
    return html.Div(cards, className=f"nf-kpi-grid {className}".strip())


def segmented(control_id: str, options: Sequence[dict], value, className: str = "nf-segmented") -> dbc.RadioItems:
    """Radio items drawn as a row of toggle buttons (the 2D/3D switch, period presets, metric pickers)."""
    return dbc.RadioItems(
        id=control_id, options=list(options), value=value, className=f"btn-group {className}",
        inputClassName="btn-check", labelClassName="btn btn-outline-info nf-toggle-btn",
        labelCheckedClassName="active", inline=True,
    )


# ---------- figures ----------

# Pinned to the top edge, so a legend that wraps onto a second row on a phone grows under it, not over it.
_PINNED = {"yref": "container", "y": 1, "yanchor": "top", "pad": {"t": 8}}
_TITLE_PX, _LEGEND_PX, _LEGEND_ROWS, _BUTTONS_PX = 30, 22, 2, 30
LEGEND_ABOVE = {"orientation": "h", "x": 1, "xanchor": "right", "y": 1.0, "yanchor": "bottom"}  # right, over the plot
RANGE_BUTTONS = {
    "1M": {"count": 1, "label": "1M", "step": "month", "stepmode": "backward"},
    "3M": {"count": 3, "label": "3M", "step": "month", "stepmode": "backward"},
    "6M": {"count": 6, "label": "6M", "step": "month", "stepmode": "backward"},
    "YTD": {"count": 1, "label": "YTD", "step": "year", "stepmode": "todate"},
    "1Y": {"count": 1, "label": "1Y", "step": "year", "stepmode": "backward"},
    "ALL": {"step": "all", "label": "ALL"},
}


def figure(data: list[dict], **layout) -> dict:
    """A figure on the neon template with ``layout`` on top."""
    return {"data": data, "layout": {"template": template_json(), **layout}}


def figure_title(text: str, **placement) -> dict:
    """A chart title in the muted small caps every page uses, at the left; ``placement`` adds y, yref, …"""
    return {"text": text, "font": {"size": 14, "color": PALETTE["muted"]}, "x": 0.01, **placement}


def titled_figure(data: list[dict], title: str, *, pinned: bool = False, **layout) -> dict:
    """:func:`figure` with :func:`figure_title`; ``pinned`` fixes the title to the top edge (for legends that wrap)."""
    return figure(data, title=figure_title(title, **(_PINNED if pinned else {})), **layout)


def empty_figure(message: str = "") -> dict:
    """A blank themed figure with an optional centred message."""
    annotations = [{"text": message, "showarrow": False, "font": {"color": PALETTE["muted"]},
                    "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}] if message else []
    return figure([], xaxis={"visible": False}, yaxis={"visible": False}, annotations=annotations)


def top_rows(title: str, height: int) -> dict:
    """Title, legend and room for the range buttons stacked in their own rows above the plot.

    In pixels of a ``height``-tall figure: the title on top, the legend under it (room for two rows,
    as a phone wraps it), the range-selector buttons (placed at paper y=1, just above the plot) under
    that; so none of them overlaps another at any width.
    """
    legend_top = 1 - _TITLE_PX / height
    return {
        "height": height,
        "title": figure_title(title, y=1 - 6 / height, yref="container", yanchor="top"),
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": legend_top, "yref": "container",
                   "yanchor": "top"},
        "margin": {"t": _TITLE_PX + _LEGEND_ROWS * _LEGEND_PX + _BUTTONS_PX + 4},
    }


def range_selector(labels: Sequence[str]) -> dict:
    """A date axis's range-selector buttons (``labels`` from :data:`RANGE_BUTTONS`), just above the plot."""
    return {
        "buttons": [RANGE_BUTTONS[label] for label in labels], "bgcolor": PALETTE["surface_2"],
        "activecolor": PALETTE["border"], "bordercolor": PALETTE["cyan"], "borderwidth": 1,
        "font": {"color": PALETTE["text"]}, "x": 0, "y": 1.0, "yanchor": "bottom",
    }


def rounded(values, digits: int = 4) -> list[float | None]:
    """JSON-safe numbers rounded to ``digits`` (NaN and inf as null), to keep a figure small."""
    return [None if not np.isfinite(v) else round(float(v), digits) for v in np.asarray(values, dtype=float)]


def rgba(color: str, alpha: float) -> str:
    """``#rrggbb`` as a CSS ``rgba(...)`` with opacity ``alpha``."""
    red, green, blue = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"
