"""Walking a Dash component tree in tests that check layout structure without a browser."""
from __future__ import annotations

from collections.abc import Iterator


def walk(component) -> Iterator:
    """The component and every component below it, depth first."""
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from walk(child)
