"""Alert rules in the store: create, read, change, delete. Every write validates through ``parse_rule`` first."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from core.alerts._rules import SYSTEM_KINDS, AlertRule, RuleError, RuleSpec, parse_rule
from data.schema import alert_deliveries, alert_events, alert_rules

__all__ = ["create_rule", "delete_rule", "get_rule", "list_rules", "now", "update_rule"]


def now() -> dt.datetime:
    """The current UTC time as the store keeps it (naive)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _row(spec: RuleSpec) -> dict[str, Any]:
    return {"name": spec.name, "kind": spec.kind, "metric": spec.metric, "scope": json.dumps(spec.scope, sort_keys=True),
            "operator": spec.operator, "threshold": spec.threshold, "window_days": spec.window_days,
            "min_score": spec.min_score, "webhook_url": spec.webhook_url, "webhook_secret": spec.webhook_secret,
            "emails": json.dumps(list(spec.emails)) if spec.emails else None, "enabled": spec.enabled}


def rule_of(row: Mapping[str, Any]) -> AlertRule:
    """A stored row as an ``AlertRule``."""
    values = dict(row)
    values["scope"] = json.loads(values["scope"] or "{}")
    values["emails"] = tuple(json.loads(values["emails"])) if values["emails"] else ()
    values["enabled"] = bool(values["enabled"])
    for moment in ("created_at", "updated_at"):
        values[moment] = values[moment].isoformat(timespec="seconds")
    return AlertRule(**values)


def create_rule(engine: Engine, payload: Mapping[str, Any], owner: str) -> AlertRule:
    """Validate ``payload`` (RuleError naming the field otherwise) and store it as ``owner``'s rule.

    The returned rule carries the webhook secret (generated when none was given): show it to its author once.
    """
    spec = payload if isinstance(payload, RuleSpec) else parse_rule(payload)
    moment = now()
    with engine.begin() as connection:
        result = connection.execute(insert(alert_rules).values(**_row(spec), owner=owner, created_at=moment,
                                                               updated_at=moment))
        rule_id = int(result.inserted_primary_key[0])
    return get_rule(engine, rule_id)


def get_rule(engine: Engine, rule_id: int) -> AlertRule:
    """One rule; LookupError naming it when there is none."""
    with engine.connect() as connection:
        row = connection.execute(select(alert_rules).where(alert_rules.c.id == rule_id)).mappings().first()
    if row is None:
        raise LookupError(f"no alert rule {rule_id}; GET /api/v1/alerts/rules lists them")
    return rule_of(row)


def list_rules(engine: Engine, *, owner: str | None = None, enabled_only: bool = False,
               system: bool = False) -> list[AlertRule]:
    """Every rule people made (or ``owner``'s), oldest first; ``system=True`` adds the app's own rules (kind
    'health', which the health monitor fires and ``core.health.set_incident_delivery`` configures)."""
    query = select(alert_rules).order_by(alert_rules.c.id)
    if not system:
        query = query.where(alert_rules.c.kind.not_in(SYSTEM_KINDS))
    if owner is not None:
        query = query.where(alert_rules.c.owner == owner)
    if enabled_only:
        query = query.where(alert_rules.c.enabled.is_(True))
    with engine.connect() as connection:
        return [rule_of(row) for row in connection.execute(query).mappings()]


def update_rule(engine: Engine, rule_id: int, changes: Mapping[str, Any]) -> AlertRule:
    """Change some fields of a rule; the whole rule is validated again (RuleError naming the field)."""
    rule = get_rule(engine, rule_id)
    if rule.kind in SYSTEM_KINDS:
        raise RuleError(f"rule {rule_id} ({rule.name}) is the app's own {rule.kind} rule; set where its alerts go "
                        "on the Health page (core.health.set_incident_delivery)")
    merged = {**rule.spec_fields(), **changes}
    if "webhook_url" in changes and changes.get("webhook_url") != rule.webhook_url and "webhook_secret" not in changes:
        merged["webhook_secret"] = None  # a new endpoint gets a new secret, never the old one's
    spec = parse_rule(merged)
    with engine.begin() as connection:
        connection.execute(update(alert_rules).where(alert_rules.c.id == rule_id)
                           .values(**_row(spec), updated_at=now()))
    return get_rule(engine, rule_id)


def delete_rule(engine: Engine, rule_id: int) -> None:
    """Delete a rule with its alerts and their delivery log; LookupError when there is no such rule, RuleError for
    the app's own rules (their alerts belong to health incidents)."""
    rule = get_rule(engine, rule_id)
    if rule.kind in SYSTEM_KINDS:
        raise RuleError(f"rule {rule_id} ({rule.name}) is the app's own {rule.kind} rule and cannot be deleted; "
                        "its alerts belong to health incidents (to stop its webhook or e-mail, clear them on the "
                        "Health page)")
    events = select(alert_events.c.id).where(alert_events.c.rule_id == rule_id)
    with engine.begin() as connection:
        connection.execute(delete(alert_deliveries).where(alert_deliveries.c.event_id.in_(events)))
        connection.execute(delete(alert_events).where(alert_events.c.rule_id == rule_id))
        connection.execute(delete(alert_rules).where(alert_rules.c.id == rule_id))
