"""The Retention page's callbacks as plain functions, on models fitted once through the page's own job."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from dash import no_update

from analytics.retention import KM_GROUPS
from components import ids
from components.customers import AT_RISK_CSV
from data.vocabulary import PLANS, SEGMENTS
from tests.pages.helpers import (JobRun, by_id, current, figure_text, run_page_job, text_of, trace_names,
                                 triggered_by)

pytestmark = pytest.mark.slow  # one fit of the retention models on the test company

WAITING = "Fitting the retention models…"


@pytest.fixture(scope="module")
def models(pages, shared_company) -> JobRun:
    """The page's job run once on the company; the fitted models stay in its results cache."""
    with current(shared_company):
        return run_page_job(pages.retention.RETENTION_JOB)


def test_the_job_reports_each_step_then_answers_from_the_cache(pages, company, models):
    ready, progress, status, _ = models
    assert status.startswith(f"Retention models for dataset v{ready['version']}: computed in")
    assert progress[-1] == (100, "done") and any("churn model" in label for _, label in progress)
    again = run_page_job(pages.retention.RETENTION_JOB)
    assert (again.progress, again.status) == ([], f"Retention models for dataset v{ready['version']}: from the cache.")


def _z(figure) -> list:
    return figure["data"][0]["z"]


def _matrix(figure) -> np.ndarray:
    """A heatmap's or surface's cells as numbers (an unobserved cell as NaN)."""
    return np.array([[np.nan if cell is None else cell for cell in row] for row in _z(figure)], dtype=float)


def test_cohorts_show_the_analyzers_table_for_the_chosen_metric(pages, company, models):
    heatmap, surface, message = pages.retention.update_cohorts(models.ready, "customers", "2d")
    assert surface is no_update and message is None
    cohorts = models.result.cohorts_
    for metric, table in (("customers", cohorts.customers), ("revenue", cohorts.revenue)):
        shown = pages.retention.update_cohorts(models.ready, metric, "2d")[0]
        expected = table.sort_index().sort_index(axis=1).to_numpy(dtype=float)  # oldest cohort first, by month
        np.testing.assert_allclose(_matrix(shown), expected, atol=5e-5)
    # a metric the page does not offer falls back to customers; in 3D the surface shows the same numbers
    assert _z(pages.retention.update_cohorts(models.ready, "<script>", "2d")[0]) == _z(heatmap)
    heatmap_3d, surface_3d, _ = pages.retention.update_cohorts(models.ready, "customers", "3d")
    assert heatmap_3d is no_update and _z(surface_3d) == _z(heatmap)


@pytest.mark.parametrize("by, groups", [("segment", SEGMENTS), ("plan", PLANS), ("<script>", SEGMENTS),
                                        (None, SEGMENTS)])
def test_survival_curves_follow_the_grouping_and_an_unknown_one_falls_back(pages, company, models, by, groups):
    km, forest, note = pages.retention.update_survival(models.ready, by)
    assert set(groups) <= set(filter(None, trace_names(km)))
    label = KM_GROUPS.get(by, KM_GROUPS["segment"]).lower()
    assert figure_text(km).startswith(f"Customers still active, by {label}")
    assert "log-rank p = " in figure_text(km)
    assert figure_text(forest).startswith("What drives churn") and text_of(note)


def test_models_show_the_churn_scores_segments_and_customers_at_risk(pages, company, models):
    card, roc, calibration, importance, segments, at_risk = pages.retention.update_models(models.ready)
    churn = models.result.churn_
    assert f"{churn.auc:.3f}" in text_of(card) and f"{churn.brier:.3f}" in text_of(card)
    assert any("AUC" in (name or "") for name in trace_names(roc))
    grid = by_id(at_risk, ids.RETENTION_AT_RISK)
    expected = models.result.top_at_risk(pages.retention.AT_RISK_ROWS)
    assert [row["customer_id"] for row in grid.rowData] == expected["customer_id"].tolist()
    assert text_of(segments)


def test_segments_are_drawn_in_the_view_mode_shown(pages, company, models):
    flat, scene = pages.retention.update_segments(models.ready, "2d")
    assert scene is no_update and {trace["type"] for trace in flat["data"]} == {"scatter"}
    flat_3d, scene_3d = pages.retention.update_segments(models.ready, "3d")
    assert flat_3d is no_update and {trace["type"] for trace in scene_3d["data"]} == {"scatter3d"}
    shown = sum(len(trace["x"]) for trace in scene_3d["data"])
    assert shown == min(pages.retention.SCATTER_POINTS, len(models.result.rfm_))


def test_while_fitting_every_chart_says_so_and_lost_models_say_how_to_get_them_back(pages, company, models):
    heatmap, _, message = pages.retention.update_cohorts(None, "customers", "2d")
    assert figure_text(heatmap) == WAITING and message is None
    assert figure_text(pages.retention.update_survival(None, "segment")[0]) == WAITING
    assert figure_text(pages.retention.update_models(None)[1]) == WAITING
    assert figure_text(pages.retention.update_segments(None, "2d")[0]) == WAITING
    gone = {**models.ready, "version": models.ready["version"] + 50}
    message = pages.retention.update_cohorts(gone, "customers", "2d")[2]
    assert text_of(message).startswith("No models: ")
    assert "no longer in the results cache; press Refit models" in text_of(message)


@pytest.mark.parametrize("trigger, prop, args, expected", [
    (ids.RETENTION_SEGMENTS, "clickData", ({"points": [{"customdata": 42}]}, None, None), 42),
    (ids.RETENTION_SEGMENTS_FLAT, "clickData", (None, {"points": [{"customdata": 7}]}, None), 7),
    (ids.RETENTION_AT_RISK, "selectedRows", (None, None, [{"customer_id": 12}]), 12),
    (ids.RETENTION_SEGMENTS, "clickData", ({"points": []}, None, None), no_update),
    (ids.RETENTION_SEGMENTS_FLAT, "clickData", (None, {"points": [{"x": 1}]}, None), no_update),
    (ids.RETENTION_AT_RISK, "selectedRows", (None, None, []), no_update),
])
def test_a_point_or_a_row_opens_that_customer(pages, trigger, prop, args, expected):
    with triggered_by(trigger, prop):
        assert pages.retention.select_customer(*args) == expected


def test_a_customer_opens_with_their_history_and_an_unknown_one_says_so(pages, company, models):
    customer = int(models.result.top_at_risk(1)["customer_id"].iloc[0])
    panel = pages.retention.show_customer(customer, models.ready)
    assert f"Customer {customer}" in text_of(panel)
    for unknown in (10**9, "abc", -1):
        alert = pages.retention.show_customer(unknown, models.ready)
        assert text_of(alert).startswith("Cannot open this customer: ")
    assert pages.retention.show_customer(None, models.ready) is no_update
    assert pages.retention.show_customer(customer, None) is no_update  # the models are still being fitted


def test_the_export_is_the_rows_the_grid_shows_with_raw_numbers(pages):
    rows = [{"customer_id": 3, "churn_probability": 0.35512, "clv": 120.456, "value_at_risk": 42.77}]
    sent = pages.retention.export_at_risk(1, rows)
    assert sent["filename"] == AT_RISK_CSV
    exported = pd.read_csv(io.StringIO(sent["content"]))
    assert exported.loc[0, "churn_probability"] == 0.3551 and exported.loc[0, "clv"] == 120.46
    assert pages.retention.export_at_risk(None, rows) is no_update


def test_the_layout_tolerates_any_query_string(pages, company):
    hostile = pages.retention.layout(by="<script>", cohorts="everything", customer="-3")
    assert by_id(hostile, ids.RETENTION_KM_BY).value == "segment"
    assert by_id(hostile, ids.RETENTION_CUSTOMER).data is None
    shared = pages.retention.layout(by="plan", cohorts="revenue", customer="42")
    assert by_id(shared, ids.RETENTION_KM_BY).value == "plan" and by_id(shared, ids.RETENTION_CUSTOMER).data == 42


def test_a_customer_id_that_is_not_a_number_says_so_without_python_text(pages, company, models):
    for hostile in ("abc", {"id": 1}, [3]):
        message = text_of(pages.retention.show_customer(hostile, models.ready))
        assert message.startswith("Cannot open this customer: ") and "is not a customer id" in message
        assert "int()" not in message and "invalid literal" not in message


def test_a_damaged_result_marker_gets_an_error_id_not_python_text(pages, company, models, caplog):
    import logging
    import re

    damaged = {**models.ready, "version": "abc"}  # what a hand-made request could send
    with caplog.at_level(logging.ERROR):
        heatmap, _, message = pages.retention.update_cohorts(damaged, "customers", "2d")
        survival = pages.retention.update_survival(damaged, "segment")[0]
    for shown in (text_of(message), figure_text(heatmap), figure_text(survival)):
        assert "invalid literal" not in shown
        error_id = re.search(r"error id ([0-9a-f]{8})", shown).group(1)
        assert any(error_id in record.getMessage() for record in caplog.records)
