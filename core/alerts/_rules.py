"""What an alert rule is, and the one validator every way of creating one goes through (API, pages, tests).

Each refusal is a ``RuleError`` (a ValueError) naming the field, what it got and what to give instead.
"""
from __future__ import annotations

import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from analytics.kpis import KPI_DEFINITIONS
from data.vocabulary import CATEGORIES, CHANNELS, REGIONS

__all__ = ["AlertRule", "ANOMALY_METRICS", "KINDS", "METRICS", "OPERATORS", "RuleError", "RuleSpec", "SCOPES",
           "SYSTEM_KINDS", "new_secret", "parse_rule", "parse_targets"]

KINDS: tuple[str, ...] = ("threshold", "change", "anomaly")  # the kinds people create
# Kinds the app creates for itself (never through parse_rule): 'health' carries system incidents (core.health).
SYSTEM_KINDS: tuple[str, ...] = ("health",)
METRICS: tuple[str, ...] = tuple(KPI_DEFINITIONS)  # revenue, orders, active_customers, aov, churn_rate
ANOMALY_METRICS: tuple[str, ...] = ("revenue", "orders")  # what the anomaly detector watches
OPERATORS: tuple[str, ...] = ("<", "<=", ">", ">=")
SCOPES: dict[str, tuple[str, ...]] = {"region": REGIONS, "channel": CHANNELS, "category": CATEGORIES}
MAX_WINDOW_DAYS = 365
MAX_EMAILS = 20
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_FIELDS = ("name", "kind", "metric", "scope", "operator", "threshold", "window_days", "min_score", "webhook_url",
           "webhook_secret", "emails", "enabled")


class RuleError(ValueError):
    """An alert rule that cannot be used: the message names the field and how to fix it."""


@dataclass(frozen=True)
class RuleSpec:
    """A validated rule as its author gave it (``parse_rule`` builds it)."""

    name: str
    kind: str
    metric: str | None
    scope: dict[str, str] = field(default_factory=dict)
    operator: str | None = None
    threshold: float | None = None
    window_days: int = 7
    min_score: float | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    emails: tuple[str, ...] = ()
    enabled: bool = True

    def describe(self) -> str:
        """The condition in words, e.g. ``revenue over the last 7 days in region EMEA < 50000``."""
        if self.kind == "health":
            return "every system health incident, once when it opens"
        where = ", ".join(f"{key} {value}" for key, value in sorted(self.scope.items())) or "the whole company"
        if self.kind == "anomaly":
            what = f"{self.metric} anomalies" if self.metric else "anomalies"
            return f"{what} in {where} with a score above {self.min_score:g}, ended in the last {self.window_days} days"
        measure = "change in % against the previous period of" if self.kind == "change" else ""
        return (f"{measure} {self.metric} over the last {self.window_days} days in {where} "
                f"{self.operator} {self.threshold:g}").strip()


@dataclass(frozen=True)
class AlertRule(RuleSpec):
    """A stored rule: the spec plus its id, owner and times. ``to_dict`` never shows the webhook secret."""

    id: int = 0
    owner: str = ""
    created_at: str = ""
    updated_at: str = ""

    def spec_fields(self) -> dict[str, Any]:
        """The fields ``parse_rule`` takes, secret included (to change a rule: merge and parse again)."""
        values = asdict(self)
        return {name: values[name] for name in _FIELDS}

    def to_dict(self) -> dict[str, Any]:
        """The rule as the API and the pages show it (``has_webhook_secret`` instead of the secret)."""
        values = asdict(self)
        secret = values.pop("webhook_secret")
        return {**values, "emails": list(self.emails), "has_webhook_secret": bool(secret),
                "condition": self.describe()}


def new_secret() -> str:
    """A fresh webhook signing secret (64 hex digits)."""
    return secrets.token_hex(32)


def _text(payload: Mapping, name: str, *, required: bool = False, limit: int = 200) -> str | None:
    value = payload.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RuleError(f"`{name}` is missing; give the rule a {name}")
        return None
    if not isinstance(value, str):
        raise RuleError(f"`{name}` must be text, got {value!r}")
    value = value.strip()
    if len(value) > limit:
        raise RuleError(f"`{name}` is {len(value)} characters long; use at most {limit}")
    return value


def _number(payload: Mapping, name: str, example: str, *, minimum: float | None = None) -> float:
    value = payload.get(name)
    if value is None or value == "":
        raise RuleError(f"`{name}` is missing; give a number, e.g. {example}")
    try:
        number = float(value.strip().replace(",", "")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise RuleError(f"`{name}` {value!r} is not a number; give e.g. {example}") from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise RuleError(f"`{name}` {value!r} is not a finite number; give e.g. {example}")
    if minimum is not None and number < minimum:
        raise RuleError(f"`{name}` is {number:g}; it must be at least {minimum:g}")
    return number


def _choice(value: Any, name: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise RuleError(f"unknown {name} {value!r}; choose one of {', '.join(options)}")
    return value


def _scope(value: Any) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if not isinstance(value, Mapping):
        raise RuleError(f"`scope` must be an object such as {{\"region\": \"EMEA\"}}, got {value!r}")
    scope = {}
    for key, member in value.items():
        if key not in SCOPES:
            raise RuleError(f"`scope` has an unknown dimension {key!r}; use region, channel or category")
        if member in (None, "", "All"):
            continue
        if member not in SCOPES[key]:
            raise RuleError(f"`scope.{key}` {member!r} is not a known {key}; choose one of {', '.join(SCOPES[key])}")
        scope[key] = member
    return scope


def _window(payload: Mapping) -> int:
    value = payload.get("window_days", 7)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_WINDOW_DAYS:
        raise RuleError(f"`window_days` {value!r} is not a whole number of days from 1 to {MAX_WINDOW_DAYS}; "
                        "give e.g. 7")
    return value


def webhook_url(value: Any) -> str | None:
    """A webhook URL: http or https with a host, else RuleError (a file:, ftp: or javascript: URL is refused)."""
    url = _text({"webhook_url": value}, "webhook_url", limit=500)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise RuleError(f"`webhook_url` {url!r} is not an http(s) URL: webhooks are only sent over http:// or "
                        "https://; give e.g. https://hooks.example.com/foresight")
    if not parts.hostname:
        raise RuleError(f"`webhook_url` {url!r} has no host; give e.g. https://hooks.example.com/foresight")
    return url


def _emails(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items = re.split(r"[,;\s]+", value.strip()) if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise RuleError(f"`emails` must be a list of addresses, got {value!r}")
    addresses = tuple(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))
    bad = [address for address in addresses if not _EMAIL.match(address)]
    if bad:
        raise RuleError(f"`emails` has {len(bad)} invalid address(es): {', '.join(map(repr, bad[:3]))}; "
                        "give addresses such as ops@example.com")
    if len(addresses) > MAX_EMAILS:
        raise RuleError(f"`emails` lists {len(addresses)} addresses; use at most {MAX_EMAILS} (or a mailing list)")
    return addresses


def _secret(payload: Mapping, url: str | None) -> str | None:
    secret = _text(payload, "webhook_secret", limit=128)
    if secret is not None and len(secret) < 16:
        raise RuleError("`webhook_secret` is shorter than 16 characters; leave it out to get a generated one")
    return (secret or new_secret()) if url else None


def parse_targets(url: Any, emails: Any, secret: Any = None) -> tuple[str | None, str | None, tuple[str, ...]]:
    """A webhook URL, its signing secret (generated when none is given) and e-mail addresses, validated as a
    rule's are (``RuleError`` naming the field): for the system rules, whose other fields the app sets."""
    checked = webhook_url(url)
    return checked, _secret({"webhook_secret": secret}, checked), _emails(emails)


def _condition(payload: Mapping, kind: str) -> dict[str, Any]:
    """The fields that say when a rule of ``kind`` fires."""
    if kind == "anomaly":
        metric = payload.get("metric") or None
        return {"metric": None if metric in (None, "any") else _choice(metric, "anomaly metric", ANOMALY_METRICS),
                "min_score": _number(payload, "min_score", "3", minimum=0)}
    return {"metric": _choice(payload.get("metric"), "metric", METRICS),
            "operator": _choice(payload.get("operator"), "operator", OPERATORS),
            "threshold": _number(payload, "threshold", "-10" if kind == "change" else "50000")}


def parse_rule(payload: Mapping[str, Any]) -> RuleSpec:
    """Validate a rule given as plain values (JSON, form fields); RuleError naming the field otherwise.

    Numbers may be given as text ("50,000"); ``scope`` members "All" or empty mean no filter; ``emails`` may be a
    list or a comma-separated string; a webhook without ``webhook_secret`` gets a generated one.
    """
    if not isinstance(payload, Mapping):
        raise RuleError(f"a rule is an object of fields ({', '.join(_FIELDS)}), got {type(payload).__name__}")
    unknown = sorted(set(payload) - set(_FIELDS))
    if unknown:
        raise RuleError(f"unknown field(s) {', '.join(unknown)}; a rule has {', '.join(_FIELDS)}")
    kind = _choice(payload.get("kind"), "kind", KINDS)
    enabled = payload.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RuleError(f"`enabled` must be true or false, got {enabled!r}")
    url = webhook_url(payload.get("webhook_url"))
    return RuleSpec(name=_text(payload, "name", required=True, limit=120), kind=kind,
                    scope=_scope(payload.get("scope")), window_days=_window(payload), webhook_url=url,
                    webhook_secret=_secret(payload, url), emails=_emails(payload.get("emails")), enabled=enabled,
                    **_condition(payload, kind))
