"""Fixtures for the store and the sample generator: one small company per session, a fresh
SQLite store per test, and a private PostgreSQL server when the machine has one."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from data import ground_truth, schema, store
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; drop to the `postgres` account when we are root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def postgres_url():
    """A private PostgreSQL server on 127.0.0.1 for the session (skipped when not installed)."""
    initdb, server = shutil.which("initdb"), shutil.which("postgres")
    if initdb is None or server is None:
        pytest.skip("PostgreSQL is not installed (initdb/postgres not on PATH); apt-get install postgresql")
    # Not under pytest's tmp folder: its parents are private to root, and the server runs as `postgres`.
    workdir = Path(tempfile.mkdtemp(prefix="nf-postgres-"))
    if os.geteuid() == 0:
        try:
            shutil.chown(workdir, user="postgres")
        except LookupError:
            shutil.rmtree(workdir)
            pytest.skip("running as root without a `postgres` account to run the server as")
    datadir = workdir / "data"
    subprocess.run(
        _as_postgres_user([initdb, "-D", str(datadir), "-U", "foresight", "--auth=trust", "-E", "UTF8"]),
        check=True,
        capture_output=True,
    )
    port = _free_port()
    process = subprocess.Popen(
        _as_postgres_user(
            [
                server,
                "-D",
                str(datadir),
                "-p",
                str(port),
                "-k",
                str(workdir),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ]
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Block on the server's own log until it is ready (no polling, no sleeps).
        for line in process.stdout:
            if "ready to accept connections" in line:
                break
        else:
            pytest.fail(f"postgres exited with code {process.wait()} before it was ready")
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield f"postgresql+psycopg2://foresight@127.0.0.1:{port}/postgres"
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
