"""KPI cards: value, change against the previous period, sparkline and a definition popover."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.charts import graph_config
from components.format import format_delta, format_exact, format_value
from components.glossary import info_icon
from components.ids import child_id
from components.overview_figures import sparkline_figure
from components.primitives import ACCENTS
from components.theme import PALETTE

__all__ = ["kpi_card", "kpi_grid"]


def _delta_class(delta: float | None, higher_is_better: bool) -> str:
    if delta is None or abs(delta) < 0.0005:
        return "is-flat"
    good = (delta > 0) == higher_is_better
    return "is-up" if good else "is-down"


def _kpi_head(id_prefix: str, label: str, definition: str) -> html.Div:
    """The card's label and its info button, whose popover defines the KPI on hover or focus."""
    info_id = child_id(id_prefix, "info")
    return html.Div(
        [
            html.Span(label, className="nf-kpi-label"),
            html.Button(info_icon(), id=info_id, className="nf-info", type="button",
                        **{"aria-label": f"How {label} is defined"}),
            dbc.Popover([dbc.PopoverHeader(label), dbc.PopoverBody(definition)],
                        target=info_id, trigger="hover focus", placement="bottom"),
        ],
        className="d-flex align-items-center justify-content-between",
    )


def kpi_card(
    id_prefix: str,
    label: str,
    value: str,
    delta: float | None,
    sparkline: list[float] | tuple[float, ...],
    definition: str,
    *,
    accent: str = "cyan",
    higher_is_better: bool = True,
    period_label: str = "vs previous period",
    exact: str | None = None,
) -> html.Div:
    """One KPI card; child ids derive from ``id_prefix`` (``-info``, ``-value``, ``-delta``, ``-sparkline``)."""
    delta_class = f"nf-kpi-delta {_delta_class(delta, higher_is_better)}"
    return html.Div(
        [
            _kpi_head(id_prefix, label, definition),
            html.Div(value, id=child_id(id_prefix, "value"), className="nf-kpi-value", title=exact or value),
            html.Div([html.Span(format_delta(delta), id=child_id(id_prefix, "delta"), className=delta_class),
                      html.Span(f" {period_label}", className="nf-kpi-sub")]),
            dcc.Graph(id=child_id(id_prefix, "sparkline"), figure=sparkline_figure(sparkline, PALETTE[accent]),
                      config=graph_config(displayModeBar=False, staticPlot=True), className="nf-sparkline"),
        ],
        id=id_prefix,
        className=f"nf-kpi-card accent-{accent}",
    )


def kpi_grid(id_prefix: str, values, definitions, period_label: str) -> html.Div:
    """A responsive grid of KPI cards.

    ``values`` have ``key, value, delta, sparkline``; ``definitions[key]`` has
    ``label, unit, definition, higher_is_better`` (``analytics.kpis.KpiValue`` and ``KpiDefinition``).
    """
    cards = []
    for i, kpi in enumerate(values):
        spec = definitions[kpi.key]
        cards.append(
            kpi_card(
                child_id(id_prefix, kpi.key.replace("_", "-")),
                spec.label,
                format_value(kpi.value, spec.unit),
                kpi.delta,
                kpi.sparkline,
                spec.definition,
                accent=ACCENTS[i % len(ACCENTS)],
                higher_is_better=spec.higher_is_better,
                period_label=period_label,
                exact=format_exact(kpi.value, spec.unit),
            )
        )
    return html.Div(cards, className="nf-kpi-grid")
