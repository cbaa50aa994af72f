"""Layout pieces of the Overview page."""
from __future__ import annotations

from collections.abc import Mapping

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.charts import chart
from components.glossary import info_icon
from components.loading import matrix_spinner

__all__ = ["DIMENSION_LABELS", "overview_layout", "filter_bar"]

DIMENSION_LABELS = {"region": "Region", "category": "Category", "channel": "Channel"}


def _graph(graph_id: str, height: int, **kwargs) -> html.Div:
    return chart(graph_id, height, f"{graph_id}.csv", loading=False, **kwargs)


def _card(title: str | None, body, className: str = "", **kwargs) -> html.Section:
    children = ([html.H2(title, className="nf-card-title")] if title else []) + [body]
    return html.Section(children, className=f"nf-card {className}".strip(), **kwargs)


def _toolbar() -> html.Div:
    return html.Div(
        [
            dbc.RadioItems(
                id=ids.OVERVIEW_WINDOW,
                options=[{"label": "Last 30 days", "value": 30}, {"label": "Last 90 days", "value": 90}],
                value=30,
                className="btn-group nf-segmented",
                inputClassName="btn-check",
                labelClassName="btn btn-outline-info nf-toggle-btn",
                labelCheckedClassName="active",
                inline=True,
            ),
            html.Div(
                [
                    dbc.Button("Recompute KPIs", id=ids.OVERVIEW_RECOMPUTE, className="nf-btn", n_clicks=0),
                    dbc.Progress(id=ids.OVERVIEW_PROGRESS, value=0, max=100, className="nf-progress",
                                 style={"width": "14rem"}, label=""),
                    html.Span(id=ids.OVERVIEW_JOB_STATUS, className="nf-kpi-sub", role="status"),
                ],
                className="d-flex align-items-center gap-2 flex-wrap",
            ),
        ],
        className="nf-toolbar d-flex justify-content-between align-items-center flex-wrap gap-2",
    )


def filter_bar(filters: Mapping[str, str | None]) -> list:
    """Removable chips for the active drill-down filters, or a hint when there are none."""
    active = [(dim, value) for dim, value in filters.items() if value and value != "All"]
    if not active:
        return [html.Span("All regions, categories and channels — click a bar to drill down.",
                          className="nf-kpi-sub")]
    return [html.Span("Filtered to", className="nf-kpi-sub me-1")] + [
        html.Button(
            [f"{DIMENSION_LABELS[dim]}: {value} ", html.Span("×", **{"aria-hidden": "true"})],
            id=ids.overview_filter_chip(dim),
            className="nf-filter-chip",
            type="button",
            title=f"Remove the {DIMENSION_LABELS[dim].lower()} filter",
            n_clicks=0,
        )
        for dim, value in active
    ]


def overview_layout() -> html.Div:
    """The Overview: toolbar, filters, KPI cards, trend and breakdowns (2D or 3D)."""
    loading = {"custom_spinner": matrix_spinner(), "delay_show": 250}
    return html.Div(
        [
            html.H1("Overview", className="nf-page-title"),
            html.P(["How the business is doing, with every number defined — hover or focus ", info_icon(),
                    " on a card."], className="nf-page-subtitle"),
            _toolbar(),
            dcc.Store(id=ids.OVERVIEW_FILTERS, data={"region": None, "category": None, "channel": None}),
            dcc.Store(id=ids.OVERVIEW_REFRESH, data=0),
            dcc.Store(id=ids.OVERVIEW_TREND_META),
            html.Div(id=ids.OVERVIEW_MESSAGE, role="alert"),
            html.Div(id=ids.OVERVIEW_LIVE_NOTE, className="nf-kpi-sub", **{"aria-live": "polite"}),
            html.Div(filter_bar({}), id=ids.OVERVIEW_FILTER_BAR, className="nf-filter-bar"),
            dcc.Loading(html.Div(id=ids.OVERVIEW_KPIS), **loading),
            _card(None, dcc.Loading(_graph(ids.OVERVIEW_TREND, 400), **loading), className="mb-3"),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Row(
                            [
                                dbc.Col(_card(None, _graph(ids.overview_breakdown("region"), 260)), md=6),
                                dbc.Col(_card(None, _graph(ids.overview_breakdown("category"), 260)), md=6),
                            ],
                            className="g-3",
                        ),
                        id=ids.OVERVIEW_BREAKDOWN_2D,
                        lg=8,
                    ),
                    dbc.Col(
                        _card(None, _graph(ids.OVERVIEW_MATRIX_3D, 520)),
                        id=ids.OVERVIEW_BREAKDOWN_3D,
                        lg=8,
                        style={"display": "none"},
                    ),
                    dbc.Col(_card(None, _graph(ids.overview_breakdown("channel"), 260)), lg=4),
                ],
                className="g-3",
            ),
        ],
        className="nf-page nf-fade-in",
    )
