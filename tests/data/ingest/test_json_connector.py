"""JSON sources: an array of row objects or JSON Lines, read like any other file; bad JSON named in one line."""

from __future__ import annotations

import json

import pytest

from data.ingest import ingest
from data.ingest.connectors import read_source
from data.ingest.contract import SourceError
from data.queries import calendar_events
from tests.data.ingest.helpers import TODAY

ROWS = [
    {"name": "Store opening", "kind": "one_off", "start_date": "2026-03-14", "region": "EMEA", "expected_lift": 0.4},
    {"name": "Singles Day", "kind": "commercial", "start_date": "2025-11-11", "category": "Electronics",
     "expected_lift": 1},
    {"name": "Outage", "kind": "one_off", "start_date": "2025-06-02", "end_date": "2025-06-03",
     "expected_lift": -0.5, "note": None},
]


@pytest.mark.parametrize(("filename", "content"), [
    ("events.json", json.dumps(ROWS)),
    ("events.json", json.dumps({"events": ROWS}, indent=2)),
    ("events.jsonl", "\n".join(json.dumps(row) for row in ROWS) + "\n\n"),
])
def test_json_arrays_and_lines_read_into_the_canonical_columns(filename, content):
    source = read_source("calendar", content.encode(), filename=filename)
    assert source.row_numbers.tolist() == [1, 2, 3] and source.errors.empty
    assert source.frame["name"].tolist() == ["Store opening", "Singles Day", "Outage"]
    assert source.frame["expected_lift"].tolist() == [0.4, 1.0, -0.5]
    assert source.frame["end_date"].isna().tolist() == [True, True, False]
    assert str(source.frame["start_date"].dtype) == "datetime64[ns]"


def test_a_value_json_cannot_coerce_is_an_error_of_its_row():
    rows = [*ROWS, {"name": "Odd", "kind": "one_off", "start_date": "2025-07-01", "expected_lift": "lots"}]
    source = read_source("calendar", json.dumps(rows).encode(), filename="events.json")
    assert source.errors[["row_number", "column", "value"]].values.tolist() == [[4, "expected_lift", "lots"]]


@pytest.mark.parametrize(("content", "expected"), [
    ('[{"name": "a"', "e.json is not valid JSON: Expecting ',' delimiter at line 1, column 14"),
    ("[1, 2]", "e.json: row 1 is a number (1), not an object; write one object per row, e.g. [{"),
    ('[{"name": {"first": "a"}}]', "e.json: row 1 holds a nested value in 'name'; every value must be text, "
                                   "a number, true/false or null"),
    ("[]", "e.json holds no rows; write one object per row"),
    ('{"a": 1, "b": 2}', "e.json holds an object, not an array of row objects; write e.g. [{"),
])
def test_unusable_json_is_refused_in_one_line(content, expected):
    with pytest.raises(SourceError) as caught:
        read_source("calendar", content.encode(), filename="e.json")
    assert caught.value.reason.startswith(expected)


def test_json_lines_name_the_bad_line():
    with pytest.raises(SourceError, match=r"e.jsonl: line 2 is not valid JSON"):
        read_source("calendar", b'{"name": "a"}\n{oops}\n', filename="e.jsonl")


def test_a_json_events_file_is_ingested(fresh_engine, tmp_path):
    path = tmp_path / "events.json"
    path.write_text(json.dumps(ROWS))
    result = ingest(fresh_engine, "calendar", path, today=TODAY)
    assert (result.status, result.accepted) == ("committed", 3)
    assert calendar_events(fresh_engine)["name"].tolist() == ["Outage", "Singles Day", "Store opening"]


def test_a_json_file_in_another_encoding_is_told_the_encoding_and_reads_with_it():
    from data.ingest.mapping import mapping_from_dict

    content = json.dumps([{"name": "Fête 5 €", "kind": "one_off", "start_date": "2025-07-14"}],
                         ensure_ascii=False).encode("cp1252")
    with pytest.raises(SourceError, match=r"it reads as 'ê' in cp1252 .*choose the encoding \"cp1252\""):
        read_source("calendar", content, filename="events.json")
    mapping = mapping_from_dict({"csv": {"encoding": "cp1252"}})
    assert read_source("calendar", content, filename="events.json", mapping=mapping).frame["name"].tolist() == [
        "Fête 5 €"]


@pytest.mark.parametrize("filename, where", [("deep.json", "deep.json is"), ("deep.jsonl", "deep.jsonl: line 2 is")])
def test_json_nested_deeper_than_the_parser_can_follow_is_refused_in_one_line(filename, where):
    deep = '{"name": ' + "[" * 50_000 + "1" + "]" * 50_000 + "}"
    content = f'[{deep}]' if filename.endswith(".json") else '{"name": "a"}\n' + deep + "\n"
    with pytest.raises(SourceError) as caught:  # before: RecursionError out of json.loads
        read_source("orders", content.encode(), filename=filename)
    assert str(caught.value).startswith(f"{where} nested deeper than the JSON reader can follow")
