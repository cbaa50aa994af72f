"""Request and response models: the OpenAPI document is generated from these (spectree, pydantic v2).

Query models forbid unknown parameters, so a misspelt filter is a 400 naming it instead of being ignored. Response
models describe the members every answer has and allow more (an answer may grow without breaking clients).
"""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from spectree import BaseFile

from analytics.forecasting import LEVELS, METRICS
from data.ingest import ENTITIES

Metric = Literal[tuple(METRICS)]  # type: ignore[valid-type]
Level = Literal[tuple(LEVELS)]  # type: ignore[valid-type]
Entity = Literal[tuple(ENTITIES)]  # type: ignore[valid-type]
Format = Literal["json", "csv"]
Text = Field(default=None, max_length=200)


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class FormatQuery(Query):
    format: Format = Field("json", description="`csv` for the table as CSV (or send `Accept: text/csv`)")


class PageQuery(FormatQuery):
    limit: int = Field(100, ge=1, le=1000, description="rows per page")
    offset: int = Field(0, ge=0, le=10_000_000, description="rows to skip")


class KpiQuery(FormatQuery):
    region: str | None = Field(None, max_length=60, description="a region, or All (the default)")
    category: str | None = Field(None, max_length=60)
    channel: str | None = Field(None, max_length=60)
    window: int | None = Field(None, description="trailing days ending on the last complete day: 7, 30 or 90 "
                                                 "(default 30); or give start and end")
    start: dt.date | None = Field(None, description="custom range start (YYYY-MM-DD), with end")
    end: dt.date | None = Field(None, description="custom range end (YYYY-MM-DD, included), with start")


class ForecastQuery(FormatQuery):
    metric: Metric = "revenue"  # type: ignore[valid-type]
    h: int = Field(30, ge=1, le=365, description="horizon in days")
    node: str = Field("total", max_length=200, description="total, a region, or region/category")
    levels: list[Level] = Field(default_factory=lambda: [80, 95],  # type: ignore[valid-type]
                                description="prediction-interval levels (repeat the parameter)")


class BacktestQuery(FormatQuery):
    metric: Metric = "revenue"  # type: ignore[valid-type]
    h: int = Field(30, ge=1, le=365)
    node: str | None = Field(None, max_length=200, description="one node (default: every node)")


class ChurnQuery(Query):
    start: dt.date | None = Field(None, description="period start (default: 90 days before the models' as-of day)")
    end: dt.date | None = Field(None, description="period end (default: the models' as-of day)")
    segment: str | None = Field(None, max_length=60)
    region: str | None = Field(None, max_length=60)
    plan: str | None = Field(None, max_length=60)
    channel: str | None = Field(None, max_length=60)


class ClvQuery(FormatQuery):
    by: Literal["segment", "region", "plan", "channel", "rfm_segment"] = "segment"


class QualityQuery(FormatQuery):
    source: str = Field(..., min_length=1, max_length=200, description="the source's name (see /sources)")
    entity: Entity | None = None  # type: ignore[valid-type]


class RetrainBody(Query):
    target: Literal["forecast", "retention", "kpis"] = Field(..., description="what to recompute")
    metric: Metric = "revenue"  # type: ignore[valid-type]
    h: int = Field(30, ge=1, le=365, description="forecast horizon in days (target forecast)")


class IngestForm(BaseModel):
    file: BaseFile = Field(..., description="the file: CSV, JSON, Parquet or Excel (multipart field `file`)")


# --- Responses ---------------------------------------------------------------------------------------------------
class Problem(Open):
    type: str
    title: str
    detail: str
    status: int


class Accepted(Open):
    status: int
    detail: str
    job: dict | None


class Page(Open):
    items: list[dict]
    total: int
    limit: int
    offset: int
    next: str | None


class Kpis(Open):
    dataset_version: int
    as_of: str
    window: int
    start: str
    end: str
    filters: dict[str, str]
    items: list[dict]


class Forecast(Open):
    dataset_version: int
    metric: str
    h: int
    node: str
    label: str
    level: str
    items: list[dict]


class Table(Open):
    items: list[dict]


class Churn(Open):
    dataset_version: int
    churn_rate: float | None
    start: str
    end: str


class Customer(Open):
    info: dict
    history: list[dict]
    reasons: list[dict]


class Job(Open):
    id: str
    kind: str
    state: str
    progress: dict


class Jobs(Open):
    items: list[Job]


class Me(Open):
    username: str
    role: str
    kind: str
    permissions: list[str]


class IngestSummary(Open):
    accepted: int
    quarantined: int
    duplicates: int
    conflicts: int
    rejected_reason: str | None
    warnings: list[str]
    status: str
