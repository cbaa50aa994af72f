"""What the pages' view callbacks share.

The module name starts with an underscore so Dash's page scanner skips it.
"""
from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go
from dash import no_update

from components.primitives import empty_figure
from pages._errors import failure

__all__ = ["figure_in_3d"]


def figure_in_3d(view_mode: str | None, build: Callable[[], go.Figure]):
    """``build()``'s figure, made only while the 3D view is on (WebGL is costly, so nothing is built in 2D);
    a failure becomes an empty figure saying why: the project's own message (no result yet, an input that cannot be
    used) as it is, anything unexpected as an error id with the traceback in the log."""
    if view_mode != "3d":
        return no_update
    try:
        return build()
    except Exception as exc:  # noqa: BLE001 - whatever failed, the chart says so instead of Dash's error
        return empty_figure(failure(exc, "drawing the 3D view").short)
