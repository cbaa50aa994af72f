"""Layout pieces of the Admin page: users, API tokens, embed links and the audit log.

Every element's id derives from its section's id in ``components.ids`` (``child_id``); the page imports them from
here. Secrets (a generated password, a new token, an embed URL) are shown once by :func:`secret_once`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from components import ids
from components.grid import data_grid
from components.primitives import card

__all__ = [
    "USER_GRID", "USER_NAME", "USER_ROLE", "USER_PASSWORD", "USER_ADD", "USER_NEW_ROLE", "USER_SET_ROLE",
    "USER_DISABLE", "USER_ENABLE", "USER_RESET", "USER_MESSAGE", "TOKEN_GRID", "TOKEN_USER", "TOKEN_NAME",
    "TOKEN_DAYS", "TOKEN_CREATE", "TOKEN_REVOKE", "TOKEN_MESSAGE", "EMBED_GRID", "EMBED_PAGE", "EMBED_QUERY",
    "EMBED_HOURS", "EMBED_NOTE", "EMBED_CREATE", "EMBED_REVOKE", "EMBED_MESSAGE", "AUDIT_GRID", "AUDIT_ACTION",
    "AUDIT_ACTOR", "AUDIT_OUTCOME", "AUDIT_DATES", "AUDIT_PAGES", "AUDIT_SUMMARY", "AUDIT_EXPORT",
    "AUDIT_DOWNLOAD", "AUDIT_PAGE_SIZE", "admin_layout", "admins_only", "users_grid", "tokens_grid",
    "embeds_grid", "audit_grid", "secret_once", "done", "refused",
]

_c = ids.child_id
USER_GRID, USER_NAME, USER_ROLE, USER_PASSWORD, USER_ADD = (_c(ids.ADMIN_USERS, n) for n in
                                                             ("grid", "name", "role", "password", "add"))
USER_NEW_ROLE, USER_SET_ROLE, USER_DISABLE, USER_ENABLE, USER_RESET, USER_MESSAGE = (
    _c(ids.ADMIN_USERS, n) for n in ("new-role", "set-role", "disable", "enable", "reset", "message"))
TOKEN_GRID, TOKEN_USER, TOKEN_NAME, TOKEN_DAYS, TOKEN_CREATE, TOKEN_REVOKE, TOKEN_MESSAGE = (
    _c(ids.ADMIN_TOKENS, n) for n in ("grid", "user", "name", "days", "create", "revoke", "message"))
EMBED_GRID, EMBED_PAGE, EMBED_QUERY, EMBED_HOURS, EMBED_NOTE, EMBED_CREATE, EMBED_REVOKE, EMBED_MESSAGE = (
    _c(ids.ADMIN_EMBEDS, n) for n in ("grid", "page", "query", "hours", "note", "create", "revoke", "message"))
AUDIT_GRID, AUDIT_ACTION, AUDIT_ACTOR, AUDIT_OUTCOME, AUDIT_DATES, AUDIT_PAGES, AUDIT_SUMMARY = (
    _c(ids.ADMIN_AUDIT, n) for n in ("grid", "action", "actor", "outcome", "dates", "pages", "summary"))
AUDIT_EXPORT, AUDIT_DOWNLOAD = _c(ids.ADMIN_AUDIT, "export"), _c(ids.ADMIN_AUDIT, "download")
AUDIT_PAGE_SIZE = 50
_USER_COLUMNS = ("username", "role", "status", "source", "created_at", "last_login_at")
_TOKEN_COLUMNS = ("id", "username", "name", "prefix", "status", "created_by", "created_at", "expires_at",
                  "last_used_at")
_EMBED_COLUMNS = ("id", "page", "filters", "status", "created_by", "created_at", "expires_at", "note")
_AUDIT_COLUMNS = ("id", "at", "actor", "actor_kind", "action", "target", "outcome", "address", "detail")


def _field(label: str, control_id: str, control) -> html.Div:
    """A labelled control; the label sits above it so forms wrap cleanly on a phone."""
    return html.Div([html.Label(label, htmlFor=control_id, className="nf-kpi-label"), control],
                    className="nf-admin-field")


def _text(control_id: str, placeholder: str, kind: str = "text", **kwargs) -> dbc.Input:
    return dbc.Input(id=control_id, type=kind, placeholder=placeholder, className="nf-admin-input",
                     autoComplete="off", **kwargs)


def _choice(control_id: str, options: Sequence, value=None, **kwargs) -> dcc.Dropdown:
    return dcc.Dropdown(id=control_id, options=list(options), value=value, className="nf-admin-dropdown", **kwargs)


def _button(label: str, control_id: str, accent: str = "") -> dbc.Button:
    return dbc.Button(label, id=control_id, n_clicks=0, className=f"nf-btn {accent}".strip())


def _selected(prefix: str) -> html.P:
    return html.P(f"Select a {prefix} in the list, then:", className="nf-kpi-sub mb-1")


def _grid(grid_id: str, rows: Sequence[Mapping], columns: Sequence[str], file_name: str, **kwargs):
    """A grid selecting one row by a click; rows keep their identity (and selection) when the list is read again.

    Time columns (``*_at``, ``at``) are wide enough for a whole ``YYYY-MM-DD HH:MM:SS``.
    """
    grid = data_grid(grid_id, pd.DataFrame(list(rows), columns=list(columns)), file_name=file_name, **kwargs)
    grid.columnDefs = [{**column, "minWidth": max(column["minWidth"], 170)}
                       if column["field"] == "at" or column["field"].endswith("_at") else column
                       for column in grid.columnDefs]
    grid.dashGridOptions = {**grid.dashGridOptions,
                            "rowSelection": {"mode": "singleRow", "enableClickSelection": True}}
    grid.getRowId = f"params.data.{columns[0]} + ''"
    return grid


def users_grid(rows: Sequence[Mapping]):
    """Users, one row each (select one to change it)."""
    return _grid(USER_GRID, rows, _USER_COLUMNS, "users.csv", page_size=10)


def tokens_grid(rows: Sequence[Mapping]):
    """API tokens (their prefix only: the token itself was shown once)."""
    return _grid(TOKEN_GRID, rows, _TOKEN_COLUMNS, "api-tokens.csv", page_size=10)


def embeds_grid(rows: Sequence[Mapping]):
    """Embed links with their status."""
    return _grid(EMBED_GRID, rows, _EMBED_COLUMNS, "embed-links.csv", page_size=10, wrap=("filters",))


def audit_grid(rows: Sequence[Mapping]):
    """One page of the audit log, scrolling inside a fixed height (the page buttons under it fetch the others)."""
    grid = _grid(AUDIT_GRID, rows, _AUDIT_COLUMNS, "audit-page.csv", page_size=AUDIT_PAGE_SIZE, wrap=("detail",))
    options = {key: value for key, value in grid.dashGridOptions.items() if key != "domLayout"}
    grid.dashGridOptions, grid.style = {**options, "pagination": False}, {"height": "520px"}
    return grid


def secret_once(title: str, secret: str, hint: str, message_id: str) -> dbc.Alert:
    """A new password, token or link shown once in the message area ``message_id``, with a copy button."""
    secret_id = _c(message_id, "secret")
    return dbc.Alert([
        html.Strong(title), html.Div([html.Code(secret, id=secret_id, className="nf-admin-secret"),
                                      dcc.Clipboard(target_id=secret_id, title="Copy", className="nf-admin-copy")],
                                     className="nf-admin-secret-row"),
        html.Small(hint)], color="info", className="nf-alert nf-admin-once")


def done(text: str) -> dbc.Alert:
    """What a change did."""
    return dbc.Alert(text, color="success", className="nf-alert", dismissable=True)


def refused(text: str) -> dbc.Alert:
    """Why a change was refused and what to do."""
    return dbc.Alert([html.Strong("Not done: "), text], color="warning", className="nf-alert",
                     dismissable=True)


def _users_card(roles: Sequence[str]) -> html.Section:
    form = html.Div([
        _field("Username", USER_NAME, _text(USER_NAME, "e.g. ada", maxLength=64)),
        _field("Role", USER_ROLE, _choice(USER_ROLE, roles, roles[0], clearable=False, searchable=False)),
        _field("Password (optional)", USER_PASSWORD, _text(USER_PASSWORD, "blank: generate one", "password")),
        _button("Add user", USER_ADD)], className="nf-admin-form")
    actions = html.Div([
        _field("New role", USER_NEW_ROLE, _choice(USER_NEW_ROLE, roles, roles[0], clearable=False,
                                                  searchable=False)),
        _button("Change role", USER_SET_ROLE), _button("Disable", USER_DISABLE, "nf-btn-magenta"),
        _button("Enable", USER_ENABLE), _button("Reset password", USER_RESET, "nf-btn-magenta")],
        className="nf-admin-form")
    return card("Users", users_grid([]), _selected("user"), actions,
                html.H3("Add a user", className="nf-admin-subtitle"), form,
                html.Div(id=USER_MESSAGE, **{"aria-live": "polite"}), className="mb-3", id=ids.ADMIN_USERS)


def _tokens_card(default_days: int) -> html.Section:
    form = html.Div([
        _field("User", TOKEN_USER, _choice(TOKEN_USER, [], placeholder="pick a user", searchable=True)),
        _field("Label", TOKEN_NAME, _text(TOKEN_NAME, "e.g. nightly export", maxLength=64)),
        _field("Days valid", TOKEN_DAYS, _text(TOKEN_DAYS, "days", "number", value=default_days, min=1, step=1)),
        _button("Create token", TOKEN_CREATE)], className="nf-admin-form")
    return card("API tokens", tokens_grid([]), _selected("token"),
                html.Div(_button("Revoke token", TOKEN_REVOKE, "nf-btn-magenta"), className="nf-admin-form"),
                html.H3("Create a token", className="nf-admin-subtitle"), form,
                html.Div(id=TOKEN_MESSAGE, **{"aria-live": "polite"}), className="mb-3", id=ids.ADMIN_TOKENS)


def _embeds_card(pages: Mapping[str, str]) -> html.Section:
    options = [{"label": f"{name} ({path})", "value": path} for path, name in pages.items()]
    form = html.Div([
        _field("Page", EMBED_PAGE, _choice(EMBED_PAGE, options, next(iter(pages), None), clearable=False)),
        _field("Fixed filters", EMBED_QUERY, _text(EMBED_QUERY, "e.g. metric=orders&h=30 (from the page's URL)")),
        _field("Hours valid", EMBED_HOURS, _text(EMBED_HOURS, "hours", "number", value=24 * 30, min=1, step=1)),
        _field("Note", EMBED_NOTE, _text(EMBED_NOTE, "where it is embedded", maxLength=255)),
        _button("Create link", EMBED_CREATE)], className="nf-admin-form")
    return card("Embed links", embeds_grid([]), _selected("link"),
                html.Div(_button("Revoke link", EMBED_REVOKE, "nf-btn-magenta"), className="nf-admin-form"),
                html.H3("Create a link", className="nf-admin-subtitle"),
                html.P("A read-only view of one page with fixed filters, for an iframe on a portal listed in "
                       "FORESIGHT_FRAME_ANCESTORS (see docs/embedding.md).", className="nf-kpi-sub"), form,
                html.Div(id=EMBED_MESSAGE, **{"aria-live": "polite"}), className="mb-3", id=ids.ADMIN_EMBEDS)


def _audit_card(actions: Sequence[str], outcomes: Sequence[str]) -> html.Section:
    filters = html.Div([
        _field("Action", AUDIT_ACTION, _choice(AUDIT_ACTION, actions, placeholder="any action")),
        _field("User", AUDIT_ACTOR, _text(AUDIT_ACTOR, "any user", debounce=True)),
        _field("Outcome", AUDIT_OUTCOME, _choice(AUDIT_OUTCOME, outcomes, placeholder="any outcome")),
        _field("Dates (UTC)", AUDIT_DATES, dcc.DatePickerRange(id=AUDIT_DATES, clearable=True,
                                                                display_format="YYYY-MM-DD")),
        _button("Export CSV", AUDIT_EXPORT), dcc.Download(id=AUDIT_DOWNLOAD)], className="nf-admin-form")
    return card("Audit log", filters, html.P(id=AUDIT_SUMMARY, className="nf-kpi-sub", role="status"),
                audit_grid([]),
                dbc.Pagination(id=AUDIT_PAGES, max_value=1, active_page=1, fully_expanded=False,
                               first_last=True, previous_next=True, className="nf-admin-pages"),
                className="mb-3", id=ids.ADMIN_AUDIT)


def admins_only(label: str | None) -> html.Div:
    """What anyone but an admin sees at /admin."""
    who = f"You are signed in as {label}. " if label else ""
    return html.Div([html.H1("Admins only", className="nf-page-title"),
                     html.P(f"{who}This page manages users, API tokens, embed links and the audit log; ask an "
                            "admin to do it for you.", className="nf-page-subtitle")],
                    className="nf-page nf-fade-in", id=ids.ADMIN)


def admin_layout(roles: Sequence[str], pages: Mapping[str, str], actions: Sequence[str], outcomes: Sequence[str],
                 default_days: int) -> html.Div:
    """The Admin page: ``pages`` maps each embeddable path to its name; ``actions`` and ``outcomes`` are the audit
    log's; ``default_days`` is a new API token's validity."""
    return html.Div([
        html.H1("Admin", className="nf-page-title"),
        html.P("Users and their roles, API tokens, embed links for portals, and who did what.",
               className="nf-page-subtitle"),
        dcc.Store(id=ids.ADMIN_REFRESH, data=0),
        _users_card(roles), _tokens_card(default_days), _embeds_card(pages), _audit_card(actions, outcomes),
    ], className="nf-page nf-fade-in nf-admin", id=ids.ADMIN)
