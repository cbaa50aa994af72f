"""Sending one alert out: a signed webhook POST, or an e-mail through SMTP. One call is one attempt.

Each attempt returns an ``Attempt`` saying whether it worked, the HTTP or SMTP code, the error, and whether trying
again could help (a 5xx, a timeout, a refused connection, an SMTP 4xx: yes; an HTTP 4xx or 3xx, an SMTP 5xx: no).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from core.alerts.config import SmtpSettings

__all__ = ["Attempt", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "send_email", "send_webhook", "sign", "webhook_body"]

SIGNATURE_HEADER = "X-Foresight-Signature"
TIMESTAMP_HEADER = "X-Foresight-Timestamp"
EVENT_HEADER = "X-Foresight-Event"
BODY_TYPE = "foresight.alert"
USER_AGENT = "Neon-Foresight-Alerts/1"


@dataclass(frozen=True)
class Attempt:
    """One try: ``delivered`` or not, the HTTP status or SMTP reply code, the error, and whether to retry."""

    delivered: bool
    status_code: int | None = None
    error: str | None = None
    retry: bool = False


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of the body with the rule's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(alert: dict[str, Any], attempt: int, sent_at: int) -> bytes:
    """The JSON body (docs/alerts.md): ``sent_at`` is signed with it, so a receiver can refuse stale replays."""
    document = {"type": BODY_TYPE, "version": 1, "sent_at": sent_at, "attempt": attempt, "alert": alert}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), default=str).encode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook is answered where it was sent: a redirect is a failure (it could lead anywhere, file: included)."""

    def redirect_request(self, *args, **kwargs):  # noqa: D102 - urllib's hook
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


def send_webhook(url: str, secret: str, alert: dict[str, Any], attempt: int, timeout_s: float) -> Attempt:
    """POST the alert to ``url``, signed with ``secret``; one attempt with a ``timeout_s`` limit."""
    sent_at = int(time.time())
    body = webhook_body(alert, attempt, sent_at)
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": USER_AGENT, TIMESTAMP_HEADER: str(sent_at),
        SIGNATURE_HEADER: sign(secret, body), EVENT_HEADER: str(alert.get("id"))})
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            return Attempt(True, response.status)
    except urllib.error.HTTPError as error:
        retry = error.code >= 500 or error.code == 429
        return Attempt(False, error.code, f"HTTP {error.code} {error.reason}", retry)
    except (urllib.error.URLError, TimeoutError, socket.timeout, ConnectionError, OSError) as error:
        reason = getattr(error, "reason", error)
        return Attempt(False, None, f"{type(reason).__name__}: {reason}"[:500], True)


def _message(alert: dict[str, Any], sender: str, recipients: tuple[str, ...]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"[Neon Foresight] {alert['title']}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    values = "\n".join(f"  {key}: {value}" for key, value in sorted(alert["values"].items()))
    message.set_content(f"{alert['body']}\n\nRule: {alert['rule']['name']} (#{alert['rule']['id']})\n"
                        f"Dataset version: {alert['dataset_version']}\nFired at: {alert['fired_at']}\n\n"
                        f"Values:\n{values}\n")
    return message


def send_email(smtp: SmtpSettings, alert: dict[str, Any], recipients: tuple[str, ...]) -> Attempt:
    """Send the alert to ``recipients`` through the configured SMTP server; one attempt."""
    if not smtp.host:
        return Attempt(False, None, "no SMTP server is configured; set FORESIGHT_SMTP_HOST (see docs/alerts.md)")
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s) as client:
            if smtp.starttls:
                client.starttls()
            if smtp.user:
                client.login(smtp.user, smtp.password or "")
            refused = client.send_message(_message(alert, smtp.sender, recipients))
    except smtplib.SMTPResponseException as error:
        text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return Attempt(False, error.smtp_code, f"SMTP {error.smtp_code} {text}"[:500], 400 <= error.smtp_code < 500)
    except smtplib.SMTPRecipientsRefused as error:
        return Attempt(False, None, f"every recipient was refused: {sorted(error.recipients)}"[:500], False)
    except (smtplib.SMTPException, OSError) as error:
        return Attempt(False, None, f"{type(error).__name__}: {error}"[:500], True)
    if refused:
        return Attempt(True, 250, f"refused recipients: {sorted(refused)}"[:500])
    return Attempt(True, 250)
