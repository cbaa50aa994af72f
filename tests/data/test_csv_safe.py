"""data.csv_safe: known answers for OWASP's formula prefixes, quoting, and an exact round trip."""
from __future__ import annotations

import csv
import io
import itertools

import pandas as pd
import pytest

from data.csv_safe import neutralise, restore, restore_frame, safe_csv

KNOWN = [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
    ("+1", "'+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-", "'-"), ("'=x", "''=x"), ("''+x", "'''+x"),
    ("-5", "-5"), ("-2.5", "-2.5"), ("-1e3", "-1e3"), ("-.5", "-.5"),
    ("'quoted", "'quoted"), ("O'Brien", "O'Brien"), ("plain", "plain"), ("", ""), ("a=b", "a=b"),
]


@pytest.mark.parametrize(("value", "cell"), KNOWN)
def test_known_cells_are_neutralised_and_restored(value, cell):
    assert neutralise(value) == cell
    assert restore(cell) == value


def test_every_short_string_of_the_special_characters_round_trips():
    for length in range(4):
        for chars in itertools.product("=+-@\t\r'a5.", repeat=length):
            value = "".join(chars)
            assert restore(neutralise(value)) == value, repr(value)


def test_safe_csv_quotes_line_breaks_leaves_numbers_and_reads_back():
    frame = pd.DataFrame({"name": ["=1+1", "a\rb", "c\nd", 'say "hi", twice', None],
                          "value": [-5, -2.5, 3, 0, None], "day": pd.to_datetime(["2026-01-01"] * 5)})
    text = safe_csv(frame)
    assert text.splitlines()[0] == "name,value,day"
    assert text.startswith("name,value,day\n'=1+1,-5.0,2026-01-01\n\"a\rb\",-2.5,")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert [r[0] for r in rows[1:]] == ["'=1+1", "a\rb", "c\nd", 'say "hi", twice', ""]
    assert [r[1] for r in rows[1:]] == ["-5.0", "-2.5", "3.0", "0.0", ""], "numbers are never prefixed"
    read = restore_frame(pd.read_csv(io.StringIO(text, newline=""), dtype=str, keep_default_na=False))
    assert read["name"].tolist() == ["=1+1", "a\rb", "c\nd", 'say "hi", twice', ""]


def test_headers_are_neutralised_too():
    assert safe_csv(pd.DataFrame({"=cmd": ["x"]})) == "'=cmd\nx\n"
    assert list(restore_frame(pd.DataFrame({"'=cmd": ["'@x"]})).columns) == ["=cmd"]
