"""Layout pieces of the Retention page: segment cards, model card, at-risk grid, customer panel, the page.

The figures are in :mod:`components.retention_figures`.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from components import ids
from components.charts import chart
from components.format import format_value
from components.glossary import definition, term
from components.grid import data_grid, grid_rows
from components.ids import JobIds
from components.jobs import job_panel
from components.kpi import ACCENTS
from components.retention_figures import customer_history_figure, segment_colors

__all__ = ["MISSING", "CUSTOMER_PROMPT", "AT_RISK_COLUMNS", "AT_RISK_GRID_COLUMNS", "AT_RISK_CSV", "segment_cards",
           "model_card", "ph_note", "at_risk_table", "at_risk_csv", "customer_panel", "retention_layout"]

MISSING = "—"
CUSTOMER_PROMPT = ("Click a customer in the at-risk grid or the segments scatter to see their history, value and churn "
                   "reasons")
# What RetentionAnalyzer.top_at_risk returns: every column is in the grid's rows and in the CSV export.
AT_RISK_COLUMNS = ("customer_id", "segment", "region", "plan", "orders", "churn_probability", "risk", "retention_score",
                   "clv", "value_at_risk", "top_reason")
# The columns the grid shows (retention score is 100 x (1 - probability), so only the CSV carries it).
AT_RISK_GRID_COLUMNS = ("customer_id", "segment", "region", "plan", "orders", "churn_probability", "risk", "clv",
                        "value_at_risk", "top_reason")
AT_RISK_CSV = "at-risk-customers.csv"
_CSV_DIGITS = {"churn_probability": 4, "clv": 2, "value_at_risk": 2}
_PERCENT = {"function": "params.value == null ? '—' : d3.format('.1%')(params.value)"}
_MONEY = {"function": "params.value == null ? '—' : d3.format('$,.0f')(params.value)"}
_AT_RISK_HEADERS = {"customer_id": ("Customer", 100), "segment": ("Segment", 110), "region": ("Region", 140),
                    "plan": ("Plan", 90), "orders": ("Orders", 90), "churn_probability": ("P(churn)", 100),
                    "risk": ("Risk", 90), "clv": ("CLV", 100), "value_at_risk": ("Value at risk", 110)}
_RISK_CLASSES = {f"nf-risk-{level}": f"params.value === '{level}'" for level in ("high", "medium", "low")}


def _finite(value) -> float | None:
    """``value`` as a float, or None when it is missing (None, NaN, inf)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _tile(label, value: str, detail: str, accent: str, exact: str | None = None) -> html.Div:
    shown = html.Div(value, className="nf-kpi-value", **({"title": exact} if exact else {}))
    return html.Div([html.Span(label, className="nf-kpi-label"), shown, html.Span(detail, className="nf-kpi-sub")],
                    className=f"nf-kpi-card accent-{accent}")


def _tiles(tiles: Sequence[tuple[str, ...]], className: str = "") -> html.Div:
    """Tiles of ``(label, value, detail)`` or ``(label, value, detail, exact value shown on hover)``."""
    cards = [_tile(label, value, detail, ACCENTS[i % len(ACCENTS)], *exact)
             for i, (label, value, detail, *exact) in enumerate(tiles)]
    return html.Div(cards, className=f"nf-kpi-grid {className}".strip())


def _count_tile(label: str, count: int, what: str) -> tuple[str, str, str, str]:
    """A count short enough for the narrowest tile (384.2k from 100,000 on), exact on hover and, when shortened,
    also in the subtitle because touch screens have no hover."""
    exact = f"{count:,}"
    if count < 100_000:
        return label, exact, what, exact
    short = f"{count / 1e6:.2f}M" if count >= 999_950 else f"{count / 1e3:.1f}k"
    return label, short, f"{exact} {what}", exact


def _accent(color: str) -> dict:
    """Inline custom properties that give a KPI-style card the segment's colour (as in the scatter)."""
    return {"--nf-accent": color, "--nf-accent-rgb": ", ".join(str(int(color[i:i + 2], 16)) for i in (1, 3, 5))}


def segment_cards(profiles: pd.DataFrame) -> html.Div:
    """One card per segment: size and share, churn rate, value and what the segment is like."""
    if profiles.empty:
        return html.P("No segments yet: no customer has purchases to cluster.", className="nf-kpi-sub")
    colors = segment_colors(profiles["segment"])
    cards = []
    for row in profiles.itertuples(index=False):
        churn = _finite(row.churn_rate)
        cards.append(html.Div([
            html.Span([html.Span(className="nf-segment-swatch", **{"aria-hidden": "true"}), str(row.segment)],
                      className="nf-kpi-label"),
            html.Div(f"{int(row.size):,} customers", className="nf-kpi-value"),
            html.Span(f"{format_value(_finite(row.share), 'percent')} of customers · churn "
                      f"{format_value(churn, 'percent') if churn is not None else MISSING} · value "
                      f"{format_value(_finite(row.value), 'currency')}", className="nf-kpi-sub d-block"),
            html.P(str(row.description), className="nf-segment-description"),
        ], className="nf-kpi-card nf-segment-card", style=_accent(colors[str(row.segment)])))
    return html.Div(cards, className="nf-kpi-grid nf-retention-segments")


def model_card(auc: float, brier: float, base_rate: float, n_train: int, n_test: int, horizon_days: int,
               cutoff_test: str, linear_weight: float | None = None) -> html.Div:
    """The churn model's out-of-time scores as stat tiles, with how they were measured and, given the
    model's ``linear_weight_``, what the score is made of."""
    auc, brier, base = _finite(auc), _finite(brier), _finite(base_rate)
    baseline = f"always guessing the base rate scores {base * (1 - base):.3f}" if base is not None else "lower is better"
    tiles = [
        (term("ROC AUC", "auc"), MISSING if auc is None else f"{auc:.3f}",
         "ranking of churners above stayers; 0.5 is chance"),
        (term("Brier score", "brier"), MISSING if brier is None else f"{brier:.3f}", f"lower is better; {baseline}"),
        ("Base rate", format_value(base, "percent"), f"of test customers churned within {horizon_days} days"),
        _count_tile("Training rows", int(n_train), "customer × snapshot rows from earlier cutoffs"),
        _count_tile("Test customers", int(n_test), "customers active at the test cutoff"),
    ]
    note = (f"Out-of-time validation: the model learned from earlier snapshots and was scored on who churned in the "
            f"{horizon_days} days after {cutoff_test}, a period it never saw in training.")
    if linear_weight is not None:
        note += (f" The score blends gradient boosting ({1 - linear_weight:.0%}) with an additive spline logit "
                 f"({linear_weight:.0%}), the mix with the best out-of-fold AUC on the training rows.")
    charts = html.P(["Below: the ", term("ROC curve", "auc"), ", the ", term("calibration"), " of the probabilities and "
                     "the inputs that move the score most by mean |", term("SHAP", "shap"), "|."],
                    className="nf-kpi-sub mt-1 mb-0")
    return html.Div([_tiles(tiles, "nf-retention-model"), html.P(note, className="nf-kpi-sub mt-2 mb-0"), charts])


def ph_note(ph_test: pd.DataFrame, n_customers: int) -> str:
    """One sentence on the Cox model's proportional-hazards check (``CoxResult.ph_test``) for under the forest plot."""
    if ph_test.empty:
        return "The proportional-hazards check could not be run on this data."
    flagged = ph_test.loc[ph_test["violated"], "covariate"].astype(str).tolist()
    if not flagged:
        return (f"Proportional-hazards check (Schoenfeld residuals, 5% level): holds for all {len(ph_test)} "
                "covariates, so each ratio applies at every tenure.")
    return (f"Proportional-hazards check (Schoenfeld residuals, 5% level): the effect of {', '.join(flagged)} "
            f"({len(flagged)} of {len(ph_test)}) changes with tenure, so read those ratios as averages over tenure. "
            f"With {n_customers:,} customers the test notices even small drifts; hover a marker for its p-value.")


def _at_risk_columns(grid) -> list[dict]:
    money = {"valueFormatter": _MONEY, "filter": "agNumberColumnFilter", "type": "rightAligned"}
    formats = {"churn_probability": {"valueFormatter": _PERCENT, "filter": "agNumberColumnFilter",
                                     "type": "rightAligned", "headerTooltip": "Calibrated probability of cancelling "
                                                                              "within the churn horizon"},
               "clv": {**money, "headerTooltip": definition("clv")},
               "value_at_risk": {**money, "headerTooltip": "P(churn) × CLV: the lifetime value expected to be lost"}, "risk": {"cellClassRules": _RISK_CLASSES},
               "top_reason": {"headerName": "Top reason", "minWidth": 260}}
    columns = []
    for column in grid.columnDefs:
        header, width = _AT_RISK_HEADERS.get(column["field"], (column["headerName"], None))
        sized = {"minWidth": width, "maxWidth": 2 * width} if width else {}
        columns.append({**column, "headerName": header, **sized, **formats.get(column["field"], {})})
    return columns


def _ranking_note(count: int, base_rate: float | None, horizon_days: int) -> str:
    if not count:
        return "No active customer is likelier than usual to churn."
    usual = f" ({format_value(base_rate, 'percent')} churned in the latest {horizon_days} days)" \
        if base_rate is not None else ""
    return (f"{count:,} customers likelier than usual to churn{usual}, ranked by value at risk = P(churn) × CLV. "
            "Customers with no purchases yet have no CLV and come last. Risk: high from twice the usual rate, "
            "medium from the usual rate. Click a row to open the customer below.")


def at_risk_table(frame: pd.DataFrame, base_rate: float | None = None, horizon_days: int = 90) -> html.Div:
    """The customers to act on, in the order given (most value at risk first), with the ranking rule above;
    a row click selects it; Export CSV downloads the rows the grid shows, with raw numbers."""
    rows = frame.reindex(columns=list(AT_RISK_COLUMNS))
    grid = data_grid(ids.RETENTION_AT_RISK, rows, columns=AT_RISK_GRID_COLUMNS, file_name=AT_RISK_CSV, height=520,
                     wrap=("top_reason",))
    grid.rowData = grid_rows(rows) if len(rows) else []  # the CSV-only columns travel with each row
    grid.columnDefs = _at_risk_columns(grid)
    grid.dashGridOptions = {**grid.dashGridOptions, "rowSelection": {"mode": "singleRow", "enableClickSelection": True}}
    grid.getRowId = "params.data.customer_id + ''"
    return html.Div([
        html.Div([html.P(_ranking_note(len(rows), _finite(base_rate), horizon_days), className="nf-kpi-sub mb-0"),
                  dbc.Button("Export CSV", id=ids.RETENTION_EXPORT_BTN, className="nf-btn", n_clicks=0),
                  dcc.Download(id=ids.RETENTION_AT_RISK_DOWNLOAD)],
                 className="d-flex align-items-center justify-content-between gap-2 mb-2 flex-wrap"),
        grid,
    ])


def at_risk_csv(rows: Sequence[dict] | None) -> str:
    """The at-risk rows (the grid's ``virtualRowData``: its filters and sort) as CSV with raw numbers:
    probability as a fraction (0.355), money as plain numbers, an empty cell where a value is missing."""
    frame = pd.DataFrame(list(rows or []), columns=list(AT_RISK_COLUMNS))
    for column, digits in _CSV_DIGITS.items():
        frame[column] = pd.to_numeric(frame[column], errors="coerce").round(digits)
    return frame.to_csv(index=False, na_rep="", lineterminator="\n")


def _shown(value: float | None, text: str, why: str, note: str = "") -> tuple[str, str]:
    return (text, note) if value is not None else (MISSING, why)


def _customer_tiles(customer: dict, churned: bool) -> html.Div:
    scored = "not scored: the customer has churned" if churned else "not scored: no churn prediction for them"
    fitted = "not estimated: the customer has churned" if churned else "not estimated: no purchase history"
    gone = "the subscription is cancelled" if churned else ""
    probability, score = _finite(customer.get("churn_probability")), _finite(customer.get("retention_score"))
    alive, clv = _finite(customer.get("p_alive")), _finite(customer.get("clv"))
    purchases = _finite(customer.get("expected_purchases"))
    tiles = [
        ("Churn probability", *_shown(probability, format_value(probability, "percent"), scored)),
        ("Retention score", *_shown(score, f"{score:.0f} / 100" if score is not None else "", scored)),
        (term("P(alive)", "p_alive"), *_shown(alive, format_value(alive, "percent"), fitted, gone)),
        (term("Lifetime value", "clv"), *_shown(clv, format_value(clv, "currency"), fitted, gone)),
        ("Expected purchases", *_shown(purchases, f"{purchases:.2f}" if purchases is not None else "", fitted, gone)),
    ]
    return _tiles(tiles, "nf-retention-customer-tiles")


def _reason_list(reasons: pd.DataFrame, direction: str, tone: str) -> html.Div:
    rows = reasons[reasons["direction"] == direction]
    rows = rows.iloc[rows["shap"].abs().to_numpy().argsort()[::-1]] if len(rows) else rows
    items = [html.Li([str(r.reason), " ", html.Span(f"({r.shap:+.2f})", className="nf-reason-weight",
                                                   title="SHAP contribution to the churn score, in log-odds")])
             for r in rows.itertuples(index=False)]
    body = html.Ul(items, className=f"nf-reasons {tone}") if items else html.P("none", className="nf-kpi-sub")
    return html.Div([html.H4(direction.capitalize(), className="nf-kpi-label"), body])


def customer_panel(customer: dict, history: pd.DataFrame, reasons: pd.DataFrame) -> html.Div:
    """One customer: facts, scores and value (— with the reason when missing), orders and churn reasons."""
    status = str(customer.get("status") or MISSING)
    churned = status.startswith("churned")
    facts = [("Segment", "segment"), ("Region", "region"), ("Channel", "channel"), ("Plan", "plan"),
             ("Signed up", "signup_date")]
    details = html.Dl([part for label, key in facts for part in (html.Dt(label), html.Dd(str(customer.get(key) or
                                                                                             MISSING)))],
                      className="nf-customer-facts")
    if reasons.empty:
        why = html.P("No churn reasons: " + ("the customer has churned, so they are not scored." if churned
                                             else "the model has no explanation for this customer."),
                     className="nf-kpi-sub")
    else:
        why = dbc.Row([dbc.Col(_reason_list(reasons, "raises risk", "is-raises"), md=6),
                       dbc.Col(_reason_list(reasons, "lowers risk", "is-lowers"), md=6)], className="g-2")
    return html.Div([
        html.Div([html.H3(f"Customer {customer.get('customer_id')}", className="nf-customer-title"),
                  html.Span(status, className=f"nf-customer-status {'is-churned' if churned else 'is-active'}")],
                 className="d-flex align-items-center gap-2 flex-wrap"),
        details,
        _customer_tiles(customer, churned),
        chart(ids.RETENTION_CUSTOMER_HISTORY, 220, f"customer-{customer.get('customer_id')}-history.csv",
              figure=customer_history_figure(history), loading=False),
        html.H4(["Why this churn probability: ", term("SHAP", "shap"), " reasons"], className="nf-kpi-label mt-2"),
        why,
    ], className="nf-customer-panel")


def _card(title: str, *body, className: str = "") -> html.Section:
    return html.Section([html.H2(title, className="nf-card-title"), *body], className=f"nf-card {className}".strip())


def _graph(graph_id: str, height: int) -> html.Div:
    return chart(graph_id, height, f"{graph_id}.csv")


def _hint(text: str) -> html.P:
    return html.P(text, className="nf-kpi-sub mb-1")


def _actions(job: JobIds) -> html.Section:
    return html.Section(job_panel(job, "Refit models"), className="nf-card nf-retention-actions")


def _cohorts_card(metric: str = "customers") -> html.Section:
    metric = dbc.RadioItems(
        id=ids.RETENTION_COHORT_METRIC, options=[{"label": "Customers", "value": "customers"},
                                                 {"label": "Revenue", "value": "revenue"}],
        value=metric, inline=True, className="btn-group nf-segmented", inputClassName="btn-check",
        labelClassName="btn btn-outline-info nf-toggle-btn", labelCheckedClassName="active")
    label_id = f"{ids.RETENTION_COHORT_METRIC}-label"
    control = html.Div([html.Span("Retention of", id=label_id, className="nf-kpi-label me-2"),
                        html.Div(metric, role="group", **{"aria-labelledby": label_id})],
                       className="d-flex align-items-center flex-wrap mb-2")
    return _card("Cohorts", control,
                 html.Div(_graph(ids.RETENTION_COHORT_HEATMAP, 480), id=ids.RETENTION_COHORT_2D),
                 html.Div(_graph(ids.RETENTION_COHORT_SURFACE, 520), id=ids.RETENTION_COHORT_3D,
                          style={"display": "none"}))


def _survival_card(km_groups: Sequence[tuple[str, str]], default_group: str) -> html.Section:
    by = dcc.Dropdown(id=ids.RETENTION_KM_BY, options=[{"label": label, "value": value} for value, label in km_groups],
                      value=default_group, clearable=False, searchable=False, style={"minWidth": "12rem"})
    control = html.Div([html.Label("Compare by", htmlFor=ids.RETENTION_KM_BY, className="nf-kpi-label me-2"), by,
                        html.Span([term("Kaplan–Meier", "kaplan_meier"), " curves with a ", term("log-rank", "log_rank"),
                                   " test; Cox ", term("hazard ratios", "hazard_ratio"), " of what drives churn."],
                                  className="nf-kpi-sub ms-md-3")],
                       className="d-flex align-items-center flex-wrap gap-2 mb-2")
    return _card("Survival", control, dbc.Row([dbc.Col(_graph(ids.RETENTION_KM, 460), lg=7),
                                               dbc.Col([_graph(ids.RETENTION_FOREST, 460),
                                                        html.P(id=ids.RETENTION_PH_NOTE, className="nf-kpi-sub mb-0")],
                                                       lg=5)], className="g-3"))


def retention_layout(km_groups: Sequence[tuple[str, str]], default_group: str,
                     job: JobIds = ids.RETENTION_JOB, *, cohort_metric: str = "customers",
                     customer_id: int | None = None) -> html.Div:
    """The Retention page: cohorts, survival, the churn model, segments, at-risk customers and one customer."""
    if default_group not in [value for value, _ in km_groups]:
        raise ValueError(f"default_group {default_group!r} is not one of the km_groups {[v for v, _ in km_groups]}")
    model = _card("Churn model", html.Div(id=ids.RETENTION_MODEL_CARD), dbc.Row([
        dbc.Col(_graph(ids.RETENTION_ROC, 340), lg=4), dbc.Col(_graph(ids.RETENTION_CALIBRATION, 340), lg=4),
        dbc.Col(_graph(ids.RETENTION_IMPORTANCE, 340), lg=4)], className="g-3 mt-1"))
    segments = _card("Segments", _hint("RFM clusters: click a customer to open it (in 3D, drag to rotate)."),
                     html.Div(_graph(ids.RETENTION_SEGMENTS_FLAT, 460), id=ids.RETENTION_SEGMENTS_2D),
                     html.Div(_graph(ids.RETENTION_SEGMENTS, 560), id=ids.RETENTION_SEGMENTS_3D,
                              style={"display": "none"}),
                     html.Div(id=ids.RETENTION_SEGMENT_CARDS, className="mt-3"))
    customer = _card("Customer", html.Div(html.P(CUSTOMER_PROMPT, className="nf-kpi-sub"),
                                          id=ids.RETENTION_CUSTOMER_PANEL), className="nf-retention-customer")
    return html.Div([
        html.H1("Retention", className="nf-page-title"),
        html.P("Who stays, who is about to leave and why, what each customer is worth, and which groups behave alike.",
               className="nf-page-subtitle"),
        _actions(job),
        dcc.Store(id=ids.RETENTION_CUSTOMER, data=customer_id),
        html.Div(id=ids.RETENTION_MESSAGE, role="alert"),
        _cohorts_card(cohort_metric),
        _survival_card(km_groups, default_group),
        model,
        segments,
        _card("At-risk customers", html.Div(id=ids.RETENTION_AT_RISK_PANEL)),  # full width: every column fits
        customer,
    ], className="nf-page nf-fade-in nf-retention")
