"""The scaled-out deployment: gunicorn + Celery worker + Redis, driven in Chromium."""
from __future__ import annotations

from components import ids
from tests.browser.test_overview import assert_clean_console, sql_kpis, wait_for_kpis


def test_recompute_runs_on_a_celery_worker(dash_br, scaled_out_app, store_engine):
    dash_br.server_url = scaled_out_app
    wait_for_kpis(dash_br, sql_kpis(store_engine, 30))
    button = dash_br.find_element(f"#{ids.OVERVIEW_RECOMPUTE}")
    dash_br._wait_for(lambda _: button.is_enabled(), timeout=20, msg="Recompute KPIs stayed disabled")
    button.click()
    dash_br.wait_for_contains_text(f"#{ids.OVERVIEW_JOB_STATUS}", "computed in", timeout=90)
    bar = dash_br.find_element(f"#{ids.OVERVIEW_PROGRESS} .progress-bar")
    assert bar.get_attribute("aria-valuenow") == "100"
    wait_for_kpis(dash_br, sql_kpis(store_engine, 30))
    assert_clean_console(dash_br)
