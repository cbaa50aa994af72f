"""Read endpoints for the Overview's KPIs, the Forecast page, the Data page and the store's versions."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from flask import g
from sqlalchemy import func, select
from spectree import Response

from analytics.forecasting import METRICS, forecast_table, node_view, store_demand_forecast
from analytics.kpis import KPI_DEFINITIONS, check_range, kpi_values, load_kpi_model, load_range_kpis
from core.api import models as m
from core.api.access import Permission, require
from core.api.base import ApiError, api, api_spec, cacheable, csv_wanted, page_of, records, settings, table_response
from core.api.store import DataState, current, engine, result
from data import schema
from data.ingest import STORE_ERRORS, failed_checks, quality_report, table_summary

DEFAULT_WINDOW = 30  # the Overview opens on 30 days
ERRORS = {f"HTTP_{code}": m.Problem for code in (400, 401, 403, 429, 503)}
TAGS = ("read",)


def read_response(model, **more) -> Response:
    """The documented answers of a read: ``model``, 304, the errors (and whatever ``more`` adds)."""
    return Response("HTTP_304", HTTP_200=model, **ERRORS, **more)


# --- KPIs (the Overview) ------------------------------------------------------------------------------------------
@api.get("/kpis")
@api_spec.validate(query=m.KpiQuery, resp=read_response(m.Kpis), tags=TAGS)
@cacheable
def kpis(query: m.KpiQuery):
    """The Overview's KPIs for a period (a trailing window, or start and end) and drill-down filters.

    The numbers are the Overview's: the same KPI model from the same results cache, over complete days only.
    """
    require(Permission.VIEW)
    state = current()
    model = result(load_kpi_model, state, "The KPIs", compute_now=True, through=state.through)
    window = query.window or DEFAULT_WINDOW
    if query.start or query.end:
        if query.window:
            raise ApiError(400, "give either window or start and end, not both")
        first, last = check_range(query.start, query.end, model.first_day.date(), dt.date.fromisoformat(state.through))
        model = result(load_range_kpis, state, "The KPIs of the range", compute_now=True, start=first.isoformat(),
                       end=last.isoformat())
        window = model.windows[0]
    values = kpi_values(model, window, {"region": query.region, "category": query.category,
                                        "channel": query.channel})
    end = model.as_of.date()
    table = pd.DataFrame([{"key": v.key, "label": KPI_DEFINITIONS[v.key].label, "unit": KPI_DEFINITIONS[v.key].unit,
                           "value": v.value, "previous": v.previous, "delta": v.delta} for v in values])
    filters = {dim: getattr(query, dim) or "All" for dim in ("region", "category", "channel")}
    return table_response(table, {"dataset_version": state.version, "as_of": end.isoformat(), "window": window,
                                  "start": (end - dt.timedelta(days=window - 1)).isoformat(), "end": end.isoformat(),
                                  "filters": filters})


# --- Forecasts ----------------------------------------------------------------------------------------------------
def _forecast(state: DataState, metric: str, h: int):
    """The cached forecast of ``metric`` ``h`` days ahead (202 with a job while it is computed)."""
    params = {"metric": metric, "h": h, "through": state.through, "countries": settings().holiday_countries}
    return result(store_demand_forecast, state, f"The {METRICS[metric]} forecast, {h} days ahead", **params)


def _node(result_, node: str):
    try:
        return node_view(result_, node)
    except KeyError as error:
        raise ApiError(400, str(error.args[0] if error.args else error), slug="unknown-node") from None


@api.get("/forecast")
@api_spec.validate(query=m.ForecastQuery, resp=read_response(m.Forecast, HTTP_202=m.Accepted), tags=TAGS)
@cacheable
def forecast(query: m.ForecastQuery):
    """One node's forecast with the chosen prediction intervals (the Forecast page's main chart)."""
    require(Permission.VIEW)
    state = current()
    found = _forecast(state, query.metric, query.h)
    view = _node(found, query.node)
    bands = [c for level in sorted(set(query.levels)) for c in (f"lo-{level}", f"hi-{level}")]
    table = view.forecast.rename(columns={"ds": "date"})[["date", "mean", *bands]]
    return table_response(table, {"dataset_version": state.version, "metric": found.metric, "h": found.h,
                                  "node": view.node, "label": view.label, "level": view.level, "model": view.model,
                                  "forecast_total": float(view.forecast_total),
                                  "reconciliation": found.reconciliation, "as_of": f"{found.as_of:%Y-%m-%d}"})


def _forecast_rows(query: m.BacktestQuery, table_of) -> dict:
    """A table of the forecast (``table_of(result)`` with a ``node`` column), narrowed to ``query.node``."""
    require(Permission.VIEW)
    state = current()
    found = _forecast(state, query.metric, query.h)
    table = table_of(found)
    if query.node is not None:
        _node(found, query.node)
        table = table[table["node"] == query.node]
    return table_response(table, {"dataset_version": state.version, "metric": query.metric, "h": query.h})


@api.get("/forecast/backtests")
@api_spec.validate(query=m.BacktestQuery, resp=read_response(m.Table, HTTP_202=m.Accepted), tags=TAGS)
@cacheable
def backtests(query: m.BacktestQuery):
    """Backtest accuracy per model (MASE, sMAPE, ensemble weights) of one node, or of every node."""
    return _forecast_rows(query, lambda found: found.backtest.rename(columns={"unique_id": "node"}))


@api.get("/forecast/table")
@api_spec.validate(query=m.BacktestQuery, resp=read_response(m.Table, HTTP_202=m.Accepted), tags=TAGS)
@cacheable
def forecast_download(query: m.BacktestQuery):
    """Every node's forecast with every interval (the Forecast page's CSV download); ``node`` narrows it."""
    return _forecast_rows(query, forecast_table)


# --- The data: sources, quality, tables, versions ------------------------------------------------------------------
_UPGRADE = "the store's schema is older than this app; run `python -m data upgrade`, then ask again"


@api.get("/sources")
@api_spec.validate(query=m.FormatQuery, resp=read_response(m.Table), tags=TAGS)
@cacheable
def sources(query: m.FormatQuery):
    """Every ingested source with its status, counts and quality score (the Data page's grid), and the tables."""
    require(Permission.VIEW)
    try:
        report = quality_report(engine())
        tables = table_summary(engine())
    except STORE_ERRORS:
        raise ApiError(503, _UPGRADE, slug="store-needs-upgrade") from None
    body = {} if csv_wanted() else {"tables": records(tables)}
    return table_response(report.drop(columns=["null_rates"]), body)


@api.get("/quality")
@api_spec.validate(query=m.QualityQuery, resp=read_response(m.Table, HTTP_404=m.Problem), tags=TAGS)
@cacheable
def quality(query: m.QualityQuery):
    """One source's failed checks over time and the empty-cell share of each column in its newest batch."""
    require(Permission.VIEW)
    try:
        report = quality_report(engine())
    except STORE_ERRORS:
        raise ApiError(503, _UPGRADE, slug="store-needs-upgrade") from None
    row = report[report["source_name"] == query.source]
    if query.entity is not None:
        row = row[row["entity"] == query.entity]
    if row.empty:
        known = sorted(set(report["source_name"]))[:20]
        raise ApiError(404, f"the store has no source named {query.source!r}"
                            f"{f' for {query.entity!r}' if query.entity else ''}; known sources: {known}",
                       slug="unknown-source")
    checks = failed_checks(engine(), query.source)
    return table_response(checks, {"source": query.source, "quality_score": row["quality_score"].iloc[0],
                                   "null_rates": row["null_rates"].iloc[0]})


@api.get("/versions")
@api_spec.validate(query=m.PageQuery, resp=read_response(m.Page), tags=TAGS)
@cacheable
def versions(query: m.PageQuery):
    """Dataset versions, newest first: what each write to the store was (paginated)."""
    require(Permission.VIEW)
    table = schema.dataset_versions
    with engine().connect() as connection:
        total = connection.execute(select(func.count()).select_from(table)).scalar_one()
        rows = connection.execute(select(table).order_by(table.c.version.desc())
                                  .limit(query.limit).offset(query.offset)).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in table.columns])
    frame["created_at"] = frame["created_at"].map(lambda v: v.isoformat() if v is not None else None)
    if csv_wanted():
        g.api_csv = frame
    return {**page_of(total, query.limit, query.offset), "items": records(frame)}


@api.get("/me")
@api_spec.validate(resp=Response(HTTP_200=m.Me, **ERRORS), tags=TAGS)
def me():
    """Who the caller is: name, role, how they signed in, and what they may do."""
    principal = require(Permission.VIEW)
    return {"username": principal.username, "role": principal.role, "kind": principal.kind,
            "permissions": [p.value for p in Permission if principal.can(p)]}
