"""The Retention page's customers to act on: the at-risk grid with its CSV export, and one customer's panel."""
from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from components import ids
from components.charts import chart
from components.churn_figures import customer_history_figure
from components.format import MISSING, finite, format_value
from components.glossary import definition, term
from components.grid import data_grid, grid_rows
from components.primitives import stat_tiles

__all__ = ["AT_RISK_COLUMNS", "AT_RISK_GRID_COLUMNS", "AT_RISK_CSV", "at_risk_table", "at_risk_export", "customer_panel"]

# What RetentionAnalyzer.top_at_risk (analytics.retention) returns: every column is in the grid's rows and in the
# CSV export.
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


def _at_risk_columns(grid) -> list[dict]:
    money = {"valueFormatter": _MONEY, "filter": "agNumberColumnFilter", "type": "rightAligned"}
    formats = {"churn_probability": {"valueFormatter": _PERCENT, "filter": "agNumberColumnFilter",
                                     "type": "rightAligned", "headerTooltip": "Calibrated probability of cancelling "
                                                                              "within the churn horizon"},
               "clv": {**money, "headerTooltip": definition("clv")},
               "value_at_risk": {**money, "headerTooltip": "P(churn) × CLV: the lifetime value expected to be lost"},
               "risk": {"cellClassRules": _RISK_CLASSES},
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
        html.Div([html.P(_ranking_note(len(rows), finite(base_rate), horizon_days), className="nf-kpi-sub mb-0"),
                  dbc.Button("Export CSV", id=ids.RETENTION_EXPORT_BTN, className="nf-btn", n_clicks=0),
                  dcc.Download(id=ids.RETENTION_AT_RISK_DOWNLOAD)],
                 className="d-flex align-items-center justify-content-between gap-2 mb-2 flex-wrap"),
        grid,
    ])


def at_risk_export(rows: Sequence[dict] | None) -> pd.DataFrame:
    """The at-risk rows (the grid's ``virtualRowData``: its filters and sort) as the CSV's table with raw numbers:
    probability as a fraction (0.355), money as plain numbers, missing values missing. The page writes it with
    ``data.csv_safe.safe_csv`` (components do not import data), which neutralises formula-like text."""
    frame = pd.DataFrame(list(rows or []), columns=list(AT_RISK_COLUMNS))
    for column, digits in _CSV_DIGITS.items():
        frame[column] = pd.to_numeric(frame[column], errors="coerce").round(digits)
    return frame


def _shown(value: float | None, text: str, why: str, note: str = "") -> tuple[str, str]:
    return (text, note) if value is not None else (MISSING, why)


def _customer_tiles(customer: dict, churned: bool) -> html.Div:
    scored = "not scored: the customer has churned" if churned else "not scored: no churn prediction for them"
    fitted = "not estimated: the customer has churned" if churned else "not estimated: no purchase history"
    gone = "the subscription is cancelled" if churned else ""
    probability, score = finite(customer.get("churn_probability")), finite(customer.get("retention_score"))
    alive, clv = finite(customer.get("p_alive")), finite(customer.get("clv"))
    purchases = finite(customer.get("expected_purchases"))
    tiles = [
        ("Churn probability", *_shown(probability, format_value(probability, "percent"), scored)),
        ("Retention score", *_shown(score, f"{score:.0f} / 100" if score is not None else "", scored)),
        (term("P(alive)", "p_alive"), *_shown(alive, format_value(alive, "percent"), fitted, gone)),
        (term("Lifetime value", "clv"), *_shown(clv, format_value(clv, "currency"), fitted, gone)),
        ("Expected purchases", *_shown(purchases, f"{purchases:.2f}" if purchases is not None else "", fitted, gone)),
    ]
    return stat_tiles(tiles, "nf-retention-customer-tiles")


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
