"""What the API reads: the store, its dataset version and last complete day, and results through the shared cache.

Results are the same cache entries the pages use (same loader, same parameters, same dataset version), so the API
and the pages show the same numbers and never compute them twice. A cheap result (the KPI model, a custom range) is
computed on a miss, once for every caller (``compute_shared``). A costly one (a forecast, the retention models) that
is not cached yet answers 202 with a job that computes it (``core.api.jobs``): ask again, or follow the job.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, g
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from core.api import jobs
from core.api.base import API_PREFIX, ApiError, settings
from core.cache import cached_value, compute_shared
from data.store import current_version, get_engine
from data.watermark import Watermark, complete_through

__all__ = ["DataState", "check_capacity", "compute_job", "current", "data_state", "engine", "no_data", "result"]

RETRY_SECONDS = 5
MAX_COMPUTE_JOBS = 2  # jobs of one kind (compute, retrain) the API runs at once


def no_data(what: str = "data") -> str:
    """What the API says while the store has no ``what`` (the pages' wording)."""
    return (f"The store has no {what} yet. Generate the sample company with "
            "`python -m data sample --customers 20000 --seed 42` (or `make run`), or ingest files "
            "(POST /api/v1/ingest/{entity}).")


def engine() -> Engine:
    """The pooled engine of the configured store."""
    return get_engine(settings().database_url)


@dataclass(frozen=True)
class DataState:
    """The dataset version the answer is computed on and the last complete day (part of every cache key)."""

    version: int
    mark: Watermark

    @property
    def through(self) -> str:
        if self.mark.iso is None:
            raise ApiError(503, no_data("orders"), slug="no-data", headers={"Retry-After": "60"})
        return self.mark.iso


def _state() -> DataState | None:
    if "api_state" not in g:
        try:
            version = current_version(engine())
        except (OperationalError, ProgrammingError):
            version = None
        g.api_state = None if version is None else DataState(
            version.version, complete_through(engine(), settings().complete_through))
    return g.api_state


def data_state() -> str | None:
    """``"<version>|<last complete day>"`` for ETags (None for an empty store)."""
    state = _state()
    return None if state is None else f"{state.version}|{state.mark.iso}"


def current() -> DataState:
    """The store's state; ApiError 503 (with how to get data) when the store is empty or not migrated."""
    state = _state()
    if state is None:
        raise ApiError(503, no_data(), slug="no-data", headers={"Retry-After": "60"})
    return state


def _actor() -> str:
    from core.api.access import principal_label

    return principal_label()


def result(loader: Callable[..., Any], state: DataState, describe: str, *, compute_now: bool = False,
           **params: Any) -> Any:
    """``loader(engine, progress, **params)`` for the dataset version, from the shared cache.

    On a miss: computed here when ``compute_now``, else ApiError 202 with a job computing it (one job per result:
    a caller asking again while it runs gets the same job).
    """
    value = cached_value(loader, state.version, **params)
    if value is not None:
        return value
    if compute_now:
        return compute_shared(loader, state.version, engine(), **params)[0]
    job_id = _running_job(loader, state.version, params) or _start_job(loader, state.version, describe, params)
    raise ApiError(202, f"{describe} for dataset v{state.version}: being computed; follow the job at "
                        f"{API_PREFIX}/jobs/{job_id} and ask again when it is done", slug="computing",
                   title="Accepted", job=jobs.status(job_id),
                   headers={"Location": f"{API_PREFIX}/jobs/{job_id}", "Retry-After": str(RETRY_SECONDS)})


def compute_job(loader: Callable[..., Any], version: int, describe: str, **params: Any) -> str | None:
    """The id of the job computing ``loader(**params)`` for dataset ``version`` (the one already running, else a new
    one), or None when ``MAX_COMPUTE_JOBS`` already run. What ``result`` does on a miss, for callers that say
    "being computed" their own way (the chat assistant)."""
    try:
        return _running_job(loader, version, params) or _start_job(loader, version, describe, params)
    except ApiError as error:
        if error.status == 429:
            return None
        raise


def _job_params(loader, version: int, params: dict) -> dict:
    return {"loader": loader.__name__, "version": version, **params}


def _running_job(loader, version: int, params: dict) -> str | None:
    wanted = _job_params(loader, version, params)
    return next((job["id"] for job in jobs.active() if job["kind"] == "compute" and job["params"] == wanted), None)


def check_capacity(kind: str, describe: str) -> None:
    """ApiError 429 when ``MAX_COMPUTE_JOBS`` jobs of ``kind`` already run: callers cannot start hundreds."""
    busy = [job for job in jobs.active() if job["kind"] == kind]
    if len(busy) >= MAX_COMPUTE_JOBS:
        raise ApiError(429, f"{describe}: the server is already computing {len(busy)} results for the API (jobs "
                            f"{', '.join(job['id'] for job in busy)}); ask again when one is done", slug="busy",
                       headers={"Retry-After": "30"})


def _start_job(loader, version: int, describe: str, params: dict) -> str:
    check_capacity("compute", f"{describe} is not computed yet")
    store_engine = engine()

    def run(report) -> dict:
        _value, how = compute_shared(loader, version, store_engine, report=report, **params)
        return {"computed": describe, "dataset_version": version, "how": how}

    return jobs.start("compute", run, params=_job_params(loader, version, params), actor=_actor(),
                      app=current_app._get_current_object())
