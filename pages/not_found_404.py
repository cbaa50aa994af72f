"""The 404 page, in the same neon style, with a way back."""
from __future__ import annotations

import dash
from dash import dcc, html

dash.register_page(__name__, name="Not found", title="Not found · Neon Foresight", hidden_from_nav=True)


def layout(**_query):
    """A friendly 'signal lost' page for unknown URLs."""
    return html.Div(
        [
            html.H1("404", className="nf-page-title nf-glitch", **{"data-text": "404"}),
            html.P("Signal lost: there is no page at this address.", className="nf-page-subtitle"),
            dcc.Link("Back to the Overview", href="/", className="nf-btn btn"),
        ],
        className="nf-page nf-not-found nf-fade-in",
    )
