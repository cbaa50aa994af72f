"""Fixtures for the store and the sample generator: one small company per session and a fresh
SQLite store per test (PostgreSQL comes from tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from data import schema, store
from data.sample import ground_truth
from data.sample import SampleConfig, SampleDataset, generate_sample, write_sample

SMALL = SampleConfig(customers=1500, seed=7)


def read_table(engine: Engine, table) -> pd.DataFrame:
    """A store table as a frame, date columns as datetime64, ordered by primary key."""
    with engine.connect() as connection:
        frame = pd.read_sql_query(select(table).order_by(*table.primary_key.columns), connection)
    for column in table.columns:
        if column.type.python_type in (dt.date, dt.datetime):
            frame[column.name] = pd.to_datetime(frame[column.name])
    return frame


@dataclass(frozen=True)
class WrittenSample:
    """A generated company and the SQLite store it was written to."""

    dataset: SampleDataset
    url: str
    engine: Engine
    truth_path: Path

    def table(self, name: str) -> pd.DataFrame:
        return read_table(self.engine, schema.metadata.tables[name])


@pytest.fixture(scope="session")
def sample() -> SampleDataset:
    """A 1,500-customer company (generated once; tests must not modify its frames)."""
    return generate_sample(SMALL)


@pytest.fixture(scope="session")
def written_sample(sample, tmp_path_factory) -> WrittenSample:
    """The session's sample written to its own SQLite file, with its ground truth beside it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'sample.db'}"
    engine = store.get_engine(url)
    truth_path = ground_truth.ground_truth_path(url)
    write_sample(engine, sample, truth_path)
    return WrittenSample(sample, url, engine, truth_path)


@pytest.fixture
def fresh_engine(tmp_path) -> Engine:
    """An upgraded, empty SQLite store private to one test."""
    engine = store.get_engine(f"sqlite:///{tmp_path / 'store.db'}")
    store.upgrade(engine)
    return engine
