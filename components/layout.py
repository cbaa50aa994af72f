"""The app shell: neon header with navigation, freshness badge and 2D/3D switch."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import dash_bootstrap_components as dbc
from dash import Input, Output, State, clientside_callback, dcc, html

from components import ids
from components.alerts import alert_centre
from components.chat import chat_launcher, chat_panel
from components.primitives import segmented

__all__ = ["create_navbar", "freshness_badge", "view_toggle", "user_menu", "create_shell", "SHOW_FOR_VIEW_MODE",
           "EVENTS_URL", "LOGOUT_URL"]

BRAND = "NEON FORESIGHT"
# Clientside callback body for pages with a 2D and a 3D wrapper: Output(2D wrapper, "style"),
# Output(3D wrapper, "style"), Input(ids.VIEW_MODE, "data"); shows the one the global switch picks.
SHOW_FOR_VIEW_MODE = """
function (mode) {
    const hidden = {display: "none"};
    return mode === "3d" ? [hidden, {}] : [{}, hidden];
}
"""
_SWITCH_SHOWN = "d-flex align-items-center"  # the 2D/3D switch's classes ("d-none" hides it on flat pages)
# New data reaches the header through the push channel (assets/push.js, GET EVENTS_URL) within about a second of
# its commit; only while that channel is blocked does the page poll, this slowly.
FALLBACK_POLL_MS = 30_000
EVENTS_URL = "/api/v1/events"
LOGOUT_URL = "/logout"
ADMIN_URL = "/admin"
VIEW_MODES = ("2d", "3d")


def create_navbar(pages: Iterable[Mapping]) -> html.Nav:
    """Links for every registered page that is not hidden from navigation, in page order."""
    links = [
        dbc.NavLink(page["name"], href=page["relative_path"], active="exact", className="nf-nav-link")
        for page in sorted(pages, key=lambda p: p.get("order") or 0)
        if not page.get("hidden_from_nav")
    ]
    return html.Nav(dbc.Nav(links, pills=False), id=ids.NAV, className="nf-nav", **{"aria-label": "Pages"})


def freshness_badge(status: str, text: str, title: str, live: bool = False) -> html.Span:
    """The header's data-freshness badge; ``status`` is fresh, stale or empty.

    ``live`` marks that new data arrived while the page was open (the dot pulses and
    the badge says LIVE).
    """
    children = [html.Span(className="nf-freshness-dot" + (" nf-pulse" if live else ""), **{"aria-hidden": "true"})]
    if live:
        children.append(html.Span("LIVE · ", className="nf-live-label"))
    children.append(html.Span(text))
    return html.Span(children, className=f"nf-freshness is-{status}" + (" is-live" if live else ""),
                     title=title, role="status")


def view_toggle(value: str = "2d") -> dbc.RadioItems:
    """The global 2D/3D switch (a two-button segmented control)."""
    return segmented(ids.VIEW_TOGGLE, [{"label": mode.upper(), "value": mode} for mode in VIEW_MODES], value,
                     className="nf-view-toggle")


def user_menu(name: str | None, role: str | None, embedded: bool = False, admin: bool = False) -> list:
    """The header's account area: the user's name and role (and a link to the admin page for ``admin``) with a
    Logout button (a plain form POST), or "Embedded view" inside a signed embed link; nothing without a user."""
    if embedded:
        return [html.Span("Embedded view", className="nf-user-embedded")]
    if not name:
        return []
    links = [html.A("Admin", href=ADMIN_URL, className="nf-user-admin")] if admin else []
    who = html.Span([html.Span(name, className="nf-user-name"), html.Span(role, className="nf-user-role")],
                    className="nf-user-id", title=f"Signed in as {name} ({role})")
    logout = html.Form(html.Button([html.I(className="bi bi-box-arrow-right me-1", **{"aria-hidden": "true"}),
                                    "Logout"], type="submit", className="nf-logout"),
                       action=LOGOUT_URL, method="post", className="nf-logout-form")
    return [who, *links, logout]


def _header(pages: list[Mapping]) -> html.Header:
    """Brand, navigation, the freshness badge, the 2D/3D switch, the alert centre and the account area."""
    switch = html.Div([html.Span("View", className="nf-kpi-sub me-2", id=ids.child_id(ids.VIEW_TOGGLE, "label")),
                       view_toggle()], className=_SWITCH_SHOWN, id=ids.VIEW_SWITCH)
    return html.Header(
        [
            html.A(html.Span(BRAND, className="nf-glitch", **{"data-text": BRAND}),
                   href="/", className="nf-brand", **{"aria-label": "Neon Foresight home"}),
            create_navbar(pages),
            html.Div([html.Div(id=ids.FRESHNESS, **{"aria-live": "polite"}), switch, chat_launcher(), alert_centre(),
                      html.Div(id=ids.HEADER_USER, className="nf-user")], className="nf-header-tools"),
        ],
        className="nf-header",
    )


def create_shell(pages: Iterable[Mapping], page_container) -> html.Div:
    """The layout around every page; ``page_container`` is ``dash.page_container``.

    A page registered with ``view_3d=False`` has no 3D view: the 2D/3D switch is hidden there.
    """
    pages = list(pages)
    flat_paths = [page["relative_path"] for page in pages if page.get("view_3d") is False]
    return html.Div(
        [
            html.A("Skip to content", href="#nf-main", className="nf-skip-link"),
            dcc.Location(id=ids.URL),
            dcc.Store(id=ids.URL_STATE),
            dcc.Store(id=ids.URL_POPSTATE),
            dcc.Store(id=ids.FLAT_PAGES, data=list(flat_paths)),
            dcc.Store(id=ids.VIEW_MODE, storage_type="local", data="2d"),
            dcc.Store(id=ids.DATASET_VERSION),
            dcc.Interval(id=ids.VERSION_POLL, interval=FALLBACK_POLL_MS, disabled=True),
            dcc.Store(id=ids.VERSION_POLL_NOW),
            _header(pages),
            html.Main(page_container, id="nf-main", className="nf-main", tabIndex="-1"),
            chat_panel(),
            html.Div(className="nf-scanlines", **{"aria-hidden": "true"}),
        ],
        className="nf-app",
    )


# Keep the switch and the app-wide store (browser local storage) in sync, both ways.
clientside_callback(
    """
    function (toggleValue, storeTs, storeValue) {
        const ctx = window.dash_clientside.callback_context;
        const fromToggle = ctx.triggered.length && ctx.triggered[0].prop_id.startsWith(TOGGLE_ID + ".");
        const query = new URLSearchParams(window.location.search);
        const inUrl = query.get("view");
        let mode = (storeValue === "3d") ? "3d" : "2d";
        if (fromToggle) {
            mode = toggleValue;
        } else if (inUrl === "2d" || inUrl === "3d") {
            mode = inUrl;  // a bookmarked or shared view wins over this browser's last choice
        }
        // The view lives in the URL too: a click is a history entry, arrival is not (and 2D is the default).
        if (inUrl !== mode && (fromToggle || mode === "3d")) {
            query.set("view", mode);
            const url = window.location.pathname + "?" + query.toString() + window.location.hash;
            if (fromToggle) { window.history.pushState({nf: true}, "", url); }
            else { window.history.replaceState(window.history.state, "", url); }
        }
        return [mode, mode];
    }
    """.replace("TOGGLE_ID", repr(ids.VIEW_TOGGLE)),
    Output(ids.VIEW_TOGGLE, "value"),
    Output(ids.VIEW_MODE, "data"),
    Input(ids.VIEW_TOGGLE, "value"),
    Input(ids.VIEW_MODE, "modified_timestamp"),
    State(ids.VIEW_MODE, "data"),
)


# The page on screen, for assets/url-state.js (Back within a page); the 2D/3D switch is hidden on pages
# without a 3D view.
clientside_callback(
    """
    function (pathname, flatPaths) {
        window.nfUrlState = {path: pathname, popstate: POPSTATE_ID, toggle: TOGGLE_ID};
        return (flatPaths || []).includes(pathname) ? "d-none" : SHOWN;
    }
    """.replace("POPSTATE_ID", repr(ids.URL_POPSTATE)).replace("TOGGLE_ID", repr(ids.VIEW_TOGGLE))
    .replace("SHOWN", repr(_SWITCH_SHOWN)),
    Output(ids.VIEW_SWITCH, "className"),
    Input(ids.URL, "pathname"),
    State(ids.FLAT_PAGES, "data"),
)


# The push channel's client (assets/push.js) learns every dataset version the page holds, whoever wrote it (the
# stream or the fallback poll), and starts the channel on the first call.
clientside_callback(
    """
    function (known) {
        if (window.nfPush) {
            window.nfPush.follow({url: EVENTS_URL, store: STORE_ID, poll: POLL_ID, pollNow: POLL_NOW_ID}, known);
        }
    }
    """.replace("EVENTS_URL", repr(EVENTS_URL)).replace("STORE_ID", repr(ids.DATASET_VERSION))
    .replace("POLL_NOW_ID", repr(ids.VERSION_POLL_NOW)).replace("POLL_ID", repr(ids.VERSION_POLL)),
    Input(ids.DATASET_VERSION, "data"),
)
