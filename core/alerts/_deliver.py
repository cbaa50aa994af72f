"""Delivering fired alerts by webhook and e-mail: rate limited per rule, retried with back-off, every attempt logged.

The in-app delivery is the event row itself (logged when it fired). Webhook and e-mail go out for at most
``rate_per_hour`` alerts of one rule in any rolling hour; past that, an alert stays in the alert centre and its
deliveries are logged as ``rate_limited``. A failed attempt that may work later (HTTP 5xx or 429, a timeout, a
refused connection, an SMTP 4xx) is tried again after ``backoff_s``, then twice that, up to ``attempts`` tries;
an HTTP 4xx or an SMTP 5xx is not.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, func, insert, select

from core.alerts._channels import Attempt, send_email, send_webhook
from core.alerts._evaluate import Fired
from core.alerts._rule_store import now
from core.alerts.config import AlertSettings
from data.schema import alert_deliveries, alert_events

__all__ = ["Delivery", "RetryPolicy", "deliver_alerts", "sent_last_hour"]

EXTERNAL = ("webhook", "email")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard a delivery tries: ``attempts`` in all, waiting ``backoff_s`` × 2^(n-1) after the n-th failure."""

    attempts: int = 3
    backoff_s: float = 1.0
    timeout_s: float = 5.0  # one webhook request


@dataclass(frozen=True)
class Delivery:
    """The outcome of one alert on one channel: ``delivered``, ``failed`` or ``rate_limited``, after n attempts."""

    event_id: int
    channel: str
    target: str
    outcome: str
    attempts: int
    status_code: int | None = None
    error: str | None = None


def _log(engine: Engine, event_id: int, channel: str, target: str, attempt: int, outcome: str,
         status_code: int | None = None, error: str | None = None) -> None:
    with engine.begin() as connection:
        connection.execute(insert(alert_deliveries).values(
            event_id=event_id, channel=channel, target=target[:500], attempt=attempt, outcome=outcome,
            status_code=status_code, error=error, at=now()))


def sent_last_hour(engine: Engine, rule_id: int, moment: dt.datetime | None = None) -> int:
    """Alerts of ``rule_id`` sent out (or tried) by webhook or e-mail in the hour before ``moment``."""
    since = (moment or now()) - dt.timedelta(hours=1)
    query = (select(func.count(func.distinct(alert_deliveries.c.event_id)))
             .select_from(alert_deliveries.join(alert_events, alert_events.c.id == alert_deliveries.c.event_id))
             .where(alert_events.c.rule_id == rule_id, alert_deliveries.c.channel.in_(EXTERNAL),
                    alert_deliveries.c.outcome != "rate_limited", alert_deliveries.c.at >= since))
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def _try(engine: Engine, event_id: int, channel: str, target: str, send: Callable[[int], Attempt],
         policy: RetryPolicy, sleep: Callable[[float], None]) -> Delivery:
    """Attempt ``send(n)`` until it works, cannot work, or the attempts run out; log each attempt."""
    for number in range(1, policy.attempts + 1):
        result = send(number)
        outcome = "delivered" if result.delivered else "failed"
        _log(engine, event_id, channel, target, number, outcome, result.status_code, result.error)
        if result.delivered or not result.retry or number == policy.attempts:
            return Delivery(event_id, channel, target, outcome, number, result.status_code, result.error)
        sleep(policy.backoff_s * 2 ** (number - 1))
    raise AssertionError("unreachable: the loop returns on its last attempt")


def _targets(fired: Fired) -> list[tuple[str, str]]:
    rule = fired.rule
    return ([("webhook", rule.webhook_url)] if rule.webhook_url else []) + \
        ([("email", ", ".join(rule.emails))] if rule.emails else [])


def _deliver_one(engine: Engine, fired: Fired, settings: AlertSettings, policy: RetryPolicy,
                 sleep: Callable[[float], None]) -> list[Delivery]:
    targets = _targets(fired)
    if not targets:
        return []
    if sent_last_hour(engine, fired.rule.id) >= settings.rate_per_hour:
        reason = (f"rule {fired.rule.id} already sent {settings.rate_per_hour} alerts in the last hour "
                  "(FORESIGHT_ALERT_RATE_PER_HOUR); this one is in the alert centre only")
        for channel, target in targets:
            _log(engine, fired.event_id, channel, target, 0, "rate_limited", error=reason)
        return [Delivery(fired.event_id, channel, target, "rate_limited", 0, error=reason)
                for channel, target in targets]
    alert, rule, done = fired.to_dict(), fired.rule, []
    for channel, target in targets:
        if channel == "webhook":
            send = lambda n: send_webhook(rule.webhook_url, rule.webhook_secret, alert, n, policy.timeout_s)  # noqa: E731
        else:
            send = lambda _n: send_email(settings.smtp, alert, rule.emails)  # noqa: E731
        done.append(_try(engine, fired.event_id, channel, target, send, policy, sleep))
    return done


def deliver_alerts(engine: Engine, fired: list[Fired], settings: AlertSettings = AlertSettings(), *,
                   policy: RetryPolicy = RetryPolicy(), sleep: Callable[[float], None] = time.sleep) -> list[Delivery]:
    """Send each fired alert by its rule's webhook and e-mail (rate limited, retried, logged); the outcomes."""
    deliveries = []
    for event in fired:
        deliveries += _deliver_one(engine, event, settings, policy, sleep)
    return deliveries
