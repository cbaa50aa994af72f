"""What the component tests share: finding things in a layout tree, checking a figure, WCAG contrast."""
from __future__ import annotations

import plotly.io as pio

from components.theme import TEMPLATE_NAME, register_template
from tests.layout_walk import walk


def texts(component) -> list[str]:
    """Every string child in the tree, depth first."""
    return [c.children for c in walk(component) if isinstance(getattr(c, "children", None), str)]


def by_id(root) -> dict:
    """The components of the tree that have a string id, by id."""
    return {c.id: c for c in walk(root) if isinstance(getattr(c, "id", None), str)}


def assert_valid_neon(fig: dict) -> None:
    """``fig`` is a valid Plotly figure on the registered neon template."""
    register_template()
    assert fig["layout"]["template"]["layout"]["paper_bgcolor"] == pio.templates[TEMPLATE_NAME].layout.paper_bgcolor
    pio.from_json(pio.to_json(fig))


def assert_empty_with_message(fig: dict, words: str) -> None:
    """``fig`` draws nothing and says ``words`` instead."""
    assert fig["data"] == [] and words in fig["layout"]["annotations"][0]["text"]


def luminance(rgb) -> float:
    """WCAG 2.x relative luminance of sRGB channels from 0 to 255 (fractions allowed, for blended colours)."""
    linear = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB ``#rrggbb`` colour."""
    return luminance([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio, from 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def glossary_terms(component) -> dict[str, str]:
    """Label -> hover definition of every glossary term (``components.glossary.term``) inside ``component``."""
    return {c.children[0]: c.title for c in walk(component) if getattr(c, "className", None) == "nf-term"}
