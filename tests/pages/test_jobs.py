"""The job helper's decisions, as plain functions: answer from the cache, compute, or show the last good result."""
from __future__ import annotations

import pytest
from dash import no_update
from flask import Flask

from components import ids
from core.cache import cache, cache_config, cache_key
from core.settings import Settings
from pages._jobs import Job, no_data, progress_text, ready_params, ready_result, resolve


def demand(engine, progress, *, metric: str) -> str:
    return f"{metric} forecast"


def _params(metric):
    if metric not in ("revenue", "units"):
        raise ValueError("choose revenue or units")
    return {"metric": metric}


JOB = Job(ids=ids.FORECAST_JOB, compute=demand, describe=lambda p: f"{p['metric'].title()} forecast",
          to_params=_params, no_data="The store is empty.", waiting="Training…")


@pytest.fixture(autouse=True)
def disk_cache(tmp_path):
    """A results cache on disk for this test, current through its Flask app (the process's cache stays as it is)."""
    server = Flask(__name__)
    cache.init_app(server, config=cache_config(Settings.from_env({"FORESIGHT_INSTANCE_DIR": str(tmp_path)})))
    with server.app_context():
        yield


def _store(version: int, metric: str) -> None:
    cache.set(cache_key(demand, version, {"metric": metric}), f"{metric} forecast")


def _text(status) -> str:
    return " ".join(str(child.children) for child in status.children) if isinstance(status.children, list) \
        else str(status.children)


def test_a_cached_result_is_shown_at_once_without_a_background_job():
    _store(3, "revenue")
    request, ready, status = resolve(JOB, ["revenue"], 3, False, None, None)
    assert request is no_update
    assert ready_params(ready) == (3, {"metric": "revenue"})
    assert _text(status) == "Revenue forecast for dataset v3: from the cache."


def test_new_data_keeps_the_last_good_result_on_screen_while_the_new_one_is_computed():
    _store(3, "revenue")
    shown = resolve(JOB, ["revenue"], 3, False, None, None)[1]
    request, ready, status = resolve(JOB, ["revenue"], 4, False, shown, None)
    assert request["version"] == 4 and request["params"] == {"metric": "revenue"} and request["token"]
    assert ready == shown
    assert _text(status) == "UPDATING Showing Revenue forecast for dataset v3 while v4 is computed…"


def test_a_fresh_page_after_new_data_finds_the_last_good_result_in_the_cache():
    _store(2, "revenue")
    request, ready, status = resolve(JOB, ["revenue"], 4, False, None, None)
    assert request["version"] == 4 and ready_params(ready) == (2, {"metric": "revenue"})
    assert "for dataset v2 while v4 is computed" in _text(status)


def test_switching_the_metric_never_leaves_the_old_metric_on_screen():
    _store(3, "revenue")
    shown = resolve(JOB, ["revenue"], 3, False, None, None)[1]
    request, ready, status = resolve(JOB, ["units"], 3, False, shown, None)
    assert request["params"] == {"metric": "units"} and ready is None
    assert _text(status) == "UPDATING Computing the Units forecast for dataset v3…"


def test_every_request_gets_its_own_job_key_and_a_pending_one_is_not_asked_twice():
    first = resolve(JOB, ["units"], 3, False, None, None)[0]
    second = resolve(JOB, ["units"], 3, False, None, None)[0]
    assert first["token"] != second["token"]  # two viewers never share (or consume) a background result
    assert resolve(JOB, ["units"], 3, False, None, first) == (no_update, no_update, no_update)
    # newer data while it runs: the running job catches up when done instead of being cancelled and restarted
    assert resolve(JOB, ["units"], 4, False, None, first) == (no_update, no_update, no_update)
    assert resolve(JOB, ["units"], 4, False, None, {**first, "at": first["at"] - 3600})[0]["version"] == 4


def test_retrain_recomputes_even_when_cached_and_keeps_the_result_on_screen():
    _store(3, "revenue")
    shown = resolve(JOB, ["revenue"], 3, False, None, None)[1]
    request, ready, status = resolve(JOB, ["revenue"], 3, True, shown, None)
    assert request["refresh"] is True and ready == shown
    assert "while it is recomputed" in _text(status)


def test_bad_inputs_and_an_empty_store_say_what_to_do():
    assert "choose revenue or units" in _text(resolve(JOB, ["profit"], 3, False, None, None)[2])
    assert resolve(JOB, ["revenue"], None, False, None, None)[:2] == (None, None)
    assert _text(resolve(JOB, ["revenue"], None, False, None, None)[2]) == "The store is empty."


def test_progress_names_the_step_and_estimates_the_time_left():
    assert progress_text(6, 25, "EMEA / Apparel", 12.0) == (24, "EMEA / Apparel · 6 of 25 · about 38 s left")
    assert progress_text(1, 4, "reading orders", 1.0) == (25, "reading orders · 1 of 4")  # too early to estimate
    assert progress_text(2, 20, "APAC / Home", 120.0)[1].endswith("about 18 min left")
    assert progress_text(0, 0, "starting", 0.0) == (0, "starting")


def test_ready_params_refuses_an_empty_marker():
    with pytest.raises(LookupError):
        ready_params(None)


def test_the_result_on_screen_comes_from_the_cache_or_the_page_says_why_there_is_none():
    _store(3, "revenue")
    shown = resolve(JOB, ["revenue"], 3, False, None, None)[1]
    assert ready_result(JOB, shown) == "revenue forecast"
    with pytest.raises(LookupError, match="^Training…$"):
        ready_result(JOB, None)
    with pytest.raises(LookupError, match=r"^Revenue forecast for dataset v4: no longer in the results cache; "
                                          r"press Retrain to compute it again\.$"):
        ready_result(JOB, {**shown, "version": 4})


def test_an_empty_store_message_names_what_is_missing_and_the_command_that_fills_it():
    assert no_data("sales").startswith("The store has no sales yet. Generate the sample company with `python -m data")
    assert Job(ids=ids.FORECAST_JOB, compute=demand, describe=str).no_data == no_data()


def _broken(engine, progress, *, metric: str) -> int:
    return int(metric)  # Python's own ValueError: "invalid literal for int() ..."


def _too_short(engine, progress, *, metric: str) -> str:
    raise ValueError(f"the store holds 12 days of {metric}; a forecast needs at least 56 — load more history")


def _run(job: Job, tmp_path):
    import time

    from pages._jobs import run
    from tests.pages.helpers import current, page_store

    request = {"version": 1, "params": {"metric": "revenue"}, "values": ["revenue"], "refresh": False, "token": "t",
               "at": time.time()}
    with current(page_store(f"sqlite:///{tmp_path / 'jobs.db'}", tmp_path)):
        return run(job, lambda _progress: None, request)


def test_an_unexpected_failure_shows_its_error_id_in_the_status_and_instead_of_computing(tmp_path, caplog):
    import logging
    import re

    job = Job(ids=ids.FORECAST_JOB, compute=_broken, describe=lambda p: "Revenue forecast", to_params=_params)
    with caplog.at_level(logging.ERROR):
        done, status = _run(job, tmp_path)
    text = _text(status)
    assert text.startswith("Cannot compute the Revenue forecast: Something unexpected went wrong while computing "
                           "the Revenue forecast (error id ") and "invalid literal" not in text
    error_id = re.search(r"error id ([0-9a-f]{8})", text).group(1)
    assert any(error_id in record.getMessage() for record in caplog.records)
    with pytest.raises(LookupError, match=f"error id {error_id}"):  # what the charts say, not "Computing…"
        ready_result(job, done)


def test_a_failure_the_computation_explains_keeps_its_message_and_the_result_on_screen(tmp_path):
    job = Job(ids=ids.FORECAST_JOB, compute=_too_short, describe=lambda p: "Revenue forecast", to_params=_params)
    done, status = _run(job, tmp_path)
    assert done is no_update
    assert _text(status) == ("Cannot compute the Revenue forecast: the store holds 12 days of revenue; a forecast "
                             "needs at least 56 — load more history")
