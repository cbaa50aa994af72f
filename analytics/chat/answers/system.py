"""Answers about the assistant and the app itself: help, unknown questions, navigation and system health."""
from __future__ import annotations

from analytics.chat.answers.churn import gather_customer
from analytics.chat.answers.common import Gathered, NoData, cite, fact, filters_of
from analytics.chat.answers.forecast import gather_forecast
from analytics.chat.answers.kpi import gather_kpi
from analytics.chat.facts import Parse
from analytics.chat.links import PAGES, site_links
from analytics.chat.sources import NotReady

__all__ = ["CAPABILITIES", "SUGGESTIONS", "suggestions_for", "gather_help", "gather_navigate", "gather_health"]

CAPABILITIES = ("KPIs (revenue, orders, active customers, average order value, churn rate) for a period and "
                "region, category or channel; revenue and unit forecasts with their intervals; churn rate, its "
                "drivers and the customers most at risk; retention, lifetime value and segments; comparisons; "
                "why a customer is at risk or why revenue changed; unusual days; system health; and opening a page "
                "with filters")
# page path -> three questions that fit it
SUGGESTIONS: dict[str, tuple[str, ...]] = {
    "/": ("What was revenue in the last 30 days?", "Show orders by channel last month",
          "Why did revenue change last month?"),
    "/forecast": ("What is the revenue forecast for the next 30 days?", "Forecast revenue for EMEA Electronics",
                  "What about 90 days?"),
    "/retention": ("What is the churn rate?", "Who are the top 5 customers at risk?", "What is driving churn?"),
    "/data": ("Is the system healthy?", "What was revenue in the last 30 days?", "Open the retention page"),
    "/admin": ("Is the system healthy?", "What is the churn rate?", "Open the forecast page"),
}


def suggestions_for(page: str | None) -> tuple[str, ...]:
    """Three questions that fit ``page`` (the Overview's when unknown)."""
    return SUGGESTIONS.get(page or "/", SUGGESTIONS["/"])


def gather_help(parse: Parse, results) -> Gathered:
    return Gathered(extra={"capabilities": CAPABILITIES})


def _headline(page: str, parse: Parse, results) -> tuple[Gathered | None, str | None]:
    """The opened page's headline facts for what the question names (a forecast node, a customer, a filtered
    Overview), or None when it names nothing or they are not ready yet (moving the page needs no numbers)."""
    entities = parse.entities
    if page == "/forecast":
        gatherer, writer = gather_forecast, "forecast"
    elif page == "/retention" and entities.get("customer_id") is not None:
        gatherer, writer = gather_customer, "explain_customer"
    elif page == "/" and any(entities.get(key) for key in ("region", "category", "channel", "period")):
        gatherer, writer = gather_kpi, "kpi"
    else:
        return None, None
    try:
        return gatherer(parse, results), writer
    except (NotReady, NoData):
        return None, None


def gather_navigate(parse: Parse, results) -> Gathered:
    """The page the question names, with its filters in the URL, and that page's headline facts when ready."""
    page = parse.entities.get("page")
    page = page if page in PAGES else ("/forecast" if parse.entities.get("horizon_days") else "/")
    href = site_links(page, parse.entities)
    citation = cite(results, PAGES[page], "Page", href)
    extra = {"page": PAGES[page], "href": href, "scope": filters_of(parse)}
    inner, writer = _headline(page, parse, results)
    if inner is None:
        return Gathered(citations=(citation,), navigate=href, extra=extra)
    return Gathered(facts=inner.facts, citations=(citation, *inner.citations), reasons=inner.reasons,
                    table=inner.table, series=inner.series, navigate=href, notice=inner.notice,
                    extra={**inner.extra, **extra, "headline": writer})


def gather_health(parse: Parse, results) -> Gathered:
    """The system's state as ``results.health()`` reports it."""
    health = results.health() or {}
    facts = []
    for key, value in health.items():
        if value is None:
            continue
        unit = "count" if isinstance(value, (int, float)) and not isinstance(value, bool) else "text"
        shown = str(value) if unit == "text" or key == "dataset_version" else None
        facts.append(fact(key.replace("_", " "), value if unit == "count" else str(value), unit, shown=shown))
    citation = cite(results, "Admin", "System health", "/admin")
    return Gathered(facts=tuple(facts), citations=(citation,))
