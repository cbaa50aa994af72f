"""The assistant's results: the same results-cache entries the pages and the API read.

Same loader, same parameters, same dataset version and last complete day, so an answer states the numbers the pages
and ``/api/v1`` show and nothing is computed twice. A cheap result (the KPI model, a custom range's KPIs) is computed
on a miss, once for every caller (``core.cache.compute_shared``). A costly one (a forecast, the retention models)
that is not cached yet starts one background job — the API's compute job (``core.api.compute_job``), so a page, an API
call and the assistant asking for it at once share it — and raises ``NotReady`` with the job's id; the answer says it
is being computed. ``wait=True`` (the CLI, which has no server to run a job) computes it in place instead.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from analytics.chat import NotReady
from analytics.forecasting import METRICS, store_demand_forecast
from analytics.kpis import load_kpi_model, load_range_kpis
from analytics.retention import load_retention_analyzer
from core.cache import cached_value, compute_shared
from core.settings import Settings
from data.store import current_version, get_engine
from data.watermark import complete_through

__all__ = ["CachedResults", "NO_DATA"]

NO_DATA = ("the store has no data yet: generate the sample company with `python -m data sample --customers 20000 "
           "--seed 42` (or `make run`), or ingest files on the Data page")
_BUSY = "; the server is already computing other results: ask again in a minute"


class CachedResults:
    """``analytics.chat.Results`` through the shared results cache, for the store's current dataset version.

    Built per request (cheap: one query for the version, one for the last complete day); each result is read from
    the cache at most once per instance. ``model`` is the language model client whose ``health()`` ``health``
    reports (None: templates only).
    """

    def __init__(self, settings: Settings, *, engine: Engine | None = None, wait: bool = False,
                 model: Any = None):
        self._settings = settings
        self._engine = engine or get_engine(settings.database_url)
        self._wait = wait
        self._model = model
        self._memo: dict[tuple, Any] = {}
        try:
            found = current_version(self._engine)
            self.store = "reachable" if found is not None else "empty"
        except (OperationalError, ProgrammingError):
            found, self.store = None, "unreachable"
        self.version: int | None = None if found is None else found.version
        self.through: str | None = (complete_through(self._engine, settings.complete_through).iso
                                    if found is not None else None)

    def engine(self) -> Engine:
        return self._engine

    def kpi_model(self) -> Any:
        return self._result(load_kpi_model, "KPIs", costly=False, through=self._through())

    def range_kpis(self, start: str, end: str) -> Any:
        return self._result(load_range_kpis, f"KPIs from {start} to {end}", costly=False, start=start, end=end)

    def forecast(self, metric: str, h: int) -> Any:
        params = {"metric": metric, "h": int(h), "through": self._through(),
                  "countries": self._settings.holiday_countries}
        label = METRICS.get(metric, metric).lower()
        return self._result(store_demand_forecast, f"{label} forecast {h} days ahead", costly=True, **params)

    def retention(self) -> Any:
        return self._result(load_retention_analyzer, "retention models", costly=True)

    def health(self) -> dict[str, Any]:
        """The store's state, dataset version, last complete day, cache backend, jobs running and the model's state, as
        plain values (each becomes a fact of the health answer)."""
        from core.api import jobs

        return {"store": self.store, "dataset_version": self.version, "through": self.through,
                "cache": "redis" if self._settings.redis_url else "filesystem",
                "jobs_running": len(jobs.active()), "model": model_health(self._model, self._settings)}

    # --- the cache --------------------------------------------------------------------------------------------------
    def _through(self) -> str:
        if self.version is None or self.through is None:
            raise NotReady(NO_DATA)
        return self.through

    def _result(self, loader: Callable[..., Any], what: str, *, costly: bool, **params: Any) -> Any:
        """``loader(**params)`` from the cache; ``what`` names it in a sentence ("the {what} is being computed")."""
        key = (loader.__name__, tuple(sorted(params.items())))
        if key not in self._memo:
            self._through()
            value = cached_value(loader, self.version, **params)
            if value is None:
                if costly and not self._wait:
                    job = self._job(loader, what, params)
                    raise NotReady(f"{what} (dataset v{self.version}){'' if job else _BUSY}", job)
                value = compute_shared(loader, self.version, self._engine, **params)[0]
            self._memo[key] = value
        return self._memo[key]

    def _job(self, loader: Callable[..., Any], what: str, params: dict) -> str | None:
        """The job computing it (started here unless one runs); None when the server already runs its maximum."""
        from core.api import compute_job  # core.api registers core.api.chat, which imports this module

        return compute_job(loader, self.version, what, **params)


def model_health(model: Any, settings: Settings) -> str:
    """The language model's state in words (a health fact): which model, whether its process answers, and why not."""
    chat = getattr(model, "settings", settings.chat)  # LocalModel's own settings
    if model is None:
        return "none (FORESIGHT_CHAT_MODEL=none): answers come from templates"
    found = model.health()
    if found is None:
        return (f"{chat.model}: its process at {chat.model_url} does not answer (start it with `python -m core.chat.llm "
                f"--model {chat.model}`); answers come from templates")
    if not found.get("loaded"):
        return f"{chat.model}: loading" + (f" failed ({found['error']})" if found.get("error") else "")
    state = "busy" if found.get("busy") else "ready"
    return f"{found.get('label') or chat.model}: {state}, {found.get('memory_mb', '?')} MB"
