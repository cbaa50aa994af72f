"""Rule validation: every refusal names the field, what it got and what to give; stored rules round-trip."""
from __future__ import annotations

import pytest

from core.alerts import (RuleError, create_rule, delete_rule, get_rule, list_rules, parse_rule, update_rule)

THRESHOLD = {"name": "EMEA revenue low", "kind": "threshold", "metric": "revenue", "scope": {"region": "EMEA"},
             "operator": "<", "threshold": 50000, "window_days": 7}


@pytest.mark.parametrize("change, message", [
    ({"metric": "profit"}, "unknown metric 'profit'; choose one of revenue, orders, active_customers, aov, churn_rate"),
    ({"scope": {"region": "Mars"}}, "`scope.region` 'Mars' is not a known region; choose one of North America, EMEA"),
    ({"scope": {"country": "DE"}}, "`scope` has an unknown dimension 'country'; use region, channel or category"),
    ({"threshold": "lots"}, "`threshold` 'lots' is not a number; give e.g. 50000"),
    ({"threshold": None}, "`threshold` is missing; give a number, e.g. 50000"),
    ({"webhook_url": "file:///etc/passwd"}, "`webhook_url` 'file:///etc/passwd' is not an http(s) URL: webhooks are "
                                            "only sent over http:// or https://"),
    ({"webhook_url": "https:///nohost"}, "`webhook_url` 'https:///nohost' has no host"),
    ({"operator": "=="}, "unknown operator '=='; choose one of <, <=, >, >="),
    ({"kind": "forecast"}, "unknown kind 'forecast'; choose one of threshold, change, anomaly"),
    ({"window_days": 0}, "`window_days` 0 is not a whole number of days from 1 to 365"),
    ({"emails": ["ops@example.com", "not-an-address"]}, "`emails` has 1 invalid address(es): 'not-an-address'"),
    ({"name": "  "}, "`name` is missing; give the rule a name"),
    ({"colour": "red"}, "unknown field(s) colour; a rule has name, kind"),
    ({"webhook_url": "https://hooks.example.com/x", "webhook_secret": "short"},
     "`webhook_secret` is shorter than 16 characters"),
])
def test_a_bad_rule_is_refused_naming_the_field(change, message):
    with pytest.raises(RuleError) as caught:
        parse_rule({**THRESHOLD, **change})
    assert str(caught.value).startswith(message)


def test_an_anomaly_rule_needs_a_numeric_score_and_knows_its_metrics():
    with pytest.raises(RuleError, match=r"`min_score` 'high' is not a number; give e.g. 3"):
        parse_rule({"name": "spikes", "kind": "anomaly", "min_score": "high"})
    with pytest.raises(RuleError, match="unknown anomaly metric 'aov'; choose one of revenue, orders"):
        parse_rule({"name": "spikes", "kind": "anomaly", "metric": "aov", "min_score": 3})
    spec = parse_rule({"name": "spikes", "kind": "anomaly", "metric": "any", "min_score": "3.5"})
    assert (spec.metric, spec.min_score, spec.operator, spec.threshold) == (None, 3.5, None, None)


def test_form_input_is_normalised():
    spec = parse_rule({**THRESHOLD, "threshold": "50,000", "window_days": "30", "scope": {"region": "EMEA",
                       "channel": "All"}, "emails": "a@example.com, b@example.com;a@example.com",
                       "webhook_url": "https://hooks.example.com/foresight"})
    assert spec.threshold == 50000.0 and spec.window_days == 30 and spec.scope == {"region": "EMEA"}
    assert spec.emails == ("a@example.com", "b@example.com")
    assert len(spec.webhook_secret) == 64, "a webhook without a secret gets a generated one"
    assert spec.describe() == "revenue over the last 30 days in region EMEA < 50000"


def test_rules_are_stored_changed_and_deleted(empty_engine):
    rule = create_rule(empty_engine, {**THRESHOLD, "webhook_url": "https://hooks.example.com/a"}, owner="ada")
    assert get_rule(empty_engine, rule.id) == rule and rule.owner == "ada" and rule.scope == {"region": "EMEA"}
    shown = rule.to_dict()
    assert "webhook_secret" not in shown and shown["has_webhook_secret"] is True
    same_url = update_rule(empty_engine, rule.id, {"threshold": 40000})
    assert same_url.threshold == 40000 and same_url.webhook_secret == rule.webhook_secret
    moved = update_rule(empty_engine, rule.id, {"webhook_url": "https://hooks.example.com/b"})
    assert moved.webhook_secret != rule.webhook_secret, "a new endpoint never gets the old endpoint's secret"
    with pytest.raises(RuleError, match="unknown metric 'profit'"):
        update_rule(empty_engine, rule.id, {"metric": "profit"})
    assert get_rule(empty_engine, rule.id).metric == "revenue", "a refused change writes nothing"
    delete_rule(empty_engine, rule.id)
    assert list_rules(empty_engine) == []
    with pytest.raises(LookupError, match=f"no alert rule {rule.id}"):
        get_rule(empty_engine, rule.id)


def test_alert_settings_come_from_the_environment_and_bad_values_say_which():
    from core.settings import Settings

    settings = Settings.from_env({"FORESIGHT_ALERT_RATE_PER_HOUR": "3", "FORESIGHT_SMTP_HOST": "mail.example.com",
                                  "FORESIGHT_SMTP_PORT": "587", "FORESIGHT_SMTP_STARTTLS": "yes",
                                  "FORESIGHT_SMTP_FROM": "alerts@example.com"}).alerts
    assert (settings.rate_per_hour, settings.smtp.host, settings.smtp.port, settings.smtp.starttls,
            settings.smtp.sender) == (3, "mail.example.com", 587, True, "alerts@example.com")
    with pytest.raises(ValueError, match=r"FORESIGHT_ALERT_RATE_PER_HOUR='many' is not a whole number"):
        Settings.from_env({"FORESIGHT_ALERT_RATE_PER_HOUR": "many"})
    with pytest.raises(ValueError, match=r"FORESIGHT_SMTP_FROM='nobody' is not an e-mail address"):
        Settings.from_env({"FORESIGHT_SMTP_FROM": "nobody"})
