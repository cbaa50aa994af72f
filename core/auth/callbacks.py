"""Which Dash callbacks and pages need more than VIEW: registries the request guard reads.

A page registers its state-changing callbacks by an output id that only they write
(``protect_callback([ids.DATA_UPLOAD_TOKEN], Permission.UPLOAD)``); the guard reads the ``output`` of every
``/_dash-update-component`` POST and refuses it (403) when the caller lacks the permission. ``when`` narrows a
rule to some requests of a callback that viewers also use: the job lookup is a retrain only when its run button
triggered it, the job's background run only when the request asks for a fresh computation.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from core.auth.roles import Permission

__all__ = ["CallbackRule", "callback_permission", "callback_rules", "output_ids", "page_permission",
           "protect_callback", "protect_page", "protected_callbacks", "protected_pages", "required_permissions"]

Predicate = Callable[[dict], bool]


@dataclass(frozen=True)
class CallbackRule:
    """One registered callback output: the permission it needs, when (None: always) and what the audit log calls
    the action once it is allowed (None: the page audits it itself)."""

    permission: Permission
    when: Predicate | None = None
    audit: str | None = None


# output component id -> rule; page path -> permission. Module-level: filled once at import by the pages.
callback_rules: dict[str, CallbackRule] = {}
protected_callbacks: dict[str, Permission] = {}
protected_pages: dict[str, Permission] = {}


def protect_callback(output_ids: Iterable[str], permission: Permission, *, when: Predicate | None = None,
                     audit: str | None = None) -> None:
    """Require ``permission`` for every callback that writes one of ``output_ids`` (component ids)."""
    for output_id in output_ids:
        callback_rules[output_id] = CallbackRule(permission, when, audit)
        protected_callbacks[output_id] = permission


def protect_page(path: str, permission: Permission) -> None:
    """Require ``permission`` to open the page at ``path`` (e.g. ``/admin``)."""
    protected_pages[path.rstrip("/") or "/"] = permission


def page_permission(path: str) -> Permission | None:
    """The permission the page at ``path`` needs beyond VIEW (None: VIEW is enough)."""
    return protected_pages.get(path.rstrip("/") or "/")


def output_ids(output: str) -> list[str]:
    """The component ids in a Dash ``output`` string (``..a.data...b.children@1f2e..`` or ``a.data``)."""
    text = output.strip()
    if text.startswith("..") and text.endswith(".."):
        text = text[2:-2]
    found = []
    for part in text.split("..."):
        name = part.split("@", 1)[0]
        component, _, _prop = name.rpartition(".")
        if component:
            found.append(component)
    return found


def callback_permission(output: str) -> Permission | None:
    """The permission a callback with this ``output`` string may need (ignoring ``when``), or None."""
    needed = [callback_rules[i].permission for i in output_ids(output) if i in callback_rules]
    return needed[0] if needed else None


def required_permissions(body: dict) -> list[tuple[Permission, CallbackRule]]:
    """What this ``/_dash-update-component`` request body needs: (permission, rule) for each matching rule."""
    output = body.get("output") if isinstance(body, dict) else None
    if not isinstance(output, str):
        return []
    rules = [callback_rules[i] for i in output_ids(output) if i in callback_rules]
    return [(rule.permission, rule) for rule in rules if rule.when is None or _safe(rule.when, body)]


def _safe(predicate: Predicate, body: dict) -> bool:
    """A predicate that cannot read the body counts as matching: a malformed request needs the permission."""
    try:
        return bool(predicate(body))
    except (AttributeError, KeyError, TypeError, ValueError):
        return True


def triggered_by(prop_id: str) -> Predicate:
    """A ``when`` for a callback that needs the permission only when ``prop_id`` (``id.prop``) triggered it."""
    return lambda body: prop_id in (body.get("changedPropIds") or [])


def input_flag(component_id: str, key: str) -> Predicate:
    """A ``when`` for a callback that needs the permission only when the input ``component_id``'s value (a dict)
    has a true ``key``."""
    def check(body: dict) -> bool:
        for item in body.get("inputs") or []:
            if isinstance(item, dict) and item.get("id") == component_id:
                return bool((item.get("value") or {}).get(key))
        return False
    return check


__all__ += ["input_flag", "triggered_by"]
