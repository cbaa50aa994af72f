"""The Data page's callbacks as plain functions: sources and tables as the store has them, upload → preview →
mapping → ingest on a private copy of the company, and a specific message for every file that cannot be used."""
from __future__ import annotations

import base64

import pytest
from dash import no_update
from sqlalchemy import text

from components import ids
from data.ingest import ENTITIES, quality_report
from tests.pages.helpers import by_id, current, page_store, text_of

HEADER = ["Customer ID", "name", "email", "signup_date", "segment", "region", "channel", "plan"]


def _upload(content: bytes, mime: str = "text/csv") -> str:
    """A file as ``dcc.Upload`` hands it over: a base64 data URL."""
    return f"data:{mime};base64,{base64.b64encode(content).decode()}"


def _customers_csv(engine, bad_region_row: int) -> tuple[bytes, int]:
    """Five new customers, the ``bad_region_row``-th (1-based) in a region that does not exist; and the first id."""
    with engine.connect() as conn:
        first = conn.execute(text("SELECT max(customer_id) + 1 FROM customers")).scalar()
    lines = [",".join(HEADER)]
    for i in range(5):
        region = "Mars" if i + 1 == bad_region_row else "EMEA"
        lines.append(f"{first + i},Test Person {i},p{i}@example.com,2026-10-01,SMB,{region},Web,Plus")
    return ("\n".join(lines) + "\n").encode(), first


def _mapping_state(pages, token, entity="customers"):
    """What the mapping table offers once the file is previewed, and the choices it starts with."""
    preview, mapping, disabled, status, columns = pages.data.preview_and_map(token, entity)
    sources = [by_id(mapping, ids.data_mapping_source(column)).value for column in columns["sources"]]
    formats = [by_id(mapping, ids.data_mapping_format(column)).value for column in columns["formats"]]
    return columns, sources, formats


def test_every_source_and_table_is_listed_as_the_store_has_it(pages, company):
    grid, tables = pages.data.update_sources(None, None)
    report = quality_report(company.engine)
    assert sorted(row["source_name"] for row in by_id(grid, ids.DATA_SOURCES_GRID).rowData) == \
        sorted(report["source_name"])
    with company.engine.connect() as conn:
        customers = conn.execute(text("SELECT count(*) FROM customers")).scalar()
    rows = {row["table"]: row for row in by_id(tables, ids.child_id(ids.DATA_SOURCES, "tables")).rowData}
    assert rows["customers"]["rows"] == customers


def test_a_store_without_tables_says_how_to_upgrade_it(pages, unmigrated_store):
    for shown in (pages.data.update_sources(None, None), pages.data.update_conflicts(None, None),
                  pages.data.update_quarantine(None, None), pages.data.show_source_detail({"source": "crm"})):
        assert text_of(shown).startswith("Store needs an upgrade: ")
        assert "python -m data upgrade" in text_of(shown)


def test_a_source_drills_into_its_checks_and_an_unknown_one_says_what_to_do(pages, company):
    row = quality_report(company.engine).iloc[0]
    with_grid = pages.data.select_source([{"source_name": row["source_name"], "entity": row["entity"]}])
    assert with_grid == {"source": row["source_name"], "entity": row["entity"]}
    detail = pages.data.show_source_detail(with_grid)
    assert text_of(detail).startswith(f"{row['source_name']} Empty cells in the newest batch")
    gone = pages.data.show_source_detail({"source": "<script>gone", "entity": "orders"})
    assert text_of(gone) == ("No such source: the store has no source named '<script>gone' for 'orders'; "
                             "pick one in the sources grid above")
    assert pages.data.show_source_detail(None) is no_update and pages.data.select_source([]) is no_update


def test_an_upload_is_previewed_mapped_and_ingested_with_the_bad_row_quarantined(pages, private_company):
    content, first = _customers_csv(private_company.engine, bad_region_row=3)
    token, status = pages.data.receive_upload(_upload(content), "new_customers.csv")
    assert status is None and token["filename"] == "new_customers.csv"
    preview, mapping, disabled, shown, columns = pages.data.preview_and_map(token, "customers")
    assert disabled is False and "new_customers.csv: 5 data rows" in text_of(shown)
    assert columns["sources"] == list(ENTITIES["customers"].columns)
    columns, sources, formats = _mapping_state(pages, token)
    assert sources[columns["sources"].index("customer_id")] == "Customer ID"  # matched despite case and spacing
    summary, refresh, cleared, upload = pages.data.ingest_upload(1, token, "customers", columns, sources, formats,
                                                                 ".", 0)
    assert (refresh, cleared, upload) == (1, None, None)  # the file is gone: no second ingest by accident
    counts = {name: by_id(summary, ids.child_id(ids.DATA_INGEST_SUMMARY, name)).children
              for name in ("accepted", "quarantined")}
    assert counts == {"accepted": "4", "quarantined": "1"}
    with private_company.engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM customers WHERE customer_id >= :f"), {"f": first}).scalar()
        reason, row_number = conn.execute(text(
            "SELECT reason, row_number FROM quarantine WHERE source_name = 'new_customers.csv'")).one()
    assert stored == 4 and row_number == 3 and "Mars" in reason
    quarantined = by_id(pages.data.update_quarantine(None, None), f"{ids.DATA_QUARANTINE}-grid").rowData
    assert [(row["source_name"], row["row_number"]) for row in quarantined if "Mars" in row["reason"]] == \
        [("new_customers.csv", 3)]
    assert pages.data.download_quarantine(1)["filename"] == "quarantine.csv"


@pytest.mark.parametrize("contents, filename, message", [
    ("not a data url", "x.csv", "x.csv did not arrive as a file upload; choose the file again"),
    ("data:text/csv;base64,%%%", "x.csv", "x.csv arrived damaged (invalid base64); upload it again"),
    (_upload(b"a,b\n1,2\n"), "../../etc/passwd", "has no usable file extension; name it .csv, .tsv, .txt or .xlsx"),
])
def test_a_file_that_cannot_be_used_gets_a_clear_message(pages, company, contents, filename, message):
    token, status = pages.data.receive_upload(contents, filename)
    assert token is None and text_of(status).startswith("Cannot use this file: ")
    assert message in text_of(status)


def test_a_binary_file_is_refused_when_read_and_ingest_stays_off(pages, company):
    token, _ = pages.data.receive_upload(_upload(b"%PDF-1.7\n" + bytes(range(256)) * 4, "application/pdf"),
                                         "report.csv")
    preview, mapping, disabled, status, columns = pages.data.preview_and_map(token, "customers")
    assert (preview, mapping, disabled, columns) == (None, None, True, None)
    assert text_of(status).startswith("Cannot read this file: ") and "PDF" in text_of(status)


def test_a_file_over_the_size_limit_is_refused_before_it_is_kept(pages, tmp_path):
    small = page_store(f"sqlite:///{tmp_path / 'store.db'}", tmp_path, FORESIGHT_MAX_FILE_MB="1")
    with current(small):
        token, status = pages.data.receive_upload(_upload(b"x" * 1_100_000), "big.csv")
    assert token is None and "big.csv is larger than the 1 MB limit" in text_of(status)
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").iterdir())


def test_nothing_to_ingest_and_a_damaged_resubmission_say_so(pages, company):
    assert text_of(pages.data.ingest_upload(1, None, "customers", None, [], [], ".", 0)[0]) == \
        "Nothing to ingest: upload a file first"
    summary, refresh = pages.data.resubmit_corrected("garbage", "corrected.csv", "customers", 3)
    assert text_of(summary).startswith("Cannot re-submit: corrected.csv did not arrive as a file upload")
    assert refresh is no_update
    assert pages.data.receive_upload(None, None) == (no_update, no_update)
    assert pages.data.preview_and_map(None, "customers") == (None, None, True, no_update, None)


def test_the_layout_tolerates_any_query_string(pages, company):
    hostile = pages.data.layout(source="x" * 500, entity="\x00", upload="<script>")
    assert by_id(hostile, ids.DATA_ENTITY).value == next(iter(ENTITIES))
    shared = pages.data.layout(source="crm", entity="customers", upload="orders")
    assert by_id(shared, ids.DATA_ENTITY).value == "orders"
    assert by_id(shared, ids.DATA_SOURCE).data == {"source": "crm", "entity": "customers"}
