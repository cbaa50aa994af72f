"""Where the assistant's facts come from: the fitted results the pages use, for one dataset version.

``Results`` is what an answer may ask for. The web app and ``python -m analytics.chat ask`` pass
``core.chat``'s implementation, which reads the same results cache as the pages (and starts a job for a result
that is not computed yet, raising ``NotReady``); tests and the benchmarks may pass ``DirectResults``, which
computes each result on the store once and keeps it.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from sqlalchemy import Engine

from analytics.forecasting import store_demand_forecast
from analytics.kpis import load_kpi_model, load_range_kpis
from analytics.retention import load_retention_analyzer
from data.store import current_version
from data.watermark import complete_through

__all__ = ["NotReady", "Results", "DirectResults", "Generator", "ModelUnavailable"]


class NotReady(Exception):
    """A result that is being computed right now: ``what`` it is and the ``job_id`` computing it (if any).

    The answer says so ("the churn model for dataset v7 is being fitted; ask again in a minute") instead of
    waiting; nothing is invented meanwhile.
    """

    def __init__(self, what: str, job_id: str | None = None):
        super().__init__(what)
        self.what = what
        self.job_id = job_id


class ModelUnavailable(Exception):
    """The language model cannot answer now (not installed, its process not running, too slow): the message says
    which; the answer falls back to the template and says so."""


class Generator(Protocol):
    """A local language model: ``generate`` yields the answer's text in pieces as they are produced (so the panel
    can show tokens as they come) and raises ``ModelUnavailable`` when it cannot answer."""

    name: str  # e.g. "SmolLM2-135M-Instruct (Q4_1 GGUF)"

    def generate(self, prompt: str, *, max_tokens: int) -> Iterator[str]: ...


class Results(Protocol):
    """The fitted results of one dataset version (``version``), up to the last complete day (``through``)."""

    version: int | None  # None: the store has no data yet
    through: str | None  # ISO date of the last complete day

    def engine(self) -> Engine: ...

    def kpi_model(self) -> Any:
        """``analytics.kpis.load_kpi_model(engine, through=self.through)``: trailing windows up to ``through``."""

    def range_kpis(self, start: str, end: str) -> Any:
        """``analytics.kpis.load_range_kpis`` for a custom range (ISO dates, both included)."""

    def forecast(self, metric: str, h: int) -> Any:
        """``analytics.forecasting.store_demand_forecast`` of ``metric`` (revenue, orders, units) ``h`` days ahead."""

    def retention(self) -> Any:
        """The fitted ``analytics.retention.RetentionAnalyzer`` (churn model, survival, CLV, segments)."""

    def health(self) -> dict[str, Any]:
        """The system's state in plain values: store reachable, dataset version, last complete day, results cache,
        jobs running, language model available (issue 17 adds more)."""


class DirectResults:
    """``Results`` computed directly on a store (no cache): each result once per instance."""

    def __init__(self, engine: Engine, *, countries: str = "US", complete: Any = None):
        self._engine = engine
        self._countries = countries
        version = current_version(engine)
        self.version = None if version is None else version.version
        self.through = complete_through(engine, complete).iso if version is not None else None
        self._memo: dict[tuple, Any] = {}

    def _once(self, key: tuple, compute) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def engine(self) -> Engine:
        return self._engine

    def kpi_model(self) -> Any:
        return self._once(("kpis",), lambda: load_kpi_model(self._engine, through=self.through))

    def range_kpis(self, start: str, end: str) -> Any:
        return self._once(("range", start, end), lambda: load_range_kpis(self._engine, start=start, end=end))

    def forecast(self, metric: str, h: int) -> Any:
        return self._once(("forecast", metric, h), lambda: store_demand_forecast(
            self._engine, metric=metric, h=h, through=self.through, countries=self._countries))

    def retention(self) -> Any:
        return self._once(("retention",), lambda: load_retention_analyzer(self._engine))

    def health(self) -> dict[str, Any]:
        return {"store": "reachable", "dataset_version": self.version, "through": self.through,
                "cache": "none (computed directly)", "jobs_running": 0, "model": None}
