"""read_source over every connector: round trips, row numbers, and each kind of bad input."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3

import pandas as pd
import pytest
from sqlalchemy import create_engine, make_url

from data.ingest.connectors import CONNECTORS, DataConnector, SourceError, get_connector, read_source, register_connector
from data.ingest.connectors.base import numbered
from data.ingest.contract import IngestLimits
from data.ingest.mapping import mapping_from_dict
from data.store import engine_url
from tests.services import free_port

HEADER = "order_id,customer_id,order_date,product_id,quantity,unit_price"


def orders_frame(rows: int = 5) -> pd.DataFrame:
    """Canonical order lines with every optional column, typed the way SourceFrame returns them."""
    return pd.DataFrame({
        "order_id": pd.array(range(1, rows + 1), dtype="Int64"),
        "customer_id": pd.array([10 + i % 3 for i in range(rows)], dtype="Int64"),
        "order_date": pd.to_datetime([dt.date(2024, 1, 1 + i) for i in range(rows)]),
        "product_id": pd.array([100 + i for i in range(rows)], dtype="Int64"),
        "quantity": pd.array([1 + i % 4 for i in range(rows)], dtype="Int64"),
        "unit_price": [9.99 + i for i in range(rows)],
        "discount": [0.0, 0.1, 0.0, 0.25, 0.0][:rows],
        "line_number": pd.array([1] * rows, dtype="Int64"),
        "channel": ["Web", "Mobile", "Retail", "Partner", "Web"][:rows],
        "promo_id": pd.array([None, 7, None, 8, None][:rows], dtype="Int64"),
        "updated_at": pd.to_datetime([dt.datetime(2024, 2, 1, 12, 30, i) for i in range(rows)]),
    })


def reason(entity: str, source, **options) -> str:
    with pytest.raises(SourceError) as raised:
        read_source(entity, source, **options)
    assert "\n" not in raised.value.reason
    return raised.value.reason


# --- round trips -------------------------------------------------------------------


def test_csv_round_trip(tmp_path):
    expected = orders_frame()
    path = tmp_path / "orders.csv"
    text = expected.assign(order_date=expected.order_date.dt.strftime("%Y-%m-%d"),
                           updated_at=expected.updated_at.dt.strftime("%Y-%m-%dT%H:%M:%S"))
    text.to_csv(path, index=False)
    result = read_source("orders", path)
    assert result.entity == "orders" and result.source_name == "orders.csv"
    pd.testing.assert_frame_equal(result.frame, expected)
    assert result.row_numbers.tolist() == [1, 2, 3, 4, 5]
    assert result.errors.empty and list(result.errors.columns) == ["row_number", "column", "value", "reason"]
    assert result.extra_columns == ()


def test_parquet_round_trip_keeps_types(tmp_path):
    expected = orders_frame()
    source = expected.assign(
        order_id=expected.order_id.astype("int64"),
        order_date=[day.date() for day in expected.order_date],  # Parquet date32 -> datetime.date objects
    )
    path = tmp_path / "orders.parquet"
    source.to_parquet(path, index=False)
    result = read_source("orders", path)
    pd.testing.assert_frame_equal(result.frame, expected)
    assert result.row_numbers.tolist() == [1, 2, 3, 4, 5] and result.errors.empty


def test_excel_round_trip_and_row_numbers_skip_blank_rows(tmp_path):
    expected = orders_frame(4)
    path = tmp_path / "orders.xlsx"
    with_gap = pd.concat([expected.iloc[:2], pd.DataFrame([{}]), expected.iloc[2:]], ignore_index=True)
    with_gap.to_excel(path, index=False, sheet_name="Lines")
    result = read_source("orders", path)
    pd.testing.assert_frame_equal(result.frame, expected)
    assert result.row_numbers.tolist() == [1, 2, 4, 5], "spreadsheet row n + 1 is data row n"


def test_excel_sheet_by_name_and_a_missing_sheet(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"note": ["cover"]}).to_excel(writer, sheet_name="Cover", index=False)
        orders_frame(2).to_excel(writer, sheet_name="Orders", index=False)
    mapping = tmp_path / "m.toml"
    mapping.write_text('[excel]\nsheet = "Orders"\n')
    assert len(read_source("orders", path, mapping=mapping).frame) == 2
    mapping.write_text('[excel]\nsheet = "Lines"\n')
    assert reason("orders", path, mapping=mapping) == (
        "book.xlsx has no sheet 'Lines'; its sheets are 'Cover', 'Orders'; set [excel] sheet in the mapping")


def test_upload_from_memory_uses_the_filename(tmp_path):
    content = f"{HEADER}\n1,2,2024-03-01,3,4,5.5\n".encode()
    for source in (io.BytesIO(content), content):
        result = read_source("orders", source, filename="upload.csv")
        assert result.source_name == "upload.csv" and result.frame.order_id.tolist() == [1]
    (tmp_path / "named.csv").write_bytes(content)
    with open(tmp_path / "named.csv", "rb") as handle:
        assert read_source("orders", handle).source_name == "named.csv", "an open file names itself"
    assert reason("orders", io.BytesIO(content)).startswith(
        "cannot read an in-memory upload without a filename (pass filename='name.csv'): unsupported source type")


def test_tsv_defaults_to_tabs_and_headers_match_ignoring_case():
    content = f"{HEADER.upper().replace(',', chr(9))}\n1\t2\t2024-03-01\t3\t4\t5.5\n".encode()
    result = read_source("orders", content, filename="lines.tsv")
    assert result.frame.unit_price.tolist() == [5.5]


def test_extra_columns_are_reported_not_an_error():
    content = f"Region,{HEADER},notes\nEMEA,1,2,2024-03-01,3,4,5.5,gift\n".encode()
    result = read_source("orders", content, filename="o.csv")
    assert result.extra_columns == ("Region", "notes")
    assert list(result.frame.columns) == HEADER.split(",") + ["discount"]


def test_row_numbers_count_blank_lines_and_point_at_bad_cells():
    content = f"{HEADER}\n1,2,2024-03-01,3,4,5.5\n\n2,2,2024-03-32,3,-1,5.5\n3,2,2024-03-02,3,2.5,x\n".encode()
    result = read_source("orders", content, filename="o.csv")
    assert result.row_numbers.tolist() == [1, 3, 4]
    errors = result.errors.set_index(["row_number", "column"])
    assert errors.loc[(3, "order_date"), "value"] == "2024-03-32"
    assert errors.loc[(4, "quantity"), "reason"] == "not a whole number"
    assert errors.loc[(4, "unit_price"), "value"] == "x"
    assert len(result.frame) == 3, "rows with bad cells are kept for the validator to quarantine"
    assert result.frame.quantity.tolist()[1] == -1, "range checks are the validator's job"
    assert result.frame.order_date.isna().tolist() == [False, True, False]


# --- bad files ------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "o.csv is empty (0 bytes)"),
    (f"{HEADER}\n".encode(), "o.csv has a header but no data rows"),
    (b"\n\n", "o.csv has no header row (it is blank)"),
    (b"PK\x03\x04\x14\x00rest", "o.csv is not a text file: it is a ZIP archive (an Excel .xlsx workbook?)"),
    (b"%PDF-1.7\n...", "o.csv is not a text file: it is a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "o.csv is not a text file: it is a PNG image"),
    (b"order_id\x00\x01\x02", "o.csv is not a text file: it holds NUL bytes (the first at offset 8)"),
    (b"\xff\xfeo\x00r\x00", 'o.csv is UTF-16 text; choose the encoding "utf-16" (Encoding on the Data page, or '
                            '[csv] encoding = "utf-16" in a mapping)'),
])
def test_unreadable_files(content, expected):
    assert reason("orders", content, filename="o.csv").startswith(expected)


def test_wrong_delimiter_is_named():
    content = f"{HEADER.replace(',', ';')}\n1;2;2024-03-01;3;4;5,5\n".encode()
    assert reason("orders", content, filename="o.csv") == (
        "o.csv looks ';'-delimited, not ','-delimited: its header 'order_id;customer_id;order_date;product_id;"
        "quantity;unit_pri' reads as one column; set [csv] delimiter = \";\" in the mapping")


def test_wrong_encoding_names_byte_offset_and_line():
    content = f"{HEADER},city\n1,2,2024-03-01,3,4,5.5,Köln\n".encode("latin-1")
    offset = content.index(b"\xf6")
    assert reason("orders", content, filename="o.csv") == (
        f"o.csv is not valid utf-8 text: byte 0xf6 at offset {offset} (line 2) cannot be decoded; it reads as 'ö' "
        "in cp1252 (Windows Western European, the usual encoding of files saved on Windows): choose the encoding "
        "\"cp1252\" (Encoding on the Data page, or [csv] encoding = \"cp1252\" in a mapping)")


def test_file_cut_off_mid_row():
    short_last = f"{HEADER}\n1,2,2024-03-01,3,4,5.5\n2,2,2024-03".encode()
    assert reason("orders", short_last, filename="o.csv") == (
        "o.csv looks cut off: its last row (line 3) has 3 of 6 fields; export or upload the complete file again")
    open_quote = f'{HEADER},note\n1,2,2024-03-01,3,4,5.5,ok\n2,2,2024-03-01,3,4,5.5,"gift for\n'.encode()
    assert reason("orders", open_quote, filename="o.csv").startswith(
        "o.csv looks cut off: the quoted field that starts on line 3 is never closed")


def test_rows_with_the_wrong_number_of_fields_are_named():
    rows = ["1,2,2024-03-01,3,4,5.5", "2,2,2024-03-01,3,4,5,5", "3,2,2024-03-01,3,4,5,5", "4,1,2024-03-01,3,4,5"]
    content = "\n".join([HEADER, *rows]) + "\n"
    assert reason("orders", content.encode(), filename="o.csv") == (
        "o.csv: line 3 has 7 fields but the header has 6 (and 1 more such line); "
        "quote values that contain the delimiter")


def test_size_limit_is_checked_before_reading(tmp_path):
    class Unreadable(io.BytesIO):
        def read(self, *args):
            raise AssertionError("the size limit must be checked before reading")

    big = Unreadable(b"x" * 3000)
    limits = IngestLimits(max_bytes=2048)
    assert reason("orders", big, filename="big.csv", limits=limits) == (
        "big.csv is 2.9 KB, over the 2 KB limit; split it or raise FORESIGHT_MAX_FILE_MB")
    path = tmp_path / "big.csv"
    path.write_bytes(b"y" * (3 * 1024 * 1024))
    assert reason("orders", path, limits=IngestLimits(max_bytes=2 * 1024 * 1024)) == (
        "big.csv is 3 MB, over the 2 MB limit; split it or raise FORESIGHT_MAX_FILE_MB")


def test_row_limit_for_every_file_type(tmp_path):
    frame = orders_frame(5)
    limits = IngestLimits(max_rows=4)
    frame.to_csv(tmp_path / "o.csv", index=False)
    frame.to_parquet(tmp_path / "o.parquet", index=False)
    frame.to_excel(tmp_path / "o.xlsx", index=False)
    for name in ("o.csv", "o.parquet", "o.xlsx"):
        assert reason("orders", tmp_path / name, limits=limits) == (
            f"{name} has more than 4 data rows, the limit; split it or raise FORESIGHT_MAX_ROWS")
    assert len(read_source("orders", tmp_path / "o.csv", limits=IngestLimits(max_rows=5)).frame) == 5


def test_missing_required_columns_lists_them_and_what_was_found():
    content = b"order_id,customer_id,Date,product_id\n1,2,2024-03-01,3\n"
    assert reason("orders", content, filename="o.csv") == (
        "o.csv is missing required column(s) order_date, quantity, unit_price for orders; columns found: "
        "'order_id', 'customer_id', 'Date', 'product_id'; rename them or map them in a mapping file "
        '([columns] order_date = "Your header")')


def test_two_headers_for_one_column_are_ambiguous():
    content = f"{HEADER.replace('quantity', 'Quantity')},QUANTITY\n1,2,2024-03-01,3,4,5.5,4\n".encode()
    assert reason("orders", content, filename="o.csv").startswith(
        "o.csv has 2 columns that could be quantity: 'Quantity', 'QUANTITY'; rename one or map quantity exactly")
    exact = f"{HEADER},Quantity\n1,2,2024-03-01,3,4,5.5,4\n".encode()
    assert read_source("orders", exact, filename="o.csv").extra_columns == ("Quantity",), "an exact name wins"


@pytest.mark.parametrize(("name", "expected"), [
    ("orders.xml", "cannot read 'orders.xml': unsupported source type; supported: .csv, .tsv and .txt"),
    ("orders.json", "orders.json is not valid JSON: Expecting value at line 1, column 1"),
    ("orders.xls", "orders.xls is an Excel 97-2003 workbook, which is not supported; save it as .xlsx or CSV"),
    ("orders.parquet", "orders.parquet is not a Parquet file: it is something else (text?)"),
    ("orders.xlsx", "orders.xlsx is not an Excel .xlsx workbook: it is something else (text?)"),
])
def test_wrong_file_types(name, expected):
    assert reason("orders", f"{HEADER}\n1,2,2024-03-01,3,4,5.5\n".encode(), filename=name).startswith(expected)


def test_truncated_parquet_and_xlsx(tmp_path):
    orders_frame().to_parquet(tmp_path / "o.parquet")
    orders_frame().to_excel(tmp_path / "o.xlsx")
    for name in ("o.parquet", "o.xlsx"):
        data = (tmp_path / name).read_bytes()
        assert "is cut off or" in reason("orders", data[: len(data) // 2], filename=name)


def test_paths_that_are_not_files_and_options_that_do_not_apply(tmp_path):
    assert reason("orders", tmp_path / "nope.csv") == f"{tmp_path / 'nope.csv'} does not exist; give a file"
    (tmp_path / "dir.csv").mkdir()
    assert reason("orders", tmp_path / "dir.csv").endswith("is a folder; give a file")
    assert reason("orders", b"x", filename="o.csv", table="orders") == (
        "--table and --query apply to database sources, not to the file o.csv")
    assert reason("shipments", b"x", filename="o.csv") == (
        "unknown entity 'shipments'; use one of customers, products, orders, marketing, tickets, calendar, promotions")


# --- SQL ----------------------------------------------------------------------------------


@pytest.fixture
def sqlite_source(tmp_path) -> str:
    path = tmp_path / "erp.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE lines (order_id INT, customer_id INT, order_date TEXT, "
                           "product_id INT, quantity INT, unit_price REAL, warehouse TEXT)")
        connection.executemany("INSERT INTO lines VALUES (?, ?, ?, ?, ?, ?, ?)", [
            (1, 10, "2024-03-01", 100, 2, 9.5, "A"),
            (2, 11, "2024-03-02", 101, 1, 19.0, "B"),
            (3, 12, "not a date", 102, 3, 4.25, "A"),
        ])
    return f"sqlite:///{path}"


def test_sqlite_table_and_query(sqlite_source):
    table = read_source("orders", sqlite_source, table="lines")
    assert table.source_name.endswith("erp.db table lines")
    assert table.frame.order_id.tolist() == [1, 2, 3] and table.extra_columns == ("warehouse",)
    assert table.row_numbers.tolist() == [1, 2, 3]
    assert table.errors.to_dict("records") == [{
        "row_number": 3, "column": "order_date", "value": "not a date",
        "reason": "not an ISO date like 2024-01-31; set [types.order_date] format in the mapping for other formats",
    }]
    query = read_source("orders", sqlite_source, query="SELECT * FROM lines WHERE warehouse = 'A' ORDER BY order_id")
    assert query.frame.order_id.tolist() == [1, 3] and query.row_numbers.tolist() == [1, 2]
    empty = read_source("orders", sqlite_source, query="SELECT * FROM lines WHERE 0")
    assert empty.frame.empty and list(empty.frame.columns)[:6] == HEADER.split(",")


def test_sql_errors(sqlite_source, tmp_path):
    assert reason("orders", sqlite_source, query="SELEC * FROM lines").startswith(
        "the query starts with SELEC; give exactly one SELECT statement")
    assert reason("orders", sqlite_source, table="nope") == f"no table 'nope' in {sqlite_source}; tables: lines"
    assert reason("orders", sqlite_source).startswith("give exactly one of --table or --query")
    assert reason("orders", sqlite_source, table="lines", query="SELECT 1").startswith("give exactly one of")
    assert reason("orders", sqlite_source, query="SELECT order_id, order_id FROM lines").endswith(
        "returns the column 'order_id' twice; give one of them an alias (... AS other_name)")
    assert reason("orders", sqlite_source, table="lines", limits=IngestLimits(max_rows=2)).endswith(
        "table lines returns more than 2 rows, the limit; narrow it with --query ... WHERE or raise FORESIGHT_MAX_ROWS")
    missing = tmp_path / "missing.db"
    assert reason("orders", f"sqlite:///{missing}", table="lines").startswith(f"no SQLite database at {missing}")
    assert not missing.exists(), "reading must never create a database"
    assert "database 'nosuchdb' in nosuchdb://x/y is not supported" in reason("orders", "nosuchdb://x/y", table="t")


def test_sql_query_that_changes_data_is_rolled_back(sqlite_source):
    assert reason("orders", sqlite_source, query="DELETE FROM lines").startswith(
        "the query starts with DELETE; give exactly one SELECT statement")
    assert len(read_source("orders", sqlite_source, table="lines").frame) == 3


@pytest.fixture
def postgres_source(postgres_url):
    """A database of its own on the session's PostgreSQL server, dropped afterwards."""
    admin = create_engine(engine_url(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql("DROP DATABASE IF EXISTS connector_source WITH (FORCE)")
        connection.exec_driver_sql("CREATE DATABASE connector_source")
    try:
        yield make_url(postgres_url).set(database="connector_source").render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql("DROP DATABASE IF EXISTS connector_source WITH (FORCE)")
        admin.dispose()


def test_postgresql_table_query_and_failing_query(postgres_source):
    engine = create_engine(engine_url(postgres_source))
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE SCHEMA crm")
        connection.exec_driver_sql(
            "CREATE TABLE crm.accounts (id INT, full_name TEXT, mail TEXT, since DATE, segment TEXT, "
            "region TEXT, channel TEXT, plan TEXT, cancelled DATE, touched TIMESTAMPTZ, balance NUMERIC(10, 2))")
        connection.exec_driver_sql(
            "INSERT INTO crm.accounts VALUES "
            "(1, 'Ada', 'ada@example.com', '2023-05-01', 'SMB', 'EMEA', 'Web', 'Plus', NULL, "
            "'2024-01-01 12:00+02', 10.50), "
            "(2, 'Bo', 'bo@example.com', '2023-06-01', 'Consumer', 'APAC', 'Mobile', 'Basic', '2024-02-01', "
            "'2024-01-02 08:00+00', 0)")
    engine.dispose()
    mapping = {"columns": {"customer_id": "id", "name": "full_name", "email": "mail", "signup_date": "since",
                           "cancel_date": "cancelled", "updated_at": "touched"}}
    result = read_source("customers", postgres_source, table="crm.accounts", mapping=mapping_from_dict(mapping))
    assert result.errors.empty, result.errors
    assert result.frame.customer_id.tolist() == [1, 2] and result.extra_columns == ("balance",)
    assert result.frame.signup_date.tolist() == [pd.Timestamp("2023-05-01"), pd.Timestamp("2023-06-01")]
    assert result.frame.updated_at.tolist() == [pd.Timestamp("2024-01-01 10:00"), pd.Timestamp("2024-01-02 08:00")]
    assert result.frame.cancel_date.isna().tolist() == [True, False]
    query = read_source("customers", postgres_source, mapping=mapping_from_dict(mapping),
                        query="SELECT * FROM crm.accounts WHERE region = 'APAC'")
    assert query.frame.name.tolist() == ["Bo"] and query.row_numbers.tolist() == [1]
    failed = reason("customers", postgres_source, query="SELECT * FROM no_such_table")
    assert failed.startswith("query failed on postgresql://foresight@127.0.0.1:")
    assert failed.endswith('relation "no_such_table" does not exist')


def test_database_down_is_named_with_the_password_redacted():
    url = f"postgresql+psycopg2://analyst:s3cret@127.0.0.1:{free_port()}/crm"
    message = reason("customers", url, table="accounts")
    assert message.startswith(f"cannot connect to postgresql+psycopg2://analyst:***@127.0.0.1:{url.split(':')[3]}")
    assert "s3cret" not in message and "Connection refused" in message


# --- the registry -------------------------------------------------------------------------


@pytest.fixture
def memo_connector():
    """A made-up connector registered for one test: one class plus one decorator."""

    @register_connector("memo")
    class MemoConnector(DataConnector):
        kinds = "memo:NAME"

        @classmethod
        def accepts(cls, request):
            return isinstance(request.source, str) and request.source.startswith("memo:")

        @property
        def source_name(self):
            return self.request.source

        def read(self):
            frame = pd.DataFrame({"ticket_id": [7], "customer_id": [1], "opened_date": ["2024-05-01"],
                                  "topic": ["billing"], "priority": ["high"]})
            return numbered(frame)

    yield MemoConnector
    CONNECTORS.pop("memo")


def test_a_registered_connector_is_used_by_read_source(memo_connector):
    assert get_connector("memo") is memo_connector
    result = read_source("tickets", "memo:inbox")
    assert result.source_name == "memo:inbox" and result.frame.ticket_id.tolist() == [7]
    with pytest.raises(ValueError, match="a connector named 'memo' is already registered"):
        register_connector("memo")(type("Other", (memo_connector,), {}))


def test_get_connector_lists_the_registered_names():
    assert {"csv", "parquet", "excel", "json", "sql"} <= set(CONNECTORS)
    with pytest.raises(ValueError, match="no connector named 'ftp'; registered: csv, parquet, excel, json, sql"):
        get_connector("ftp")


# --- issue 13: implausible dates, encodings and long cells ---------------------------------------------------------


def test_a_real_but_implausible_date_is_not_called_not_an_iso_date(tmp_path):
    content = f"{HEADER}\n1,2,9999-12-31,3,4,5.5\n2,2,0001-01-01,3,4,5.5\n3,2,2024-02-30,3,4,5.5\n".encode()
    errors = read_source("orders", content, filename="o.csv").errors
    reasons = dict(zip(errors["value"], errors["reason"]))
    assert reasons["9999-12-31"].startswith("an implausible date: 9999-12-31 is a real date but lies after 2262-04-11")
    assert "leave the cell empty" in reasons["9999-12-31"]
    assert reasons["0001-01-01"].startswith("an implausible date: 0001-01-01 is a real date but lies before 1677-09-22")
    assert reasons["2024-02-30"].startswith("not an ISO date like 2024-01-31")  # no such day: not a date at all
    typed = pd.DataFrame({"order_id": [1], "customer_id": [2], "order_date": [dt.date(9999, 12, 31)],
                          "product_id": [3], "quantity": [4], "unit_price": [5.5]})
    typed.to_parquet(tmp_path / "o.parquet")
    typed_errors = read_source("orders", tmp_path / "o.parquet").errors
    assert typed_errors["reason"].iloc[0].startswith("an implausible date: 9999-12-31 is a real date but lies after")


CP1252 = f"{HEADER},note\n1,2,2024-03-01,3,4,5.5,5 € off\n".encode("cp1252")


def test_a_cp1252_file_is_told_to_use_cp1252_and_that_works():
    offset = CP1252.index(b"\x80")
    told = reason("orders", CP1252, filename="o.csv")
    assert told.startswith(f"o.csv is not valid utf-8 text: byte 0x80 at offset {offset} (line 2) cannot be decoded; "
                           "it reads as '€' in cp1252")
    assert 'choose the encoding "cp1252"' in told and "latin-1" not in told
    mapping = mapping_from_dict({"entity": "orders", "columns": {"order_id": "order_id"}, "csv": {"encoding": "cp1252"}})
    read = read_source("orders", CP1252, filename="o.csv", mapping=mapping)
    assert read.extra_columns == ("note",) and read.errors.empty


@pytest.mark.parametrize("encoding", ["latin-1", "iso-8859-1", "ISO8859_15"])
def test_latin_1_on_a_cp1252_file_is_refused_instead_of_turning_the_euro_into_a_control_character(encoding):
    mapping = mapping_from_dict({"csv": {"encoding": encoding}})
    told = reason("orders", CP1252, filename="o.csv", mapping=mapping)
    assert told.startswith(f"o.csv read as {encoding} holds the control character U+0080 (byte 0x80, line 2), "
                           "which text files do not hold; it reads as '€' in cp1252")
    assert 'choose the encoding "cp1252"' in told


def test_a_utf8_file_read_as_a_windows_encoding_is_named_utf8():
    content = f"{HEADER},note\n1,2,2024-03-01,3,4,5.5,Köln\n".encode()
    told = reason("orders", content, filename="o.csv", mapping=mapping_from_dict({"csv": {"encoding": "cp1252"}}))
    assert told.startswith("o.csv is UTF-8 text (it decodes as UTF-8, where cp1252 would read 'KÃ¶ln'")
    assert 'choose the encoding "utf-8"' in told
    with_bom = reason("orders", f"\ufeff{HEADER}\n1,2,2024-03-01,3,4,5.5\n".encode(), filename="o.csv",
                      mapping=mapping_from_dict({"csv": {"encoding": "latin-1"}}))
    assert with_bom.startswith("o.csv is UTF-8 text (it decodes as UTF-8, where latin-1 would read 'ï»¿order_id'")


@pytest.mark.parametrize("python_name", ["utf-16", "utf-16-le"])
def test_utf16_with_or_without_a_byte_order_mark_is_named_and_reads_once_chosen(python_name):
    content = f"{HEADER}\n1,2,2024-03-01,3,4,5.5\n".encode(python_name)
    told = reason("orders", content, filename="o.csv")
    assert told.startswith("o.csv is UTF-16 text") and 'choose the encoding "utf-16"' in told
    read = read_source("orders", content, filename="o.csv", mapping=mapping_from_dict({"csv": {"encoding": "utf-16"}}))
    assert read.frame["order_id"].tolist() == [1]


def test_a_cell_over_the_field_limit_is_named_with_its_row_column_and_the_limit():
    huge = "x" * (128 * 1024 + 1)
    content = f"{HEADER},note\n1,2,2024-03-01,3,4,5.5,ok\n\n2,2,2024-03-01,3,4,5.5,\"{huge}\"\n".encode()
    assert reason("orders", content, filename="o.csv") == (
        "o.csv: the cell in row 3 (line 4), column 'note' is longer than 131,072 characters (128 KB), the most one "
        "cell may hold; shorten it or leave it out (a cell that long is usually a quote that was never closed)")
    unquoted = f"{HEADER},note\n1,2,2024-03-01,3,4,{huge},ok\n".encode()
    assert "row 1 (line 2), column 'unit_price' is longer than" in reason("orders", unquoted, filename="o.csv")


def test_a_file_just_over_the_limit_does_not_read_as_the_limit():
    assert reason("orders", b"x" * (2 * 1024 * 1024 + 1), filename="big.csv",
                  limits=IngestLimits(max_bytes=2 * 1024 * 1024)) == (
        "big.csv is 2,097,153 bytes, over the 2,097,152-byte (2 MB) limit; split it or raise FORESIGHT_MAX_FILE_MB")
