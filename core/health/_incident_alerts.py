"""Incidents as alerts: one system rule of kind 'health' whose events are the incidents, delivered through
``core.alerts.deliver_alerts`` like any alert (alert centre, webhook, e-mail), once per incident."""
from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from core.alerts import AlertSettings, Fired, deliver_alerts, get_rule, parse_targets
from data.schema import alert_deliveries, alert_events, alert_rules, health_incidents

__all__ = ["HEALTH_RULE_NAME", "SYSTEM_OWNER", "health_rule_id", "set_incident_delivery", "deliver_incident"]

log = logging.getLogger(__name__)
HEALTH_RULE_NAME = "System health incidents"
SYSTEM_OWNER = "system"


def store_now() -> dt.datetime:
    """The current UTC time as the store keeps it (naive, whole seconds)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def health_rule_id(engine: Engine) -> int:
    """The id of the system's health rule, created (disabled for nothing, no targets) the first time."""
    query = select(alert_rules.c.id).where(alert_rules.c.kind == "health", alert_rules.c.owner == SYSTEM_OWNER)
    with engine.begin() as connection:
        found = connection.execute(query.order_by(alert_rules.c.id).limit(1)).scalar()
        if found is not None:
            return int(found)
        moment = store_now()
        result = connection.execute(insert(alert_rules).values(
            name=HEALTH_RULE_NAME, owner=SYSTEM_OWNER, kind="health", metric=None, scope="{}", window_days=1,
            enabled=True, created_at=moment, updated_at=moment))
        return int(result.inserted_primary_key[0])


def set_incident_delivery(engine: Engine, webhook_url: str | None = None, emails: Sequence[str] = ()) -> dict:
    """Where incidents go besides the alert centre (an admin's setting): a webhook and/or e-mail addresses.

    Validated as an alert rule's targets (``RuleError`` naming the field); a new webhook gets a new signing
    secret, returned here once. Returns ``{"rule_id", "webhook_url", "emails", "webhook_secret"}``."""
    url, secret, addresses = parse_targets(webhook_url, emails)
    rule_id = health_rule_id(engine)
    before = get_rule(engine, rule_id)
    if url and url == before.webhook_url:
        secret = before.webhook_secret  # same endpoint: keep the secret its receiver knows
    with engine.begin() as connection:
        connection.execute(update(alert_rules).where(alert_rules.c.id == rule_id).values(
            webhook_url=url, webhook_secret=secret, emails=json.dumps(list(addresses)) if addresses else None,
            updated_at=store_now()))
    return {"rule_id": rule_id, "webhook_url": url, "emails": list(addresses),
            "webhook_secret": secret if secret != before.webhook_secret else None}


def _dataset_version(engine: Engine) -> int:
    from data.store import current_version

    try:
        version = current_version(engine)
    except Exception:  # noqa: BLE001 - a store without data still gets its incidents delivered
        return 0
    return version.version if version else 0


def deliver_incident(engine: Engine, incident_id: int, title: str, body: str, values: dict,
                     alert_settings: AlertSettings | None = None) -> int | None:
    """Record the incident as an alert (once: dedup key ``incident:<id>``) and send it; the alert's id."""
    rule = get_rule(engine, health_rule_id(engine))
    if not rule.enabled:
        return None
    moment, key = store_now(), f"incident:{incident_id}"
    row = {"rule_id": rule.id, "dataset_version": _dataset_version(engine), "fired_at": moment,
           "title": title[:200], "body": body, "values": json.dumps(values, sort_keys=True, default=str),
           "dedup_key": key, "state": "unread"}
    try:
        with engine.begin() as connection:
            event_id = int(connection.execute(insert(alert_events).values(**row)).inserted_primary_key[0])
            connection.execute(insert(alert_deliveries).values(
                event_id=event_id, channel="in_app", target="alert centre", attempt=1, outcome="delivered", at=moment))
            connection.execute(update(health_incidents).where(health_incidents.c.id == incident_id)
                               .values(alert_event_id=event_id))
    except IntegrityError:
        return None  # delivered before
    fired = Fired(event_id, rule, row["dataset_version"], moment, row["title"], body, json.loads(row["values"]), key)
    try:
        deliver_alerts(engine, [fired], alert_settings or AlertSettings())
    except Exception:  # noqa: BLE001 - the incident stays in the alert centre; a broken channel must not stop it
        log.exception("health: incident %d could not be sent by webhook or e-mail", incident_id)
    return event_id
