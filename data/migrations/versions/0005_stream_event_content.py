"""Stream bookkeeping: the SHA-256 of each recorded event's content.

An event id that arrives again with different content is not a duplicate: the processor compares
the digest and dead-letters such an event instead of skipping it. Rows recorded before this
revision have none (their repeats are skipped as before).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stream_events") as table:
        table.add_column(sa.Column("content_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stream_events") as table:
        table.drop_column("content_sha256")
