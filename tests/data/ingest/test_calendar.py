"""Entity "calendar": commercial days and one-off events, from a file through validation into calendar_events."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from data import schema, store
from data.ingest import ingest, ingest_frame, list_quarantine
from data.queries import calendar_events
from tests.data.conftest import read_table
from tests.data.ingest.helpers import TODAY, event, snapshot, source_frame

EVENTS_CSV = (
    "name,kind,start_date,end_date,region,category,expected_lift,note\n"
    "Store opening Berlin,one_off,2025-03-14,,EMEA,,0.4,Flagship store opens\n"
    "Singles Day,commercial,2025-11-11,2025-11-11,APAC,Electronics,0.8,\n"
    "Outage,one_off,2025-06-02,2025-06-03,,,-0.5,Payment provider down\n"
    "Singles Day,commercial,2026-11-11,,,,,planned\n"
)


def _ingest(engine, rows, source_name="calendar.csv", **options):
    return ingest_frame(engine, source_frame("calendar", rows, source_name), today=TODAY, **options)


def _reasons(engine, run_id) -> dict[int, str]:
    quarantined = list_quarantine(engine, run_id=run_id)
    return dict(zip(quarantined["row_number"], quarantined["reason"]))


def test_a_good_events_file_lands_every_row_in_the_contract_frame(fresh_engine, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(EVENTS_CSV)
    result = ingest(fresh_engine, "calendar", path, today=TODAY)
    assert (result.status, result.accepted, result.quarantined) == ("committed", 4, 0)
    got = calendar_events(fresh_engine)
    assert list(got.columns) == ["name", "kind", "start_date", "end_date", "region", "category", "expected_lift"]
    assert got["name"].tolist() == ["Store opening Berlin", "Outage", "Singles Day", "Singles Day"]
    assert got["kind"].tolist() == ["one_off", "one_off", "commercial", "commercial"]
    assert got["start_date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-03-14", "2025-06-02", "2025-11-11",
                                                                   "2026-11-11"]
    # A one-day event without end_date ends on its start date; the planned 2026 event is accepted.
    assert got["end_date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-03-14", "2025-06-03", "2025-11-11",
                                                                 "2026-11-11"]
    assert got["region"].tolist() == ["EMEA", None, "APAC", None]
    assert got["category"].tolist() == [None, None, "Electronics", None]
    np.testing.assert_array_equal(got["expected_lift"].to_numpy(), [0.4, -0.5, 0.8, np.nan])
    assert str(got["start_date"].dtype) == "datetime64[ns]" and got["expected_lift"].dtype == float
    notes = read_table(fresh_engine, schema.calendar_events).set_index("name")["note"]
    assert notes["Outage"] == "Payment provider down"


def test_an_excel_workbook_lands_the_same_events(fresh_engine, tmp_path):
    path = tmp_path / "events.xlsx"
    pd.read_csv(io.StringIO(EVENTS_CSV), dtype=str).to_excel(path, index=False)
    result = ingest(fresh_engine, "calendar", path, today=TODAY)
    assert (result.status, result.accepted) == ("committed", 4)
    assert calendar_events(fresh_engine)["expected_lift"].notna().sum() == 3


def test_an_empty_store_gives_an_empty_frame_with_the_columns(fresh_engine):
    got = calendar_events(fresh_engine)
    assert got.empty and list(got.columns) == ["name", "kind", "start_date", "end_date", "region", "category",
                                               "expected_lift"]


HOSTILE = [
    (event("Mega Sale", kind="sale"),
     "`kind` = 'sale' is not a known kind; valid values are holiday, commercial, one_off"),
    (event("Backwards", start_date="2025-05-05", end_date="2025-05-01"),
     "`start_date` = 2025-05-05 is after `end_date` = 2025-05-01; an event ends on or after the day it starts "
     "(leave end_date empty for a one-day event)"),
    (event("Percent lift", expected_lift=30.0),
     "`expected_lift` = 30.0 is out of range: it must be > -1 and <= 20; it is a relative lift (0.3 = +30 %, "
     "-0.5 = half the usual sales): sales cannot fall by 100 % or more, and a value above 20 is usually a "
     "percentage written as a whole number (write 30 % as 0.3)"),
    (event("Total loss", expected_lift=-1.0), "`expected_lift` = -1.0 is out of range: it must be > -1 and <= 20"),
    (event("Mars launch", region="Mars"),
     "`region` = 'Mars' is not a known region; valid values are North America, EMEA, APAC, LATAM, or leave it "
     "empty for every region"),
    (event("Toy week", category="toys"),
     "`category` = 'toys' is not a known category; valid values are Electronics, Home, Apparel, Sports, Beauty, "
     "or leave it empty for every category"),
    (event("N" * 121), "`name` is 121 characters long (starts 'NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN'); the "
                       "store keeps at most 120, shorten it"),
    (event("Long note", note="x" * 501), "`note` is 501 characters long"),
    (event(None), "`name` is empty; it is required for calendar"),
    (event("No kind", kind=None), "`kind` is empty; it is required for calendar"),
]


def test_hostile_rows_are_quarantined_with_their_reasons_and_none_of_them_is_written(fresh_engine):
    rows = [event("Singles Day", expected_lift=0.8)] + [row for row, _ in HOSTILE]
    result = _ingest(fresh_engine, rows)
    assert (result.status, result.accepted, result.quarantined, result.exit_code) == ("partial", 1, len(HOSTILE), 3)
    reasons = _reasons(fresh_engine, result.run_id)
    assert sorted(reasons) == list(range(2, len(HOSTILE) + 2))
    for row_number, (_, expected) in enumerate(HOSTILE, start=2):
        assert reasons[row_number].startswith(expected), (row_number, reasons[row_number])
    assert calendar_events(fresh_engine)["name"].tolist() == ["Singles Day"]


def test_a_batch_of_only_hostile_rows_writes_no_event_and_no_version(fresh_engine):
    before = snapshot(fresh_engine)
    result = _ingest(fresh_engine, [row for row, _ in HOSTILE[:6]])
    after = snapshot(fresh_engine)
    assert (result.accepted, result.quarantined, result.dataset_version) == (0, 6, None)
    assert after["calendar_events"] == 0 and after["version"] == before["version"]
    assert after["quarantine"] == 6


def test_the_same_event_twice_in_a_file_is_quarantined_naming_the_other_row(fresh_engine):
    result = _ingest(fresh_engine, [event("Singles Day"), event("Singles Day", expected_lift=0.5)])
    assert _reasons(fresh_engine, result.run_id) == {
        1: "duplicate key name='Singles Day',start_date=2025-11-11 also on rows 2",
        2: "duplicate key name='Singles Day',start_date=2025-11-11 also on rows 1"}


def test_a_missing_required_column_rejects_the_file_and_writes_nothing(fresh_engine, tmp_path):
    path = tmp_path / "no_kind.csv"
    path.write_text("name,start_date\nSingles Day,2025-11-11\n")
    before = snapshot(fresh_engine)
    result = ingest(fresh_engine, "calendar", path, today=TODAY)
    assert result.status == "rejected" and "missing required column(s) kind" in result.rejected_reason
    after = snapshot(fresh_engine)
    assert after.pop("ingest_runs") == before.pop("ingest_runs") + 1 and after == before


def test_an_unreadable_date_is_quarantined_with_the_readers_reason(fresh_engine, tmp_path):
    path = tmp_path / "dates.csv"
    path.write_text("name,kind,start_date\nSingles Day,commercial,2025-11-11\nSoon,one_off,next friday\n")
    result = ingest(fresh_engine, "calendar", path, today=TODAY)
    assert (result.accepted, result.quarantined) == (1, 1)
    assert _reasons(fresh_engine, result.run_id)[2].startswith("`start_date` = 'next friday': ")


def test_re_ingest_merges_by_name_and_start_date(fresh_engine):
    first = _ingest(fresh_engine, [event("Singles Day", expected_lift=0.8, updated_at="2025-10-01"),
                                   event("Outage", "2025-06-02", "one_off", expected_lift=-0.5)])
    ids = read_table(fresh_engine, schema.calendar_events).set_index("name")["event_id"]
    again = _ingest(fresh_engine, [event("Singles Day", expected_lift=0.8, updated_at="2025-10-01"),
                                   event("Outage", "2025-06-02", "one_off", expected_lift=-0.5)])
    assert (first.accepted, again.accepted, again.duplicates, again.dataset_version) == (2, 0, 2, None)
    changed = _ingest(fresh_engine, [event("Singles Day", expected_lift=1.2, updated_at="2025-10-05"),
                                     event("Singles Day", "2026-11-11", expected_lift=1.0)])
    assert (changed.accepted, changed.conflicts, changed.duplicates) == (2, 1, 0)
    stored = read_table(fresh_engine, schema.calendar_events)
    assert len(stored) == 3
    singles = stored[stored["name"] == "Singles Day"].set_index("start_date")
    assert singles.loc[pd.Timestamp("2025-11-11"), "event_id"] == ids["Singles Day"], "the event keeps its id"
    assert singles.loc[pd.Timestamp("2025-11-11"), "expected_lift"] == 1.2
    assert singles.loc[pd.Timestamp("2026-11-11"), "event_id"] == ids.max() + 1
    conflict = read_table(fresh_engine, schema.conflicts).iloc[0]
    assert (conflict["entity"], json.loads(conflict["columns"]), conflict["winner"]) == (
        "calendar", ["expected_lift"], "incoming")


def test_a_file_without_an_optional_column_keeps_the_stored_values(fresh_engine):
    _ingest(fresh_engine, [event("Outage", "2025-06-02", "one_off", expected_lift=-0.5, note="provider down")])
    result = _ingest(fresh_engine, [event("Outage", "2025-06-02", "one_off", region="EMEA")], "ops.csv")
    assert (result.accepted, result.conflicts) == (1, 1)
    stored = read_table(fresh_engine, schema.calendar_events).iloc[0]
    assert (stored["region"], stored["expected_lift"], stored["note"]) == ("EMEA", -0.5, "provider down")


def test_the_store_itself_refuses_an_event_that_ends_before_it_starts(fresh_engine):
    """The table's CHECK constraints back the validation up for writers that bypass it."""
    with pytest.raises(Exception, match="ck_calendar_events_dates|CHECK constraint"):
        with fresh_engine.begin() as connection:
            connection.execute(schema.calendar_events.insert().values(
                event_id=1, name="Backwards", kind="commercial", start_date=pd.Timestamp("2025-05-05").date(),
                end_date=pd.Timestamp("2025-05-01").date(), updated_at=pd.Timestamp("2025-05-01")))
    assert store.row_count(fresh_engine, schema.calendar_events) == 0


@pytest.mark.services
def test_postgres_holds_calendar_events(postgres_database):
    """The same entity on PostgreSQL, in a database of its own: merge, quarantine, constraints and the query."""
    engine = store.get_engine(postgres_database)
    try:
        store.upgrade(engine)
        assert calendar_events(engine).empty
        rows = [event("Singles Day", expected_lift=0.8, updated_at="2025-10-01"), event("Outage", "2025-06-02", "one_off", expected_lift=-0.5),
                event("N" * 121), event("Backwards", "2025-05-05", end_date="2025-05-01")]
        first = _ingest(engine, rows)
        assert (first.accepted, first.quarantined) == (2, 2)
        again = _ingest(engine, [event("Singles Day", expected_lift=0.9, updated_at="2026-01-01")])
        assert (again.accepted, again.conflicts, again.dataset_version) == (1, 1, 2)
        got = calendar_events(engine)
        assert got["name"].tolist() == ["Outage", "Singles Day"] and got["expected_lift"].tolist() == [-0.5, 0.9]
        assert str(got["end_date"].dtype) == "datetime64[ns]"
    finally:
        engine.dispose()


def test_the_example_in_docs_ingestion_md_lands_as_documented(fresh_engine, tmp_path):
    from data import repo_root

    doc = (repo_root() / "docs" / "ingestion.md").read_text()
    example = doc.split("Example (`events.csv`):\n\n```csv\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "events.csv"
    path.write_text(example)
    result = ingest(fresh_engine, "calendar", path, today=TODAY)
    assert (result.status, result.accepted) == ("committed", 4)
    got = calendar_events(fresh_engine).set_index(["name", "start_date"])
    assert got.loc[("Outage", pd.Timestamp("2025-06-02")), "expected_lift"] == -0.5
    assert got.loc[("Singles Day", pd.Timestamp("2025-11-11")), "kind"] == "commercial"
    assert got.loc[("Store opening Berlin", pd.Timestamp("2026-03-14")), "kind"] == "one_off"
