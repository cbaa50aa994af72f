"""The 3D view helper as a plain function: a designed message reaches the chart as it is, anything unexpected only
as an error id (the traceback goes to the log)."""
from __future__ import annotations

import logging

from dash import no_update

from pages._views import figure_in_3d


def _title(figure) -> str:
    return " ".join(a["text"] for a in figure["layout"]["annotations"])


def test_nothing_is_built_in_2d():
    assert figure_in_3d("2d", lambda: 1 / 0) is no_update


def test_the_projects_own_message_is_shown_as_it_is():
    def build():
        raise ValueError("Choose at most 12 cohorts for the 3D view.")
    assert "Choose at most 12 cohorts" in _title(figure_in_3d("3d", build))


def test_an_unexpected_error_shows_an_id_and_logs_the_traceback(caplog):
    def build():
        return __import__("datetime").date.fromisoformat("not a date")  # Python's own ValueError text
    with caplog.at_level(logging.ERROR):
        text = _title(figure_in_3d("3d", build))
    assert "not a date" not in text and "isoformat" not in text
    assert "error id" in text
    error_id = text.split("error id ")[1].split(")")[0]
    assert error_id in caplog.text and "Traceback" in caplog.text and "isoformat" in caplog.text
