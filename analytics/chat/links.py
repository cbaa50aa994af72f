"""Links into the pages, written in each page's URL-state keys (``pages/_url_state.py`` and each page's
``URL_PARAMS``), so a citation or a navigation opens the page showing exactly what the answer is about.

analytics may not import pages, so the keys and allowed values are restated here;
``tests/analytics/chat/test_links.py`` reads every href back through the pages' own query parsing to prove they
agree.
"""
from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlencode

__all__ = ["PAGES", "OVERVIEW_WINDOWS", "FORECAST_HORIZONS", "FORECAST_METRICS", "RETENTION_GROUPS", "site_links",
           "overview_href", "forecast_href", "retention_href", "forecast_node", "forecast_horizon"]

# path -> the page's name (the pages' register_page order)
PAGES: dict[str, str] = {"/": "Overview", "/forecast": "Forecast", "/retention": "Retention", "/data": "Data",
                         "/admin": "Admin"}
OVERVIEW_WINDOWS = (7, 30, 90)  # components.overview.PRESET_WINDOWS; the default is 30
FORECAST_HORIZONS = (14, 30, 60, 90)  # pages.forecast.HORIZONS; the default is 30
FORECAST_METRICS = ("revenue", "units")  # analytics.forecasting.METRICS
RETENTION_GROUPS = ("segment", "region", "channel", "plan")  # analytics.retention.KM_GROUPS; default segment
_DIMENSIONS = ("region", "category", "channel")
_NODE_SEPARATOR, _TOTAL = "/", "total"


def _href(path: str, query: Mapping[str, object]) -> str:
    pairs = [(key, str(value)) for key, value in query.items() if value not in (None, "")]
    return path + ("?" + urlencode(pairs, safe="/", quote_via=quote) if pairs else "")


def overview_href(*, window: int | None = None, start: str | None = None, end: str | None = None,
                  filters: Mapping[str, str | None] | None = None) -> str:
    """The Overview for a trailing window (7, 30 or 90 days) or a date range, with region/category/channel."""
    query: dict[str, object] = {}
    if start and end:
        query.update(start=start, end=end)
    elif window in OVERVIEW_WINDOWS and window != 30:
        query["window"] = window
    for dim in _DIMENSIONS:
        value = (filters or {}).get(dim)
        if value and value != "All":
            query[dim] = value
    return _href("/", query)


def forecast_node(region: str | None = None, category: str | None = None) -> str:
    """The forecast hierarchy's node id for a region and/or category (``total``, ``EMEA``, ``EMEA/Home``)."""
    if region and category:
        return f"{region}{_NODE_SEPARATOR}{category}"
    return region or _TOTAL


def forecast_horizon(days: int) -> int:
    """The page's horizon that covers ``days`` (the smallest at least as long; the longest beyond it)."""
    return next((h for h in FORECAST_HORIZONS if h >= days), FORECAST_HORIZONS[-1])


def forecast_href(*, metric: str = "revenue", h: int = 30, node: str = _TOTAL) -> str:
    """The Forecast page for a metric, horizon and hierarchy node."""
    query: dict[str, object] = {}
    if metric in FORECAST_METRICS and metric != "revenue":
        query["metric"] = metric
    if h in FORECAST_HORIZONS and h != 30:
        query["h"] = h
    if node and node != _TOTAL:
        query["node"] = node
    return _href("/forecast", query)


def retention_href(*, by: str | None = None, customer: int | None = None) -> str:
    """The Retention page, grouped by ``by`` and with one customer's profile open."""
    query: dict[str, object] = {}
    if by in RETENTION_GROUPS and by != "segment":
        query["by"] = by
    if customer is not None and int(customer) >= 1:
        query["customer"] = int(customer)
    return _href("/retention", query)


def site_links(page: str, entities: Mapping[str, object] | None = None) -> str:
    """The href for ``page`` (a path) showing what ``entities`` (a parse's) describe, where the page has state
    for it; unknown pages go to the Overview."""
    entities = entities or {}
    period = entities.get("period") or {}
    if page == "/forecast":
        metric = entities.get("metric")
        return forecast_href(metric=metric if metric in FORECAST_METRICS else "revenue",
                             h=forecast_horizon(int(entities.get("horizon_days") or 30)),
                             node=forecast_node(entities.get("region"), entities.get("category")))
    if page == "/retention":
        customer = entities.get("customer_id")
        by = next((key for key in ("region", "channel") if entities.get(key)), None)
        return retention_href(by=by, customer=customer)
    if page in ("/data", "/admin"):
        return page
    return overview_href(start=period.get("start"), end=period.get("end"),
                         filters={dim: entities.get(dim) for dim in _DIMENSIONS})
