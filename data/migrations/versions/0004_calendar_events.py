"""Calendar events: commercial days and one-off events that analysts enter (ingest entity "calendar").

One row per event and start date; the forecasts read them through data.queries.calendar_events.
A frozen snapshot of the table data/schema.py added; later revisions change it with their own
operations.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_events",
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("region", sa.String(32), nullable=True),
        sa.Column("category", sa.String(32), nullable=True),
        sa.Column("expected_lift", sa.Float(), nullable=True),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("source", sa.String(64), nullable=False, server_default="sample"),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
        sa.UniqueConstraint("name", "start_date", name="uq_calendar_events_name_start_date"),
        sa.CheckConstraint("end_date >= start_date", name="ck_calendar_events_dates"),
        sa.CheckConstraint("kind IN ('holiday', 'commercial', 'one_off')", name="ck_calendar_events_kind"),
        sa.CheckConstraint("expected_lift IS NULL OR (expected_lift > -1 AND expected_lift <= 20)",
                           name="ck_calendar_events_lift"),
    )


def downgrade() -> None:
    op.drop_table("calendar_events")
