"""System health: signals (metrics, readiness, the monitor) and operations (incidents, runbooks, maintenance).

The public face of ``core.health``; its private modules are used only inside the package.
"""
from __future__ import annotations

# --- signals: settings, the vocabulary, the metric store -------------------------------------------
from core.health.config import HealthLimits, HealthSettings
from core.health._metric_store import Point, downsample_and_prune, latest_values, read_series, record_points
from core.health._names import COMPONENTS, DEPENDENCIES, METRICS, PROCESS_KINDS, dependents, metric_names

__all__ = [
    "HealthLimits", "HealthSettings",
    "COMPONENTS", "DEPENDENCIES", "METRICS", "PROCESS_KINDS", "dependents", "metric_names",
    "Point", "record_points", "read_series", "latest_values", "downsample_and_prune",
]
