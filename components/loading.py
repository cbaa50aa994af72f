"""Matrix-rain loading indicator for ``dcc.Loading(custom_spinner=...)``."""

from __future__ import annotations

from dash import html

__all__ = ["matrix_spinner"]

# Hex digits and a few symbols: every monospace system font has them (katakana would
# render as empty boxes on machines without a Japanese font).
_GLYPHS = "0123456789ABCDEF<>/*+=#$%"
# 30-animations.css staggers up to 8 columns; more would fall in lockstep.
_COLUMNS = 6
_ROWS = 7


def _rain_column(index: int) -> html.Div:
    """One falling column whose glyphs depend only on its index."""
    glyphs = [
        html.Span(_GLYPHS[(index * 11 + row * 7) % len(_GLYPHS)]) for row in range(_ROWS)
    ]
    return html.Div(glyphs, className="nf-matrix-col")


def matrix_spinner(label: str = "Loading…") -> html.Div:
    """Matrix-rain spinner that announces ``label`` politely to screen readers."""
    return html.Div(
        [
            html.Div(
                [_rain_column(i) for i in range(_COLUMNS)],
                className="nf-matrix-rain",
                **{"aria-hidden": "true"},
            ),
            # Visible caption: with reduced motion the glyphs stand still and this says what they mean.
            html.Span(label, className="nf-matrix-caption", **{"aria-hidden": "true"}),
            html.Span(label, className="visually-hidden"),
        ],
        className="nf-matrix",
        role="status",
        **{"aria-live": "polite"},
    )
