"""The neon palette and the registered Plotly template every figure uses (2D and 3D)."""
from __future__ import annotations

from functools import lru_cache

import plotly.graph_objects as go
import plotly.io as pio

__all__ = [
    "PALETTE", "SERIES_COLORS", "TEMPLATE_NAME", "FONT_FAMILY", "neon_template", "register_template",
    "template_json",
]

# Same values as the CSS tokens in assets/00-tokens.css.
PALETTE = {
    "bg": "#07080d",
    "surface": "#0e1120",
    "surface_2": "#151a2e",
    "border": "#23304f",
    "text": "#e6f1ff",
    "muted": "#9aa8c7",
    "cyan": "#00e5ff",
    "magenta": "#ff2bd6",
    "lime": "#a3ff12",
    "amber": "#ffb000",
    "danger": "#ff5c7a",
}
SERIES_COLORS = [
    PALETTE["cyan"], PALETTE["magenta"], PALETTE["lime"], PALETTE["amber"],
    "#8c7bff", "#3dffc5", "#ff8a3d", "#5cb8ff",
]
FONT_FAMILY = '"JetBrains Mono", "Fira Code", "DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace'
TEMPLATE_NAME = "neon"


def _axis() -> dict:
    return {
        "gridcolor": "rgba(35, 48, 79, 0.6)",
        "zerolinecolor": PALETTE["border"],
        "linecolor": PALETTE["border"],
        "tickcolor": PALETTE["border"],
        "tickfont": {"color": PALETTE["muted"]},
        "title": {"font": {"color": PALETTE["muted"]}},
    }


def _scene_axis() -> dict:
    return {
        **_axis(),
        "backgroundcolor": "rgba(14, 17, 32, 0.9)",
        "showbackground": True,
        "gridcolor": "rgba(0, 229, 255, 0.18)",
    }


def neon_template() -> go.layout.Template:
    """Dark, transparent backgrounds, monospace type and the neon colourway."""
    return go.layout.Template(
        layout={
            "colorway": SERIES_COLORS,
            "font": {"family": FONT_FAMILY, "color": PALETTE["text"], "size": 12},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "xaxis": _axis(),
            "yaxis": _axis(),
            "scene": {"xaxis": _scene_axis(), "yaxis": _scene_axis(), "zaxis": _scene_axis()},
            "hoverlabel": {
                "bgcolor": PALETTE["surface_2"],
                "bordercolor": PALETTE["cyan"],
                "font": {"family": FONT_FAMILY, "color": PALETTE["text"]},
            },
            "legend": {"font": {"color": PALETTE["muted"]}, "bgcolor": "rgba(0,0,0,0)"},
            "margin": {"l": 48, "r": 16, "t": 24, "b": 40},
            "colorscale": {
                "sequential": [[0, PALETTE["surface_2"]], [0.5, PALETTE["magenta"]], [1, PALETTE["cyan"]]],
            },
        }
    )


def register_template() -> str:
    """Register the template under ``TEMPLATE_NAME`` (idempotent) and return the name."""
    if TEMPLATE_NAME not in pio.templates:
        pio.templates[TEMPLATE_NAME] = neon_template()
    return TEMPLATE_NAME


@lru_cache(maxsize=1)
def _template_json() -> dict:
    return neon_template().to_plotly_json()


def template_json() -> dict:
    """The template as a plain dict, for figures built as dicts (no per-figure validation cost)."""
    return _template_json()
