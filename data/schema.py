"""The canonical store schema: every source system lands in these tables.

The tables are defined once here with SQLAlchemy Core. Alembic migrations in
``data/migrations`` create and evolve them; a test checks that the migrated
database matches this metadata exactly.
"""
from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

from data.vocabulary import EVENT_KINDS

__all__ = [
    "metadata",
    "customers",
    "support_tickets",
    "products",
    "price_changes",
    "promotions",
    "orders",
    "order_lines",
    "campaigns",
    "marketing_daily",
    "calendar_events",
    "dataset_versions",
    "SOURCE_TABLES",
    "ingest_runs",
    "quarantine",
    "quality_checks",
    "conflicts",
    "INGEST_TABLES",
    "stream_events",
    "users",
    "api_tokens",
    "audit_log",
    "embed_links",
    "ACCESS_TABLES",
    "alert_rules",
    "alert_events",
    "alert_deliveries",
    "alert_runs",
    "ALERT_TABLES",
    "health_metrics",
    "health_incidents",
    "health_actions",
    "runbook_settings",
    "maintenance_tasks",
    "health_leases",
    "HEALTH_TABLES",
]

metadata = MetaData()


def _provenance() -> list[Column]:
    """Columns every source row carries: where it came from and when it last changed."""
    return [
        Column("source", String(64), nullable=False, server_default="sample"),
        Column("updated_at", DateTime, nullable=False),
    ]


# --- CRM -------------------------------------------------------------------
customers = Table(
    "customers",
    metadata,
    Column("customer_id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(120), nullable=False),
    Column("email", String(200), nullable=False),
    Column("signup_date", Date, nullable=False),
    Column("segment", String(32), nullable=False),
    Column("region", String(32), nullable=False),
    Column("channel", String(32), nullable=False),  # acquisition channel
    Column("plan", String(32), nullable=False),
    Column("cancel_date", Date, nullable=True),
    *_provenance(),
    Index("ix_customers_region", "region"),
    Index("ix_customers_cancel_date", "cancel_date"),
)

support_tickets = Table(
    "support_tickets",
    metadata,
    Column("ticket_id", Integer, primary_key=True, autoincrement=False),
    Column("customer_id", Integer, ForeignKey("customers.customer_id"), nullable=False),
    Column("opened_date", Date, nullable=False),
    Column("resolved_date", Date, nullable=True),
    Column("topic", String(32), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("satisfaction", Integer, nullable=True),  # 1..5, null when not surveyed
    *_provenance(),
    Index("ix_support_tickets_customer_id", "customer_id"),
    Index("ix_support_tickets_opened_date", "opened_date"),
)

# --- ERP -------------------------------------------------------------------
products = Table(
    "products",
    metadata,
    Column("product_id", Integer, primary_key=True, autoincrement=False),
    Column("sku", String(32), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("category", String(32), nullable=False),
    Column("list_price", Float, nullable=False),
    Column("unit_cost", Float, nullable=False),
    Column("launch_date", Date, nullable=False),
    *_provenance(),
    Index("ix_products_category", "category"),
)

price_changes = Table(
    "price_changes",
    metadata,
    Column("product_id", Integer, ForeignKey("products.product_id"), primary_key=True),
    Column("effective_date", Date, primary_key=True),
    Column("old_price", Float, nullable=False),
    Column("new_price", Float, nullable=False),
    *_provenance(),
)

promotions = Table(
    "promotions",
    metadata,
    Column("promo_id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(120), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("discount", Float, nullable=False),  # fraction, 0.2 = 20 % off
    Column("category", String(32), nullable=True),  # null = sitewide
    *_provenance(),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", Integer, primary_key=True, autoincrement=False),
    Column("customer_id", Integer, ForeignKey("customers.customer_id"), nullable=False),
    Column("order_date", Date, nullable=False),
    Column("channel", String(32), nullable=False),  # sales channel of this order
    Column("promo_id", Integer, ForeignKey("promotions.promo_id"), nullable=True),
    *_provenance(),
    Index("ix_orders_customer_id", "customer_id"),
    Index("ix_orders_order_date", "order_date"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", Integer, ForeignKey("orders.order_id"), primary_key=True),
    Column("line_number", Integer, primary_key=True),
    Column("product_id", Integer, ForeignKey("products.product_id"), nullable=False),
    Column("category", String(32), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", Float, nullable=False),
    Column("discount", Float, nullable=False),  # fraction of the line's gross value
    Column("order_date", Date, nullable=False),
    *_provenance(),
    Index("ix_order_lines_order_date", "order_date"),
    Index("ix_order_lines_product_id", "product_id"),
)

# --- Marketing -------------------------------------------------------------
campaigns = Table(
    "campaigns",
    metadata,
    Column("campaign_id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(120), nullable=False, unique=True),
    Column("channel", String(32), nullable=False),
    Column("kind", String(32), nullable=False),  # always_on | seasonal | launch
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=True),
    *_provenance(),
)

marketing_daily = Table(
    "marketing_daily",
    metadata,
    Column("date", Date, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.campaign_id"), primary_key=True),
    Column("channel", String(32), nullable=False),
    Column("spend", Float, nullable=False),
    Column("impressions", Integer, nullable=False),
    Column("clicks", Integer, nullable=False),
    Column("conversions", Integer, nullable=False),
    *_provenance(),
    Index("ix_marketing_daily_channel", "channel"),
)

# --- Calendar (revision 0004) ----------------------------------------------
# Commercial days and one-off events analysts enter (ingest entity "calendar"): known to the
# forecasts for the past and the future. One event per (name, start_date).
calendar_events = Table(
    "calendar_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(120), nullable=False),
    Column("kind", String(16), nullable=False),  # holiday | commercial | one_off
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),  # inclusive; a one-day event ends on its start date
    Column("region", String(32), nullable=True),  # null = every region
    Column("category", String(32), nullable=True),  # null = every category
    Column("expected_lift", Float, nullable=True),  # relative: 0.3 = +30 %, -0.5 = half the usual; null = unknown
    Column("note", String(500), nullable=True),
    *_provenance(),
    UniqueConstraint("name", "start_date", name="uq_calendar_events_name_start_date"),
    CheckConstraint("end_date >= start_date", name="ck_calendar_events_dates"),
    CheckConstraint("kind IN (" + ", ".join(f"'{kind}'" for kind in EVENT_KINDS) + ")", name="ck_calendar_events_kind"),
    CheckConstraint("expected_lift IS NULL OR (expected_lift > -1 AND expected_lift <= 20)",
                    name="ck_calendar_events_lift"),
)

# --- Bookkeeping -----------------------------------------------------------
dataset_versions = Table(
    "dataset_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime, nullable=False),
    Column("source", String(64), nullable=False),
    Column("description", String(500), nullable=False),
    Column("rows_written", Integer, nullable=False),
)

# Insert order respects foreign keys; delete in reverse.
SOURCE_TABLES: tuple[Table, ...] = (
    customers,
    support_tickets,
    products,
    price_changes,
    promotions,
    orders,
    order_lines,
    campaigns,
    marketing_daily,
    calendar_events,
)

# --- Ingestion bookkeeping (revision 0002) ---------------------------------
# One row per ingest attempt, committed together with the rows it accepted (or alone when rejected).
ingest_runs = Table(
    "ingest_runs",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("entity", String(32), nullable=False),
    Column("source_name", String(200), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime, nullable=False),
    Column("status", String(16), nullable=False),  # committed | partial | rejected
    Column("rows_read", Integer, nullable=False),
    Column("accepted", Integer, nullable=False),
    Column("quarantined", Integer, nullable=False),
    Column("duplicates", Integer, nullable=False),
    Column("conflicts", Integer, nullable=False),
    Column("rejected_reason", Text, nullable=True),
    Column("dataset_version", Integer, nullable=True),  # null when the run changed no source row
    Column("newest_business_date", Date, nullable=True),
    Column("null_rates", Text, nullable=True),  # JSON {column: share of empty values in the batch}
    Index("ix_ingest_runs_source_name", "source_name", "finished_at"),
)

# Invalid source rows, kept verbatim until they are corrected and re-submitted or discarded.
quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("ingest_runs.run_id"), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("source_name", String(200), nullable=False),
    Column("row_number", Integer, nullable=True),  # 1-based row of the source
    Column("reason", Text, nullable=False),
    Column("payload", Text, nullable=False),  # JSON object: the row as the source delivered it
    Column("status", String(16), nullable=False),  # open | resubmitted | discarded
    Column("created_at", DateTime, nullable=False),
    Column("resolved_at", DateTime, nullable=True),
    Column("resolved_run_id", String(32), nullable=True),
    Index("ix_quarantine_status_entity", "status", "entity"),
    Index("ix_quarantine_run_id", "run_id"),
)

# Every validation check of every run, passed or failed, so failures can be followed over time.
quality_checks = Table(
    "quality_checks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("ingest_runs.run_id"), nullable=False),
    Column("source_name", String(200), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("check", String(64), nullable=False),
    Column("column", String(200), nullable=True),  # null for whole-row checks
    Column("checked_rows", Integer, nullable=False),
    Column("failed_rows", Integer, nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_quality_checks_source_name", "source_name", "created_at"),
)

# Same key, different values: both sides, the winner and the rule that picked it.
conflicts = Table(
    "conflicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("ingest_runs.run_id"), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("key", Text, nullable=False),  # JSON object of the key columns
    Column("columns", Text, nullable=False),  # JSON list of the columns that differ
    Column("stored_value", Text, nullable=False),  # JSON object of those columns in the store
    Column("incoming_value", Text, nullable=False),  # JSON object of those columns in the source
    Column("winner", String(16), nullable=False),  # incoming | stored
    Column("rule", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_conflicts_run_id", "run_id"),
)

INGEST_TABLES: tuple[Table, ...] = (ingest_runs, quarantine, quality_checks, conflicts)

# --- Stream bookkeeping (revision 0003) ------------------------------------
# Every event the stream processor applied or dead-lettered, written in the same transaction as
# its rows: a redelivered event whose id is here is skipped (see docs/streaming.md).
stream_events = Table(
    "stream_events",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("event_type", String(32), nullable=False),
    Column("stream", String(200), nullable=False),
    Column("message_id", String(64), nullable=False),  # Redis Stream entry id of the first delivery
    Column("status", String(16), nullable=False),  # applied | dead_letter
    Column("reason", Text, nullable=True),  # why it was dead-lettered
    Column("produced_at", DateTime, nullable=False),
    Column("processed_at", DateTime, nullable=False),
    Column("dataset_version", Integer, nullable=True),  # null when the event changed no row
    Column("content_sha256", String(64), nullable=True),  # type + payload; null for rows before revision 0005
    Index("ix_stream_events_processed_at", "processed_at"),
)

# --- Access control (revision 0006) ----------------------------------------
# Local and single-sign-on accounts (core.auth.accounts). Usernames are stored lowercase, so the unique
# constraint is case-insensitive. auth_epoch is bumped by a role change, a disable and a password reset:
# sessions carry the epoch they were issued in and stop working when it moves on.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=True),  # null for single-sign-on users
    Column("role", String(16), nullable=False),  # viewer | analyst | admin (core.auth.roles)
    Column("disabled", Boolean, nullable=False, default=False, server_default=false()),
    Column("auth_epoch", Integer, nullable=False, default=0, server_default="0"),
    Column("source", String(16), nullable=False, default="local", server_default="local"),  # local | sso
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("last_login_at", DateTime, nullable=True),
)

# Personal API tokens (core.auth.tokens): only the SHA-256 of the token is stored; the prefix is for lists.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=True),  # null: never expires
    Column("revoked_at", DateTime, nullable=True),
    Column("last_used_at", DateTime, nullable=True),  # updated at most once a minute
    Index("ix_api_tokens_user_id", "user_id"),
)

# Who did what (core.auth.audit). Append-only: triggers made by revision 0006 refuse UPDATE and DELETE.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("actor_kind", String(16), nullable=False),  # session | token | sso | embed | cli | anonymous
    Column("action", String(64), nullable=False),
    Column("target", String(255), nullable=True),
    Column("outcome", String(16), nullable=False),  # ok | denied | failed
    Column("address", String(64), nullable=True),
    Column("detail", Text, nullable=True),  # JSON object
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_action", "action"),
)

# Signed links that show one page with fixed filters in a portal's iframe (core.auth.embeds).
embed_links = Table(
    "embed_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("page", String(64), nullable=False),  # a path such as /forecast
    Column("query", Text, nullable=False),  # the fixed filters as a query string; may be ''
    Column("role", String(16), nullable=False, default="viewer", server_default="viewer"),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("revoked_at", DateTime, nullable=True),
    Column("note", String(255), nullable=True),
)

ACCESS_TABLES: tuple[Table, ...] = (users, api_tokens, audit_log, embed_links)

# --- Alerts (revision 0007) ------------------------------------------------------------------------------------------
# Rules analysts create (core.alerts), what fired (the in-app alert centre reads these), every delivery attempt and
# its outcome, and one row per dataset version evaluated: inserting it is how one process claims the evaluation.
alert_rules = Table(
    "alert_rules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(120), nullable=False),
    Column("owner", String(64), nullable=False),  # the username that created it
    Column("kind", String(16), nullable=False),  # threshold | change | anomaly | health (system incidents)
    Column("metric", String(32), nullable=True),  # a KPI key; for anomaly rules null means any metric
    Column("scope", Text, nullable=False),  # JSON object, e.g. {"region": "EMEA"}; {} for the company
    Column("operator", String(2), nullable=True),  # < <= > >= (threshold and change rules)
    Column("threshold", Float, nullable=True),  # a KPI value, or a change in percent
    Column("window_days", Integer, nullable=False),  # the last N complete days (anomalies: ended within them)
    Column("min_score", Float, nullable=True),  # anomaly rules
    Column("webhook_url", String(500), nullable=True),
    Column("webhook_secret", String(128), nullable=True),  # HMAC key of the signature header
    Column("emails", Text, nullable=True),  # JSON list of addresses
    Column("enabled", Boolean, nullable=False, default=True, server_default=true()),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    CheckConstraint("kind IN ('threshold', 'change', 'anomaly', 'health')", name="ck_alert_rules_kind"),
    CheckConstraint("window_days >= 1", name="ck_alert_rules_window"),
)

alert_events = Table(
    "alert_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule_id", Integer, ForeignKey("alert_rules.id"), nullable=False),
    Column("dataset_version", Integer, nullable=False),
    Column("fired_at", DateTime, nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("values", Text, nullable=False),  # JSON object: the numbers the rule compared
    Column("dedup_key", String(255), nullable=False),  # the period or the anomaly: one event per rule and key
    Column("state", String(16), nullable=False),  # unread | acknowledged | snoozed
    Column("snoozed_until", DateTime, nullable=True),
    Column("acted_by", String(64), nullable=True),  # who acknowledged or snoozed it
    UniqueConstraint("rule_id", "dedup_key", name="uq_alert_events_rule_key"),
    Index("ix_alert_events_fired_at", "fired_at"),
)

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Integer, ForeignKey("alert_events.id"), nullable=False),
    Column("channel", String(16), nullable=False),  # in_app | webhook | email
    Column("target", String(500), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),  # delivered | failed | rate_limited
    Column("status_code", Integer, nullable=True),  # HTTP or SMTP reply code
    Column("error", Text, nullable=True),
    Column("at", DateTime, nullable=False),
    Index("ix_alert_deliveries_event_id", "event_id"),
    Index("ix_alert_deliveries_at", "at"),
)

alert_runs = Table(
    "alert_runs",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("claimed_by", String(128), nullable=False),  # host:pid of the process that evaluated it
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime, nullable=True),
    Column("fired", Integer, nullable=True),
    Column("error", Text, nullable=True),
)

ALERT_TABLES: tuple[Table, ...] = (alert_rules, alert_events, alert_deliveries, alert_runs)

# System health (core/health, docs/operations.md): the collector's metric points, incidents, runbook actions and
# their audit, per-runbook settings, the maintenance calendar, and the leases that keep one monitor per deployment.
health_metrics = Table(
    "health_metrics",
    metadata,
    Column("resolution", String(4), primary_key=True),  # raw | 1m | 1h
    Column("component", String(32), primary_key=True),  # host | web | worker | store | redis | stream | model | cache
    Column("metric", String(48), primary_key=True),
    Column("at", DateTime, primary_key=True),  # UTC; a downsampled point's bucket start
    Column("value", Float, nullable=False),  # the mean over the bucket for 1m and 1h
    Column("value_min", Float, nullable=True),
    Column("value_max", Float, nullable=True),
    Column("samples", Integer, nullable=False, default=1, server_default="1"),
    CheckConstraint("resolution IN ('raw', '1m', '1h')", name="ck_health_metrics_resolution"),
    Index("ix_health_metrics_at", "resolution", "at"),
)

health_incidents = Table(
    "health_incidents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("group_key", String(120), nullable=False),  # one failure, one incident: the component it centres on
    Column("component", String(32), nullable=False),
    Column("title", String(200), nullable=False),
    Column("severity", String(16), nullable=False),  # warning | critical
    Column("state", String(16), nullable=False),  # open | resolved
    Column("opened_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("resolved_at", DateTime, nullable=True),
    Column("signals", Text, nullable=False),  # JSON list: {component, metric, at, value, score, kind}
    Column("causes", Text, nullable=False),  # JSON list: the root-cause ranking with its evidence
    Column("alert_event_id", Integer, ForeignKey("alert_events.id"), nullable=True),
    CheckConstraint("state IN ('open', 'resolved')", name="ck_health_incidents_state"),
    Index("ix_health_incidents_state", "state", "opened_at"),
)

health_actions = Table(
    "health_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("runbook", String(48), nullable=False),
    Column("incident_id", Integer, ForeignKey("health_incidents.id"), nullable=True),
    Column("target", String(120), nullable=False),  # what it acts on (a component, a process id, a stream)
    Column("reason", Text, nullable=False),  # the trigger in words
    Column("mode", String(16), nullable=False),  # auto | approval | manual
    Column("state", String(16), nullable=False),  # pending | approved | rejected | done | failed | limited | dry_run
    Column("plan", Text, nullable=False),  # JSON: the dry run, what the action will do
    Column("result", Text, nullable=True),  # JSON: what it did
    Column("requested_at", DateTime, nullable=False),
    Column("decided_by", String(64), nullable=True),
    Column("decided_at", DateTime, nullable=True),
    Column("finished_at", DateTime, nullable=True),
    Index("ix_health_actions_runbook", "runbook", "requested_at"),
)

runbook_settings = Table(
    "runbook_settings",
    metadata,
    Column("runbook", String(48), primary_key=True),
    Column("mode", String(16), nullable=False),  # auto | approval
    Column("max_per_hour", Integer, nullable=False),
    Column("enabled", Boolean, nullable=False, default=True, server_default=true()),
    Column("updated_by", String(64), nullable=True),
    Column("updated_at", DateTime, nullable=False),
    CheckConstraint("mode IN ('auto', 'approval')", name="ck_runbook_settings_mode"),
    CheckConstraint("max_per_hour >= 0", name="ck_runbook_settings_limit"),
)

maintenance_tasks = Table(
    "maintenance_tasks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task", String(48), nullable=False),  # vacuum | cache_prune | downsample | retrain | backup
    Column("due_at", DateTime, nullable=False),  # the slot, in a forecast low-traffic window
    Column("reason", Text, nullable=False),  # why this slot
    Column("state", String(16), nullable=False),  # planned | approved | running | done | failed | skipped
    Column("approved_by", String(64), nullable=True),
    Column("moved_by", String(64), nullable=True),
    Column("catch_up", Boolean, nullable=False, default=False, server_default=false()),
    Column("started_at", DateTime, nullable=True),
    Column("finished_at", DateTime, nullable=True),
    Column("result", Text, nullable=True),  # JSON
    Index("ix_maintenance_tasks_due", "state", "due_at"),
)

health_leases = Table(
    "health_leases",
    metadata,
    Column("name", String(48), primary_key=True),  # monitor | scheduler
    Column("holder", String(128), nullable=False),  # host:pid
    Column("expires_at", DateTime, nullable=False),
)

HEALTH_TABLES: tuple[Table, ...] = (health_metrics, health_incidents, health_actions, runbook_settings,
                                    maintenance_tasks, health_leases)
