"""The scaled-out deployment: gunicorn + Celery worker + Redis, driven in Chromium."""
from __future__ import annotations

from components import ids
from tests.browser.helpers import assert_clean_console, login, run_job_to_completion, sql_kpis, wait_for_kpis


def test_recompute_runs_on_a_celery_worker(dash_br, scaled_out_app, store_engine):
    login(dash_br, scaled_out_app, "admin")
    dash_br.server_url = scaled_out_app
    wait_for_kpis(dash_br, sql_kpis(store_engine, 30))
    run_job_to_completion(dash_br, ids.OVERVIEW_JOB, timeout=90)
    wait_for_kpis(dash_br, sql_kpis(store_engine, 30))
    assert_clean_console(dash_br)
