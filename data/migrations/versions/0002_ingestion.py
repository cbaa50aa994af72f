"""Ingestion bookkeeping: runs, quarantined rows, quality checks and conflicts.

A frozen snapshot of the tables data/schema.py added for ingestion; later revisions change
them with their own operations.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _create_ingest_runs() -> None:
    op.create_table(
        "ingest_runs",
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("source_name", sa.String(200), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.Column("rejected_reason", sa.Text(), nullable=True),
        sa.Column("dataset_version", sa.Integer(), nullable=True),
        sa.Column("newest_business_date", sa.Date(), nullable=True),
        sa.Column("null_rates", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("run_id"),
    )
    op.create_index("ix_ingest_runs_source_name", "ingest_runs", ["source_name", "finished_at"])


def _create_quarantine() -> None:
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("source_name", sa.String(200), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_run_id", sa.String(32), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["ingest_runs.run_id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_quarantine_status_entity", "quarantine", ["status", "entity"])
    op.create_index("ix_quarantine_run_id", "quarantine", ["run_id"])


def _create_quality_checks() -> None:
    op.create_table(
        "quality_checks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("source_name", sa.String(200), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("check", sa.String(64), nullable=False),
        sa.Column("column", sa.String(200), nullable=True),
        sa.Column("checked_rows", sa.Integer(), nullable=False),
        sa.Column("failed_rows", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["ingest_runs.run_id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_quality_checks_source_name", "quality_checks", ["source_name", "created_at"])


def _create_conflicts() -> None:
    op.create_table(
        "conflicts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("columns", sa.Text(), nullable=False),
        sa.Column("stored_value", sa.Text(), nullable=False),
        sa.Column("incoming_value", sa.Text(), nullable=False),
        sa.Column("winner", sa.String(16), nullable=False),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["ingest_runs.run_id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_conflicts_run_id", "conflicts", ["run_id"])


def upgrade() -> None:
    _create_ingest_runs()
    _create_quarantine()
    _create_quality_checks()
    _create_conflicts()


def downgrade() -> None:
    for table in ("conflicts", "quality_checks", "quarantine", "ingest_runs"):
        op.drop_table(table)
