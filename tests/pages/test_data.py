"""The Data page's callbacks as plain functions: sources and tables as the store has them, upload → preview →
mapping → ingest on a private copy of the company, and a specific message for every file that cannot be used."""
from __future__ import annotations

import base64

import pytest
from dash import no_update
from sqlalchemy import text

from components import ids
from components.data_page import UPLOAD_ENCODING
from data.ingest import ENTITIES, quality_report
from tests.pages.helpers import by_id, current, page_store, text_of
from tests.sample_stores import copy_store

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
    kept = private_company.settings.instance_dir / "uploads"
    assert not [path for path in kept.iterdir() if path.stem.startswith(token["token"])], \
        "an ingested upload stops counting against the quota: its file is removed"
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
    download, note = pages.data.download_quarantine(1, None)  # one source in quarantine: its file, unasked
    assert download["filename"] == "quarantine-customers-new_customers.csv" and note is None


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


# --- issue 13: encodings, plausible dates and files over the limit --------------------------------------------------


def _ingest(pages, token, entity="customers", encoding="utf-8"):
    preview, mapping, disabled, status, columns = pages.data.preview_and_map(token, entity, encoding)
    sources = [by_id(mapping, ids.data_mapping_source(column)).value for column in columns["sources"]]
    formats = [by_id(mapping, ids.data_mapping_format(column)).value for column in columns["formats"]]
    return pages.data.ingest_upload(1, token, entity, columns, sources, formats, ".", 0, encoding)[0]


@pytest.mark.parametrize(("encoding", "told"), [("utf-16", '"utf-16"'), ("cp1252", '"cp1252"')])
def test_an_upload_in_another_encoding_is_told_a_choice_the_page_offers_and_reads_with_it(pages, private_company,
                                                                                        encoding, told):
    content, first = _customers_csv(private_company.engine, bad_region_row=0)
    content = content.decode().replace("Test Person 0", "Zoë Café €").encode(encoding)
    offered = [option["value"] for option in by_id(pages.data.layout(), UPLOAD_ENCODING).options]
    assert offered == ["utf-8", "cp1252", "latin-1", "utf-16"]
    token, _ = pages.data.receive_upload(_upload(content), "people.csv")
    refused = text_of(pages.data.preview_and_map(token, "customers", "utf-8")[3])
    assert refused.startswith("Cannot read this file: people.csv") and f"choose the encoding {told}" in refused
    assert "Encoding on the Data page" in refused
    summary = _ingest(pages, token, encoding=encoding)
    assert by_id(summary, ids.child_id(ids.DATA_INGEST_SUMMARY, "accepted")).children == "5"
    with private_company.engine.connect() as conn:
        name = conn.execute(text("SELECT name FROM customers WHERE customer_id = :f"), {"f": first}).scalar()
    assert name == "Zoë Café €"


def test_an_unusable_encoding_from_the_browser_is_a_message_not_a_traceback(pages, private_company):
    content, _ = _customers_csv(private_company.engine, bad_region_row=0)
    token, _ = pages.data.receive_upload(_upload(content), "people.csv")
    refused = text_of(pages.data.preview_and_map(token, "customers", "rot13")[3])
    assert refused.startswith("Cannot read this file: ") and "'rot13' is a codec but not a text encoding" in refused


def test_the_page_applies_the_plausible_date_settings(pages, company_template, tmp_path):
    store = page_store(copy_store(company_template, tmp_path), tmp_path, FORESIGHT_EARLIEST_DATE="2026-10-02")
    with current(store):
        content, _ = _customers_csv(store.engine, bad_region_row=0)
        content = content.replace(b"2026-10-01", b"1900-01-01", 1)
        token, _ = pages.data.receive_upload(_upload(content), "old_customers.csv")
        summary = _ingest(pages, token)
        with store.engine.connect() as conn:
            reasons = conn.execute(text("SELECT reason FROM quarantine WHERE source_name = 'old_customers.csv'")).all()
    assert by_id(summary, ids.child_id(ids.DATA_INGEST_SUMMARY, "quarantined")).children == "5"
    assert any("`signup_date` = 1900-01-01 is before the earliest accepted date 2026-10-02" in reason
               for (reason,) in reasons)


def test_a_file_the_browser_held_back_for_its_size_is_named_with_its_size_and_the_limit(pages, company):
    limit = company.settings.ingest_limits.max_bytes
    shown = text_of(pages.data.report_rejected_upload({"filename": "big.csv", "size": 60 * 1024 * 1024}))
    assert shown == (f"File too large: big.csv is 60 MB, over the {limit // (1024 * 1024)} MB limit for one file "
                     "(FORESIGHT_MAX_FILE_MB); split it, or ingest it with `python -m data ingest` on the server "
                     "(where an operator can raise FORESIGHT_MAX_FILE_MB)")
    resubmit = text_of(pages.data.report_rejected_resubmission({"filename": "fixed.csv", "size": limit + 1}))
    assert resubmit.startswith(f"File too large: fixed.csv is {limit + 1:,} bytes, over the {limit:,}-byte (50 MB) "
                               "limit for one file")  # not "50 MB, over the 50 MB limit"
    wrong = text_of(pages.data.report_rejected_upload({"filename": "slides.pdf", "size": 10, "type": True}))
    assert wrong == ("Not a data file: slides.pdf is not a file this page reads; upload a .csv, .tsv, .txt, .xlsx, "
                     ".xlsm, .json or .jsonl file")
    assert pages.data.report_rejected_upload(None) is no_update
    assert pages.data.report_rejected_upload({"filename": "<b>x</b>", "size": "lots"}) is no_update


def test_the_quarantine_download_is_one_source_so_it_goes_back_in_unedited(pages, private_company):
    from data.ingest import ingest, mapping_from_dict

    for name, bad_row in (("crm_a.csv", 2), ("crm_b.csv", 4)):
        content, _ = _customers_csv(private_company.engine, bad_region_row=bad_row)
        result = ingest(private_company.engine, "customers", content, filename=name, mapping=mapping_from_dict(
            {"columns": {"customer_id": "Customer ID"}}, entity="customers"))
        assert result.quarantined == 1, result.summary()
    download, note = pages.data.download_quarantine(1, None)
    assert download is no_update
    assert text_of(note) == ("Pick a source first: open rows come from 2 sources (crm_a.csv, crm_b.csv); select one in "
                             "the Sources grid above and download again (a corrected file goes back one source at a "
                             "time)")
    download, note = pages.data.download_quarantine(1, {"source": "crm_b.csv", "entity": "customers"})
    assert download["filename"] == "quarantine-customers-crm_b.csv" and note is None
    assert "crm_b.csv" in download["content"] and "crm_a.csv" not in download["content"]
    summary, refresh = pages.data.resubmit_corrected(_upload(download["content"].encode()), download["filename"],
                                                     "customers", 0)
    assert not text_of(summary).startswith("Nothing was written"), text_of(summary)
    assert by_id(summary, ids.child_id(ids.DATA_INGEST_SUMMARY, "quarantined")).children == "1"  # still Mars
