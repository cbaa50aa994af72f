"""Access control: accounts, roles, sessions, API tokens, single sign-on and signed embed links.

One place (``roles``) says which role may do what; pages, callbacks and API routes ask it through
``Principal.can`` or ``allows``.
"""
from core.auth import audit
from core.auth.accounts import (INITIAL_PASSWORD_FILE, AccountError, User, authenticate, count_users, create_user, ensure_initial_admin,
                                ensure_sso_user, get_user, list_users, reset_password, set_disabled, set_role)
from core.auth.callbacks import (callback_permission, input_flag, page_permission, protect_callback, protect_page,
                                 protected_callbacks, protected_pages, triggered_by)
from core.auth.config import AccessSettings
from core.auth.embeds import EMBEDDABLE_PAGES, EmbedError, EmbedLink, create_link, is_active, list_links, revoke_link
from core.auth.principal import Principal
from core.auth.passwords import check_policy, generate_password, hash_password, verify_password
from core.auth.roles import ROLES, Permission, allows, parse_role
from core.auth.session import audit_request, current_principal, require
from core.auth.tokens import ApiToken, create_token, list_tokens, revoke_token, verify_token

__all__ = ["AccessSettings", "Permission", "Principal", "ROLES", "allows", "parse_role"]
# accounts, passwords, tokens and the audit log (``audit`` is the module: audit.record, audit.LOGIN, ...)
__all__ += ["INITIAL_PASSWORD_FILE", "AccountError", "ApiToken", "User", "audit", "authenticate", "check_policy", "count_users", "create_token",
            "create_user", "ensure_initial_admin", "ensure_sso_user", "generate_password", "get_user", "hash_password",
            "list_tokens", "list_users", "reset_password", "revoke_token", "set_disabled", "set_role", "verify_password",
            "verify_token"]
# web access (sessions, the request guard's registries); init_access lives in core.auth.guard (app.py wires it)
__all__ += ["audit_request", "callback_permission", "current_principal", "input_flag", "page_permission",
            "protect_callback", "protect_page", "protected_callbacks", "protected_pages", "require", "triggered_by"]
# signed embed links (the /embed/<token> route: core.auth.embeds.init_embeds, wired by app.py)
__all__ += ["EMBEDDABLE_PAGES", "EmbedError", "EmbedLink", "create_link", "is_active", "list_links", "revoke_link"]
