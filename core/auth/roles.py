"""Who may do what: the one place that maps roles to permissions.

Pages, callbacks and API routes ask ``allows(role, permission)`` (or ``Principal.can``); nothing else compares
role names. Roles are cumulative: an analyst can do everything a viewer can, an admin everything an analyst can.
"""
from __future__ import annotations

from enum import Enum

__all__ = ["Permission", "ROLES", "ROLE_PERMISSIONS", "allows", "parse_role"]


class Permission(str, Enum):
    """An action that needs a role; the value is the name used in the audit log and the API's scopes."""

    VIEW = "view"                        # read every page and the read API
    UPLOAD = "upload"                    # upload and ingest files, resubmit quarantined rows
    RETRAIN = "retrain"                  # start a retrain or recompute, cancel a job
    CHAT = "chat"                        # ask the chat assistant (it only reads, so viewers may ask too)
    EXPORT = "export"                    # download data (CSV exports)
    MANAGE_USERS = "manage_users"        # add users, change roles, disable, reset passwords
    MANAGE_TOKENS = "manage_tokens"      # create and revoke API tokens
    MANAGE_EMBEDS = "manage_embeds"      # create and revoke signed embed links
    VIEW_AUDIT = "view_audit"            # read and export the audit log
    MANAGE_SETTINGS = "manage_settings"  # alert and maintenance settings
    PROMOTE_MODELS = "promote_models"    # promote a model in the registry
    REMEDIATE = "remediate"              # run a remediation action on the system
    ALERTS = "alerts"                    # create and change alert rules, acknowledge and snooze alerts


_VIEWER = frozenset({Permission.VIEW, Permission.CHAT})
_ANALYST = _VIEWER | {Permission.UPLOAD, Permission.RETRAIN, Permission.EXPORT, Permission.ALERTS}
_ADMIN = frozenset(Permission)

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {"viewer": _VIEWER, "analyst": frozenset(_ANALYST),
                                                      "admin": _ADMIN}
ROLES: tuple[str, ...] = tuple(ROLE_PERMISSIONS)  # from least to most


def allows(role: str | None, permission: Permission) -> bool:
    """Whether ``role`` has ``permission`` (an unknown or missing role has none)."""
    return permission in ROLE_PERMISSIONS.get(role or "", frozenset())


def parse_role(text: str) -> str:
    """A role name from user input (any case, spaces trimmed); ValueError naming the valid roles otherwise."""
    role = (text or "").strip().lower()
    if role not in ROLE_PERMISSIONS:
        raise ValueError(f"unknown role {text!r}; use one of {', '.join(ROLES)}")
    return role
