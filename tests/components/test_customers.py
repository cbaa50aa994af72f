"""The at-risk grid, its CSV and the customer panel: called on small frames, asserted on structure."""
from __future__ import annotations

import numpy as np
import pandas as pd
from dash import dcc, html

from components import ids
from components.churn_figures import customer_history_figure
from components.customers import AT_RISK_COLUMNS, AT_RISK_GRID_COLUMNS, at_risk_export, at_risk_table, customer_panel
from components.format import MISSING
from components.glossary import definition
from components.grid import SAFE_CSV_EXPORT
from data.csv_safe import safe_csv
from tests.components.helpers import assert_empty_with_message, by_id as _by_id, glossary_terms as _terms, \
    texts as _texts
from tests.layout_walk import walk as _walk


def _at_risk() -> pd.DataFrame:
    """Three customers as RetentionAnalyzer.top_at_risk lists them: most value at risk first."""
    return pd.DataFrame({"customer_id": [7, 3, 9], "segment": ["SMB", "Consumer", "Enterprise"],
                         "region": ["EMEA", "NA", "APAC"], "plan": ["Plus", "Basic", "Premium"],
                         "orders": [12, 3, 0], "churn_probability": [0.355, 0.83, 0.12],
                         "risk": ["medium", "high", "medium"], "retention_score": [65, 17, 88],
                         "clv": [4100.5, 1200.25, np.nan], "value_at_risk": [1455.6775, 996.2075, np.nan],
                         "top_reason": ["No orders in the last 90 days raises risk",
                                        "About 6 support tickets a year raises risk", ""]})


def test_at_risk_table_keeps_the_value_at_risk_order_states_the_rule_and_formats():
    panel = at_risk_table(_at_risk(), base_rate=0.075, horizon_days=90)
    by_id = _by_id(panel)
    grid = by_id[ids.RETENTION_AT_RISK]
    assert [r["customer_id"] for r in grid.rowData] == [7, 3, 9]
    assert grid.rowData[2]["clv"] is None and grid.rowData[0]["churn_probability"] == 0.355  # raw numbers sort
    assert grid.rowData[0]["retention_score"] == 65  # exported, though not a grid column
    columns = {c["field"]: c for c in grid.columnDefs}
    assert list(columns) == list(AT_RISK_GRID_COLUMNS) and "sort" not in columns["churn_probability"]
    assert "d3.format('.1%')" in columns["churn_probability"]["valueFormatter"]["function"]
    assert "d3.format('$,.0f')" in columns["clv"]["valueFormatter"]["function"]
    assert columns["clv"]["headerName"] == "CLV" and columns["value_at_risk"]["headerName"] == "Value at risk"
    assert columns["top_reason"]["wrapText"] and columns["top_reason"]["autoHeight"]
    # every column's minimum fits the at-risk card at 1400 px (about 1,300 px of grid), so nothing scrolls away
    assert sum(c.get("minWidth", 110) for c in grid.columnDefs) <= 1300
    assert set(columns["risk"]["cellClassRules"]) == {"nf-risk-high", "nf-risk-medium", "nf-risk-low"}
    assert grid.dashGridOptions["rowSelection"] == {"mode": "singleRow", "enableClickSelection": True}
    note = " ".join(_texts(panel))
    assert "ranked by value at risk = P(churn) × CLV" in note and "7.50% churned in the latest 90 days" in note
    assert by_id[ids.RETENTION_EXPORT_BTN].children == "Export CSV"
    assert isinstance(by_id[ids.RETENTION_AT_RISK_DOWNLOAD], dcc.Download)
    empty = _by_id(at_risk_table(_at_risk().iloc[:0]))
    assert empty[ids.RETENTION_AT_RISK].rowData == [] and ids.RETENTION_EXPORT_BTN in empty


def test_at_risk_export_holds_raw_numbers_and_empty_cells_for_missing_values():
    rows = at_risk_table(_at_risk()).children[1].rowData
    lines = safe_csv(at_risk_export(rows)).splitlines()
    assert lines[0] == ",".join(AT_RISK_COLUMNS)
    assert lines[1] == "7,SMB,EMEA,Plus,12,0.355,medium,65,4100.5,1455.68,No orders in the last 90 days raises risk"
    assert lines[3] == "9,Enterprise,APAC,Premium,0,0.12,medium,88,,,"
    assert "%" not in "".join(lines) and MISSING not in "".join(lines) and "$" not in "".join(lines)
    assert safe_csv(at_risk_export([])).splitlines() == [",".join(AT_RISK_COLUMNS)]


def _customer(**changes) -> dict:
    customer = {"customer_id": 42, "segment": "SMB", "region": "EMEA", "channel": "web", "plan": "Plus",
                "signup_date": "2023-05-02", "status": "active", "churn_probability": 0.37, "retention_score": 63.0,
                "p_alive": 0.81, "clv": 930.0, "expected_purchases": 2.345}
    return {**customer, **changes}


def _reasons() -> pd.DataFrame:
    return pd.DataFrame({"direction": ["raises risk", "raises risk", "lowers risk"],
                         "feature": ["tickets_per_year", "orders_90d", "tenure_days"], "value": [6.0, 0, 812.5],
                         "shap": [0.11, 0.42, -0.3],
                         "reason": ["About 6 support tickets a year raises risk",
                                    "No orders in the last 90 days raises risk", "A customer for 2.2 years lowers risk"]})


def test_customer_panel_shows_scores_history_and_reasons_in_words():
    history = pd.DataFrame({"order_date": pd.to_datetime(["2024-01-03", "2024-01-03", "2024-03-09"]),
                            "revenue": [20.0, 5.5, 40.0]})
    panel = customer_panel(_customer(), history, _reasons())
    texts = _texts(panel)
    assert {"Customer 42", "active", "37.00%", "63 / 100", "81.00%", "$930.00", "2.35"} <= set(texts)
    items = [" ".join(str(getattr(part, "children", part)) for part in c.children)
             for c in _walk(panel) if isinstance(c, html.Li)]
    assert items == ["No orders in the last 90 days raises risk   (+0.42)",
                     "About 6 support tickets a year raises risk   (+0.11)",
                     "A customer for 2.2 years lowers risk   (-0.30)"]
    graph = _by_id(panel)[ids.RETENTION_CUSTOMER_HISTORY]
    assert isinstance(graph, dcc.Graph) and graph.figure["data"][0]["y"] == [25.5, 40.0]


def test_customer_panel_of_a_churned_customer_shows_dashes_and_why():
    customer = _customer(status="churned on 2024-06-01", churn_probability=None, retention_score=None,
                         p_alive=np.nan, clv=None, expected_purchases=None)
    texts = _texts(customer_panel(customer, pd.DataFrame(columns=["order_date", "revenue"]), _reasons().iloc[:0]))
    assert texts.count(MISSING) == 5
    assert "not scored: the customer has churned" in texts and "not estimated: the customer has churned" in texts
    assert any(t.startswith("No churn reasons: the customer has churned") for t in texts)
    assert_empty_with_message(customer_history_figure(pd.DataFrame(columns=["order_date", "revenue"])), "No orders")


def test_customer_panel_of_a_churned_customer_shows_the_known_zero_value():
    customer = _customer(status="churned on 2024-06-01", churn_probability=None, retention_score=None,
                         p_alive=0.0, clv=0.0, expected_purchases=0.0)
    texts = _texts(customer_panel(customer, pd.DataFrame(columns=["order_date", "revenue"]), _reasons().iloc[:0]))
    assert texts.count(MISSING) == 2  # churn probability and retention score: not scored
    assert texts.count("the subscription is cancelled") == 3 and "0.00" in texts


def test_customer_terms_explain_themselves_on_hover_and_focus():
    panel = _terms(customer_panel(_customer(), pd.DataFrame(columns=["order_date", "revenue"]), _reasons()))
    assert panel["P(alive)"] == definition("p_alive") and panel["Lifetime value"] == definition("clv")
    assert "SHAP" in panel
    grid = at_risk_table(_at_risk()).children[1]
    assert {c["field"]: c.get("headerTooltip") for c in grid.columnDefs}["clv"] == definition("clv")


def test_the_at_risk_grids_own_csv_export_neutralises_formula_cells():
    grid = _by_id(at_risk_table(_at_risk()))[ids.RETENTION_AT_RISK]
    assert grid.csvExportParams == {"fileName": "at-risk-customers.csv", **SAFE_CSV_EXPORT}
    assert SAFE_CSV_EXPORT["processCellCallback"] == {"function": "csvSafeCell(params)"}  # assets/csv-safe.js
