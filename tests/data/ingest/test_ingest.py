"""data.ingest: atomic, idempotent batches with quarantine, conflicts, orders and campaigns."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import select

from data import schema, store
from data.ingest import (IngestResult, SourcePriority, discard, ingest_frame, list_quarantine, quarantine_csv,
                         resubmit)
from tests.data.conftest import read_table
from tests.data.ingest.helpers import (TODAY, customer, line, marketing_row, seed, snapshot, source_frame,
                                       ticket)


def _ingest(engine, entity, rows, source_name="test.csv", **options):
    return ingest_frame(engine, source_frame(entity, rows, source_name), today=TODAY, **options)


def _runs(engine) -> pd.DataFrame:
    return read_table(engine, schema.ingest_runs)


def test_a_clean_batch_is_committed_with_its_run_and_a_new_version(fresh_engine):
    result = _ingest(fresh_engine, "customers", [customer(1), customer(2)], "crm_accounts.csv")
    assert (result.accepted, result.quarantined, result.duplicates, result.conflicts) == (2, 0, 0, 0)
    assert result.exit_code == 0 and result.status == "committed" and result.rejected_reason is None
    assert result.dataset_version == store.current_version(fresh_engine).version == 1
    stored = read_table(fresh_engine, schema.customers)
    assert stored["customer_id"].tolist() == [1, 2]
    assert set(stored["source"]) == {"crm_accounts.csv"}
    run = _runs(fresh_engine).iloc[0]
    assert (run["run_id"], run["status"], run["rows_read"], run["accepted"]) == (result.run_id, "committed", 2, 2)
    assert run["newest_business_date"] == pd.Timestamp("2025-03-01")
    assert json.loads(run["null_rates"])["email"] == 0.0


def test_same_batch_twice_writes_nothing_new(fresh_engine):
    rows = [customer(1), customer(2), customer(3, region="Mars")]
    first = _ingest(fresh_engine, "customers", rows)
    before = snapshot(fresh_engine)
    second = _ingest(fresh_engine, "customers", rows)
    assert (first.accepted, first.quarantined) == (2, 1)
    assert (second.accepted, second.duplicates, second.quarantined, second.conflicts) == (0, 2, 1, 0)
    assert second.dataset_version is None
    after = snapshot(fresh_engine)
    assert after.pop("ingest_runs") == before.pop("ingest_runs") + 1
    assert after.pop("quality_checks") > before.pop("quality_checks")
    assert after == before, "no new rows, no new version, and the bad row is not quarantined twice"


def test_a_fully_duplicate_batch_exits_zero(fresh_engine):
    rows = [customer(1), customer(2)]
    _ingest(fresh_engine, "customers", rows)
    again = _ingest(fresh_engine, "customers", rows)
    assert (again.accepted, again.duplicates, again.exit_code) == (0, 2, 0)
    assert again.to_json() == ('{"accepted": 0, "quarantined": 0, "duplicates": 2, "conflicts": 0, '
                               '"rejected_reason": null, "warnings": []}')


def test_duplicates_against_the_store_are_counted_and_new_rows_added(fresh_engine):
    _ingest(fresh_engine, "customers", [customer(1), customer(2)])
    result = _ingest(fresh_engine, "customers", [customer(2), customer(3)])
    assert (result.accepted, result.duplicates, result.conflicts) == (1, 1, 0)
    assert read_table(fresh_engine, schema.customers)["customer_id"].tolist() == [1, 2, 3]


def test_duplicate_keys_within_the_file_are_quarantined_with_the_other_rows(fresh_engine):
    seed(fresh_engine)
    result = _ingest(fresh_engine, "orders", [line(7, line_number=1), line(8), line(7, line_number=1, quantity=5)])
    assert (result.accepted, result.quarantined, result.exit_code) == (1, 2, 3)
    reasons = list_quarantine(fresh_engine, run_id=result.run_id)
    assert reasons["row_number"].tolist() == [1, 3]
    assert reasons["reason"].tolist() == ["duplicate key order_id=7,line_number=1 also on rows 3",
                                          "duplicate key order_id=7,line_number=1 also on rows 1"]
    assert read_table(fresh_engine, schema.order_lines)["order_id"].tolist() == [8]


def test_newer_updated_at_wins_and_the_conflict_is_logged(fresh_engine):
    _ingest(fresh_engine, "customers", [customer(1, plan="Basic", updated_at="2025-05-01 10:00")], "crm.csv")
    result = _ingest(fresh_engine, "customers", [customer(1, plan="Plus", updated_at="2025-05-02 10:00")], "crm.csv")
    assert (result.accepted, result.conflicts, result.duplicates) == (1, 1, 0)
    stored = read_table(fresh_engine, schema.customers).iloc[0]
    assert (stored["plan"], stored["updated_at"]) == ("Plus", pd.Timestamp("2025-05-02 10:00"))
    conflict = read_table(fresh_engine, schema.conflicts).iloc[0]
    assert json.loads(conflict["key"]) == {"customer_id": 1}
    assert json.loads(conflict["columns"]) == ["plan"]
    assert (json.loads(conflict["stored_value"]), json.loads(conflict["incoming_value"])) == (
        {"plan": "Basic"}, {"plan": "Plus"})
    assert (conflict["winner"], conflict["rule"]) == ("incoming", "newer updated_at wins")


def test_older_updated_at_loses_and_the_store_keeps_its_values(fresh_engine):
    _ingest(fresh_engine, "customers", [customer(1, plan="Premium", updated_at="2025-05-02")], "crm.csv")
    version = store.current_version(fresh_engine).version
    result = _ingest(fresh_engine, "customers", [customer(1, plan="Basic", updated_at="2025-05-01")], "erp.csv")
    assert (result.conflicts, result.dataset_version) == (1, None)
    assert store.current_version(fresh_engine).version == version
    assert read_table(fresh_engine, schema.customers).iloc[0]["plan"] == "Premium"
    assert read_table(fresh_engine, schema.conflicts).iloc[0]["winner"] == "stored"


@pytest.mark.parametrize(("stored_source", "incoming_source", "winner", "plan"),
                         [("crm.csv", "erp.csv", "incoming", "Plus"), ("erp.csv", "crm.csv", "stored", "Basic")])
def test_without_updated_at_source_priority_decides(fresh_engine, stored_source, incoming_source, winner, plan):
    priority = "erp,crm,*"
    stamp = {"updated_at": "2025-05-01"}
    _ingest(fresh_engine, "customers", [customer(1, plan="Basic", **stamp)], stored_source, source_priority=priority)
    result = _ingest(fresh_engine, "customers", [customer(1, plan="Plus", **stamp)], incoming_source,
                     source_priority=priority)
    assert result.conflicts == 1
    assert read_table(fresh_engine, schema.customers).iloc[0]["plan"] == plan
    conflict = read_table(fresh_engine, schema.conflicts).iloc[0]
    assert conflict["winner"] == winner and "source priority" in conflict["rule"]


def test_source_priority_parsing_and_ranks():
    priority = SourcePriority.parse("ERP, crm ,*,sample")
    assert priority.order == ("erp", "crm", "*", "sample")
    assert [priority.rank(name) for name in ("erp", "crm_accounts.csv", "crm:accounts", "orders.csv", "sample",
                                             "crmx.csv")] == [0, 1, 1, 2, 3, 2]
    assert SourcePriority.parse(["erp"]).rank("anything") == 1
    assert SourcePriority.parse(None).order == ("erp", "crm", "marketing", "stream", "upload", "*", "sample")
    with pytest.raises(ValueError, match="names no source"):
        SourcePriority.parse(" , ")


def test_orders_write_headers_and_lines(fresh_engine):
    seed(fresh_engine)
    rows = [line(10, customer_id=3, product_id=1), line(10, customer_id=3, product_id=2, discount=0.1),
            line(11, customer_id=1, channel="Mobile")]
    result = _ingest(fresh_engine, "orders", rows)
    assert (result.accepted, result.quarantined) == (3, 0)
    headers = read_table(fresh_engine, schema.orders)
    assert headers[["order_id", "customer_id", "channel"]].values.tolist() == [[10, 3, "Retail"], [11, 1, "Mobile"]]
    lines = read_table(fresh_engine, schema.order_lines)
    assert lines[["order_id", "line_number", "category", "discount"]].values.tolist() == [
        [10, 1, "Home", 0.0], [10, 2, "Beauty", 0.1], [11, 1, "Home", 0.0]]
    assert (lines["order_date"] == pd.Timestamp("2025-06-01")).all()


def test_orphan_orders_are_quarantined_not_dropped(fresh_engine):
    seed(fresh_engine)
    before = snapshot(fresh_engine)
    result = _ingest(fresh_engine, "orders", [line(20, customer_id=404), line(21), line(22, product_id=99)])
    assert (result.accepted, result.quarantined, result.exit_code) == (1, 2, 3)
    quarantined = list_quarantine(fresh_engine, run_id=result.run_id)
    assert quarantined["row_number"].tolist() == [1, 3]
    assert "`customer_id` = 404 is not a known customer" in quarantined["reason"].iloc[0]
    payload = json.loads(quarantined["payload"].iloc[0])
    assert (payload["order_id"], payload["customer_id"], payload["order_date"]) == (20, 404, "2025-06-01")
    assert store.row_count(fresh_engine, schema.orders) == before["orders"] + 1


def test_a_header_conflict_redates_every_stored_line(fresh_engine):
    seed(fresh_engine)
    _ingest(fresh_engine, "orders", [line(30, updated_at="2025-11-01"), line(30, product_id=2, updated_at="2025-11-01")],
            "erp_orders.csv")
    result = _ingest(fresh_engine, "orders", [line(30, order_date="2025-06-03", updated_at="2099-01-01")],
                     "erp_orders.csv")
    assert result.quarantined == 1, "updated_at in the future is quarantined like any date"
    result = _ingest(fresh_engine, "orders", [line(30, order_date="2025-06-03", updated_at="2025-12-01")],
                     "erp_orders.csv")
    assert (result.accepted, result.conflicts) == (1, 1)
    assert read_table(fresh_engine, schema.orders)["order_date"].tolist() == [pd.Timestamp("2025-06-03")]
    assert read_table(fresh_engine, schema.order_lines)["order_date"].tolist() == [pd.Timestamp("2025-06-03")] * 2


def test_marketing_creates_unknown_campaigns_in_the_same_transaction(fresh_engine):
    rows = [marketing_row("2025-05-02", channel="Mobile"), marketing_row("2025-05-01", channel="Mobile"),
            marketing_row("2025-05-01", campaign="Always on")]
    result = _ingest(fresh_engine, "marketing", rows, "marketing_export.csv")
    assert result.accepted == 3
    campaigns = read_table(fresh_engine, schema.campaigns)
    assert campaigns[["campaign_id", "name", "channel", "kind"]].values.tolist() == [
        [1, "Spring push", "Mobile", "imported"], [2, "Always on", "Web", "imported"]]
    assert campaigns["start_date"].tolist() == [pd.Timestamp("2025-05-01")] * 2
    assert store.row_count(fresh_engine, schema.marketing_daily) == 3
    again = _ingest(fresh_engine, "marketing", rows, "marketing_export.csv")
    assert (again.duplicates, store.row_count(fresh_engine, schema.campaigns)) == (3, 2)


def test_tickets_need_known_customers(fresh_engine):
    seed(fresh_engine)
    result = _ingest(fresh_engine, "tickets", [ticket(1), ticket(2, customer_id=77, satisfaction=4)])
    assert (result.accepted, result.quarantined) == (1, 1)
    assert read_table(fresh_engine, schema.support_tickets)["ticket_id"].tolist() == [1]


def test_a_failure_mid_batch_leaves_the_store_exactly_as_it_was(fresh_engine, monkeypatch):
    seed(fresh_engine)
    before = snapshot(fresh_engine)
    real_insert = store._insert_frame
    tables = []

    def insert_then_fail(connection, table, frame):
        tables.append(table.name)
        if len(tables) == 2:
            raise RuntimeError("disk full while writing order_lines")
        return real_insert(connection, table, frame)

    monkeypatch.setattr(store, "_insert_frame", insert_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        _ingest(fresh_engine, "orders", [line(40), line(41, customer_id=404)])
    assert tables == ["orders", "order_lines"], "the orders were written before the failure"
    assert snapshot(fresh_engine) == before


def test_a_failing_before_commit_hook_rolls_everything_back(fresh_engine):
    before = snapshot(fresh_engine)
    seen = []

    def hook(connection, result):
        seen.append(result.accepted)
        raise RuntimeError("could not record the stream's event ids")

    with pytest.raises(RuntimeError):
        _ingest(fresh_engine, "customers", [customer(1)], before_commit=hook)
    assert seen == [1] and snapshot(fresh_engine) == before


def test_before_commit_writes_in_the_same_transaction(fresh_engine):
    def hook(connection, result):
        count = connection.execute(select(schema.customers.c.customer_id)).all()
        assert len(count) == 1 and result.dataset_version == 1

    assert _ingest(fresh_engine, "customers", [customer(1)], before_commit=hook).accepted == 1


def test_a_batch_without_a_required_column_is_rejected_and_only_its_run_recorded(fresh_engine):
    before = snapshot(fresh_engine)
    rows = [{k: v for k, v in customer(1).items() if k != "email"}]
    result = _ingest(fresh_engine, "customers", rows, "accounts.csv")
    assert (result.status, result.exit_code, result.dataset_version) == ("rejected", 2, None)
    assert result.rejected_reason.startswith("accounts.csv is missing required column(s) email for customers")
    after = snapshot(fresh_engine)
    assert after.pop("ingest_runs") == before.pop("ingest_runs") + 1
    assert after == before
    runs = _runs(fresh_engine)
    assert runs[["status", "rows_read"]].values.tolist() == [["rejected", 1]]
    assert runs["rejected_reason"].iloc[0] == result.rejected_reason


def test_extra_columns_are_reported_as_a_warning_and_a_failed_check(fresh_engine):
    frame = source_frame("customers", [customer(1)], "accounts.csv")
    from dataclasses import replace

    result = ingest_frame(fresh_engine, replace(frame, extra_columns=("nickname",)), today=TODAY)
    assert result.exit_code == 0
    assert result.warnings == ("accounts.csv: column(s) nickname are not part of customers and were not ingested; "
                               "map them in a mapping file if they should be",)
    checks = read_table(fresh_engine, schema.quality_checks)
    extra = checks[checks["check"] == "extra_columns"].iloc[0]
    assert (extra["column"], extra["failed_rows"], bool(extra["passed"])) == ("nickname", 1, False)


def test_unreadable_cells_are_quarantined_with_the_text_the_source_had(fresh_engine):
    errors = [{"row_number": 2, "column": "signup_date", "value": "31/02/2025",
               "reason": "not a date in the format %Y-%m-%d"}]
    frame = source_frame("customers", [customer(1), customer(2, signup_date=None)], "crm.csv", errors)
    result = ingest_frame(fresh_engine, frame, today=TODAY)
    assert (result.accepted, result.quarantined) == (1, 1)
    record = list_quarantine(fresh_engine).iloc[0]
    assert record["reason"] == "`signup_date` = '31/02/2025': not a date in the format %Y-%m-%d"
    assert json.loads(record["payload"])["signup_date"] == "31/02/2025"


def test_quarantine_correct_resubmit_accepted(fresh_engine):
    seed(fresh_engine)
    bad = _ingest(fresh_engine, "orders", [line(50), line(51, quantity=-3), line(52, customer_id=404)], "erp_o.csv")
    assert bad.quarantined == 2
    csv = quarantine_csv(fresh_engine, entity="orders")
    header = csv.splitlines()[0].split(",")
    assert header[:4] == ["quarantine_id", "source_name", "row_number", "reason"]
    table = pd.read_csv(pd.io.common.StringIO(csv), dtype=str, keep_default_na=False)
    assert table["row_number"].tolist() == ["2", "3"]
    table.loc[0, "quantity"] = "3"
    table.loc[1, "customer_id"] = "2"
    result = resubmit(fresh_engine, "orders", table.to_csv(index=False), today=TODAY)
    assert (result.accepted, result.quarantined, result.exit_code) == (2, 0, 0)
    assert list_quarantine(fresh_engine, entity="orders").empty
    closed = list_quarantine(fresh_engine, entity="orders", status="resubmitted")
    assert closed["resolved_run_id"].tolist() == [result.run_id] * 2
    lines = read_table(fresh_engine, schema.order_lines)
    assert lines.set_index("order_id").loc[51, "quantity"] == 3
    assert set(read_table(fresh_engine, schema.orders)["source"]) == {"erp_o.csv"}, "the original source's name"


def test_a_correction_that_fails_again_gets_a_new_open_record(fresh_engine):
    seed(fresh_engine)
    _ingest(fresh_engine, "orders", [line(60, quantity=-1)])
    table = pd.read_csv(pd.io.common.StringIO(quarantine_csv(fresh_engine)), dtype=str, keep_default_na=False)
    table.loc[0, "quantity"] = "0"
    result = resubmit(fresh_engine, "orders", table, today=TODAY)
    assert (result.accepted, result.quarantined, result.exit_code) == (0, 1, 3)
    still_open = list_quarantine(fresh_engine)
    assert len(still_open) == 1 and "`quantity` = 0 is out of range" in still_open["reason"].iloc[0]
    assert still_open["row_number"].tolist() == [1], "row numbers stay those of the original source"
    assert list_quarantine(fresh_engine, status="resubmitted")["resolved_run_id"].tolist() == [result.run_id]


def test_resubmit_refuses_rows_without_an_open_record(fresh_engine):
    seed(fresh_engine)
    before = snapshot(fresh_engine)
    no_ids = pd.DataFrame([line(70)]).astype(str)
    assert "needs its quarantine_id" in resubmit(fresh_engine, "orders", no_ids).rejected_reason
    unknown = no_ids.assign(quarantine_id="999")
    assert "[999] are not open orders quarantine records" in resubmit(fresh_engine, "orders", unknown).rejected_reason
    after = snapshot(fresh_engine)
    assert after.pop("ingest_runs") == before.pop("ingest_runs") + 2 and after == before


def test_discard_closes_records_and_refuses_stale_ids(fresh_engine):
    seed(fresh_engine)
    _ingest(fresh_engine, "orders", [line(80, quantity=-1), line(81, quantity=-2)])
    ids = list_quarantine(fresh_engine)["id"].tolist()
    assert discard(fresh_engine, ids[:1]) == 1
    assert list_quarantine(fresh_engine)["id"].tolist() == ids[1:]
    with pytest.raises(ValueError, match=rf"\[{ids[0]}\] are not open"):
        discard(fresh_engine, ids)
    assert list_quarantine(fresh_engine, status="discarded")["id"].tolist() == ids[:1]
    assert len(list_quarantine(fresh_engine, status=None)) == 2
    with pytest.raises(ValueError, match="status 'closed' is not one of open, resubmitted, discarded"):
        list_quarantine(fresh_engine, status="closed")


def test_result_exit_codes():
    def result(**changes):
        return IngestResult(**{"run_id": "r", "accepted": 1, "quarantined": 0, "duplicates": 0, "conflicts": 0,
                               **changes})

    assert [result().exit_code, result(quarantined=2).exit_code, result(rejected_reason="bad").exit_code] == [0, 3, 2]


@pytest.mark.services
def test_postgres_main_path(postgres_database):
    """The same pipeline on PostgreSQL, in a database of its own."""
    engine = store.get_engine(postgres_database)
    try:
        store.upgrade(engine)
        seed(engine)
        stamp = {"updated_at": "2025-11-01"}
        rows = [line(1, **stamp), line(1, product_id=2, **stamp), line(2, customer_id=404), line(3, quantity=-1)]
        first = _ingest(engine, "orders", rows, "erp_orders.csv")
        assert (first.accepted, first.quarantined, first.exit_code) == (2, 2, 3)
        again = _ingest(engine, "orders", rows, "erp_orders.csv")
        assert (again.accepted, again.duplicates, again.dataset_version) == (0, 2, None)
        changed = _ingest(engine, "orders", [line(1, quantity=9, updated_at="2025-12-01")], "erp_orders.csv")
        assert (changed.conflicts, changed.accepted) == (1, 1)
        assert read_table(engine, schema.order_lines)["quantity"].tolist() == [9, 2]
        assert len(list_quarantine(engine)) == 2
        def fail(connection, result):
            raise RuntimeError("the caller's own write failed")

        with pytest.raises(RuntimeError):
            _ingest(engine, "customers", [customer(9)], before_commit=fail)
        assert store.row_count(engine, schema.customers) == 3
    finally:
        engine.dispose()
