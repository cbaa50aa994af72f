"""Entity "promotions": past and planned promotions from a file, matched on (name, start_date), promo_id assigned."""

from __future__ import annotations

from data import schema
from data.ingest import ingest_frame, list_quarantine
from data.queries import promotion_calendar
from tests.data.conftest import read_table
from tests.data.ingest.helpers import TODAY, line, seed, source_frame


def promotion(name: str, start_date: str = "2025-11-28", **changes) -> dict:
    return {"name": name, "start_date": start_date, "end_date": start_date, "discount": 0.25, **changes}


def _ingest(engine, rows, source_name="promotions.csv"):
    return ingest_frame(engine, source_frame("promotions", rows, source_name), today=TODAY)


def test_promotions_land_with_assigned_ids_and_merge_by_name_and_start_date(fresh_engine):
    first = _ingest(fresh_engine, [promotion("Black Friday", updated_at="2025-10-01"),
                                   promotion("Summer Sale", "2026-07-10", end_date="2026-07-21", discount=0.3,
                                             category="Apparel")])
    assert (first.status, first.accepted) == ("committed", 2), "a planned promotion is accepted"
    again = _ingest(fresh_engine, [promotion("Black Friday", discount=0.4, updated_at="2025-10-05")])
    assert (again.accepted, again.conflicts) == (1, 1)
    calendar = promotion_calendar(fresh_engine)
    assert calendar["promo_id"].tolist() == [1, 2] and calendar["name"].tolist() == ["Black Friday", "Summer Sale"]
    assert calendar["discount"].tolist() == [0.4, 0.3] and calendar["category"].tolist() == [None, "Apparel"]


def test_hostile_promotions_are_quarantined_with_their_reasons(fresh_engine):
    rows = [promotion("Ok"), promotion("Too deep", discount=0.96), promotion("Percent", discount=20.0),
            promotion("Backwards", "2025-11-28", end_date="2025-11-01"), promotion("Toys", category="Toys"),
            promotion("N" * 121)]
    result = _ingest(fresh_engine, rows)
    assert (result.accepted, result.quarantined) == (1, 5)
    reasons = list_quarantine(fresh_engine, run_id=result.run_id).set_index("row_number")["reason"]
    assert reasons[2] == ("`discount` = 0.96 is out of range: it must be >= 0 and <= 0.95; a discount is a "
                          "fraction of the price (0.2 = 20 % off); write 20 % as 0.2")
    assert reasons[3].startswith("`discount` = 20.0 is out of range")
    assert reasons[4].startswith("`start_date` = 2025-11-28 is after `end_date` = 2025-11-01")
    assert reasons[5].startswith("`category` = 'Toys' is not a known category")
    assert reasons[6].startswith("`name` is 121 characters long")
    assert read_table(fresh_engine, schema.promotions)["name"].tolist() == ["Ok"]


def test_orders_can_refer_to_an_ingested_promotion(fresh_engine):
    seed(fresh_engine)
    _ingest(fresh_engine, [promotion("Black Friday", "2025-06-01")])
    promo_id = int(read_table(fresh_engine, schema.promotions)["promo_id"].iloc[0])
    result = ingest_frame(fresh_engine, source_frame("orders", [line(1, promo_id=promo_id)]), today=TODAY)
    assert (result.accepted, result.quarantined) == (1, 0)
