"""Alembic environment: migrations run on the connection that ``data.store.upgrade`` hands over.

There is no alembic.ini. Online runs take the SQLAlchemy connection from
``config.attributes["connection"]`` so the caller owns the engine and the transaction.
Offline runs (``alembic upgrade --sql``) need ``sqlalchemy.url`` set on the config.
"""

from __future__ import annotations

from alembic import context

from data import schema

config = context.config


def _run_offline() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError(
            "offline migration needs a database URL: set the 'sqlalchemy.url' main option "
            "on the Alembic Config (used only to pick the SQL dialect)"
        )
    context.configure(url=url, target_metadata=schema.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "no connection handed to Alembic: run migrations with data.store.upgrade(engine) "
            "or `python -m data upgrade`, which pass it in config.attributes['connection']"
        )
    context.configure(
        connection=connection,
        target_metadata=schema.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
