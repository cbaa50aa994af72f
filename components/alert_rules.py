"""The alert rules on the Insights page: the form that creates one (each input with its own error line) and the list
of rules with enable/disable and delete. The choices (metrics, scopes, operators) come from the page, which reads
them from ``core.alerts``; components import no project layer."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids

__all__ = ["rule_form", "rules_section", "rules_list", "field_errors", "KIND_OPTIONS"]

KIND_OPTIONS = [{"label": "Threshold", "value": "threshold"}, {"label": "Change vs previous period", "value": "change"},
                {"label": "Any anomaly", "value": "anomaly"}]
_HELP = {
    "threshold": "Threshold: the value the metric is compared with (change rules: percent, e.g. -10).",
    "min_score": "Anomaly rules: report anomalies scoring above this (5.5 is the validated default).",
    "window_days": "The last N complete days the rule looks at (1–365).",
    "emails": "Comma-separated addresses (optional).",
}


def _field(name: str, label: str, control) -> html.Div:
    """A labelled input with its help and its error line (filled with the RuleError that names it)."""
    field_id = ids.insights_rule_field(name)
    helper = [html.Small(_HELP[name], className="nf-kpi-sub d-block")] if name in _HELP else []
    return html.Div([html.Label(label, htmlFor=field_id, className="nf-field-label"), control, *helper,
                     html.Div(id=ids.insights_rule_error(name), className="nf-field-error", role="alert")],
                    className="nf-rule-field")


def _dropdown(name: str, options: Sequence[Mapping], value, **kwargs) -> dcc.Dropdown:
    return dcc.Dropdown(id=ids.insights_rule_field(name), options=list(options), value=value, clearable=False,
                        className="nf-dropdown", **kwargs)


def _input(name: str, kind: str, value=None, **kwargs) -> dbc.Input:
    return dbc.Input(id=ids.insights_rule_field(name), type=kind, value=value, className="nf-input", **kwargs)


def rule_form(metrics: Sequence[Mapping], dimensions: Sequence[str], operators: Sequence[str]) -> html.Form:
    """The form: name, kind, metric, scope, condition, window and deliveries, and the Create button."""
    scope_options = [{"label": "Whole company", "value": ""}] + [{"label": d.title(), "value": d} for d in dimensions]
    return html.Div([
        html.Div([
            _field("name", "Name", _input("name", "text", placeholder="e.g. EMEA revenue drop", maxLength=200)),
            _field("kind", "Kind", _dropdown("kind", KIND_OPTIONS, "threshold")),
            _field("metric", "Metric", _dropdown("metric", metrics, metrics[0]["value"] if metrics else None)),
            _field("scope_dimension", "Scope", _dropdown("scope_dimension", scope_options, "")),
            _field("scope_member", "Where", _dropdown("scope_member", [], None, placeholder="Pick a scope first",
                                                      disabled=True)),
            _field("operator", "Operator", _dropdown("operator", [{"label": op, "value": op} for op in operators],
                                                     operators[0] if operators else None)),
            _field("threshold", "Threshold", _input("threshold", "number", step="any")),
            _field("min_score", "Min score", _input("min_score", "number", 5.5, step="any", min=0)),
            _field("window_days", "Window (days)", _input("window_days", "number", 7, step=1, min=1, max=365)),
            _field("webhook_url", "Webhook URL", _input("webhook_url", "url",
                                                        placeholder="https://hooks.example.com/foresight")),
            _field("emails", "E-mail", _input("emails", "text", placeholder="ops@example.com, cfo@example.com")),
        ], className="nf-rule-grid"),
        dbc.Button("Create rule", id=ids.INSIGHTS_RULE_CREATE, n_clicks=0, className="nf-btn nf-btn-magenta"),
    ], id=ids.INSIGHTS_RULE_FORM, className="nf-rule-form")


def field_errors(field: str | None, message: str | None) -> list:
    """The error line of every form field: ``message`` under ``field``, nothing under the others."""
    return [message if name == field else None for name in ids.RULE_FIELDS]


def _rule_row(rule: Mapping, can_change: bool) -> html.Li:
    state = "enabled" if rule["enabled"] else "disabled"
    actions = [
        html.Button("Disable" if rule["enabled"] else "Enable", id=ids.insights_rule_action("toggle", rule["id"]),
                    n_clicks=0, type="button", className="nf-btn nf-btn-sm",
                    **{"aria-label": f"{'Disable' if rule['enabled'] else 'Enable'} rule {rule['name']}"}),
        html.Button("Delete", id=ids.insights_rule_action("delete", rule["id"]), n_clicks=0, type="button",
                    className="nf-btn nf-btn-sm nf-btn-danger", **{"aria-label": f"Delete rule {rule['name']}"}),
    ] if can_change else []
    deliveries = [what for what, on in (("webhook", rule.get("webhook_url")), ("e-mail", rule.get("emails"))) if on]
    return html.Li([
        html.Div([html.Strong(rule["name"]), html.Span(state.upper(), className=f"nf-rule-state is-{state}")],
                 className="nf-rule-head"),
        html.P(rule["condition"], className="nf-kpi-sub"),
        html.P(f"In the app{''.join(', ' + d for d in deliveries)} · by {rule['owner']}", className="nf-kpi-sub"),
        html.Div(actions, className="nf-rule-actions"),
    ], className=f"nf-rule is-{state}")


def rules_list(rules: Sequence[Mapping], can_change: bool = True) -> html.Div | html.P:
    """The rules (``AlertRule.to_dict()`` rows), each with Enable/Disable and Delete when ``can_change``."""
    if not rules:
        return html.P("No alert rules yet." + (" Create one with the form." if can_change else ""),
                      className="nf-kpi-sub")
    return html.Ul([_rule_row(rule, can_change) for rule in rules], className="nf-rule-list")


def rules_section(form, notice: str | None) -> html.Div:
    """The section: the form (the page hides it, ``hide_unless``, from users who may not create rules; they get the
    ``notice``), the status line and the list."""
    top = [dbc.Alert(notice, color="info", id=ids.INSIGHTS_RULE_NOTICE, className="nf-rule-notice")] \
        if notice else []
    return html.Div([
        html.H2("Alert rules", className="nf-card-title"),
        html.P("Evaluated after every new dataset version; what fires appears under the bell in the header.",
               className="nf-kpi-sub"),
        *top,
        form,
        html.Div(id=ids.INSIGHTS_RULE_STATUS, role="status", className="nf-rule-status"),
        html.H3("Your rules", className="nf-card-subtitle"),
        html.Div(id=ids.INSIGHTS_RULE_LIST),
        dcc.Store(id=ids.INSIGHTS_RULE_SAVED),
        dcc.Store(id=ids.INSIGHTS_RULE_CHANGED),
    ], id=ids.INSIGHTS_RULES, className="nf-card nf-rules")
