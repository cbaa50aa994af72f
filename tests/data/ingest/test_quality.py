"""data.ingest.quality: per-source counts, freshness, null rates, failed checks over time and the 0-100 score."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from data.ingest import ingest_frame
from data.ingest.quality import REPORT_COLUMNS, failed_checks, quality_report, quality_score
from tests.data.ingest.helpers import TODAY, customer, line, seed, source_frame


def _ingest(engine, entity, rows, source_name):
    return ingest_frame(engine, source_frame(entity, rows, source_name), today=TODAY)


def test_an_empty_store_has_an_empty_report(fresh_engine):
    report = quality_report(fresh_engine)
    assert report.empty and list(report.columns) == REPORT_COLUMNS


def test_counts_freshness_and_null_rates_per_source(fresh_engine):
    seed(fresh_engine)
    first = _ingest(fresh_engine, "orders", [line(1), line(2, quantity=-1, order_date="2025-12-01")], "shop.csv")
    second = _ingest(fresh_engine, "orders", [line(1), line(3, order_date="2025-08-01", channel=None),
                                             line(4, order_date="2025-08-02", channel="Web")], "shop.csv")
    report = quality_report(fresh_engine).set_index("source_name")
    assert set(report.index) == {"crm_seed.csv", "erp_seed.csv", "shop.csv"}
    shop = report.loc["shop.csv"]
    assert (shop["entity"], shop["runs"], shop["last_status"]) == ("orders", 2, "committed")
    assert (shop["accepted"], shop["quarantined"], shop["duplicates"], shop["open_quarantine"]) == (3, 1, 1, 1)
    assert shop["newest_business_date"] == pd.Timestamp("2025-08-02"), "from accepted rows only"
    assert shop["last_success_at"] == shop["last_run_at"]
    assert shop["null_rates"]["channel"] == pytest.approx(2 / 3, abs=1e-4)
    assert shop["null_rates"]["quantity"] == 0.0
    assert first.run_id != second.run_id


def test_the_score_follows_the_documented_formula(fresh_engine):
    seed(fresh_engine)
    _ingest(fresh_engine, "customers", [customer(10), customer(11, region="Mars"), customer(12), customer(13)],
            "crm_accounts.csv")
    ingest_frame(fresh_engine, source_frame("customers", [{"customer_id": 14}], "crm_accounts.csv"), today=TODAY)
    row = quality_report(fresh_engine).set_index("source_name").loc["crm_accounts.csv"]
    acceptance, completeness, reliability = 3 / 4, 1.0, 1 / 2
    assert (row["acceptance"], row["completeness"], row["reliability"]) == (acceptance, completeness, reliability)
    assert row["quality_score"] == round(100 * (0.5 * acceptance + 0.3 * completeness + 0.2 * reliability), 1)
    assert row["last_status"] == "rejected" and pd.notna(row["last_success_at"])


def test_completeness_uses_the_required_columns_of_the_newest_batch():
    runs = pd.DataFrame({
        "entity": ["customers"] * 2, "status": ["committed", "partial"], "accepted": [2, 1], "duplicates": [0, 0],
        "quarantined": [0, 1],
        "null_rates": [json.dumps({"email": 0.0}), json.dumps({"email": 0.5, "name": 0.0, "cancel_date": 1.0})],
    })
    parts = quality_score(runs)
    assert parts["acceptance"] == 0.75 and parts["reliability"] == 1.0
    assert parts["completeness"] == pytest.approx(1 - 0.5 / 2), "cancel_date is optional and not counted"


def test_only_rejected_runs_score_zero():
    runs = pd.DataFrame({"entity": ["orders"], "status": ["rejected"], "accepted": [0], "duplicates": [0],
                         "quarantined": [0], "null_rates": [None]})
    assert quality_score(runs)["quality_score"] == 0.0


def test_the_score_window_is_the_last_ten_runs():
    bad = {"entity": "orders", "status": "rejected", "accepted": 0, "duplicates": 0, "quarantined": 0,
           "null_rates": None}
    good = {**bad, "status": "committed", "accepted": 5, "null_rates": json.dumps({"order_id": 0.0})}
    assert quality_score(pd.DataFrame([bad] * 5 + [good] * 10))["quality_score"] == 100.0


def test_failed_checks_over_time(fresh_engine):
    seed(fresh_engine)
    first = _ingest(fresh_engine, "orders", [line(1, quantity=-1), line(2, customer_id=99)], "shop.csv")
    _ingest(fresh_engine, "orders", [line(3)], "shop.csv")
    third = _ingest(fresh_engine, "orders", [line(4, quantity=-5)], "shop.csv")
    failed = failed_checks(fresh_engine, "shop.csv")
    assert failed[["run_id", "check", "column", "failed_rows"]].values.tolist() == [
        [first.run_id, "range", "quantity", 1],
        [first.run_id, "reference", "customer_id", 1],
        [third.run_id, "range", "quantity", 1],
    ]
    assert not failed["passed"].any()
    everything = failed_checks(fresh_engine, "shop.csv", include_passed=True)
    assert everything["run_id"].nunique() == 3 and everything["passed"].sum() > 0
    assert failed_checks(fresh_engine, "nobody.csv").empty
