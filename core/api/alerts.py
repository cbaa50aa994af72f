"""Alert rules and the alert centre: ``/alerts/rules`` (create, list, read, change, delete) and ``/alerts`` (the
alerts with the unread count, acknowledge, snooze, the delivery log). See docs/alerts.md.

Reading the alerts needs ``view``; everything else needs ``alerts`` (analysts and admins). An analyst changes and
deletes only their own rules, an admin any. A rule that cannot be used is a 422 naming the field. Writes are audited.
"""
from __future__ import annotations

import datetime as dt

from spectree import Response

from core import alerts
from core.api import alert_models as am
from core.api import models as m
from core.api.access import Permission, audit, needs, require
from core.api.base import ApiError, api, api_spec, page_of
from core.api.reads import ERRORS
from core.api.store import engine
from core.auth import audit as actions

TAGS = ("alerts",)
_FOUND = {**ERRORS, "HTTP_404": m.Problem}
_WRITE = {**_FOUND, "HTTP_422": m.Problem}


def _refused(error: alerts.RuleError) -> ApiError:
    return ApiError(422, str(error), slug="invalid-rule", title="Unprocessable Content")


def _rule(rule_id: int) -> alerts.AlertRule:
    try:
        return alerts.get_rule(engine(), rule_id)
    except LookupError as error:
        raise ApiError(404, str(error), slug="unknown-rule") from None


def _own(rule_id: int) -> alerts.AlertRule:
    """The rule, when the caller may change it (its owner, or an admin); 403 saying whose it is otherwise."""
    principal = require(Permission.ALERTS)
    rule = _rule(rule_id)
    if rule.owner != principal.username and not principal.can(Permission.MANAGE_SETTINGS):
        raise ApiError(403, f"alert rule {rule_id} belongs to {rule.owner}; only they or an admin may change it",
                       slug="forbidden")
    return rule


def _shown(rule: alerts.AlertRule, secret_changed: bool) -> dict:
    """The rule; with its webhook secret the one time it is new (the author configures the receiver with it)."""
    body = rule.to_dict()
    if secret_changed and rule.webhook_secret:
        body["webhook_secret"] = rule.webhook_secret
    return body


@api.get("/alerts/rules")
@needs(Permission.ALERTS)
@api_spec.validate(resp=Response(HTTP_200=am.Rules, **ERRORS), tags=TAGS)
def list_alert_rules():
    """Every alert rule, oldest first (webhook secrets are never shown again after creation)."""
    return {"items": [rule.to_dict() for rule in alerts.list_rules(engine())]}


@api.post("/alerts/rules")
@needs(Permission.ALERTS)
@api_spec.validate(json=am.RuleBody, resp=Response(HTTP_201=am.Rule, HTTP_422=m.Problem, **ERRORS), tags=TAGS)
def create_alert_rule(json: am.RuleBody):
    """Create a rule owned by the caller; evaluated from the next dataset version on. The answer shows the webhook
    secret this once (generated when none was given)."""
    principal = require(Permission.ALERTS)
    try:
        rule = alerts.create_rule(engine(), json.model_dump(exclude_unset=True), principal.username)
    except alerts.RuleError as error:
        raise _refused(error) from None
    audit(actions.ALERT_RULE_CREATE, target=f"rule:{rule.id}", detail={"name": rule.name, "kind": rule.kind})
    return _shown(rule, True), 201


@api.get("/alerts/rules/<int:rule_id>")
@needs(Permission.ALERTS)
@api_spec.validate(resp=Response(HTTP_200=am.Rule, **_FOUND), tags=TAGS)
def get_alert_rule(rule_id: int):
    """One rule."""
    return _rule(rule_id).to_dict()


@api.patch("/alerts/rules/<int:rule_id>")
@needs(Permission.ALERTS)
@api_spec.validate(json=am.RuleBody, resp=Response(HTTP_200=am.Rule, **_WRITE), tags=TAGS)
def change_alert_rule(rule_id: int, json: am.RuleBody):
    """Change some fields of a rule (the whole rule is checked again); a new webhook URL gets a new secret, shown in
    the answer this once."""
    before = _own(rule_id)
    changes = json.model_dump(exclude_unset=True)
    try:
        rule = alerts.update_rule(engine(), rule_id, changes)
    except alerts.RuleError as error:
        raise _refused(error) from None
    audit(actions.ALERT_RULE_CHANGE, target=f"rule:{rule_id}", detail={"fields": sorted(changes)})
    return _shown(rule, rule.webhook_secret != before.webhook_secret)


@api.delete("/alerts/rules/<int:rule_id>")
@needs(Permission.ALERTS)
@api_spec.validate(resp=Response(HTTP_200=m.Table, **_FOUND), tags=TAGS)
def delete_alert_rule(rule_id: int):
    """Delete a rule with its alerts and their delivery log (to keep them, PATCH ``enabled`` false instead)."""
    rule = _own(rule_id)
    try:
        alerts.delete_rule(engine(), rule_id)
    except alerts.RuleError as error:
        raise _refused(error) from None
    audit(actions.ALERT_RULE_DELETE, target=f"rule:{rule_id}", detail={"name": rule.name})
    return {"items": [], "deleted": rule_id}


@api.get("/alerts")
@api_spec.validate(query=am.AlertQuery, resp=Response(HTTP_200=am.Alerts, **ERRORS), tags=TAGS)
def list_alert_events(query: am.AlertQuery):
    """The alert centre: alerts newest first with the unread count (a snoozed alert is unread again when its snooze
    ends)."""
    require(Permission.VIEW)
    total, items = alerts.list_alerts(engine(), state=query.state, rule_id=query.rule_id, limit=query.limit,
                                      offset=query.offset)
    return {"unread": alerts.unread_count(engine()), **page_of(total, query.limit, query.offset), "items": items}


@api.post("/alerts/<int:event_id>/ack")
@needs(Permission.ALERTS)
@api_spec.validate(resp=Response(HTTP_200=m.Table, **_FOUND), tags=TAGS)
def acknowledge_alert(event_id: int):
    """Acknowledge an alert (for everybody: the alert centre is shared)."""
    principal = require(Permission.ALERTS)
    try:
        alerts.acknowledge(engine(), event_id, principal.username)
    except LookupError as error:
        raise ApiError(404, str(error), slug="unknown-alert") from None
    audit(actions.ALERT_ACK, target=f"alert:{event_id}")
    return {"items": [], "id": event_id, "state": "acknowledged", "unread": alerts.unread_count(engine())}


def _until(body: am.SnoozeBody) -> dt.datetime:
    if (body.hours is None) == (body.until is None):
        raise ApiError(400, "give either `hours` or `until` to snooze an alert, e.g. {\"hours\": 24}",
                       slug="invalid-request")
    if body.hours is not None:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=body.hours)
    return body.until


@api.post("/alerts/<int:event_id>/snooze")
@needs(Permission.ALERTS)
@api_spec.validate(json=am.SnoozeBody, resp=Response(HTTP_200=m.Table, **_WRITE), tags=TAGS)
def snooze_alert(event_id: int, json: am.SnoozeBody):
    """Snooze an alert for some hours or until a moment: it leaves the unread count until then."""
    principal = require(Permission.ALERTS)
    until = _until(json)
    try:
        alerts.snooze(engine(), event_id, until, principal.username)
    except LookupError as error:
        raise ApiError(404, str(error), slug="unknown-alert") from None
    except ValueError as error:
        raise ApiError(422, str(error), slug="invalid-snooze", title="Unprocessable Content") from None
    audit(actions.ALERT_SNOOZE, target=f"alert:{event_id}", detail={"until": until.isoformat()})
    return {"items": [], "id": event_id, "state": "snoozed", "unread": alerts.unread_count(engine())}


@api.get("/alerts/<int:event_id>/deliveries")
@needs(Permission.ALERTS)
@api_spec.validate(resp=Response(HTTP_200=am.Deliveries, **_FOUND), tags=TAGS)
def alert_deliveries(event_id: int):
    """The delivery log of one alert: each channel's attempts, outcomes, status codes and errors."""
    try:
        alert = alerts.get_alert(engine(), event_id)
    except LookupError as error:
        raise ApiError(404, str(error), slug="unknown-alert") from None
    return {"alert_id": event_id, "alert": alert, "items": alerts.deliveries_of(engine(), event_id)}
