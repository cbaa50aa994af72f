"""Initial store: CRM, ERP and marketing tables plus dataset versions.

A frozen snapshot of data/schema.py as of this revision: later revisions change the
schema with their own operations, never by editing this file.

Revision ID: 0001
Revises:
Create Date: 2026-11-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _provenance() -> list[sa.Column]:
    return [
        sa.Column("source", sa.String(64), nullable=False, server_default="sample"),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    ]


def _create_crm() -> None:
    op.create_table(
        "customers",
        sa.Column("customer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("email", sa.String(200), nullable=False),
        sa.Column("signup_date", sa.Date(), nullable=False),
        sa.Column("segment", sa.String(32), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("plan", sa.String(32), nullable=False),
        sa.Column("cancel_date", sa.Date(), nullable=True),
        *_provenance(),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_index("ix_customers_region", "customers", ["region"])
    op.create_index("ix_customers_cancel_date", "customers", ["cancel_date"])

    op.create_table(
        "support_tickets",
        sa.Column("ticket_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("opened_date", sa.Date(), nullable=False),
        sa.Column("resolved_date", sa.Date(), nullable=True),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        *_provenance(),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.customer_id"]),
        sa.PrimaryKeyConstraint("ticket_id"),
    )
    op.create_index("ix_support_tickets_customer_id", "support_tickets", ["customer_id"])
    op.create_index("ix_support_tickets_opened_date", "support_tickets", ["opened_date"])


def _create_catalogue() -> None:
    op.create_table(
        "products",
        sa.Column("product_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sku", sa.String(32), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("list_price", sa.Float(), nullable=False),
        sa.Column("unit_cost", sa.Float(), nullable=False),
        sa.Column("launch_date", sa.Date(), nullable=False),
        *_provenance(),
        sa.PrimaryKeyConstraint("product_id"),
        sa.UniqueConstraint("sku"),
    )
    op.create_index("ix_products_category", "products", ["category"])

    op.create_table(
        "price_changes",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("old_price", sa.Float(), nullable=False),
        sa.Column("new_price", sa.Float(), nullable=False),
        *_provenance(),
        sa.ForeignKeyConstraint(["product_id"], ["products.product_id"]),
        sa.PrimaryKeyConstraint("product_id", "effective_date"),
    )

    op.create_table(
        "promotions",
        sa.Column("promo_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("discount", sa.Float(), nullable=False),
        sa.Column("category", sa.String(32), nullable=True),
        *_provenance(),
        sa.PrimaryKeyConstraint("promo_id"),
    )


def _create_sales() -> None:
    op.create_table(
        "orders",
        sa.Column("order_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("promo_id", sa.Integer(), nullable=True),
        *_provenance(),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.customer_id"]),
        sa.ForeignKeyConstraint(["promo_id"], ["promotions.promo_id"]),
        sa.PrimaryKeyConstraint("order_id"),
    )
    op.create_index("ix_orders_customer_id", "orders", ["customer_id"])
    op.create_index("ix_orders_order_date", "orders", ["order_date"])

    op.create_table(
        "order_lines",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Float(), nullable=False),
        sa.Column("discount", sa.Float(), nullable=False),
        sa.Column("order_date", sa.Date(), nullable=False),
        *_provenance(),
        sa.ForeignKeyConstraint(["order_id"], ["orders.order_id"]),
        sa.ForeignKeyConstraint(["product_id"], ["products.product_id"]),
        sa.PrimaryKeyConstraint("order_id", "line_number"),
    )
    op.create_index("ix_order_lines_order_date", "order_lines", ["order_date"])
    op.create_index("ix_order_lines_product_id", "order_lines", ["product_id"])


def _create_marketing() -> None:
    op.create_table(
        "campaigns",
        sa.Column("campaign_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        *_provenance(),
        sa.PrimaryKeyConstraint("campaign_id"),
        sa.UniqueConstraint("name"),
    )

    op.create_table(
        "marketing_daily",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("spend", sa.Float(), nullable=False),
        sa.Column("impressions", sa.Integer(), nullable=False),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("conversions", sa.Integer(), nullable=False),
        *_provenance(),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.campaign_id"]),
        sa.PrimaryKeyConstraint("date", "campaign_id"),
    )
    op.create_index("ix_marketing_daily_channel", "marketing_daily", ["channel"])


def upgrade() -> None:
    _create_crm()
    _create_catalogue()
    _create_sales()
    _create_marketing()
    op.create_table(
        "dataset_versions",
        sa.Column("version", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("rows_written", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )


def downgrade() -> None:
    for table in (
        "dataset_versions",
        "marketing_daily",
        "campaigns",
        "order_lines",
        "orders",
        "promotions",
        "price_changes",
        "products",
        "support_tickets",
        "customers",
    ):
        op.drop_table(table)
