"""Deliveries against a real webhook receiver and a real SMTP server on 127.0.0.1: signed, retried on 5xx, not on
4xx, rate limited per rule, every attempt logged; the alert centre's unread count, acknowledge and snooze."""
from __future__ import annotations

import datetime as dt
import socket

import pytest

from core.alerts import (AlertSettings, AlertWatcher, RetryPolicy, SmtpSettings, acknowledge, create_rule,
                         deliver_alerts, deliveries_of, evaluate_rules, list_alerts, snooze, unread_count)
from data.watermark import complete_through
from tests.core.alerts.helpers import FakeAnomaly, add_version, detector, sql_revenue

DAY = dt.date(2026, 10, 31)
FAST = RetryPolicy(attempts=3, backoff_s=0.5, timeout_s=5)


def _anomalies(count: int) -> list[FakeAnomaly]:
    return [FakeAnomaly("orders", "drop", DAY - dt.timedelta(days=n), DAY - dt.timedelta(days=n), 4.0 + n)
            for n in range(count)]


def _fire(engine, count: int = 1, **rule):
    create_rule(engine, {"name": "drops", "kind": "anomaly", "min_score": 3, **rule}, owner="ada")
    return evaluate_rules(engine, 1, through=DAY, detector=detector(*_anomalies(count)))


def test_a_webhook_is_signed_and_retried_after_a_5xx(empty_engine, receiver):
    fired = _fire(empty_engine, webhook_url=receiver.url, webhook_secret=receiver.secret)
    receiver.statuses = [500, 503]
    waits = []

    [delivery] = deliver_alerts(empty_engine, fired, policy=FAST, sleep=waits.append)

    assert (delivery.outcome, delivery.attempts, delivery.status_code) == ("delivered", 3, 200)
    assert waits == [0.5, 1.0], "back-off doubles"
    assert [r["verified"] for r in receiver.requests] == [True, True, True]
    body = receiver.requests[-1]["body"]
    assert body["type"] == "foresight.alert" and body["attempt"] == 3 and body["alert"]["id"] == fired[0].event_id
    assert body["alert"]["values"]["score"] == 4.0 and body["alert"]["rule"]["name"] == "drops"
    assert receiver.requests[-1]["headers"]["X-Foresight-Timestamp"] == str(body["sent_at"])
    log = [(d["channel"], d["attempt"], d["outcome"], d["status_code"]) for d in deliveries_of(empty_engine,
                                                                                                fired[0].event_id)]
    assert log == [("in_app", 1, "delivered", None), ("webhook", 1, "failed", 500), ("webhook", 2, "failed", 503),
                   ("webhook", 3, "delivered", 200)]


def test_a_4xx_is_not_retried_and_a_wrong_secret_does_not_verify(empty_engine, receiver):
    fired = _fire(empty_engine, webhook_url=receiver.url, webhook_secret="another-secret-0123456789")
    receiver.statuses = [410]
    [delivery] = deliver_alerts(empty_engine, fired, policy=FAST, sleep=pytest.fail)
    assert (delivery.outcome, delivery.attempts, delivery.error) == ("failed", 1, "HTTP 410 Gone")
    assert [r["verified"] for r in receiver.requests] == [False]


def test_an_unreachable_webhook_is_retried_then_logged_as_failed(empty_engine):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fired = _fire(empty_engine, webhook_url=f"http://127.0.0.1:{port}/hook")
    [delivery] = deliver_alerts(empty_engine, fired, policy=FAST, sleep=lambda _s: None)
    assert (delivery.outcome, delivery.attempts) == ("failed", 3) and "Connection refused" in delivery.error


def test_e_mail_goes_through_the_smtp_server(empty_engine, smtp_server):
    fired = _fire(empty_engine, emails=["ops@example.com", "cfo@example.com"])
    settings = AlertSettings(smtp=SmtpSettings(host="127.0.0.1", port=smtp_server.port, sender="alerts@example.com"))
    [delivery] = deliver_alerts(empty_engine, fired, settings, policy=FAST)
    assert (delivery.channel, delivery.outcome, delivery.status_code) == ("email", "delivered", 250)
    [mail] = smtp_server.messages
    assert mail["from"] == "alerts@example.com" and mail["to"] == ["ops@example.com", "cfo@example.com"]
    assert " ".join(mail["message"]["Subject"].split()) == f"[Neon Foresight] {fired[0].title}"  # folded or not
    assert fired[0].body in mail["message"].get_content()


def test_without_an_smtp_server_the_delivery_fails_saying_what_to_set(empty_engine):
    fired = _fire(empty_engine, emails=["ops@example.com"])
    [delivery] = deliver_alerts(empty_engine, fired, policy=FAST, sleep=pytest.fail)
    assert delivery.outcome == "failed" and "set FORESIGHT_SMTP_HOST" in delivery.error


def test_a_rule_sends_at_most_its_hourly_rate(empty_engine, receiver):
    fired = _fire(empty_engine, count=3, webhook_url=receiver.url)
    outcomes = [d.outcome for d in deliver_alerts(empty_engine, fired, AlertSettings(rate_per_hour=2), policy=FAST)]
    assert outcomes == ["delivered", "delivered", "rate_limited"] and len(receiver.requests) == 2
    assert unread_count(empty_engine) == 3, "a rate-limited alert still reaches the alert centre"
    assert "FORESIGHT_ALERT_RATE_PER_HOUR" in deliveries_of(empty_engine, fired[2].event_id)[-1]["error"]


def test_the_alert_centre_counts_acknowledges_and_snoozes(empty_engine):
    first, second, third = _fire(empty_engine, count=3)
    moment = dt.datetime(2026, 11, 1, 9)
    acknowledge(empty_engine, first.event_id, "ada")
    snooze(empty_engine, second.event_id, moment + dt.timedelta(hours=4), "ada", moment=moment)
    assert unread_count(empty_engine, moment) == 1
    assert unread_count(empty_engine, moment + dt.timedelta(hours=5)) == 2, "a snooze that ended reads as unread"
    total, snoozed = list_alerts(empty_engine, state="snoozed", moment=moment)
    assert total == 1 and snoozed[0]["id"] == second.event_id and snoozed[0]["acted_by"] == "ada"
    with pytest.raises(ValueError, match="must be in the future and at most 90 days ahead"):
        snooze(empty_engine, third.event_id, moment - dt.timedelta(hours=1), "ada", moment=moment)
    with pytest.raises(LookupError, match="no alert 999"):
        acknowledge(empty_engine, 999, "ada")


def test_end_to_end_a_new_version_fires_once_to_the_webhook_and_the_smtp_server(engine, receiver, smtp_server):
    """Known answer: EMEA revenue of the last 7 complete days from SQL; a rule 1 % above it must fire."""
    through = complete_through(engine).through
    week = sql_revenue(engine, through - dt.timedelta(days=6), through, "EMEA")
    rule = create_rule(engine, {"name": "EMEA week", "kind": "threshold", "metric": "revenue",
                                "scope": {"region": "EMEA"}, "operator": "<", "threshold": round(week * 1.01, 2),
                                "window_days": 7, "webhook_url": receiver.url, "webhook_secret": receiver.secret,
                                "emails": ["ops@example.com"]}, owner="ada")
    settings = AlertSettings(smtp=SmtpSettings(host="127.0.0.1", port=smtp_server.port))
    watcher = AlertWatcher(engine, settings, policy=FAST, sleep=lambda _s: None)
    receiver.statuses = [500]
    version = add_version(engine)

    run = watcher.poll_once()

    assert run.version == version and [event.rule.id for event in run.fired] == [rule.id]
    assert run.fired[0].values["value"] == pytest.approx(week, rel=1e-9)
    assert [r["verified"] for r in receiver.requests] == [True, True]
    assert receiver.requests[1]["body"]["alert"]["dataset_version"] == version
    assert len(smtp_server.messages) == 1 and "EMEA" in smtp_server.messages[0]["message"]["Subject"]
    log = [(d["channel"], d["outcome"]) for d in deliveries_of(engine, run.fired[0].event_id)]
    assert log == [("in_app", "delivered"), ("webhook", "failed"), ("webhook", "delivered"), ("email", "delivered")]
    add_version(engine)
    assert watcher.poll_once().fired == [] and len(receiver.requests) == 2 and len(smtp_server.messages) == 1
    assert unread_count(engine) == 1
