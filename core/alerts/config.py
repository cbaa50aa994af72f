"""Alert settings: how many alerts a rule may send out per hour, how often the store is watched for new dataset
versions, and the SMTP server e-mail goes through. Parsed by ``core.settings`` (the only reader of the environment)
onto ``Settings.alerts``; nothing here imports ``core.settings``."""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AlertSettings", "SmtpSettings", "VARIABLES"]

VARIABLES: tuple[str, ...] = (
    "FORESIGHT_ALERT_RATE_PER_HOUR", "FORESIGHT_ALERT_POLL_SECONDS", "FORESIGHT_SMTP_HOST", "FORESIGHT_SMTP_PORT",
    "FORESIGHT_SMTP_FROM", "FORESIGHT_SMTP_USER", "FORESIGHT_SMTP_PASSWORD", "FORESIGHT_SMTP_STARTTLS",
)
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@dataclass(frozen=True)
class SmtpSettings:
    """Where alert e-mail goes out: ``host`` None means e-mail deliveries are logged as failed with the reason."""

    host: str | None = None
    port: int = 25
    sender: str = "neon-foresight@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_s: float = 10.0


@dataclass(frozen=True)
class AlertSettings:
    """``rate_per_hour``: alerts one rule may send by webhook and e-mail in any rolling hour (more stay in the
    in-app alert centre, their deliveries logged as ``rate_limited``); ``poll_seconds``: how often each web process
    looks for a new dataset version (0: never; run ``python -m core.alerts watch`` instead)."""

    rate_per_hour: int = 10
    poll_seconds: float = 5.0
    smtp: SmtpSettings = SmtpSettings()

    @classmethod
    def parse(cls, values: dict[str, str | None]) -> "AlertSettings":
        """Build from raw strings keyed by environment variable name (missing or empty: the default)."""
        get = {key: (value or "").strip() for key, value in values.items()}
        defaults, smtp = cls(), SmtpSettings()
        return cls(
            rate_per_hour=int(_number(get, "FORESIGHT_ALERT_RATE_PER_HOUR", defaults.rate_per_hour, 1, 3600, True)),
            poll_seconds=_number(get, "FORESIGHT_ALERT_POLL_SECONDS", defaults.poll_seconds, 0, 3600),
            smtp=SmtpSettings(
                host=get.get("FORESIGHT_SMTP_HOST") or None,
                port=int(_number(get, "FORESIGHT_SMTP_PORT", smtp.port, 1, 65535, True)),
                sender=_sender(get.get("FORESIGHT_SMTP_FROM") or smtp.sender),
                user=get.get("FORESIGHT_SMTP_USER") or None,
                password=get.get("FORESIGHT_SMTP_PASSWORD") or None,
                starttls=_flag(get, "FORESIGHT_SMTP_STARTTLS"),
            ),
        )


def _sender(text: str) -> str:
    if "@" not in text or any(char.isspace() for char in text):
        raise ValueError(f"FORESIGHT_SMTP_FROM={text!r} is not an e-mail address; use e.g. alerts@example.com")
    return text


def _flag(get: dict[str, str], name: str) -> bool:
    text = get.get(name, "").lower()
    if text in _TRUE | _FALSE | {""}:
        return text in _TRUE
    raise ValueError(f"{name}={text!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off")


def _number(get: dict[str, str], name: str, default: float, low: float, high: float, whole: bool = False) -> float:
    text = get.get(name, "")
    if not text:
        return default
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"{name}={text!r} is not {kind}; use a value from {low:g} to {high:g}") from None
    if not low <= value <= high:
        raise ValueError(f"{name}={value} is out of range; use a value from {low:g} to {high:g}")
    return value
