"""The browser's CSV exports are safe to open in a spreadsheet (issue 13, item 12): a chart's "CSV", the at-risk
grid's Export CSV (server-side, from the rows the grid shows) and AG Grid's own export all neutralise text that a
spreadsheet would run as a formula, quote line breaks, and leave numbers (negative ones too) as numbers."""
from __future__ import annotations

import csv
import io
import os

from components import ids
from components.charts import FIGURE_CSV_JS
from tests.browser.helpers import assert_clean_console, plot_data, scroll_to
from tests.browser.test_retention import _open as open_retention

HOSTILE = '=HYPERLINK("http://evil.example","x")'
_TRACES = [{"type": "bar", "name": HOSTILE, "x": ["@SUM(A1)", "+1", "-2+3", "\tTab", "a\rb", "'kept"],
            "y": [1, -5, 2.5, 0, 3, 4], "text": ["-5", "'=x", "", "", "", ""]}]
_EXPECTED = [["series", "x", "y", "text"],
             ["'" + HOSTILE, "'@SUM(A1)", "1", "-5"], ["'" + HOSTILE, "'+1", "-5", "''=x"],
             ["'" + HOSTILE, "'-2+3", "2.5", ""], ["'" + HOSTILE, "'\tTab", "0", ""],
             ["'" + HOSTILE, "a\rb", "3", ""], ["'" + HOSTILE, "'kept", "4", ""]]
_AT_RISK_ROWS = [{"customer_id": 1, "segment": HOSTILE, "region": "@SUM(A1)", "plan": "+Plus\r\nx", "orders": -1,
                  "churn_probability": 0.5, "risk": "high", "retention_score": 50, "clv": -10.5,
                  "value_at_risk": 5.25, "top_reason": "-2+3 days"}]


def test_a_chart_csv_neutralises_formula_cells(dash_duo, nf_app):
    dash_duo.start_server(nf_app)
    plot_data(dash_duo, ids.OVERVIEW_TREND)  # the page and its assets are loaded
    text = dash_duo.driver.execute_script(f"return ({FIGURE_CSV_JS.strip()})(arguments[0]);", _TRACES)
    assert list(csv.reader(io.StringIO(text, newline=""))) == _EXPECTED
    assert_clean_console(dash_duo)


def _open_retention(dash_duo, nf_app) -> None:
    open_retention(dash_duo, nf_app)
    dash_duo.wait_for_element(f"#{ids.RETENTION_AT_RISK} .ag-row", timeout=30)
    # hostile rows, as a customers source could deliver them, shown by the grid itself
    dash_duo.driver.execute_script(
        "dash_ag_grid.getApi(arguments[0]).setGridOption('rowData', arguments[1]);", ids.RETENTION_AT_RISK,
        _AT_RISK_ROWS)
    dash_duo._wait_for(lambda d: d.execute_script(
        "const api = dash_ag_grid.getApi(arguments[0]); return api.getDisplayedRowCount() === 1"
        " && api.getDisplayedRowAtIndex(0).data.region;", ids.RETENTION_AT_RISK) == "@SUM(A1)", timeout=10,
        msg="the grid does not show the hostile row")


def _downloaded(dash_duo, before: set[str]) -> list[dict]:
    """The rows of the next finished download (Chrome names a second at-risk-customers.csv "... (1).csv")."""
    folder = dash_duo.download_path

    def new_files() -> list[str]:
        return [n for n in set(os.listdir(folder)) - before if n.startswith("at-risk-customers")
                and n.endswith(".csv") and os.path.getsize(os.path.join(folder, n)) > 0]

    dash_duo._wait_for(lambda _: new_files(), timeout=20, msg="no at-risk CSV was downloaded")
    with open(os.path.join(folder, new_files()[0]), newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_at_risk_export_neutralises_formula_cells(dash_duo, nf_app):
    _open_retention(dash_duo, nf_app)
    button = dash_duo.find_element(f"#{ids.RETENTION_EXPORT_BTN}")
    scroll_to(dash_duo, button)
    before = set(os.listdir(dash_duo.download_path))
    button.click()
    exported = _downloaded(dash_duo, before)
    assert len(exported) == 1, "the line break inside a cell stays inside it"
    row = exported[0]
    assert (row["segment"], row["region"], row["plan"], row["top_reason"]) == (
        "'" + HOSTILE, "'@SUM(A1)", "'+Plus\r\nx", "'-2+3 days")
    assert (row["orders"], row["clv"]) == ("-1", "-10.5"), "numbers are never prefixed"
    assert_clean_console(dash_duo)


def test_the_grids_own_export_neutralises_formula_cells(dash_duo, nf_app):
    """AG Grid's exportDataAsCsv goes through assets/csv-safe.js (its own test: Chrome holds back a second
    download that no click started)."""
    _open_retention(dash_duo, nf_app)
    before = set(os.listdir(dash_duo.download_path))
    dash_duo.driver.execute_script(
        "window.dash_clientside.set_props(arguments[0], {exportDataAsCsv: true});", ids.RETENTION_AT_RISK)
    grid_rows = _downloaded(dash_duo, before)
    assert len(grid_rows) == 1
    cells = list(grid_rows[0].values())
    assert "'" + HOSTILE in cells and "'@SUM(A1)" in cells and "'+Plus\r\nx" in cells and "'-2+3 days" in cells
    assert "-1" in cells and not [c for c in cells if c[:1] in "=+@\t\r" and c], cells
    assert_clean_console(dash_duo)
