"""Alembic migrations build exactly the schema of data/schema.py, idempotently."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from data import schema, store


def _differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, schema.metadata)


def _revision(engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_matches_schema_metadata(tmp_path):
    engine = store.get_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    store.upgrade(engine)
    assert _differences(engine) == []
    assert _revision(engine) == _head()


def test_upgrade_is_idempotent_and_keeps_data(fresh_engine):
    with fresh_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO dataset_versions (created_at, source, description, rows_written) "
                "VALUES ('2026-01-01 00:00:00', 'test', 'kept', 0)"
            )
        )
    store.upgrade(fresh_engine)
    store.upgrade(fresh_engine)
    assert _differences(fresh_engine) == []
    assert store.current_version(fresh_engine).description == "kept"


def test_comparison_notices_a_drifted_database(fresh_engine):
    """Guards the test above: a schema change outside the migrations must show up."""
    with fresh_engine.begin() as connection:
        connection.execute(text("ALTER TABLE customers ADD COLUMN nickname VARCHAR(20)"))
        connection.execute(text("DROP INDEX ix_orders_order_date"))
    differences = _differences(fresh_engine)
    kinds = {diff[0] if isinstance(diff, tuple) else diff[0][0] for diff in differences}
    assert {"remove_column", "add_index"} <= kinds


def _head() -> str:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def _downgrade(engine, revision: str) -> None:
    from alembic import command

    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _alembic_config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(store._MIGRATIONS))
    return config


def test_downgrade_to_base_drops_every_table(fresh_engine):
    from alembic import command

    config = _alembic_config()
    with fresh_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(fresh_engine).get_table_names()) <= {"alembic_version"}
    store.upgrade(fresh_engine)
    assert set(schema.metadata.tables) <= set(inspect(fresh_engine).get_table_names())


def test_env_refuses_to_run_without_a_connection():
    from alembic import command

    with pytest.raises(RuntimeError, match="data.store.upgrade"):
        command.upgrade(_alembic_config(), "head")


@pytest.mark.services
def test_postgres_upgrade_matches_schema_metadata(postgres_url):
    engine = store.get_engine(postgres_url)
    store.upgrade(engine)
    store.upgrade(engine)
    assert _differences(engine) == []


def test_revision_0004_adds_calendar_events_and_its_downgrade_drops_only_that(fresh_engine):
    from data import queries

    _downgrade(fresh_engine, "0003")
    tables = set(inspect(fresh_engine).get_table_names())
    assert "calendar_events" not in tables and "stream_events" in tables and "customers" in tables
    assert _revision(fresh_engine) == "0003"
    store.upgrade(fresh_engine)
    assert _differences(fresh_engine) == [] and _revision(fresh_engine) == _head()
    unique = inspect(fresh_engine).get_unique_constraints("calendar_events")
    assert [u["column_names"] for u in unique] == [["name", "start_date"]]
    assert queries.calendar_events(fresh_engine).empty


ACCESS = {"users", "api_tokens", "audit_log", "embed_links"}


def test_revision_0006_adds_the_access_tables_and_its_downgrade_drops_only_those(fresh_engine):
    _downgrade(fresh_engine, "0005")
    tables = set(inspect(fresh_engine).get_table_names())
    assert not ACCESS & tables and {"stream_events", "calendar_events"} <= tables
    store.upgrade(fresh_engine)
    assert ACCESS <= set(inspect(fresh_engine).get_table_names()) and _differences(fresh_engine) == []


@pytest.mark.services
def test_postgres_revision_0006_downgrades_and_upgrades_again(postgres_database):
    """The append-only trigger function goes with the downgrade, so upgrading again can create it."""
    engine = store.get_engine(postgres_database)
    store.upgrade(engine)
    _downgrade(engine, "0005")
    assert not ACCESS & set(inspect(engine).get_table_names())
    store.upgrade(engine)
    assert _differences(engine) == [] and _revision(engine) == _head()
