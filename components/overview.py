"""Layout pieces of the Overview page."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.charts import chart
from components.format import format_exact, format_value
from components.glossary import info_icon
from components.jobs import job_panel
from components.loading import matrix_spinner
from components.primitives import card, segmented

__all__ = ["DIMENSION_LABELS", "PRESET_WINDOWS", "overview_layout", "filter_bar", "drill_options", "today_panel",
           "complete_note", "period_label"]

DIMENSION_LABELS = {"region": "Region", "category": "Category", "channel": "Channel"}
_PLURALS = {"region": "regions", "category": "categories", "channel": "channels"}
PRESET_WINDOWS = (7, 30, 90)
_NO_FILTERS = {"region": None, "category": None, "channel": None}


def _period_controls(window: int | None, start: str | None, end: str | None) -> html.Div:
    """The 7/30/90-day presets and, beside them, a custom date range (compared with the previous equal period)."""
    return html.Div(
        [
            segmented(ids.OVERVIEW_WINDOW, [{"label": f"{days} days", "value": days} for days in PRESET_WINDOWS],
                      window),
            html.Div(
                [
                    html.Span("or dates", className="nf-kpi-sub"),
                    dcc.DatePickerRange(
                        id=ids.OVERVIEW_RANGE, start_date=start, end_date=end, updatemode="bothdates",
                        display_format="YYYY-MM-DD", clearable=True, first_day_of_week=1,
                        start_date_placeholder_text="Start date", end_date_placeholder_text="End date",
                        start_date_id=ids.child_id(ids.OVERVIEW_RANGE, "start"),
                        end_date_id=ids.child_id(ids.OVERVIEW_RANGE, "end"),
                        className="nf-date-range",
                    ),
                ],
                className="nf-range-picker",
            ),
        ],
        className="nf-period-controls",
    )


def _toolbar(window: int | None, start: str | None, end: str | None) -> html.Div:
    return html.Div(
        [
            _period_controls(window, start, end),
            job_panel(ids.OVERVIEW_JOB, "Recompute KPIs"),
        ],
        className="nf-toolbar d-flex justify-content-between align-items-center flex-wrap gap-2",
    )


def _drill_controls(filters: Mapping[str, str | None]) -> html.Div:
    """One dropdown per dimension: the keyboard's way to drill down (the same filters as a bar click)."""
    return html.Div(
        [
            html.Label(
                [html.Span(DIMENSION_LABELS[dim], className="nf-kpi-label"),
                 dcc.Dropdown(id=ids.overview_drill(dim), options=drill_options([filters[dim]] if filters.get(dim)
                                                                                else []),
                              value=filters.get(dim), clearable=True, searchable=False,
                              placeholder=f"All {_PLURALS[dim]}", className="nf-drill-dropdown")],
                className="nf-drill",
            )
            for dim in DIMENSION_LABELS
        ],
        className="nf-drill-controls", role="group", **{"aria-label": "Drill down by region, category and channel"},
    )


def drill_options(members: Sequence[str]) -> list[dict]:
    """Dropdown options for the members of one dimension."""
    return [{"label": member, "value": member} for member in members]


def period_label(window: int, start: dt.date | None = None, end: dt.date | None = None) -> str:
    """How the compared period reads on cards and charts: "last 30 days" or "2026-08-10 – 2026-09-23"."""
    if start is None or end is None:
        return f"last {window} days"
    return f"{start.isoformat()} – {end.isoformat()}"


def complete_note(through: dt.date, source: str, reason: str) -> list:
    """Which day the KPIs, trend and breakdowns run through, and why that day."""
    origin = {"setting": "set by the operator", "stream": "the live stream's clock",
              "data": "the data"}.get(source, source)
    return [html.Span("Complete days through ", className="nf-kpi-sub"),
            html.Strong(f"{through:%d %b %Y}", className="nf-complete-day"),
            html.Span(f" · from {origin}: {reason}.", className="nf-kpi-sub")]


def _today_figures(partial) -> list:
    span = (f"{partial.first:%d %b %Y}" if partial.days == 1
            else f"{partial.first:%d %b} – {partial.last:%d %b %Y}")
    figures = [("revenue", "Revenue", format_value(partial.revenue, "currency"),
                format_exact(partial.revenue, "currency")),
               ("orders", "Orders", format_value(partial.orders, "count"), None),
               ("lines", "Order lines", format_value(partial.lines, "count"), None)]
    return [
        html.Dl([html.Div([html.Dt(label, className="nf-kpi-label"),
                           html.Dd(value, className="nf-today-value", title=exact or value,
                                   id=ids.child_id(ids.OVERVIEW_TODAY, key))])
                 for key, label, value, exact in figures], className="nf-today-figures"),
        html.P(f"{span} so far · as of {partial.as_of:%d %b %H:%M} UTC", className="nf-kpi-sub mb-0",
               id=ids.child_id(ids.OVERVIEW_TODAY, "as-of")),
    ]


def today_panel(partial, through: dt.date) -> html.Section:
    """The partial day's figures, labelled as partial and kept apart from the KPI windows.

    ``partial`` has ``first, last, days, revenue, orders, lines, as_of`` (``analytics.kpis.PartialDays``) or is None.
    """
    head = html.Div([html.H2("Today so far", className="nf-card-title mb-0"),
                     html.Span("Partial · not in KPIs or trend", className="nf-partial-badge")],
                    className="nf-today-head")
    body = (_today_figures(partial) if partial is not None
            else [html.P(f"No orders dated after {through:%d %b %Y} yet.", className="nf-kpi-sub mb-0")])
    return card(None, head, *body, className="nf-today", **{"aria-label": "Today so far (partial)"})


def filter_bar(filters: Mapping[str, str | None]) -> list:
    """Removable chips for the active drill-down filters, or a hint when there are none."""
    active = [(dim, value) for dim, value in filters.items() if value and value != "All"]
    if not active:
        return [html.Span("All regions, categories and channels — click a bar or choose above to drill down.",
                          className="nf-kpi-sub")]
    return [html.Span("Filtered to", className="nf-kpi-sub me-1")] + [
        html.Button(
            f"{DIMENSION_LABELS[dim]}: {value}",  # the × is drawn by .nf-filter-chip::after
            id=ids.overview_filter_chip(dim),
            className="nf-filter-chip",
            type="button",
            title=f"Remove the {DIMENSION_LABELS[dim].lower()} filter",
            n_clicks=0,
        )
        for dim, value in active
    ]


def _chart_card(graph_id: str, height: int, **chart_kwargs) -> html.Section:
    """A card around one chart that has no loader of its own."""
    return card(None, chart(graph_id, height, loading=False, **chart_kwargs))


def _charts(loading: dict) -> list:
    """The trend over the breakdowns: two bar charts (2D) or the region × category bars (3D), then channels."""
    flat = dbc.Row([dbc.Col(_chart_card(ids.overview_breakdown("region"), 260), md=6),
                    dbc.Col(_chart_card(ids.overview_breakdown("category"), 260), md=6)], className="g-3")
    return [
        card(None, dcc.Loading(chart(ids.OVERVIEW_TREND, 400, loading=False), **loading), className="mb-3"),
        dbc.Row([
            dbc.Col(flat, id=ids.OVERVIEW_BREAKDOWN_2D, lg=8),
            dbc.Col(_chart_card(ids.OVERVIEW_MATRIX_3D, 520, scene=True), id=ids.OVERVIEW_BREAKDOWN_3D, lg=8,
                    style={"display": "none"}),
            dbc.Col(_chart_card(ids.overview_breakdown("channel"), 260), lg=4),
        ], className="g-3"),
    ]


def overview_layout(window: int | None = 30, start: str | None = None, end: str | None = None,
                    filters: Mapping[str, str | None] | None = None) -> html.Div:
    """The Overview: period and drill-down controls, KPI cards, today so far, trend and breakdowns (2D or 3D).

    The arguments are the initial state (from the URL); a custom range (both dates) wins over the preset.
    """
    loading = {"custom_spinner": matrix_spinner(), "delay_show": 250}
    filters = {**_NO_FILTERS, **(filters or {})}
    custom = bool(start and end)
    window = None if custom else window or 30
    return html.Div([
        html.H1("Overview", className="nf-page-title"),
        html.P(["How the business is doing, with every number defined — hover or focus ", info_icon(),
                " on a card."], className="nf-page-subtitle"),
        _toolbar(window, start if custom else None, end if custom else None),
        dcc.Store(id=ids.OVERVIEW_FILTERS, data=filters),
        dcc.Store(id=ids.OVERVIEW_PERIOD, data={"start": start, "end": end} if custom else {"window": window}),
        dcc.Store(id=ids.OVERVIEW_TREND_META),
        html.Div(id=ids.OVERVIEW_MESSAGE, role="alert"),
        html.Div(id=ids.OVERVIEW_LIVE_NOTE, className="nf-kpi-sub", **{"aria-live": "polite"}),
        html.Div(id=ids.OVERVIEW_COMPLETE_NOTE, className="nf-complete-note"),
        html.Div([_drill_controls(filters),
                  html.Div(filter_bar(filters), id=ids.OVERVIEW_FILTER_BAR, className="nf-filter-bar")],
                 className="nf-drill-row"),
        dcc.Loading(html.Div(id=ids.OVERVIEW_KPIS), **loading),
        html.Div(id=ids.OVERVIEW_TODAY),
        *_charts(loading),
    ], className="nf-page nf-fade-in")
