"""Access-control settings, parsed from the strings ``core.settings`` reads from the environment."""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from core.auth.roles import parse_role

__all__ = ["AccessSettings", "parse_group_roles", "parse_proxies", "parse_rate"]

_HEADER = re.compile(r"^[A-Za-z0-9-]{1,64}$")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(name: str, text: str) -> tuple[Network, ...]:
    """Comma-separated CIDRs or addresses (``10.0.0.0/8,127.0.0.1``); ValueError naming the bad entry."""
    networks = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{name}: {part!r} is not an address or CIDR; use e.g. 127.0.0.1/32,10.0.0.0/8") from None
    return tuple(networks)


def parse_group_roles(name: str, text: str) -> tuple[tuple[str, str], ...]:
    """``group=role`` pairs, comma-separated (``bi-admins=admin,bi-analysts=analyst``)."""
    mapping: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        group, sep, role = part.rpartition("=")
        if not sep or not group.strip():
            raise ValueError(f"{name}: {part!r} is not group=role; use e.g. bi-admins=admin,bi-analysts=analyst")
        try:
            mapping[group.strip()] = parse_role(role)
        except ValueError as error:
            raise ValueError(f"{name}: group {group.strip()!r}: {error}") from None
    return tuple(mapping.items())


def parse_rate(name: str, text: str) -> str:
    """A rate limit such as ``600/minute`` or ``30 per hour`` (flask-limiter's notation)."""
    from limits import parse

    try:
        parse(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a rate; use e.g. 600/minute, 30 per hour or 5/15 minutes") from None
    return text.strip()


def _header(name: str, text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    if not _HEADER.match(text):
        raise ValueError(f"{name}={text!r} is not an HTTP header name; use letters, digits and '-', "
                         "e.g. X-Forwarded-User")
    return text


@dataclass(frozen=True)
class AccessSettings:
    """Sessions, single sign-on through a trusted proxy, lockout and rate limits."""

    session_hours: float = 12.0
    trusted_proxies: tuple[Network, ...] = ()
    trusted_user_header: str | None = None
    trusted_groups_header: str | None = None
    group_roles: tuple[tuple[str, str], ...] = ()  # (group, role) pairs from FORESIGHT_GROUP_ROLES
    sso_default_role: str | None = None  # role for a proxy user in no mapped group; None: refused
    login_failures: int = 5              # failures before an account or an address is locked out
    lockout_minutes: int = 15
    password_min_length: int = 12
    api_rate: str = "600/minute"
    upload_rate: str = "60/hour"
    chat_rate: str = "30/minute"
    token_days: int = 90

    @classmethod
    def parse(cls, values: dict[str, str | None]) -> "AccessSettings":
        """Build from raw strings keyed by environment variable name (missing or empty: the default)."""
        get = {key: (value or "").strip() for key, value in values.items()}
        defaults = cls()
        user = _header("FORESIGHT_TRUSTED_USER_HEADER", get.get("FORESIGHT_TRUSTED_USER_HEADER", ""))
        proxies = parse_proxies("FORESIGHT_TRUSTED_PROXIES", get.get("FORESIGHT_TRUSTED_PROXIES", ""))
        if user and not proxies:
            raise ValueError("FORESIGHT_TRUSTED_USER_HEADER is set but FORESIGHT_TRUSTED_PROXIES is empty; list the "
                             "addresses of the authenticating proxy (e.g. 127.0.0.1/32), or the header is never trusted")
        default_role = get.get("FORESIGHT_SSO_DEFAULT_ROLE", "")
        return cls(
            session_hours=_number("FORESIGHT_SESSION_HOURS", get.get("FORESIGHT_SESSION_HOURS", ""),
                                  defaults.session_hours),
            trusted_proxies=proxies,
            trusted_user_header=user,
            trusted_groups_header=_header("FORESIGHT_TRUSTED_GROUPS_HEADER",
                                          get.get("FORESIGHT_TRUSTED_GROUPS_HEADER", "")),
            group_roles=parse_group_roles("FORESIGHT_GROUP_ROLES", get.get("FORESIGHT_GROUP_ROLES", "")),
            sso_default_role=_default_role(default_role),
            login_failures=int(_number("FORESIGHT_LOGIN_FAILURES", get.get("FORESIGHT_LOGIN_FAILURES", ""),
                                       defaults.login_failures, whole=True)),
            lockout_minutes=int(_number("FORESIGHT_LOCKOUT_MINUTES", get.get("FORESIGHT_LOCKOUT_MINUTES", ""),
                                        defaults.lockout_minutes, whole=True)),
            password_min_length=int(_number("FORESIGHT_PASSWORD_MIN_LENGTH",
                                            get.get("FORESIGHT_PASSWORD_MIN_LENGTH", ""),
                                            defaults.password_min_length, whole=True)),
            api_rate=_rate("FORESIGHT_API_RATE_LIMIT", get, defaults.api_rate),
            upload_rate=_rate("FORESIGHT_UPLOAD_RATE_LIMIT", get, defaults.upload_rate),
            chat_rate=_rate("FORESIGHT_CHAT_RATE_LIMIT", get, defaults.chat_rate),
            token_days=int(_number("FORESIGHT_TOKEN_DAYS", get.get("FORESIGHT_TOKEN_DAYS", ""),
                                   defaults.token_days, whole=True)),
        )

    def role_for_groups(self, groups: list[str]) -> str | None:
        """The highest role any of ``groups`` maps to, else ``sso_default_role`` (None: not allowed in)."""
        from core.auth.roles import ROLES

        mapped = [role for group, role in self.group_roles if group in groups]
        return max(mapped, key=ROLES.index) if mapped else self.sso_default_role

    def is_trusted_proxy(self, address: str | None) -> bool:
        """Whether ``address`` (the TCP peer) is one of ``FORESIGHT_TRUSTED_PROXIES``."""
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted_proxies)


def _default_role(text: str) -> str | None:
    if not text:
        return None
    try:
        return parse_role(text)
    except ValueError as error:
        raise ValueError(f"FORESIGHT_SSO_DEFAULT_ROLE: {error}") from None


def _rate(name: str, get: dict[str, str], default: str) -> str:
    text = get.get(name, "")
    return parse_rate(name, text) if text else default


def _number(name: str, text: str, default: float, whole: bool = False) -> float:
    if not text:
        return default
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        value = None
    if value is None or not 0 < value < 10**9:
        kind = "whole number" if whole else "number"
        raise ValueError(f"{name}={text!r} is not valid; set a positive {kind} (default {default:g}) or unset it")
    return value
