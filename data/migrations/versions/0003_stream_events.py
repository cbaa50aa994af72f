"""Stream bookkeeping: the id of every event the stream processor applied or dead-lettered.

The processor writes these rows in the same transaction as the event's data, so an event
delivered again after a crash (committed, not yet acknowledged) is recognised and skipped.
A frozen snapshot of the table data/schema.py added; later revisions change it with their own
operations.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stream_events",
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("stream", sa.String(200), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("produced_at", sa.DateTime(), nullable=False),
        sa.Column("processed_at", sa.DateTime(), nullable=False),
        sa.Column("dataset_version", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_stream_events_processed_at", "stream_events", ["processed_at"])


def downgrade() -> None:
    op.drop_table("stream_events")
