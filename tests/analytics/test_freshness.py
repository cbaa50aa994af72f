"""The header's freshness badge: empty, fresh or stale, with the data's last order date."""
from __future__ import annotations

import datetime as dt

import pytest

from analytics.freshness import FRESH_HOURS, describe_freshness
from data import store
from data.sample import SampleConfig, generate_sample, write_sample


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    engine = store.get_engine(f"sqlite:///{tmp_path_factory.mktemp('fresh') / 'store.db'}")
    version = write_sample(engine, generate_sample(SampleConfig(customers=200, seed=5)))
    return engine, version


def test_empty_store(tmp_path):
    engine = store.get_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    info = describe_freshness(engine, None, dt.datetime.now(dt.timezone.utc))
    assert info.status == "empty" and "python -m data sample" in info.detail


def test_fresh_then_stale_with_the_last_order_date(written):
    engine, version = written
    written_at = version.created_at.replace(tzinfo=dt.timezone.utc)
    with engine.connect() as connection:
        last = dt.date.fromisoformat(connection.exec_driver_sql("SELECT max(order_date) FROM orders").scalar()[:10])
    fresh = describe_freshness(engine, version, written_at + dt.timedelta(hours=1))
    assert fresh.status == "fresh"
    assert fresh.text == f"DATA TO {last:%d %b %Y} · V{version.version}".upper()
    assert f"Latest order: {last.isoformat()}" in fresh.detail
    stale = describe_freshness(engine, version, written_at + dt.timedelta(hours=FRESH_HOURS + 1))
    assert stale.status == "stale"


def test_a_partial_last_day_makes_the_badge_name_the_last_complete_day(written):
    engine, version = written
    written_at = version.created_at.replace(tzinfo=dt.timezone.utc)
    with engine.connect() as connection:
        last = dt.date.fromisoformat(connection.exec_driver_sql("SELECT max(order_date) FROM orders").scalar()[:10])
    complete = last - dt.timedelta(days=1)
    info = describe_freshness(engine, version, written_at, complete_through=complete)
    assert info.text == f"DATA TO {complete:%d %b %Y} · V{version.version}".upper()
    assert f"run through {complete.isoformat()}, the last complete day" in info.detail
    same = describe_freshness(engine, version, written_at, complete_through=last)
    assert same.text == f"DATA TO {last:%d %b %Y} · V{version.version}".upper() and "partial" not in same.detail
