"""What the pages' view callbacks share.

The module name starts with an underscore so Dash's page scanner skips it.
"""
from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go
from dash import no_update

from components.primitives import empty_figure

__all__ = ["figure_in_3d"]


def figure_in_3d(view_mode: str | None, build: Callable[[], go.Figure]):
    """``build()``'s figure, made only while the 3D view is on (WebGL is costly, so nothing is built in 2D);
    a LookupError (no result yet) or ValueError (an input that cannot be used) becomes an empty figure saying why."""
    if view_mode != "3d":
        return no_update
    try:
        return build()
    except (LookupError, ValueError) as exc:
        return empty_figure(str(exc))
