"""The Insights page's alert rules: the form (validated by ``core.alerts.parse_rule``, the error under the field it
names), the caller's rules with enable/disable and delete. Creating and changing rules needs ``Permission.ALERTS``
(the request guard refuses anyone else: the rules below); an analyst changes their own rules, an admin any.

The module name starts with an underscore so Dash's page scanner skips it; pages/insights.py imports it.
"""
from __future__ import annotations

import re
import time

from dash import ALL, Input, Output, State, callback, ctx, html, no_update

from components import ids
from components.alert_rules import field_errors, rule_form, rules_list
from components.messages import error_alert
from core import alerts
from core.auth import Permission, audit, audit_request, current_principal, protect_callback
from core.runtime import store_engine
from pages._errors import failure
from pages._jobs import allowed

__all__ = ["form", "notice", "payload_of", "error_field"]

_FIELD_OF = {"scope": "scope_dimension", "anomaly metric": "metric", "kind": "kind", "metric": "metric",
             "operator": "operator"}
_ANY = {"label": "Any metric", "value": "any"}

protect_callback([ids.INSIGHTS_RULE_SAVED], Permission.ALERTS, audit=None)  # audited below, with the rule's id
protect_callback([ids.INSIGHTS_RULE_CHANGED], Permission.ALERTS, audit=None)


def _metric_options(kind: str | None) -> list[dict]:
    if kind == "anomaly":
        return [_ANY, *({"label": m.replace("_", " ").capitalize(), "value": m} for m in alerts.ANOMALY_METRICS)]
    return [{"label": m.replace("_", " ").capitalize(), "value": m} for m in alerts.METRICS]


def form():
    """The rule form with the choices ``core.alerts`` accepts."""
    return rule_form(_metric_options("threshold"), list(alerts.SCOPES), alerts.OPERATORS)


def notice() -> str | None:
    """What a caller who may not create rules reads instead of the form (None for analysts and admins)."""
    if allowed(Permission.ALERTS):
        return None
    return ("Only analysts and admins create alert rules. You see the alerts that fire under the bell in the header; "
            "ask an admin for the analyst role to create your own.")


def error_field(error: alerts.RuleError) -> str | None:
    """The form field a RuleError names (None when it names none the form has)."""
    text = str(error)
    named = re.match(r"^`([a-z_]+)(\.[a-z_]+)?`", text)
    if named:
        field = "scope_member" if named.group(1) == "scope" and named.group(2) else named.group(1)
        field = _FIELD_OF.get(field, field)
        return field if field in ids.RULE_FIELDS else None
    unknown = re.match(r"^unknown (anomaly metric|metric|kind|operator) ", text)
    return _FIELD_OF[unknown.group(1)] if unknown else None


def payload_of(values: dict) -> dict:
    """The rule as ``parse_rule`` takes it, from the form's values (only the fields the kind uses)."""
    kind = values.get("kind")
    payload = {"name": values.get("name"), "kind": kind, "metric": values.get("metric"),
               "window_days": values.get("window_days")}
    dimension, member = values.get("scope_dimension"), values.get("scope_member")
    if dimension:
        payload["scope"] = {dimension: member}
    if kind == "anomaly":
        payload["min_score"] = values.get("min_score")
    else:
        payload.update(operator=values.get("operator"), threshold=values.get("threshold"))
    if (url := (values.get("webhook_url") or "").strip()):
        payload["webhook_url"] = url
    if (emails := (values.get("emails") or "").strip()):
        payload["emails"] = emails
    return payload


@callback(Output(ids.insights_rule_field("metric"), "options"), Output(ids.insights_rule_field("metric"), "value"),
          Output(ids.insights_rule_field("operator"), "disabled"), Output(ids.insights_rule_field("threshold"),
                                                                          "disabled"),
          Output(ids.insights_rule_field("min_score"), "disabled"),
          Input(ids.insights_rule_field("kind"), "value"), State(ids.insights_rule_field("metric"), "value"))
def adapt_to_kind(kind, metric):
    """Anomaly rules watch revenue or orders (or any) with a minimum score; the others a metric, operator, value."""
    options = _metric_options(kind)
    offered = [option["value"] for option in options]
    anomaly = kind == "anomaly"
    return options, metric if metric in offered else offered[0], anomaly, anomaly, not anomaly


@callback(Output(ids.insights_rule_field("scope_member"), "options"),
          Output(ids.insights_rule_field("scope_member"), "value"),
          Output(ids.insights_rule_field("scope_member"), "disabled"),
          Input(ids.insights_rule_field("scope_dimension"), "value"))
def adapt_to_scope(dimension):
    """The members of the chosen dimension (the whole company has none)."""
    members = alerts.SCOPES.get(dimension or "", ())
    return [{"label": m, "value": m} for m in members], (members[0] if members else None), not members


def _created(rule: alerts.AlertRule) -> html.Div:
    secret = [html.P(["Webhook secret (shown this once; the receiver checks the signature with it): ",
                      html.Code(rule.webhook_secret)])] if rule.webhook_secret else []
    return html.Div([html.P(f"Rule “{rule.name}” created: {rule.describe()}."), *secret], className="nf-rule-created")


@callback(Output(ids.INSIGHTS_RULE_SAVED, "data"), Output(ids.INSIGHTS_RULE_STATUS, "children"),
          *[Output(ids.insights_rule_error(name), "children") for name in ids.RULE_FIELDS],
          Input(ids.INSIGHTS_RULE_CREATE, "n_clicks"),
          *[State(ids.insights_rule_field(name), "value") for name in ids.RULE_FIELDS], prevent_initial_call=True)
def create_rule(n_clicks, *values):
    """Check the form with ``parse_rule`` and create the rule for the caller; a RuleError goes under its field."""
    principal = current_principal()
    if not n_clicks or principal is None:
        return no_update, no_update, *[no_update for _ in ids.RULE_FIELDS]
    payload = payload_of(dict(zip(ids.RULE_FIELDS, values)))
    try:
        alerts.parse_rule(payload)
        rule = alerts.create_rule(store_engine(), payload, principal.username)
    except alerts.RuleError as error:
        field = error_field(error)
        status = None if field else error_alert("Cannot create the rule", str(error))
        return no_update, status, *field_errors(field, str(error))
    except Exception as exc:  # noqa: BLE001 — a store that cannot be written says so, with an error id
        return no_update, failure(exc, "creating the alert rule").alert("Cannot create the rule"), \
            *field_errors(None, None)
    audit_request(audit.ALERT_RULE_CREATE, target=f"rule:{rule.id}", detail={"name": rule.name, "kind": rule.kind})
    return {"id": rule.id, "at": time.time()}, _created(rule), *field_errors(None, None)


def _may_change(principal, rule: alerts.AlertRule) -> bool:
    return rule.owner == principal.username or principal.can(Permission.MANAGE_SETTINGS)


@callback(Output(ids.INSIGHTS_RULE_CHANGED, "data"), Output(ids.INSIGHTS_RULE_STATUS, "children",
                                                            allow_duplicate=True),
          Input(ids.insights_rule_action(ALL, ALL), "n_clicks"), prevent_initial_call=True)
def change_rule(_clicks):
    """Enable, disable or delete the rule whose button was pressed (only its owner or an admin)."""
    trigger, principal = ctx.triggered_id, current_principal()
    if not isinstance(trigger, dict) or not ctx.triggered[0]["value"] or principal is None:
        return no_update, no_update  # new buttons arrive with n_clicks=0
    try:
        rule = alerts.get_rule(store_engine(), int(trigger["rule"]))
        if not _may_change(principal, rule):
            return no_update, error_alert("Not your rule", f"rule “{rule.name}” belongs to {rule.owner}; only they "
                                                           "or an admin may change it")
        if trigger["action"] == "delete":
            alerts.delete_rule(store_engine(), rule.id)
            audit_request(audit.ALERT_RULE_DELETE, target=f"rule:{rule.id}", detail={"name": rule.name})
            text = f"Rule “{rule.name}” deleted."
        else:
            alerts.update_rule(store_engine(), rule.id, {"enabled": not rule.enabled})
            audit_request(audit.ALERT_RULE_CHANGE, target=f"rule:{rule.id}", detail={"fields": ["enabled"]})
            text = f"Rule “{rule.name}” {'disabled' if rule.enabled else 'enabled'}."
    except Exception as exc:  # noqa: BLE001 — an unknown rule says so; anything unexpected gets an error id
        return no_update, failure(exc, "changing the alert rule").alert("Cannot change the rule")
    return {"id": rule.id, "action": trigger["action"], "at": time.time()}, html.P(text)


@callback(Output(ids.INSIGHTS_RULE_LIST, "children"), Input(ids.INSIGHTS_RULE_SAVED, "data"),
          Input(ids.INSIGHTS_RULE_CHANGED, "data"), Input(ids.INSIGHTS_RULE_LIST, "id"))
def show_rules(_saved, _changed, _loaded):
    """The caller's rules (an admin's: every rule), oldest first."""
    principal = current_principal()
    if principal is None:
        return rules_list([], can_change=False)
    try:
        owner = None if principal.can(Permission.MANAGE_SETTINGS) else principal.username
        rules = alerts.list_rules(store_engine(), owner=owner)
    except Exception as exc:  # noqa: BLE001 — a store without the alert tables says so
        return failure(exc, "reading the alert rules").alert("Cannot read the alert rules")
    return rules_list([rule.to_dict() for rule in rules], can_change=principal.can(Permission.ALERTS))
