"""Mapping files: loading and their errors, and every coercion rule applied through read_source."""

from __future__ import annotations

import datetime as dt
import re
import tomllib

import pandas as pd
import pytest

from data import repo_root
from data.ingest.connectors import read_source
from data.ingest.contract import ENTITIES, SourceError
from data.ingest.mapping import ColumnRule, Mapping, MappingError, load_mapping, mapping_from_dict

EXAMPLE = """\
entity = "orders"
[columns]
order_id = "Order No"
customer_id = "Kunde"
order_date = "Date"
product_id = "Artikel"
quantity = "Menge"
unit_price = "Price"
[types.order_date]
format = "%d/%m/%Y"
[types.unit_price]
decimal = ","
thousands = "."
currency = "€"
[defaults]
channel = "Web"
[csv]
delimiter = ";"
encoding = "cp1252"
"""


def write(tmp_path, text: str, name: str = "mapping.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def mapping_error(tmp_path, text: str, entity: str | None = None) -> str:
    path = write(tmp_path, text)
    with pytest.raises(MappingError) as raised:
        load_mapping(path, entity=entity)
    assert str(path) in raised.value.reason or "mapping file" in raised.value.reason
    return raised.value.reason.replace(str(path), "M")


# --- loading --------------------------------------------------------------------------


def test_load_the_example(tmp_path):
    mapping = load_mapping(write(tmp_path, EXAMPLE))
    assert mapping.entity == "orders"
    assert mapping.columns == {"order_id": "Order No", "customer_id": "Kunde", "order_date": "Date",
                               "product_id": "Artikel", "quantity": "Menge", "unit_price": "Price"}
    assert mapping.rule("order_date") == ColumnRule(format="%d/%m/%Y")
    assert mapping.rule("unit_price") == ColumnRule(decimal=",", thousands=".", currency=("€",))
    assert mapping.rule("quantity") == ColumnRule() and mapping.rule("quantity").plain_number
    assert mapping.defaults == {"channel": "Web"}
    assert (mapping.csv.delimiter, mapping.csv.encoding) == (";", "cp1252")


def test_identity_mapping_reads_canonical_files_as_they_are():
    mapping = Mapping.identity("customers")
    assert mapping.entity == "customers" and mapping.columns == {} and mapping.csv.delimiter is None


def test_the_documented_example_loads_and_reads():
    """docs/ingest-mapping.md's example mapping and file must stay true."""
    doc = (repo_root() / "docs" / "ingest-mapping.md").read_text(encoding="utf-8")
    toml_text = re.search(r"```toml\n(.*?)```", doc, re.S).group(1)
    csv_text = re.search(r"```text\n(.*?)```", doc, re.S).group(1)
    mapping = mapping_from_dict(tomllib.loads(toml_text), origin="docs")
    result = read_source("orders", csv_text.encode("cp1252"), filename="erp-export.csv", mapping=mapping)
    assert result.errors.empty, result.errors
    assert len(result.frame) >= 2 and result.extra_columns


@pytest.mark.parametrize(("text", "expected"), [
    ("entity = [", "mapping file M is not valid TOML: "),
    ("colums = {}", "M: unknown key(s) 'colums'; a mapping has entity, columns, types, defaults, csv, excel"),
    ('entity = "invoices"', "M: entity = 'invoices' is not an entity; use one of customers, products, orders"),
    ('[columns]\norder_no = "Order No"', "M: [columns] 'order_no' is not one of any entity's canonical columns"),
    ('entity = "orders"\n[columns]\nemail = "Mail"', "M: [columns] 'email' is not one of orders's canonical columns"),
    ('[columns]\norder_id = ""', "M: [columns] order_id = ''; give the source column's header as a non-empty string"),
    ('columns = "x"', "M: [columns] must be a table"),
    ('[types.order_date]\nfromat = "%d/%m/%Y"', "M: [types.order_date]: unknown key(s) 'fromat'; use format, decimal"),
    ('[types.order_date]\nformat = "%d/%Q/%Y"', "M: [types.order_date] format = '%d/%Q/%Y' is not a strftime format"),
    ('[types.order_date]\nformat = "%m/%Y"', "M: [types.order_date] format = '%m/%Y' must contain a year (%Y)"),
    ('[types.unit_price]\ndecimal = ";"', "M: [types.unit_price] decimal = ';'; use \".\" or \",\""),
    ('[types.unit_price]\ndecimal = ","\nthousands = ","', "M: [types.unit_price] thousands = ','; use one of"),
    ("[types.unit_price]\ncurrency = 5", 'M: [types.unit_price] currency = 5; give a symbol ("€") or a list'),
    ('[csv]\ndelimiter = ";;"', 'M: [csv] delimiter = \';;\'; give one character, e.g. ";" or "\\t"'),
    ('[csv]\nencoding = "klingon"', "M: [csv] encoding = 'klingon' is not a known encoding"),
    ('[csv]\nencoding = "rot13"', "M: [csv] encoding = 'rot13' is a codec but not a text encoding (it turns text "
                              "into text or bytes into bytes); use e.g. \"utf-8\", \"cp1252\""),
    ('[csv]\nencoding = "base64"', "M: [csv] encoding = 'base64' is a codec but not a text encoding"),
    ('[csv]\nencoding = 8', "M: [csv] encoding = 8 is not a known encoding"),
    ('[csv]\nquote = "x"', "M: [csv] unknown key(s) 'quote'; use delimiter, encoding"),
    ("[excel]\nsheet = -1", 'M: [excel] sheet = -1; give a sheet name ("Orders") or a 0-based number'),
])
def test_mapping_errors_name_the_file_and_the_key(tmp_path, text, expected):
    assert mapping_error(tmp_path, text).startswith(expected)


@pytest.mark.parametrize(("text", "expected"), [
    ('[types.quantity]\nformat = "%d/%m/%Y"', "M: [types.quantity]: quantity is a number; format applies to dates"),
    ('[types.order_date]\ndecimal = ","', "M: [types.order_date]: order_date is a date; decimal, thousands and"),
    ('[types.channel]\ncurrency = "$"', "M: [types.channel]: channel is text and is read as it is"),
    ("[defaults]\nchannel = 3", 'M: [defaults] channel = 3 is not a str; write e.g. channel = "Web"'),
    ('[defaults]\npromo_id = "7"', "M: [defaults] promo_id = '7' is not a int; write e.g. promo_id = 1"),
    ('[defaults]\norder_date = "31/01/2024"', "M: [defaults] order_date = '31/01/2024' is not a date"),
    ('entity = "customers"', "M is a mapping for 'customers', not for 'orders'; pass the mapping written for"),
])
def test_mapping_errors_against_the_entity(tmp_path, text, expected):
    assert mapping_error(tmp_path, text, entity="orders").startswith(expected)


def test_unreadable_mapping_files(tmp_path):
    with pytest.raises(MappingError, match="mapping file .*nope.toml does not exist"):
        load_mapping(tmp_path / "nope.toml")
    (tmp_path / "bad.toml").write_bytes(b"\xff\xfe")
    with pytest.raises(MappingError, match="cannot read mapping file"):
        load_mapping(tmp_path / "bad.toml")


def test_a_mapping_error_reaches_read_source_as_a_source_error(tmp_path):
    path = write(tmp_path, '[columns]\nemail = "Mail"')
    with pytest.raises(SourceError, match="'email' is not one of orders's canonical columns"):
        read_source("orders", b"a\n1\n", filename="o.csv", mapping=path)


def test_defaults_are_typed():
    mapping = mapping_from_dict({"defaults": {"order_date": "2024-01-31", "unit_price": 3, "channel": "Web"}},
                                entity="orders")
    assert mapping.defaults == {"order_date": dt.date(2024, 1, 31), "unit_price": 3.0, "channel": "Web"}


# --- coercion through read_source ------------------------------------------------------------


def read(content: str, mapping: dict, entity: str = "orders", encoding: str = "utf-8"):
    return read_source(entity, content.encode(encoding), filename="src.csv",
                       mapping=mapping_from_dict(mapping, origin="test"))


def errors_by_row(result) -> dict:
    return {(row.row_number, row.column): (row.value, row.reason) for row in result.errors.itertuples()}


def test_european_export_decimal_comma_currency_day_first(tmp_path):
    content = (
        "Order No;Kunde;Date;Artikel;Menge;Price;Notiz\n"
        "1;10;31/01/2024;100;2;€1.234,50;Köln\n"
        "2;11;01/02/2024;101;1;12,5 €;\n"
        "3;12;1/2/2024;102;3;-€0,99;\n"
    )
    result = read_source("orders", content.encode("cp1252"), filename="erp.csv", mapping=write(tmp_path, EXAMPLE))
    assert result.errors.empty, result.errors
    frame = result.frame
    assert frame.unit_price.tolist() == [1234.5, 12.5, -0.99]
    assert frame.order_date.tolist() == [pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-01"),
                                         pd.Timestamp("2024-02-01")]
    assert frame.channel.tolist() == ["Web"] * 3, "[defaults] fills a column the source does not have"
    assert frame.discount.tolist() == [0.0] * 3, "orders without a discount column have no discount"
    assert result.extra_columns == ("Notiz",)


def test_numbers_are_never_guessed():
    content = ("order_id,customer_id,order_date,product_id,quantity,unit_price\n"
               "1,10,2024-01-31,100,2,\"1,234.50\"\n"
               "2,10,2024-01-31,100,1e3,$12\n"
               "3,10,2024-01-31,100,1.0,12.5\n"
               "4,10,2024-01-31,100,2,inf\n")
    result = read(content, {})
    errors = errors_by_row(result)
    hint = "for other formats set decimal, thousands or currency under [types.unit_price] in the mapping"
    assert errors[(1, "unit_price")] == ("1,234.50", f"not a plain number like 1234.5; {hint}")
    assert errors[(2, "unit_price")][0] == "$12"
    assert errors[(4, "unit_price")][0] == "inf"
    assert (2, "quantity") not in errors and (3, "quantity") not in errors, "1e3 and 1.0 are whole numbers"
    assert result.frame.quantity.tolist() == [2, 1000, 1, 2]
    assert result.frame.unit_price.isna().tolist() == [True, True, False, True]


def test_thousands_groups_must_be_real_groups():
    mapping = {"types": {"unit_price": {"decimal": ",", "thousands": "."}}}
    content = ("order_id,customer_id,order_date,product_id,quantity,unit_price\n"
               '1,10,2024-01-31,100,2,"1.234,5"\n'
               '2,10,2024-01-31,100,2,"12.34,5"\n'
               '3,10,2024-01-31,100,2,1234\n'
               '4,10,2024-01-31,100,2,"1.234.567"\n')
    result = read(content, mapping)
    assert result.frame.unit_price.tolist()[0] == 1234.5 and result.frame.unit_price.tolist()[2:] == [1234, 1234567]
    assert errors_by_row(result) == {(2, "unit_price"): (
        "12.34,5", "not a number in the mapping's format (decimal ',', thousands '.')")}


def test_several_currency_symbols_and_signs():
    mapping = {"types": {"spend": {"currency": ["$", "USD"]}}}
    content = ("date,campaign,channel,spend,impressions,clicks,conversions\n"
               "2024-01-01,Spring,Web,$10.50,100,5,1\n"
               "2024-01-02,Spring,Web,-$2,100,5,1\n"
               "2024-01-03,Spring,Web,3.25 USD,100,5,1\n"
               "2024-01-04,Spring,Web,€4,100,5,1\n"
               "2024-01-05,Spring,Web,-$-4,100,5,1\n")
    result = read(content, mapping, entity="marketing")
    assert result.frame.spend.tolist()[:3] == [10.5, -2.0, 3.25]
    assert sorted(errors_by_row(result)) == [(4, "spend"), (5, "spend")]


def test_dates_iso_unless_a_format_is_given():
    content = ("order_id,customer_id,order_date,product_id,quantity,unit_price,updated_at\n"
               "1,10,2024-01-31,100,2,1,2024-02-01T10:00:00+02:00\n"
               "2,10,31/01/2024,100,2,1,2024-02-01 10:00\n"
               "3,10,2024-1-31,100,2,1,yesterday\n"
               "4,10,2024-02-30,100,2,1,2024-02-01\n"
               "5,10,2024-02-01,100,2,1,2024-02-01T10:00:00Z\n"
               "6,10,2024-02-01,100,2,1,2024-02-01T10:00:00-0530\n")
    result = read(content, {})
    errors = errors_by_row(result)
    iso = "not an ISO date like 2024-01-31; set [types.order_date] format in the mapping for other formats"
    assert errors[(2, "order_date")] == ("31/01/2024", iso)
    assert errors[(3, "order_date")][0] == "2024-1-31" and errors[(4, "order_date")][0] == "2024-02-30"
    assert errors[(3, "updated_at")][1].startswith("not an ISO 8601 date-time")
    assert result.frame.updated_at.tolist()[:2] == [pd.Timestamp("2024-02-01 08:00"), pd.Timestamp("2024-02-01 10:00")]
    assert result.frame.updated_at.tolist()[3:] == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-02-01 10:00"),
                                                    pd.Timestamp("2024-02-01 15:30")]


def test_custom_date_formats():
    mapping = {"types": {"order_date": {"format": "%d.%m.%Y"}, "updated_at": {"format": "%d.%m.%Y %H:%M"}}}
    content = ("order_id,customer_id,order_date,product_id,quantity,unit_price,updated_at\n"
               "1,10,31.01.2024,100,2,1,01.02.2024 09:30\n"
               "2,10,2024-01-31,100,2,1,01.02.2024\n")
    result = read(content, mapping)
    assert result.frame.order_date.tolist()[0] == pd.Timestamp("2024-01-31")
    assert result.frame.updated_at.tolist()[0] == pd.Timestamp("2024-02-01 09:30")
    assert errors_by_row(result) == {
        (2, "order_date"): ("2024-01-31", "not a date in format %d.%m.%Y"),
        (2, "updated_at"): ("01.02.2024", "not a date-time in format %d.%m.%Y %H:%M"),
    }


def test_text_is_kept_as_written_and_blank_cells_are_missing():
    content = ("ticket_id,customer_id,opened_date,topic,priority,satisfaction\n"
               "1,10,2024-01-31,  Billing ,high,\n"
               "2,10,2024-01-31,   ,low,5\n")
    result = read(content, {}, entity="tickets")
    assert result.frame.topic.tolist()[0] == "  Billing "
    assert result.frame.topic.isna().tolist() == [False, True]
    assert result.frame.satisfaction.tolist()[0] is pd.NA and result.errors.empty


def test_explicit_column_missing_from_the_source_is_named():
    content = "order_id,customer_id,order_date,product_id,quantity,unit_price\n1,10,2024-01-31,100,2,1\n"
    with pytest.raises(SourceError) as raised:
        read(content, {"columns": {"discount": "Rabatt"}})
    assert raised.value.reason == (
        "src.csv has no column 'Rabatt', which test maps to discount; columns found: 'order_id', "
        "'customer_id', 'order_date', 'product_id', 'quantity', 'unit_price'")


def test_typed_sources_values_that_do_not_fit(tmp_path):
    frame = pd.DataFrame({
        "ticket_id": [1.0, 2.5, 3.0], "customer_id": [10, 11, 12],
        "opened_date": [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2, 9, 30), pd.NaT],
        "topic": [1001.0, "Billing", None], "priority": ["high", "low", "low"],
        "resolved_date": [dt.date(2024, 1, 3), 45000, None],
    })
    path = tmp_path / "t.xlsx"
    frame.to_excel(path, index=False)
    result = read_source("tickets", path)
    errors = errors_by_row(result)
    assert errors[(2, "ticket_id")] == ("2.5", "not a whole number")
    assert errors[(2, "opened_date")][1] == "has a time of day; this column takes dates only"
    assert errors[(2, "resolved_date")] == ("45000", "not a date: a int (45000)")
    assert result.frame.topic.tolist()[:2] == ["1001", "Billing"]
    assert result.frame.opened_date.isna().tolist() == [False, True, True]


# --- limits -------------------------------------------------------------------------------


def test_every_entity_keys_on_its_own_columns():
    for spec in ENTITIES.values():
        assert set(spec.key) <= set(spec.columns) and set(spec.dtypes) == set(spec.columns)
        assert set(spec.defaults) <= set(spec.optional)
