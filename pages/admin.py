"""Admin page: users and roles, API tokens, embed links and the audit log (admins only).

Every callback asks for its permission on the server (``refusal``) besides the access guard's check of the
callback's outputs (``protect_callback``); anyone else gets "Admins only" and the header hides the link.
"""
from __future__ import annotations

import datetime as dt
import json

import dash
from dash import Input, Output, State, callback, ctx, dcc, no_update
from flask import request

from components import admin as ui
from components import ids
from core.auth import (EMBEDDABLE_PAGES, ROLES, AccountError, EmbedError, Permission, audit, create_link,
                       create_token, create_user, current_principal, list_links, list_tokens, list_users,
                       protect_callback, protect_page, reset_password, revoke_link, revoke_token,
                       set_disabled, set_role)
from core.runtime import current_settings, store_engine
from pages._jobs import acting_user, refusal

dash.register_page(__name__, path="/admin", name="Admin", order=9, title="Admin · Neon Foresight",
                   hidden_from_nav=True, view_3d=False)
protect_page("/admin", Permission.MANAGE_USERS)

_ONCE = "Copy it now: it is not shown again."


def _time(value: dt.datetime | None) -> str | None:
    return None if value is None else f"{value:%Y-%m-%d %H:%M}"


def _listed(permission: Permission, fetch, row) -> list[dict]:
    """A section's grid rows: ``row`` of each item ``fetch(engine)`` lists (none without ``permission``)."""
    if refusal(permission, "list it"):
        return []
    return [row(item) for item in fetch(store_engine())]


def _form_callback(message_id: str, button_id: str, *field_ids: str):
    """The decorator of a section's form button: its message, the lists' refresh, the fields' values."""
    return callback(Output(message_id, "children", allow_duplicate=True),
                    Output(ids.ADMIN_REFRESH, "data", allow_duplicate=True), Input(button_id, "n_clicks"),
                    *[State(field_id, "value") for field_id in field_ids], State(ids.ADMIN_REFRESH, "data"),
                    prevent_initial_call=True)


def _revoke_callback(message_id: str, button_id: str, grid_id: str):
    """The decorator of a section's revoke button: its message, the lists' refresh, the row selected in its grid."""
    return callback(Output(message_id, "children", allow_duplicate=True),
                    Output(ids.ADMIN_REFRESH, "data", allow_duplicate=True), Input(button_id, "n_clicks"),
                    State(grid_id, "selectedRows"), State(ids.ADMIN_REFRESH, "data"), prevent_initial_call=True)


def _revoke_selected(permission: Permission, what: str, selected, refresh, revoke, describe):
    """Revoke the ``what`` selected in its list with ``revoke(engine, id, actor)``; ``describe`` says what went."""
    if refused := refusal(permission, f"revoke {what}s"):
        return ui.refused(refused), no_update
    if not selected:
        return ui.refused(f"select a {what} in the list first"), no_update
    try:
        row = revoke(store_engine(), int(selected[0]["id"]), acting_user())
    except ValueError as error:  # AccountError and EmbedError are ValueErrors with their message
        return ui.refused(str(error)), no_update
    return ui.done(describe(row)), (refresh or 0) + 1


def layout(**_query):
    """The admin page for an admin; "Admins only" for anyone else."""
    principal = current_principal()
    if principal is None or not principal.can(Permission.MANAGE_USERS):
        return ui.admins_only(principal.label if principal else None)
    pages = {page["path"]: page["name"] for page in dash.page_registry.values() if page["path"] in EMBEDDABLE_PAGES}
    return ui.admin_layout(ROLES, pages, audit.ACTIONS, audit.OUTCOMES, current_settings().access.token_days)


# ---------- users ----------

@_form_callback(ui.USER_MESSAGE, ui.USER_ADD, ui.USER_NAME, ui.USER_ROLE, ui.USER_PASSWORD)
def add_user(_clicks, username, role, password, refresh):
    """Add a user; a generated password is shown once."""
    if refused := refusal(Permission.MANAGE_USERS, "add users"):
        return ui.refused(refused), no_update
    try:
        user, generated = create_user(store_engine(), (username or "").strip(), role, password or None,
                                      min_length=current_settings().access.password_min_length, actor=acting_user())
    except (AccountError, ValueError) as error:
        return ui.refused(str(error)), no_update
    if generated:
        shown = ui.secret_once(f"Added {user.username} ({user.role}). Their password:", generated, _ONCE,
                               ui.USER_MESSAGE)
        return shown, (refresh or 0) + 1
    return ui.done(f"Added {user.username} ({user.role}) with the password you typed."), (refresh or 0) + 1


def _change(username: str, trigger: str, new_role: str):
    """One change to ``username``: what to show."""
    engine, actor = store_engine(), acting_user()
    if trigger == ui.USER_SET_ROLE:
        user = set_role(engine, username, new_role, actor)
        return ui.done(f"{user.username} is now {user.role}; their open sessions were signed out.")
    if trigger in (ui.USER_DISABLE, ui.USER_ENABLE):
        user = set_disabled(engine, username, trigger == ui.USER_DISABLE, actor)
        state = "disabled: they can no longer sign in or use their tokens" if user.disabled else "enabled again"
        return ui.done(f"{user.username} is {state}.")
    password = reset_password(engine, username, actor=actor,
                              min_length=current_settings().access.password_min_length)
    return ui.secret_once(f"New password for {username}:", password, f"{_ONCE} Their open sessions were signed out.",
                          ui.USER_MESSAGE)


@callback(Output(ui.USER_MESSAGE, "children", allow_duplicate=True),
          Output(ids.ADMIN_REFRESH, "data", allow_duplicate=True),
          Input(ui.USER_SET_ROLE, "n_clicks"), Input(ui.USER_DISABLE, "n_clicks"), Input(ui.USER_ENABLE, "n_clicks"),
          Input(ui.USER_RESET, "n_clicks"), State(ui.USER_GRID, "selectedRows"), State(ui.USER_NEW_ROLE, "value"),
          State(ids.ADMIN_REFRESH, "data"), prevent_initial_call=True)
def change_user(_role, _disable, _enable, _reset, selected, new_role, refresh):
    """Change the selected user's role, disable or enable them, or reset their password."""
    if refused := refusal(Permission.MANAGE_USERS, "change users"):
        return ui.refused(refused), no_update
    if not selected:
        return ui.refused("select a user in the list first"), no_update
    try:
        return _change(selected[0]["username"], ctx.triggered_id, new_role), (refresh or 0) + 1
    except (AccountError, ValueError) as error:
        return ui.refused(str(error)), no_update


@callback(Output(ui.USER_GRID, "rowData"), Output(ui.TOKEN_USER, "options"), Input(ids.ADMIN_REFRESH, "data"))
def show_users(_refresh):
    """The users list, and the users a token can be made for."""
    if refusal(Permission.MANAGE_USERS, "list users"):
        return [], []
    users = list_users(store_engine())
    rows = [{"username": u.username, "role": u.role, "status": "disabled" if u.disabled else "active",
             "source": u.source, "created_at": _time(u.created_at), "last_login_at": _time(u.last_login_at)}
            for u in users]
    return rows, [u.username for u in users if not u.disabled]


# ---------- API tokens ----------

@_form_callback(ui.TOKEN_MESSAGE, ui.TOKEN_CREATE, ui.TOKEN_USER, ui.TOKEN_NAME, ui.TOKEN_DAYS)
def add_token(_clicks, username, name, days, refresh):
    """Create an API token for a user; the token is shown once."""
    if refused := refusal(Permission.MANAGE_TOKENS, "create API tokens"):
        return ui.refused(refused), no_update
    if not username:
        return ui.refused("pick the user the token acts as"), no_update
    if not isinstance(days, int) or days < 1:
        return ui.refused("give the number of days the token stays valid (a whole number from 1)"), no_update
    try:
        token, plaintext = create_token(store_engine(), username, (name or "").strip() or "api", days=days,
                                        actor=acting_user())
    except (AccountError, ValueError) as error:
        return ui.refused(str(error)), no_update
    hint = f"{_ONCE} Send it as the header `Authorization: Bearer <token>`; it acts as {username} with their role."
    return ui.secret_once(f"Token {token.prefix}… for {username}:", plaintext, hint,
                          ui.TOKEN_MESSAGE), (refresh or 0) + 1


@_revoke_callback(ui.TOKEN_MESSAGE, ui.TOKEN_REVOKE, ui.TOKEN_GRID)
def remove_token(_clicks, selected, refresh):
    """Revoke the selected token."""
    return _revoke_selected(Permission.MANAGE_TOKENS, "token", selected, refresh, revoke_token,
                            lambda token: f"Token {token.prefix}… of {token.username} is revoked.")


def _token_row(token) -> dict:
    return {"id": token.id, "username": token.username, "name": token.name, "prefix": token.prefix,
            "status": token.state(), "created_by": token.created_by, "created_at": _time(token.created_at),
            "expires_at": _time(token.expires_at), "last_used_at": _time(token.last_used_at)}


@callback(Output(ui.TOKEN_GRID, "rowData"), Input(ids.ADMIN_REFRESH, "data"))
def show_tokens(_refresh):
    """The API tokens."""
    return _listed(Permission.MANAGE_TOKENS, list_tokens, _token_row)


# ---------- embed links ----------

@_form_callback(ui.EMBED_MESSAGE, ui.EMBED_CREATE, ui.EMBED_PAGE, ui.EMBED_QUERY, ui.EMBED_HOURS, ui.EMBED_NOTE)
def add_embed(_clicks, page, query, hours, note, refresh):
    """Create a signed embed link; its full URL is shown once."""
    if refused := refusal(Permission.MANAGE_EMBEDS, "create embed links"):
        return ui.refused(refused), no_update
    try:
        link, token = create_link(store_engine(), page or "", query or "", hours=hours, actor=acting_user(), note=note)
    except EmbedError as error:
        return ui.refused(str(error)), no_update
    url = f"{request.host_url}embed/{token}"
    hint = (f"{_ONCE} Put it in an iframe on a portal listed in FORESIGHT_FRAME_ANCESTORS; it shows {link.target} "
            f"read-only until {link.expires_at:%Y-%m-%d %H:%M} UTC.")
    return ui.secret_once(f"Embed link {link.id}:", url, hint, ui.EMBED_MESSAGE), (refresh or 0) + 1


@_revoke_callback(ui.EMBED_MESSAGE, ui.EMBED_REVOKE, ui.EMBED_GRID)
def remove_embed(_clicks, selected, refresh):
    """Revoke the selected embed link (its open frames stop at their next request)."""
    return _revoke_selected(Permission.MANAGE_EMBEDS, "link", selected, refresh, revoke_link,
                            lambda link: f"Embed link {link.id} ({link.target}) is revoked.")


def _embed_row(link) -> dict:
    return {"id": link.id, "page": link.page, "filters": link.query, "status": link.status(),
            "created_by": link.created_by, "created_at": _time(link.created_at), "expires_at": _time(link.expires_at),
            "note": link.note}


@callback(Output(ui.EMBED_GRID, "rowData"), Input(ids.ADMIN_REFRESH, "data"))
def show_embeds(_refresh):
    """The embed links with their status."""
    return _listed(Permission.MANAGE_EMBEDS, list_links, _embed_row)


# ---------- audit log ----------

def _audit_filters(action, actor, outcome, start, end) -> dict:
    """The audit query's filters from the controls (dates are whole UTC days, both included)."""
    day = dt.timedelta(days=1)
    return {"action": action or None, "actor": (actor or "").strip() or None, "outcome": outcome or None,
            "since": dt.datetime.fromisoformat(start) if start else None,
            "until": dt.datetime.fromisoformat(end) + day if end else None}


_AUDIT_STATE = (State(ui.AUDIT_ACTION, "value"), State(ui.AUDIT_ACTOR, "value"), State(ui.AUDIT_OUTCOME, "value"),
                State(ui.AUDIT_DATES, "start_date"), State(ui.AUDIT_DATES, "end_date"))


@callback(Output(ui.AUDIT_GRID, "rowData"), Output(ui.AUDIT_PAGES, "max_value"),
          Output(ui.AUDIT_PAGES, "active_page"), Output(ui.AUDIT_SUMMARY, "children"),
          Input(ids.ADMIN_REFRESH, "data"), Input(ui.AUDIT_PAGES, "active_page"),
          *[Input(s.component_id, s.component_property) for s in _AUDIT_STATE])
def show_audit(_refresh, active_page, action, actor, outcome, start, end):
    """One page of the audit log, newest first; a new filter starts again at page 1."""
    if refused := refusal(Permission.VIEW_AUDIT, "read the audit log"):
        return [], 1, 1, refused
    filters = _audit_filters(action, actor, outcome, start, end)
    engine = store_engine()
    total = audit.count(engine, **filters)
    pages = max(1, -(-total // ui.AUDIT_PAGE_SIZE))
    page = min(active_page or 1, pages) if ctx.triggered_id == ui.AUDIT_PAGES else 1
    rows = audit.query(engine, **filters, limit=ui.AUDIT_PAGE_SIZE, offset=(page - 1) * ui.AUDIT_PAGE_SIZE)
    first = (page - 1) * ui.AUDIT_PAGE_SIZE + 1
    summary = f"{total:,} entries" + (f"; showing {first:,}–{first + len(rows) - 1:,}" if rows else "")
    shown = [{**row, "at": f"{row['at']:%Y-%m-%d %H:%M:%S}",
              "detail": json.dumps(row["detail"], sort_keys=True) if row["detail"] else None} for row in rows]
    return shown, pages, page, summary


@callback(Output(ui.AUDIT_DOWNLOAD, "data"), Output(ui.AUDIT_SUMMARY, "children", allow_duplicate=True),
          Input(ui.AUDIT_EXPORT, "n_clicks"), *_AUDIT_STATE, prevent_initial_call=True)
def export_audit(_clicks, action, actor, outcome, start, end):
    """Every audit entry the filters select, as a CSV file (formula-like text neutralised)."""
    if refused := refusal(Permission.VIEW_AUDIT, "export the audit log") or refusal(Permission.EXPORT,
                                                                                      "export data"):
        return no_update, refused
    filters = _audit_filters(action, actor, outcome, start, end)
    engine = store_engine()
    rows = audit.query(engine, **filters, limit=min(max(audit.count(engine, **filters), 1), audit.MAX_ROWS))
    audit.record(engine, audit.EXPORT, actor=acting_user(), target="audit log", detail={"rows": len(rows)})
    return dcc.send_string(audit.to_csv(rows), "audit-log.csv"), no_update


for _outputs, _permission in (
        ([ui.USER_MESSAGE, ui.USER_GRID, ui.TOKEN_USER], Permission.MANAGE_USERS),
        ([ui.TOKEN_MESSAGE, ui.TOKEN_GRID], Permission.MANAGE_TOKENS),
        ([ui.EMBED_MESSAGE, ui.EMBED_GRID], Permission.MANAGE_EMBEDS),
        ([ui.AUDIT_GRID, ui.AUDIT_PAGES, ui.AUDIT_SUMMARY], Permission.VIEW_AUDIT),
        ([ui.AUDIT_DOWNLOAD], Permission.EXPORT)):
    protect_callback(_outputs, _permission)
