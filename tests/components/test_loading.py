"""Structure of the matrix-rain loading indicator."""

from __future__ import annotations

import json
import re
from pathlib import Path

import plotly.utils
from dash import dcc, html

from components.loading import matrix_spinner

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from _walk(child)


def _props(component) -> dict:
    return component.to_plotly_json()["props"]


def _with_class(root, class_name: str) -> list:
    return [c for c in _walk(root) if class_name in (getattr(c, "className", None) or "").split()]


def test_root_is_a_polite_status_region():
    root = matrix_spinner()
    assert isinstance(root, html.Div)
    assert "nf-matrix" in root.className.split()
    assert _props(root)["role"] == "status"
    assert _props(root)["aria-live"] == "polite"


def test_screen_readers_get_a_visually_hidden_label():
    hidden = _with_class(matrix_spinner(), "visually-hidden")
    assert [c.children for c in hidden] == ["Loading…"]
    assert "aria-hidden" not in _props(hidden[0])


def test_label_can_be_replaced():
    root = matrix_spinner(label="Fitting models…")
    assert [c.children for c in _with_class(root, "visually-hidden")] == ["Fitting models…"]
    assert [c.children for c in _with_class(root, "nf-matrix-caption")] == ["Fitting models…"]


def test_decorative_parts_are_hidden_from_assistive_tech():
    root = matrix_spinner()
    for class_name in ("nf-matrix-rain", "nf-matrix-caption"):
        (part,) = _with_class(root, class_name)
        assert _props(part)["aria-hidden"] == "true", class_name


def test_rain_has_several_distinct_columns_of_single_glyphs():
    columns = _with_class(matrix_spinner(), "nf-matrix-col")
    assert 3 <= len(columns) <= 8  # 30-animations.css staggers eight columns
    glyph_columns = []
    for column in columns:
        assert all(isinstance(span, html.Span) for span in column.children)
        glyphs = "".join(span.children for span in column.children)
        assert re.fullmatch(r"[0-9A-F<>/*+=#$%]+", glyphs), glyphs
        assert len(glyphs) == len(column.children) >= 4
        glyph_columns.append(glyphs)
    assert len(set(glyph_columns)) == len(glyph_columns)


def test_is_deterministic():
    first, second = (json.dumps(matrix_spinner(), cls=plotly.utils.PlotlyJSONEncoder) for _ in range(2))
    assert first == second


def test_uses_only_dash_html_components():
    namespaces = {c.to_plotly_json()["namespace"] for c in _walk(matrix_spinner())}
    assert namespaces == {"dash_html_components"}


def test_is_accepted_as_a_dcc_loading_custom_spinner():
    loading = dcc.Loading(html.Div(), custom_spinner=matrix_spinner())
    assert isinstance(loading.custom_spinner, html.Div)


def test_every_spinner_class_is_styled_in_assets():
    css = "\n".join(path.read_text(encoding="utf-8") for path in sorted(ASSETS.glob("*.css")))
    classes = {
        name
        for c in _walk(matrix_spinner())
        for name in (getattr(c, "className", None) or "").split()
        if name.startswith("nf-")
    }
    assert classes, "spinner carries no nf- classes"
    missing = [name for name in sorted(classes) if not re.search(r"\." + re.escape(name) + r"(?![\w-])", css)]
    assert missing == []
