"""The pages' CSV downloads are safe to open in a spreadsheet (issue 13, item 12): the at-risk export and the
forecast download, called as plain functions with hostile text in the cells a data source controls."""
from __future__ import annotations

import csv
import io

import pandas as pd

from analytics.forecasting import DemandForecast
from core.cache import cache, cache_key
from tests.pages.helpers import current

HOSTILE = '=HYPERLINK("http://evil.example","x")'


def _cells(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_at_risk_export_neutralises_formula_cells_and_keeps_numbers(pages):
    rows = [{"customer_id": 3, "segment": HOSTILE, "region": "@SUM(A1)", "plan": "+Plus\r\nx", "orders": -1,
             "churn_probability": 0.35512, "clv": -120.456, "value_at_risk": 42.77, "top_reason": "-2+3 days"}]
    exported = _cells(pages.retention.export_at_risk(1, rows)["content"])
    assert len(exported) == 1
    row = exported[0]
    assert (row["segment"], row["region"], row["plan"], row["top_reason"]) == (
        "'" + HOSTILE, "'@SUM(A1)", "'+Plus\r\nx", "'-2+3 days")
    assert (row["orders"], row["clv"], row["churn_probability"]) == ("-1", "-120.46", "0.3551")


def _hostile_forecast() -> DemandForecast:
    days = pd.date_range("2026-01-01", periods=2)
    nodes = ("total", HOSTILE, "-EMEA")
    forecast = pd.DataFrame({"unique_id": [n for n in nodes for _ in days], "ds": list(days) * 3,
                             "mean": [10.0, -2.5, 4.0, 5.0, 6.0, 7.0], "lo-80": [9.0] * 6, "hi-80": [11.0] * 6,
                             "model": ["ensemble"] * 6})
    empty = pd.DataFrame()
    return DemandForecast(metric="revenue", h=2, levels=(80,), as_of=days[0], nodes=nodes,
                          parents=(None, "total", "total"), node_levels=("total", "region", "region"),
                          history=empty, forecast=forecast, backtest=empty, effects=empty, events=empty,
                          assumptions=(), reconciliation="", seconds=0.0)


def test_the_forecast_download_neutralises_node_names(pages, shared_company):
    params = {"metric": "revenue", "h": 2}
    with current(shared_company):
        cache.set(cache_key(pages.forecast.FORECAST_JOB.compute, 987654, params), _hostile_forecast())
        sent = pages.forecast.download_forecast(1, {"version": 987654, "params": params})
    rows = _cells(sent["content"])
    assert [row["node"] for row in rows] == ["total"] * 2 + ["'" + HOSTILE] * 2 + ["'-EMEA"] * 2
    assert [row["revenue"] for row in rows][:2] == ["10.0", "-2.5"], "negative numbers stay numbers"
    assert rows[0]["date"] == "2026-01-01"
