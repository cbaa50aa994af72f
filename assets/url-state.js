/* Back and Forward within one page: the page's controls are set from the URL instead of the page being
   rebuilt (pages/_url_state.py pushes a history entry on every change of state without telling Dash's
   router, so the router must not see these entries either). Navigation between pages is left to Dash. */
(function () {
    "use strict";
    window.addEventListener("popstate", function (event) {
        const page = window.nfUrlState;  // {path, popstate, toggle}: set by the shell (components/layout.py)
        if (!page || page.path !== window.location.pathname) { return; }
        if (!window.dash_clientside || !window.dash_clientside.set_props) { return; }
        event.stopImmediatePropagation();
        window.dash_clientside.set_props(page.popstate, {
            data: {path: window.location.pathname, search: window.location.search, at: Date.now()}
        });
        const view = new URLSearchParams(window.location.search).get("view");
        window.dash_clientside.set_props(page.toggle, {value: view === "3d" ? "3d" : "2d"});
    });
})();
