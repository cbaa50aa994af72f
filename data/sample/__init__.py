"""The sample company: a deterministic, realistic CRM + ERP + marketing dataset with known truth.

``generate_sample`` draws every table with numpy from one seed; ``write_sample`` migrates the
store, replaces its content in one transaction and writes the ground truth beside it.
See ``docs/sample-data.md`` for the model and the ground-truth format.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from data import store
from data.sample import crm, ground_truth, marketing
from data.sample.ground_truth import load_ground_truth
from data.sample.calendar import Period
from data.sample.catalogue import build_catalogue
from data.sample.demand import build_demand
from data.sample.orders import orders_and_lines
from data.sample.replay import FollowingDays, following_days, replay_events
from data.sample.truth import build_ground_truth

__all__ = [
    "DEFAULT_END_DATE", "FollowingDays", "SampleConfig", "SampleDataset", "following_days", "generate_sample",
    "replay_events", "write_sample", "load_ground_truth",
]

log = logging.getLogger(__name__)

DEFAULT_END_DATE = dt.date(2026, 10, 31)
SOURCE = "sample"
_STREAMS = ("marketing", "customers", "names", "tickets", "catalogue", "orders")


@dataclass(frozen=True)
class SampleConfig:
    """What to generate; the same config always yields the same data."""

    customers: int = 20_000
    seed: int = 42
    end_date: dt.date = DEFAULT_END_DATE
    years: int = 3

    def __post_init__(self) -> None:
        if self.customers < 10:
            raise ValueError(f"customers={self.customers}; generate at least 10 customers")
        if not 1 <= self.years <= 10:
            raise ValueError(f"years={self.years}; the window must be 1 to 10 years long")
        if self.seed < 0:
            raise ValueError(f"seed={self.seed}; use a non-negative integer")


@dataclass(frozen=True)
class SampleDataset:
    """Generated tables keyed by store table name, plus the ground truth they were drawn from."""

    config: SampleConfig
    tables: dict[str, pd.DataFrame] = field(repr=False)
    ground_truth: dict[str, Any] = field(repr=False)

    @property
    def rows(self) -> int:
        return sum(len(frame) for frame in self.tables.values())


def _streams(seed: int) -> dict[str, np.random.Generator]:
    """Independent random streams, so changing one part of the model leaves the others' draws alone."""
    children = np.random.SeedSequence(seed).spawn(len(_STREAMS))
    return {name: np.random.Generator(np.random.PCG64(child)) for name, child in zip(_STREAMS, children)}


def _stamped(frame: pd.DataFrame, column: str, hours: int) -> pd.DataFrame:
    return frame.assign(updated_at=pd.to_datetime(frame[column]) + pd.Timedelta(hours=hours))


def _planned(frame: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Planned promotions were entered by the window's last night, not after it."""
    last_night = period.end + pd.Timedelta(hours=23)
    return frame.assign(updated_at=frame["updated_at"].clip(upper=last_night))


def generate_sample(config: SampleConfig = SampleConfig()) -> SampleDataset:
    """Draw every table of the sample company (no database access)."""
    started = time.perf_counter()
    rng = _streams(config.seed)
    period = Period.ending(config.end_date, config.years)
    campaigns = marketing.campaigns(period)
    daily, spend = marketing.marketing_daily(period, campaigns, config.customers, rng["marketing"])
    adstock = marketing.adstock(spend)
    demand = build_demand(period, adstock)
    grid = crm.signup_grid(period, demand.signup_holidays, adstock)
    draw = crm.draw_customers(period, config.customers, grid, rng["customers"])
    catalogue = build_catalogue(period, rng["catalogue"])
    orders, lines = orders_and_lines(period, draw, demand, catalogue, rng["orders"])
    tables = {
        "customers": crm.customers_frame(period, draw, rng["names"]),
        "support_tickets": crm.support_tickets(period, draw, rng["tickets"]),
        "products": catalogue.products,
        "price_changes": catalogue.price_changes,
        "promotions": _planned(_stamped(demand.promotions, "start_date", -14 * 24), period),
        "orders": orders,
        "order_lines": lines,
        "campaigns": _stamped(campaigns, "start_date", -24),
        "marketing_daily": _stamped(daily, "date", 30),
    }
    settings = {**asdict(config), "end_date": config.end_date.isoformat()}
    truth = build_ground_truth(settings, period, demand, catalogue, grid, spend, tables)
    log.info(
        "generated %d rows for %d customers in %.1f s",
        sum(map(len, tables.values())),
        config.customers,
        time.perf_counter() - started,
    )
    return SampleDataset(config, tables, truth)


# Which table and date column stand for each ingest entity, and the source system it models.
_SOURCE_RUNS = {
    "customers": ("customers", "signup_date", "CRM"),
    "tickets": ("support_tickets", "opened_date", "CRM"),
    "products": ("products", "launch_date", "ERP"),
    "orders": ("order_lines", "order_date", "ERP"),
    "marketing": ("marketing_daily", "date", "marketing"),
}


def _record_source_runs(engine: Engine, dataset: SampleDataset, version: int) -> None:
    """List the sample's three source systems on the Data page, one committed run per entity."""
    from data.ingest import record_bulk_load

    with engine.begin() as connection:
        for entity, (table, date_column, system) in _SOURCE_RUNS.items():
            frame = dataset.tables[table]
            newest = pd.to_datetime(frame[date_column]).max().date() if len(frame) else None
            record_bulk_load(connection, entity, f"sample {system}", len(frame), newest, version)


def write_sample(
    engine: Engine, dataset: SampleDataset, truth_path: Path | None = None
) -> store.DatasetVersion:
    """Migrate, replace the store's content in one transaction, then write the ground truth.

    ``truth_path`` defaults to ``ground_truth.ground_truth_path`` of the engine's URL.
    The ground truth records the dataset version it belongs to, so a reader can tell when a
    crash between the commit and the file write left them out of step.
    """
    started = time.perf_counter()
    if truth_path is None:
        truth_path = ground_truth.ground_truth_path(engine.url.render_as_string(hide_password=False))
    store.upgrade(engine)
    description = f"sample company: {dataset.config.customers} customers, seed {dataset.config.seed}"
    store.replace_all(engine, dataset.tables, source=SOURCE, description=description)
    version = store.current_version(engine)
    _record_source_runs(engine, dataset, version.version)
    ground_truth.write_ground_truth(truth_path, {**dataset.ground_truth, "dataset_version": version.version})
    log.info(
        "wrote %d rows as dataset version %d in %.1f s; ground truth at %s",
        dataset.rows,
        version.version,
        time.perf_counter() - started,
        truth_path,
    )
    return version
