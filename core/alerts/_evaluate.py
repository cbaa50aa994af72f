"""Evaluate every enabled rule on one dataset version and record what fired, once per rule and dedup key.

The KPI model is built once for every window the KPI rules ask for (over complete days only, like the Overview);
the anomaly detector runs once when any anomaly rule is enabled. An event is recorded by inserting it: the unique
(rule, dedup key) refuses a second one, so the same period or anomaly never fires twice, even when two processes
evaluate at once.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError

from analytics.kpis import build_kpi_model
from core.alerts._conditions import Condition, anomaly_conditions, kpi_condition
from core.alerts._rule_store import list_rules, now
from core.alerts._rules import AlertRule
from data import queries
from data.schema import alert_deliveries, alert_events
from data.watermark import complete_through

__all__ = ["Detector", "Fired", "evaluate_rules"]

log = logging.getLogger(__name__)
Detector = Callable[[Engine], Iterable[Any]]


@dataclass(frozen=True)
class Fired:
    """An alert that fired: its event in the store, the rule, and what it says."""

    event_id: int
    rule: AlertRule
    dataset_version: int
    fired_at: dt.datetime
    title: str
    body: str
    values: dict[str, Any]
    dedup_key: str

    def to_dict(self) -> dict[str, Any]:
        """The alert as the webhook body's ``alert`` member and the API show it (no secret)."""
        rule = self.rule
        return {"id": self.event_id, "rule": {"id": rule.id, "name": rule.name, "kind": rule.kind,
                                              "metric": rule.metric, "scope": rule.scope, "owner": rule.owner},
                "dataset_version": self.dataset_version, "fired_at": self.fired_at.isoformat() + "Z",
                "title": self.title, "body": self.body, "values": self.values, "dedup_key": self.dedup_key}


def _kpi_conditions(engine: Engine, rules: list[AlertRule], through: dt.date) -> dict[int, list[Condition]]:
    if not rules:
        return {}
    windows = tuple(sorted({rule.window_days for rule in rules}))
    model = build_kpi_model(queries.order_facts(engine), queries.order_line_revenue(engine),
                            queries.customer_facts(engine), as_of=through, windows=windows)
    found = {}
    for rule in rules:
        condition = kpi_condition(model, rule, through)
        found[rule.id] = [condition] if condition else []
    return found


def _default_detector(engine: Engine) -> Iterable[Any]:
    from analytics.insights import detect_anomalies  # heavy, and only needed when an anomaly rule exists

    return detect_anomalies(engine)


def _anomaly_conditions(engine: Engine, rules: list[AlertRule], through: dt.date,
                        detector: Detector | None) -> dict[int, list[Condition]]:
    if not rules:
        return {}
    try:
        anomalies = list((detector or _default_detector)(engine))
    except Exception as error:  # noqa: BLE001 - a failing detector must not stop the KPI rules
        log.warning("alerts: the anomaly detector failed (%s); %d anomaly rule(s) not evaluated", error, len(rules))
        return {}
    return {rule.id: anomaly_conditions(rule, anomalies, through) for rule in rules}


def _record(engine: Engine, rule: AlertRule, condition: Condition, version: int) -> Fired | None:
    """Insert the event (None when this rule already fired for the key) and its in-app delivery."""
    moment = now()
    row = {"rule_id": rule.id, "dataset_version": version, "fired_at": moment, "title": condition.title,
           "body": condition.body, "values": json.dumps(condition.values, sort_keys=True, default=str),
           "dedup_key": condition.dedup_key, "state": "unread"}
    try:
        with engine.begin() as connection:
            event_id = int(connection.execute(insert(alert_events).values(**row)).inserted_primary_key[0])
            connection.execute(insert(alert_deliveries).values(
                event_id=event_id, channel="in_app", target="alert centre", attempt=1, outcome="delivered", at=moment))
    except IntegrityError:
        return None  # fired before for this period or anomaly
    return Fired(event_id, rule, version, moment, condition.title, condition.body,
                 json.loads(row["values"]), condition.dedup_key)


def evaluate_rules(engine: Engine, version: int, *, through: dt.date | None = None,
                   detector: Detector | None = None) -> list[Fired]:
    """Evaluate every enabled rule on the store's data (dataset ``version``) and record the alerts that fire.

    ``through`` is the last complete day (default: ``data.watermark.complete_through`` of the store, as the pages
    use); ``detector(engine)`` returns anomalies (default: ``analytics.insights.detect_anomalies``). Returns the
    newly recorded alerts: an alert fired before for the same rule and key is not returned again. Delivery
    (webhook, e-mail) is ``deliver_alerts``.
    """
    rules = list_rules(engine, enabled_only=True)
    if not rules:
        return []
    through = through or complete_through(engine).through
    if through is None:  # no orders yet: nothing to measure
        return []
    found = {**_kpi_conditions(engine, [r for r in rules if r.kind != "anomaly"], through),
             **_anomaly_conditions(engine, [r for r in rules if r.kind == "anomaly"], through, detector)}
    fired = []
    for rule in rules:
        for condition in found.get(rule.id, []):
            event = _record(engine, rule, condition, version)
            if event is not None:
                fired.append(event)
    log.info("alerts: dataset version %d, %d rules evaluated through %s, %d fired", version, len(rules),
             through, len(fired))
    return fired
