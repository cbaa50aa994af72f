"""System health: metric points (raw, 1-minute, 1-hour), incidents, runbook actions and settings, the maintenance
calendar, the monitor's leases; alert rules gain the ``health`` kind (incidents go through the alert deliveries).

A frozen snapshot of the tables data/schema.py added.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_KINDS_BEFORE = "kind IN ('threshold', 'change', 'anomaly')"
_KINDS_AFTER = "kind IN ('threshold', 'change', 'anomaly', 'health')"


def _metrics() -> None:
    op.create_table(
        "health_metrics",
        sa.Column("resolution", sa.String(4), nullable=False),
        sa.Column("component", sa.String(32), nullable=False),
        sa.Column("metric", sa.String(48), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("value_min", sa.Float(), nullable=True),
        sa.Column("value_max", sa.Float(), nullable=True),
        sa.Column("samples", sa.Integer(), nullable=False, server_default="1"),
        sa.CheckConstraint("resolution IN ('raw', '1m', '1h')", name="ck_health_metrics_resolution"),
        sa.PrimaryKeyConstraint("resolution", "component", "metric", "at"),
    )
    op.create_index("ix_health_metrics_at", "health_metrics", ["resolution", "at"])
    op.create_table(
        "health_leases",
        sa.Column("name", sa.String(48), nullable=False),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def _incidents() -> None:
    op.create_table(
        "health_incidents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("group_key", sa.String(120), nullable=False),
        sa.Column("component", sa.String(32), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("signals", sa.Text(), nullable=False),
        sa.Column("causes", sa.Text(), nullable=False),
        sa.Column("alert_event_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("state IN ('open', 'resolved')", name="ck_health_incidents_state"),
        sa.ForeignKeyConstraint(["alert_event_id"], ["alert_events.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_health_incidents_state", "health_incidents", ["state", "opened_at"])


def _actions() -> None:
    op.create_table(
        "health_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("runbook", sa.String(48), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["health_incidents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_health_actions_runbook", "health_actions", ["runbook", "requested_at"])
    op.create_table(
        "runbook_settings",
        sa.Column("runbook", sa.String(48), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("max_per_hour", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("updated_by", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("mode IN ('auto', 'approval')", name="ck_runbook_settings_mode"),
        sa.CheckConstraint("max_per_hour >= 0", name="ck_runbook_settings_limit"),
        sa.PrimaryKeyConstraint("runbook"),
    )


def _maintenance() -> None:
    op.create_table(
        "maintenance_tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task", sa.String(48), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("approved_by", sa.String(64), nullable=True),
        sa.Column("moved_by", sa.String(64), nullable=True),
        sa.Column("catch_up", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_maintenance_tasks_due", "maintenance_tasks", ["state", "due_at"])


def _alert_kinds(condition: str) -> None:
    with op.batch_alter_table("alert_rules") as batch:
        batch.drop_constraint("ck_alert_rules_kind", type_="check")
        batch.create_check_constraint("ck_alert_rules_kind", condition)


def upgrade() -> None:
    _metrics()
    _incidents()
    _actions()
    _maintenance()
    _alert_kinds(_KINDS_AFTER)


def downgrade() -> None:
    op.drop_index("ix_maintenance_tasks_due", table_name="maintenance_tasks")
    op.drop_table("maintenance_tasks")
    op.drop_table("runbook_settings")
    op.drop_index("ix_health_actions_runbook", table_name="health_actions")
    op.drop_table("health_actions")
    op.drop_index("ix_health_incidents_state", table_name="health_incidents")
    op.drop_table("health_incidents")
    op.drop_table("health_leases")
    op.drop_index("ix_health_metrics_at", table_name="health_metrics")
    op.drop_table("health_metrics")
    # The health rule and its events exist only for incidents; the older schema has no place for them.
    health_events = "SELECT e.id FROM alert_events e JOIN alert_rules r ON r.id = e.rule_id WHERE r.kind = 'health'"
    op.execute(f"DELETE FROM alert_deliveries WHERE event_id IN ({health_events})")
    op.execute("DELETE FROM alert_events WHERE rule_id IN (SELECT id FROM alert_rules WHERE kind = 'health')")
    op.execute("DELETE FROM alert_rules WHERE kind = 'health'")
    _alert_kinds(_KINDS_BEFORE)
