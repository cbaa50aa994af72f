"""Alerts: rules analysts create, evaluated after every new dataset version, delivered in the app, by webhook and
by e-mail (docs/alerts.md).

* Rules: ``parse_rule`` validates (``RuleError`` names the field), ``create_rule``, ``get_rule``, ``list_rules``,
  ``update_rule``, ``delete_rule``. Kinds: a KPI ``threshold`` over the last N complete days in a scope, a ``change``
  in percent against the previous N days, or any ``anomaly`` above a score (``analytics.insights``).
* Evaluation: ``evaluate_rules(engine, version)`` records what fired (deduplicated per rule and period or anomaly);
  ``deliver_alerts`` sends it (rate limited per rule, retried, every attempt logged); ``run_alerts`` does both.
* Timing: ``AlertWatcher`` notices each new dataset version (ingest, stream, sample) and runs the alerts once per
  version across processes; ``init_alerts(server, settings)`` installs it in the web app.
* The alert centre: ``list_alerts``, ``unread_count``, ``acknowledge``, ``snooze``, ``deliveries_of``.

Who may do what is the caller's business (``core.auth``: ``Permission.ALERTS`` creates rules and acknowledges; an
analyst changes their own rules, an admin any). Nothing here imports ``core.settings`` or ``core.auth``.
"""
from core.alerts._channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, webhook_body
from core.alerts._deliver import Delivery, RetryPolicy, deliver_alerts, sent_last_hour
from core.alerts._evaluate import Detector, Fired, evaluate_rules
from core.alerts._inbox import STATES, acknowledge, deliveries_of, get_alert, list_alerts, snooze, unread_count
from core.alerts._rule_store import create_rule, delete_rule, get_rule, list_rules, update_rule
from core.alerts._rules import (ANOMALY_METRICS, KINDS, METRICS, OPERATORS, SCOPES, SYSTEM_KINDS, AlertRule,
                                RuleError, RuleSpec, parse_rule, parse_targets)
from core.alerts._watcher import AlertRun, AlertWatcher, claim_version, run_alerts
from core.alerts._web import init_alerts, watcher_of
from core.alerts.config import AlertSettings, SmtpSettings

__all__ = ["ANOMALY_METRICS", "KINDS", "METRICS", "OPERATORS", "SCOPES", "AlertRule", "RuleError", "RuleSpec",
           "SYSTEM_KINDS", "parse_rule", "parse_targets", "create_rule", "delete_rule", "get_rule", "list_rules",
           "update_rule"]
__all__ += ["Detector", "Fired", "evaluate_rules", "Delivery", "RetryPolicy", "deliver_alerts", "sent_last_hour",
            "AlertRun", "AlertWatcher", "claim_version", "run_alerts", "init_alerts", "watcher_of"]
__all__ += ["STATES", "acknowledge", "deliveries_of", "get_alert", "list_alerts", "snooze", "unread_count"]
__all__ += ["AlertSettings", "SmtpSettings", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "sign", "webhook_body"]
