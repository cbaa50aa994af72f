"""Read endpoints for the Retention page: churn rate, at-risk customers, one customer, CLV and segments.

Every answer comes from the fitted retention models the Retention page uses (one per dataset version in the shared
results cache); while they are being fitted the answer is 202 with the job fitting them.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from analytics.retention import load_retention_analyzer
from core.api import models as m
from core.api.access import Permission, require
from core.api.base import ApiError, api, api_spec, cacheable, records, table_response
from core.api.reads import TAGS, read_response
from core.api.store import current, result

_CHURN_WINDOW_DAYS = 90


def _analyzer():
    """The caller may view; the fitted retention models for the current dataset version (202 with a job while they
    are fitted)."""
    require(Permission.VIEW)
    state = current()
    return state, result(load_retention_analyzer, state, "The retention models")


@api.get("/churn")
@api_spec.validate(query=m.ChurnQuery, resp=read_response(m.Churn, HTTP_202=m.Accepted), tags=TAGS)
@cacheable
def churn(query: m.ChurnQuery):
    """Observed churn: the share of customers active at ``start`` (matching the filters) who cancelled by ``end``,
    with the churn model's test-window base rate and accuracy."""
    state, analyzer = _analyzer()
    as_of = analyzer.facts_.as_of.date()
    end = query.end or as_of
    start = query.start or end - dt.timedelta(days=_CHURN_WINDOW_DAYS)
    filters = {k: v for k in ("segment", "region", "plan", "channel") if (v := getattr(query, k)) is not None}
    for name, value in filters.items():
        known = sorted(analyzer.facts_.customers[name].dropna().astype(str).unique())
        if value not in known:
            raise ApiError(400, f"unknown {name} {value!r}; choose one of {known}", slug="unknown-filter")
    rate = analyzer.churn_rate(start, end, **filters)
    model = analyzer.churn_
    return {"dataset_version": state.version, "churn_rate": rate, "start": start.isoformat(), "end": end.isoformat(),
            "filters": filters, "as_of": as_of.isoformat(),
            "model": {"auc": model.auc, "brier": model.brier, "base_rate": model.base_rate,
                      "horizon_days": model.horizon_days}}


@api.get("/customers/at-risk")
@api_spec.validate(query=m.PageQuery, resp=read_response(m.Page, HTTP_202=m.Accepted), tags=TAGS)
@cacheable
def at_risk(query: m.PageQuery):
    """Active customers to act on first (most value at risk among those likelier than usual to churn), paginated;
    the Retention page's at-risk grid shows the first 200."""
    state, analyzer = _analyzer()
    ranked = analyzer.top_at_risk(len(analyzer.facts_.customers))
    return table_response(ranked, {"dataset_version": state.version}, limit=query.limit, offset=query.offset)


@api.get("/customers/<int:customer_id>")
@api_spec.validate(resp=read_response(m.Customer, HTTP_202=m.Accepted, HTTP_404=m.Problem), tags=TAGS,
                   path_parameter_descriptions={"customer_id": "the customer's id"})
@cacheable
def customer(customer_id: int):
    """One customer: who they are, their value, P(alive), churn risk and reasons, and their orders."""
    state, analyzer = _analyzer()
    try:
        profile = analyzer.customer(customer_id)
    except KeyError:
        raise ApiError(404, f"customer {customer_id} is not in dataset v{state.version}; see /api/v1/customers/at-risk "
                            "for customer ids", slug="unknown-customer") from None
    return {"dataset_version": state.version, "info": profile.info, "history": records(profile.history),
            "reasons": records(profile.reasons)}


@api.get("/clv")
@api_spec.validate(query=m.ClvQuery, resp=read_response(m.Table, HTTP_202=m.Accepted), tags=TAGS)
@cacheable
def clv(query: m.ClvQuery):
    """Lifetime value of the active customers by segment, region, plan, channel or RFM segment."""
    state, analyzer = _analyzer()
    return table_response(analyzer.clv_by_segment(query.by), {"dataset_version": state.version, "by": query.by})


@api.get("/segments")
@api_spec.validate(query=m.FormatQuery, resp=read_response(m.Table, HTTP_202=m.Accepted), tags=TAGS)
@cacheable
def segments(query: m.FormatQuery):
    """The behavioural (RFM) segments: size, recency, frequency, value, churn rate and a description each."""
    state, analyzer = _analyzer()
    profiles = analyzer.segments_.profiles
    return table_response(pd.DataFrame(profiles), {"dataset_version": state.version, "k": int(analyzer.segments_.k)})

