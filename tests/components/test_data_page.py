"""Data page builders and the shared grid: nothing hidden, counts readable, CSV raw."""
from __future__ import annotations

import pandas as pd

from components import ids
from components.data_page import data_layout, ingest_summary, quarantine_grid, sources_grid
from tests.layout_walk import walk
from components.grid import data_grid


def _report(n: int) -> pd.DataFrame:
    return pd.DataFrame({"source_name": [f"source {i}" for i in range(n)], "entity": "orders",
                         "last_status": "committed", "quality_score": 0.97, "accepted": [1_234_567 + i for i in range(n)],
                         "quarantined": 3, "open_quarantine": 0, "duplicates": 0, "conflicts": 12_000,
                         "last_success_at": "2026-11-30 10:00", "newest_business_date": "2026-11-29"})


def test_sources_grid_shows_every_source_without_a_scrollbar_and_counts_with_separators():
    grid = sources_grid(_report(6))
    assert len(grid.rowData) == 6
    assert grid.dashGridOptions["domLayout"] == "autoHeight" and "height" not in grid.style
    columns = {c["field"]: c for c in grid.columnDefs}
    assert "d3.format(',d')" in columns["accepted"]["valueFormatter"]["function"]
    assert "d3.format(',.2~f')" in columns["quality_score"]["valueFormatter"]["function"]
    assert "valueFormatter" not in columns["source_name"]
    assert grid.defaultColDef["wrapHeaderText"] and grid.defaultColDef["autoHeaderHeight"]
    assert grid.defaultColDef["useValueFormatterForExport"] is False  # CSV holds 1234567, not "1,234,567"


def test_a_long_grid_scrolls_inside_a_fixed_height_and_ids_get_no_separators():
    frame = pd.DataFrame({"customer_id": range(50), "amount": [1000.5] * 50})
    grid = data_grid("g", frame, file_name="g.csv", height=300, page_size=20)
    assert grid.style == {"height": "300px"} and "domLayout" not in grid.dashGridOptions
    columns = {c["field"]: c for c in grid.columnDefs}
    assert "valueFormatter" not in columns["customer_id"] and "valueFormatter" in columns["amount"]


def test_quarantine_reasons_wrap_instead_of_being_cut():
    rows = pd.DataFrame({"id": [1], "row_number": [4], "reason": ["`amount` = 'n/a': not a number: text " * 4]})
    columns = {c["field"]: c for c in quarantine_grid("q", rows, "q.csv").columnDefs}
    assert columns["reason"]["wrapText"] and columns["reason"]["autoHeight"]
    assert "wrapText" not in columns["row_number"]


def test_ingest_summary_lists_the_warnings_under_the_counts():
    summary = {"accepted": 1200, "quarantined": 12, "duplicates": 0, "conflicts": 0, "rejected_reason": None,
               "warnings": ["12 values in column `unit_price` are not numbers, rows 4, 9, ..."]}
    body = ingest_summary(summary)
    counts, notes = body.children
    assert counts.children[0].children[1].children == "1,200"
    assert notes.id == f"{ids.DATA_INGEST_SUMMARY}-notes"
    assert [li.children for li in notes.children] == summary["warnings"]
    assert ingest_summary({**summary, "warnings": []}).className == "nf-kpi-grid"


def test_headers_wrap_between_words_because_columns_fit_their_longest_word():
    columns = {c["field"]: c for c in sources_grid(_report(2)).columnDefs}
    assert columns["quarantined"]["minWidth"] == round(7.5 * len("quarantined") + 52)
    assert columns["newest_business_date"]["minWidth"] == columns["quality_score"]["minWidth"] + 8  # "business"
    assert sum(c["minWidth"] for c in columns.values()) <= 1300  # the sources fit a 1400 px window


def test_the_upload_states_the_real_limit_and_enforces_it_in_the_browser():
    layout = data_layout(["customers", "orders"], 500 * 1024, "500 KB")
    upload = next(node for node in walk(layout) if getattr(node, "id", None) == ids.DATA_UPLOAD)
    assert upload.max_size == 500 * 1024
    assert "(up to 500 KB)." in str(upload.children)


def _node(layout, component_id):
    return next(node for node in walk(layout) if getattr(node, "id", None) == component_id)


def test_both_uploads_report_a_file_over_the_limit_instead_of_dropping_it():
    from components.data_page import RESUBMIT_REJECTED, UPLOAD_REJECTED

    layout = data_layout(["customers"], 500 * 1024, "500 KB")
    for upload_id, report in ((ids.DATA_UPLOAD, UPLOAD_REJECTED), (ids.DATA_RESUBMIT, RESUBMIT_REJECTED)):
        zone = next(node for node in walk(layout) if upload_id in [getattr(c, "id", None) for c in walk(node)][1:]
                    and "data-max-bytes" in node.to_plotly_json()["props"])
        props = zone.to_plotly_json()["props"]
        assert props["data-max-bytes"] == 500 * 1024 and props["data-report"] == report
        assert props["data-accept"] == _node(layout, upload_id).accept
        assert _node(layout, upload_id).max_size == 500 * 1024
        assert _node(layout, report).to_plotly_json()["type"] == "Store"  # what assets/upload-limit.js fills


def test_the_upload_offers_the_encodings_its_messages_name():
    from components.data_page import UPLOAD_ENCODING

    encoding = _node(data_layout(["customers"], 1024, "1 KB"), UPLOAD_ENCODING)
    assert [o["value"] for o in encoding.options] == ["utf-8", "cp1252", "latin-1", "utf-16"]
    assert encoding.value == "utf-8" and not encoding.clearable
