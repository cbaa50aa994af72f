"""The Insights page: the period controls, the ranked feed of findings as cards, each with its evidence chart.

Pure builders: a finding is any object with the fields of ``analytics.insights.Finding`` (``kind``, ``title``,
``evidence``, ``impact``, ``confidence``, ``link``, ``period``, ``related``); components import no analytics.
"""
from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.alert_rules import rules_section
from components.charts import GRAPH_CONFIG
from components.ids import JobIds
from components.jobs import job_panel
from components.primitives import figure, figure_title, rgba, rounded, segmented
from components.theme import PALETTE, SERIES_COLORS

__all__ = ["PRESET_WINDOWS", "KIND_LABELS", "PAGE_NAMES", "evidence_figure", "finding_card", "feed",
           "empty_feed", "link_label", "insights_layout", "EVIDENCE_HEIGHT"]

PRESET_WINDOWS = (7, 30, 90)
EVIDENCE_HEIGHT = 220
KIND_LABELS = {"kpi_change": "KPI change", "anomaly": "Anomaly", "pattern": "Pattern",
               "forecast_risk": "Forecast risk", "retention_shift": "Retention shift"}
PAGE_NAMES = {"/": "Overview", "/forecast": "Forecast", "/retention": "Retention", "/insights": "Insights"}
_ACCENT = {"kpi_change": "cyan", "anomaly": "magenta", "pattern": "lime", "forecast_risk": "amber",
           "retention_shift": "magenta"}
_HOVER = {"currency": "$%{y:,.0f}", "count": "%{y:,.0f}", "percent": "%{y:.1%}", "score": "%{y:.2f}"}
_TICKS = {"currency": "$~s", "count": "~s", "percent": ".0%", "score": ".1f"}


def _axis(unit: str) -> dict:
    return {"tickformat": _TICKS.get(unit, "~s"), "zeroline": False}


def _line_traces(evidence) -> list[dict]:
    traces = []
    for i, (name, values) in enumerate(evidence.series.items()):
        color = PALETTE["cyan"] if i == 0 else SERIES_COLORS[(i + 1) % len(SERIES_COLORS)]
        traces.append({"type": "scatter", "mode": "lines", "x": list(evidence.x), "y": rounded(values),
                       "name": name, "line": {"color": color, "width": 2 if i == 0 else 1.5},
                       "hovertemplate": f"%{{x}}<br>{name}: {_HOVER.get(evidence.unit, '%{y}')}<extra></extra>"})
    return traces


def _highlight_shapes(evidence) -> list[dict]:
    """The span the finding is about, shaded (or one day, a dashed line); none when it is off the chart."""
    marks = [day for day in evidence.highlight if day]
    if not marks:
        return []
    start, end = marks[0], marks[-1]
    if start == end:
        return [{"type": "line", "xref": "x", "yref": "paper", "x0": start, "x1": start, "y0": 0, "y1": 1,
                 "line": {"color": PALETTE["magenta"], "width": 1.5, "dash": "dot"}}]
    return [{"type": "rect", "xref": "x", "yref": "paper", "x0": start, "x1": end, "y0": 0, "y1": 1,
             "fillcolor": rgba(PALETTE["magenta"], 0.14), "line": {"width": 0}, "layer": "below"}]


def _bar_traces(evidence) -> list[dict]:
    marked = set(evidence.highlight)
    traces = []
    for i, (name, values) in enumerate(evidence.series.items()):
        colors = [PALETTE["magenta"] if x in marked else PALETTE["cyan"] if i == 0 else SERIES_COLORS[i + 1]
                  for x in evidence.x]
        traces.append({"type": "bar", "x": list(evidence.x), "y": rounded(values), "name": name,
                       "marker": {"color": colors, "line": {"width": 0}},
                       "hovertemplate": f"%{{x}}<br>{name}: {_HOVER.get(evidence.unit, '%{y}')}<extra></extra>"})
    return traces


def evidence_figure(evidence, title: str = "") -> dict:
    """A finding's evidence as a small chart on the neon template: a line chart of its series over dates with the
    period it is about shaded, or bars of members with the ones it is about in magenta."""
    line = evidence.chart == "line"
    traces = _line_traces(evidence) if line else _bar_traces(evidence)
    many = len(traces) > 1
    layout = {"height": EVIDENCE_HEIGHT, "showlegend": many, "yaxis": _axis(evidence.unit),
              "margin": {"l": 48, "r": 8, "t": 52 if many else 30, "b": 32},
              "xaxis": {"type": "date"} if line else {"type": "category"}, "shapes": _highlight_shapes(evidence)
              if line else [], "bargap": 0.25}
    if many:
        layout["legend"] = {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "font": {"size": 11}}
    if title:
        layout["title"] = figure_title(title, y=1 - 6 / EVIDENCE_HEIGHT, yref="container", yanchor="top")
    return figure(traces, **layout)


def link_label(link: str) -> str:
    """"Open in Overview" for ``/?window=90``; the page the link opens, named as the navigation names it."""
    path = urlsplit(link or "/").path.rstrip("/") or "/"
    return f"Open in {PAGE_NAMES.get(path, path.strip('/').title() or 'Overview')}"


def _confidence(confidence) -> html.Span:
    reasons = "; ".join(confidence.reasons)
    return html.Span([html.Span(f"{confidence.level} confidence", className="nf-insight-level"),
                      html.Span(f" {confidence.score:.2f}", className="nf-insight-score")],
                     className=f"nf-insight-confidence is-{confidence.level}", title=reasons)


def finding_card(finding, rank: int) -> html.Article:
    """One finding: its rank and kind, the sentence, impact and confidence, the evidence chart and the link."""
    graph_id = ids.child_id(ids.INSIGHTS_FEED, f"evidence-{rank}")
    start, end = finding.period
    when = start if start == end else f"{start} – {end}"
    header = html.Div([html.Span(f"#{rank}", className="nf-insight-rank"),
                       html.Span(KIND_LABELS.get(finding.kind, finding.kind), className="nf-insight-kind"),
                       html.Span(when, className="nf-kpi-sub")], className="nf-insight-head")
    facts = html.Div([html.Span([html.Span("Impact ", className="nf-kpi-sub"),
                                 html.Strong(finding.impact.display, className="nf-insight-impact")]),
                      _confidence(finding.confidence)], className="nf-insight-facts")
    related = [html.P(f"Also: {'; '.join(finding.related)}", className="nf-kpi-sub nf-insight-related")] \
        if finding.related else []
    graph = dcc.Graph(id=graph_id, figure=evidence_figure(finding.evidence), config=GRAPH_CONFIG,
                      style={"height": f"{EVIDENCE_HEIGHT}px"}, className="nf-insight-evidence",
                      responsive=True)  # follows the card's width when a phone turns (the figure fixes the height)
    link = dcc.Link([link_label(finding.link), html.I(className="bi bi-arrow-right ms-1", **{"aria-hidden": "true"})],
                    href=finding.link, className="nf-insight-link")
    return html.Article([header, html.P(finding.title, className="nf-insight-title"), facts, *related, graph, link],
                        className=f"nf-card nf-insight accent-{_ACCENT.get(finding.kind, 'cyan')}",
                        **{"aria-label": f"Finding {rank}: {KIND_LABELS.get(finding.kind, finding.kind)}"})


def feed(findings: Sequence, period_label: str) -> html.Div:
    """The ranked cards, with how many there are; an empty feed says so (``empty_feed``)."""
    if not findings:
        return empty_feed(period_label)
    count = f"{len(findings)} finding{'s' if len(findings) != 1 else ''} for {period_label}, largest first"
    return html.Div([html.P(count, className="nf-kpi-sub", role="status"),
                     html.Div([finding_card(finding, i + 1) for i, finding in enumerate(findings)],
                              className="nf-insight-list")])


def empty_feed(period_label: str) -> html.Div:
    """No finding: nothing moved beyond its usual range in the period, and what to try."""
    return html.Div([html.H2("Nothing unusual", className="nf-card-title"),
                     html.P(f"No KPI change, anomaly, pattern, forecast risk or retention shift stood out for "
                            f"{period_label}. Try a longer period (90 days) or come back after new data arrives.")],
                    className="nf-card nf-insight-empty", role="status")


def _period_controls(window: int | None, start: str | None, end: str | None) -> html.Div:
    picker = dcc.DatePickerRange(
        id=ids.INSIGHTS_RANGE, start_date=start, end_date=end, updatemode="bothdates", display_format="YYYY-MM-DD",
        clearable=True, first_day_of_week=1, start_date_placeholder_text="Start date",
        end_date_placeholder_text="End date", start_date_id=ids.child_id(ids.INSIGHTS_RANGE, "start"),
        end_date_id=ids.child_id(ids.INSIGHTS_RANGE, "end"), className="nf-date-range")
    return html.Div([segmented(ids.INSIGHTS_WINDOW, [{"label": f"{days} days", "value": days}
                                                     for days in PRESET_WINDOWS], window),
                     html.Div([html.Span("or dates", className="nf-kpi-sub"), picker], className="nf-range-picker")],
                    className="nf-period-controls")


def insights_layout(job: JobIds, window: int | None = 30, start: str | None = None, end: str | None = None, *,
                    tab: str = "findings", rules_form=None, rules_notice: str | None = None) -> html.Div:
    """The page: period controls and the job panel, the feed, and the alert rules (``rules_form`` for users who may
    create rules, else ``rules_notice``). A custom range (both dates) wins over the preset."""
    custom = bool(start and end)
    window = None if custom else window or 30
    tabs = dbc.Tabs([
        dbc.Tab(html.Div([html.Div(id=ids.INSIGHTS_MESSAGE, role="alert"),
                          dcc.Loading(html.Div(id=ids.INSIGHTS_FEED, className="nf-insight-feed"), delay_show=250)]),
                label="Findings", tab_id="findings", className="nf-insight-tab"),
        dbc.Tab(rules_section(rules_form, rules_notice), label="Alert rules", tab_id="rules",
                className="nf-insight-tab"),
    ], id=ids.INSIGHTS_TABS, active_tab=tab, className="nf-insight-tabs")
    return html.Div([
        html.H1("Insights", className="nf-page-title"),
        html.P("What changed, why, and how sure we are — written from the numbers, largest first.",
               className="nf-page-subtitle"),
        html.Div([_period_controls(window, start if custom else None, end if custom else None),
                  job_panel(job, "Recompute")],
                 className="nf-toolbar d-flex justify-content-between align-items-center flex-wrap gap-2"),
        dcc.Store(id=ids.INSIGHTS_PERIOD, data={"start": start, "end": end} if custom else {"window": window}),
        tabs,
    ], className="nf-page nf-fade-in")
