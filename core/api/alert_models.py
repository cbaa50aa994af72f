"""The alert routes' request and answer models (the OpenAPI document is generated from them; core/api/models.py).

A rule's fields are checked by ``core.alerts.parse_rule`` (one validator for the API and the pages), so the body
model only states their shapes: a wrong value is a 422 that names the field and what to give instead.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from core.alerts import KINDS, METRICS, OPERATORS, SCOPES, STATES
from core.api.models import Open, Query

_SCOPES = "; ".join(f"{key}: {', '.join(members)}" for key, members in SCOPES.items())


class RuleBody(Query):
    name: str | None = Field(None, description="what the alert centre calls the rule (1 to 120 characters)")
    kind: str | None = Field(None, description=f"one of {', '.join(KINDS)}")
    metric: str | None = Field(None, description=f"a KPI: {', '.join(METRICS)} (anomaly rules: revenue, orders, "
                                                 "or leave out for any)")
    scope: dict[str, Any] | None = Field(None, description=f"filters, e.g. {{\"region\": \"EMEA\"}} ({_SCOPES}); "
                                                           "{} or absent for the whole company")
    operator: str | None = Field(None, description=f"threshold and change rules: one of {' '.join(OPERATORS)}")
    threshold: float | str | None = Field(None, description="threshold rules: the KPI's value (currency, count, "
                                                            "churn in percent); change rules: the change in percent")
    window_days: int | str | None = Field(None, description="the last N complete days (default 7); anomaly rules: "
                                                            "anomalies that ended within them")
    min_score: float | str | None = Field(None, description="anomaly rules: fire for anomalies scoring above this")
    webhook_url: str | None = Field(None, description="an http(s) URL the alert is POSTed to, signed (docs/alerts.md)")
    webhook_secret: str | None = Field(None, description="the signing secret (16+ characters); absent: generated "
                                                         "and shown once in the answer")
    emails: list[str] | str | None = Field(None, description="addresses the alert is e-mailed to")
    enabled: bool | None = Field(None, description="false pauses the rule (default true)")


class AlertQuery(Query):
    state: Literal[tuple(STATES)] | None = Field(None, description="only alerts in this state")  # type: ignore[valid-type]
    rule_id: int | None = Field(None, ge=1, description="only this rule's alerts")
    limit: int = Field(50, ge=1, le=500, description="alerts per page")
    offset: int = Field(0, ge=0, le=10_000_000, description="alerts to skip")


class SnoozeBody(Query):
    hours: float | None = Field(None, gt=0, le=2160, description="snooze for this many hours (at most 90 days)")
    until: dt.datetime | None = Field(None, description="or until this moment (ISO 8601; UTC when no zone is given)")


class Rule(Open):
    id: int
    name: str
    owner: str
    kind: str
    metric: str | None
    scope: dict[str, str]
    window_days: int
    enabled: bool
    condition: str
    has_webhook_secret: bool


class Rules(Open):
    items: list[Rule]


class Alert(Open):
    id: int
    rule_id: int
    rule_name: str
    title: str
    body: str
    state: str
    fired_at: str
    values: dict[str, Any]


class Alerts(Open):
    unread: int
    items: list[Alert]
    total: int
    limit: int
    offset: int
    next: str | None


class Deliveries(Open):
    alert_id: int
    items: list[dict[str, Any]]
