"""The app as users run it: `make serve` (gunicorn, two workers, no secret key set), fresh browsers, several at once.

These are the failures users saw and the single-process test server never showed: pages that never finished
because a status poll landed on the other worker, viewers consuming each other's background results, a metric
switch that kept the old numbers, and an open page that never moved to new data.
"""
from __future__ import annotations

import os
import threading

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from components import ids
from tests.browser.helpers import (add_new_data, console_errors, fresh_browser, status, store_version,
                                   wait_for_status, wait_until_drawn)

PAGES = {"/": 6, "/forecast": 2, "/retention": 7, "/data": 0}  # visible 2D charts each page must draw, at least


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_draws_every_chart_on_five_fresh_loads(served, path):
    base = served.base
    for attempt in range(5):
        with fresh_browser(base) as driver:
            driver.get(base + path)
            if path == "/data":
                WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".ag-row"),
                                                f"load {attempt + 1}: no sources listed")
            wait_until_drawn(driver, PAGES[path])
            errors = console_errors(driver)
            assert not errors, (f"load {attempt + 1} of {path}", [e["message"] for e in errors])


def test_an_open_page_moves_to_new_data_showing_the_last_result_meanwhile(served, tmp_path):
    base, store = served.base, served.store
    with fresh_browser(base) as driver:
        driver.get(base + "/forecast")
        wait_until_drawn(driver, PAGES["/forecast"])
        old = store_version(store)
        wait_for_status(driver, ids.FORECAST_JOB, lambda text: f"dataset v{old}:" in text, timeout=60)
        new = add_new_data(store, tmp_path)
        wait_for_status(driver, ids.FORECAST_JOB, lambda text: "UPDATING" in text, timeout=30)
        assert f"dataset v{old} while v{new} is computed" in status(driver, ids.FORECAST_JOB_STATUS)
        wait_until_drawn(driver, PAGES["/forecast"], timeout=5)  # the last good forecast stays on screen
        wait_for_status(driver, ids.FORECAST_JOB, lambda text: f"dataset v{new}:" in text)
        wait_until_drawn(driver, PAGES["/forecast"], timeout=30)
        assert not (errors := console_errors(driver)), [e["message"] for e in errors]


def _click_units(driver) -> None:
    # Dash also calls the background job once as the page arrives; while it runs the metric options are disabled
    # and a click is ignored, so wait for the run button (re-enabled with them) first.
    WebDriverWait(driver, 60).until(lambda d: d.find_element(By.ID, ids.FORECAST_JOB.run).is_enabled())
    driver.find_element(By.ID, ids.FORECAST_METRIC).find_element(By.XPATH, ".//label[contains(., 'Units')]").click()


def test_two_viewers_switching_the_metric_at_once_both_get_units(served):
    base = served.base
    with fresh_browser(base) as first, fresh_browser(base) as second:
        for driver in (first, second):
            driver.get(base + "/forecast")
        for driver in (first, second):
            wait_until_drawn(driver, PAGES["/forecast"])
        clicks = [threading.Thread(target=_click_units, args=(driver,)) for driver in (first, second)]
        for thread in clicks:
            thread.start()
        for thread in clicks:
            thread.join()
        for driver in (first, second):
            wait_for_status(driver, ids.FORECAST_JOB,
                            lambda text: "Units sold forecast" in text and "UPDATING" not in text)
            wait_until_drawn(driver, PAGES["/forecast"], timeout=30)
            title = driver.execute_script(
                f"return document.querySelector('#{ids.FORECAST_MAIN} .js-plotly-plot').layout.title.text")
            assert title.startswith("Units sold"), title
            assert "metric=units" in driver.current_url
            assert not (errors := console_errors(driver)), [e["message"] for e in errors]


def test_two_viewers_opening_retention_at_once_both_get_the_new_models(served, tmp_path):
    base, store = served.base, served.store
    new = add_new_data(store, tmp_path)  # nothing is cached for this version: both viewers wait for one fit
    with fresh_browser(base) as first, fresh_browser(base) as second:
        for driver in (first, second):
            driver.get(base + "/retention")
        for driver in (first, second):
            wait_for_status(driver, ids.RETENTION_JOB, lambda text: f"dataset v{new}:" in text)
            wait_until_drawn(driver, PAGES["/retention"], timeout=60)
            assert driver.find_element(By.ID, ids.RETENTION_JOB.error).text == ""
            assert not (errors := console_errors(driver)), [e["message"] for e in errors]


def _gunicorn_master(server_pid: int):
    """The gunicorn master under `make serve`: make runs it directly, or through /bin/sh when the shell does not
    exec its last command (dash), so it is the first Python process down the chain."""
    import psutil

    process = psutil.Process(server_pid)
    while "python" not in os.path.basename(process.exe()):
        process = process.children()[0]
    return process


def _job_processes(server_pid: int) -> dict:
    """Live background-job processes, ``{(pid, start time): process}``: each is a fork of a gunicorn worker
    (DiskcacheManager starts one per job: master → worker → job)."""
    import psutil

    jobs = {}
    for worker in _gunicorn_master(server_pid).children():
        for job in worker.children():
            try:
                if job.status() != psutil.STATUS_ZOMBIE:
                    jobs[(job.pid, job.create_time())] = job
            except psutil.NoSuchProcess:  # a job that ended meanwhile
                continue
    return jobs


def _kill_tree(process) -> None:
    import psutil

    for each in [*process.children(recursive=True), process]:
        try:
            each.kill()
        except psutil.NoSuchProcess:
            pass


def test_a_job_that_dies_says_so_instead_of_leaving_the_page_waiting(served):
    import psutil

    base = served.base
    with fresh_browser(base) as driver:
        driver.get(base + "/retention")
        wait_until_drawn(driver, PAGES["/retention"])
        refit = driver.find_element(By.ID, ids.RETENTION_REFIT)
        # Dash also calls the background job once as the page arrives (it answers at once: nothing was asked).
        WebDriverWait(driver, 20).until(lambda _: refit.is_enabled())
        # Whatever job process exists now (that call's, possibly still exiting) is not the refit.
        before = _job_processes(served.pid)
        refit.click()
        wait_for_status(driver, ids.RETENTION_JOB, lambda text: "recomputed" in text, timeout=30)
        WebDriverWait(driver, 30).until(lambda _: not refit.is_enabled(), "the refit never started running")
        refits = WebDriverWait(driver, 120).until(
            lambda _: [job for key, job in _job_processes(served.pid).items() if key not in before],
            "no background-job process started for the refit")
        assert "computed in" not in status(driver, ids.RETENTION_JOB_STATUS)  # killed while it computes
        for job in refits:
            _kill_tree(job)
        WebDriverWait(driver, 60).until(
            lambda d: "ended without a result" in d.find_element(By.ID, ids.RETENTION_JOB.error).text,
            "the page never said that the refit's background job ended without a result")
        assert "computed in" not in status(driver, ids.RETENTION_JOB_STATUS)  # the refit really died
        assert driver.find_element(By.ID, ids.RETENTION_REFIT).is_enabled()  # the viewer can try again
        wait_until_drawn(driver, PAGES["/retention"], timeout=5)  # and still sees the last result
        assert psutil.pid_exists(served.pid)
