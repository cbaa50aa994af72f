"""Unexpected errors get an id and go to the log; the project's own messages for users stay as they are."""
from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
import pytest

from analytics.kpis import check_range
from core.errors import designed, report_unexpected


def _raised(call) -> BaseException:
    with pytest.raises(Exception) as info:
        call()
    return info.value


def test_the_projects_messages_are_designed_and_python_text_is_not():
    day = dt.date(2026, 1, 1)
    assert designed(_raised(lambda: check_range("2026-02-01", "2026-01-01", day, day)))
    assert designed(_raised(lambda: check_range("<script>", "2026-01-01", day, day)))  # raise ... from None
    assert not designed(_raised(lambda: dt.date.fromisoformat("not a date")))  # a built-in's text
    assert not designed(_raised(lambda: pd.Series([1, 2]).astype("datetime64[s]").dt.tz_localize("Mars/Olympus")))
    assert not designed(_raised(lambda: {}["missing"]))  # a KeyError is a LookupError, but not a message
    assert not designed(_raised(lambda: 1 / 0))
    assert not designed(ValueError("never raised"))


def test_an_unexpected_error_is_logged_with_its_id_and_traceback(caplog):
    error = _raised(lambda: dt.date.fromisoformat("not a date"))
    with caplog.at_level(logging.ERROR, logger="core.errors"):
        error_id = report_unexpected(error, "computing the Overview")
    assert len(error_id) == 8 and int(error_id, 16) >= 0
    record = next(r for r in caplog.records if error_id in r.getMessage())
    assert "computing the Overview" in record.getMessage()
    assert record.exc_info[1] is error and "Traceback" in caplog.text and "fromisoformat" in caplog.text
    assert report_unexpected(error, "again") != error_id
