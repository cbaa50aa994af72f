"""Every href the assistant builds opens the page in the state it means: read back through the pages' own query
parsing (``pages._url_state.read_query`` with each page's ``URL_PARAMS``)."""
from __future__ import annotations

import sys
from urllib.parse import parse_qs, urlsplit

import pytest

from analytics.chat.links import (FORECAST_HORIZONS, FORECAST_METRICS, OVERVIEW_WINDOWS, PAGES, RETENTION_GROUPS,
                                  forecast_horizon, forecast_href, forecast_node, overview_href, retention_href,
                                  site_links)
from tests.browser.helpers import gunicorn_app

_MODULES = {"/": "pages.overview", "/forecast": "pages.forecast", "/retention": "pages.retention",
            "/data": "pages.data"}


@pytest.fixture(scope="module")
def page_state(tmp_path_factory):
    """``state(href)``: the page's state as its ``layout(**query)`` reads it (pages imported by the real app)."""
    gunicorn_app(tmp_path_factory)
    from pages._url_state import read_query

    def state(href: str) -> dict:
        parts = urlsplit(href)
        module = sys.modules[_MODULES[parts.path]]
        return read_query(module.URL_PARAMS, parse_qs(parts.query))
    return state


def test_the_restated_options_are_the_pages_own(page_state):
    from analytics.forecasting import METRICS
    from analytics.retention import KM_GROUPS
    from components.overview import PRESET_WINDOWS

    assert OVERVIEW_WINDOWS == PRESET_WINDOWS
    assert FORECAST_HORIZONS == sys.modules["pages.forecast"].HORIZONS
    assert set(FORECAST_METRICS) == set(METRICS)
    assert set(RETENTION_GROUPS) == set(KM_GROUPS)
    import dash
    assert set(PAGES) <= {page["path"] for page in dash.page_registry.values()}


@pytest.mark.parametrize("kwargs, expected", [
    ({}, {"window": 30, "start": None, "end": None, "filters": {"region": None, "category": None, "channel": None}}),
    ({"window": 7, "filters": {"region": "EMEA"}},
     {"window": 7, "filters": {"region": "EMEA", "category": None, "channel": None}}),
    ({"start": "2026-09-01", "end": "2026-09-30", "filters": {"region": "North America", "category": "Home",
                                                             "channel": "Web"}},
     {"start": "2026-09-01", "end": "2026-09-30",
      "filters": {"region": "North America", "category": "Home", "channel": "Web"}}),
])
def test_overview_links_round_trip(page_state, kwargs, expected):
    state = page_state(overview_href(**kwargs))
    assert {key: state[key] for key in expected} == expected


@pytest.mark.parametrize("metric, h, region, category, node", [
    ("revenue", 30, None, None, "total"),
    ("units", 90, "EMEA", None, "EMEA"),
    ("revenue", 14, "North America", "Electronics", "North America/Electronics"),
])
def test_forecast_links_round_trip(page_state, metric, h, region, category, node):
    assert forecast_node(region, category) == node
    state = page_state(forecast_href(metric=metric, h=h, node=node))
    assert (state["metric"], state["h"], state["node"], state["levels"]) == (metric, h, node, [80, 95])


@pytest.mark.parametrize("by, customer", [(None, None), ("region", 123), ("plan", None), ("segment", 7)])
def test_retention_links_round_trip(page_state, by, customer):
    state = page_state(retention_href(by=by, customer=customer))
    assert (state["by"], state["customer"]) == (by or "segment", customer)


@pytest.mark.parametrize("page, entities, expected", [
    ("/forecast", {"region": "APAC", "category": "Beauty", "horizon_days": 7, "metric": "units"},
     {"metric": "units", "h": 14, "node": "APAC/Beauty"}),
    ("/forecast", {"horizon_days": 365}, {"metric": "revenue", "h": 90, "node": "total"}),
    ("/retention", {"customer_id": 42}, {"customer": 42, "by": "segment"}),
    ("/", {"period": {"start": "2026-03-01", "end": "2026-03-31"}, "channel": "Partner"},
     {"start": "2026-03-01", "end": "2026-03-31", "filters": {"region": None, "category": None, "channel": "Partner"}}),
    ("/data", {}, {"upload": None}),
])
def test_navigation_links_round_trip(page_state, page, entities, expected):
    href = site_links(page, entities)
    assert urlsplit(href).path == page
    state = page_state(href)
    expected = {k: (v if v is not None else state[k]) for k, v in expected.items()}
    assert {key: state[key] for key in expected} == expected


def test_horizons_cover_the_asked_days():
    assert [forecast_horizon(d) for d in (1, 14, 15, 30, 45, 90, 365)] == [14, 14, 30, 30, 60, 90, 90]
