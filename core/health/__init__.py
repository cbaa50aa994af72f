"""System health: signals (metrics, readiness, the monitor) and operations (incidents, runbooks, maintenance).

The public face of ``core.health``; its private modules are used only inside the package.
"""
from __future__ import annotations

# --- signals: settings, the vocabulary, the metric store -------------------------------------------
from core.health.config import HealthLimits, HealthSettings
from core.health._metric_store import Point, downsample_and_prune, latest_values, read_series, record_points
from core.health._names import COMPONENTS, DEPENDENCIES, METRICS, PROCESS_KINDS, dependents, metric_names

# --- signals: collecting, readiness, the monitor and the routes ------------------------------------
from core.health._collector import Collector
from core.health._monitor import Monitor
from core.health._ready import Probe, Readiness, check_readiness
from core.health._web import init_health, monitor_of
from core.health._push import GAUGES, health_snapshot, health_source

__all__ = [
    "HealthLimits", "HealthSettings",
    "COMPONENTS", "DEPENDENCIES", "METRICS", "PROCESS_KINDS", "dependents", "metric_names",
    "Point", "record_points", "read_series", "latest_values", "downsample_and_prune",
    "Collector", "Monitor", "Probe", "Readiness", "check_readiness", "init_health", "monitor_of",
    "GAUGES", "health_snapshot", "health_source",
]

# --- operations: incidents, runbooks, maintenance, predictions ----------------------------------------
from core.health._incidents import Incident, get_incident, incident_step, list_incidents  # noqa: E402
from core.health._incident_alerts import set_incident_delivery  # noqa: E402
from core.health._runbooks import RUNBOOKS  # noqa: E402
from core.health._actions import (approve_action, list_actions, reject_action, run_runbook,  # noqa: E402
                                  runbook_catalogue, runbook_step, set_runbook_mode)
from core.health._scheduler import (MaintenanceScheduler, approve_task, maintenance_calendar,  # noqa: E402
                                    maintenance_step, move_task, register_maintenance_beat, run_task_now)
from core.health._predictions import capacity_plan, component_predictions  # noqa: E402

# The Monitor's steps, in this order: incidents first, so the runbooks' triggers see this tick's incidents.
OPERATION_STEPS = (incident_step, runbook_step, maintenance_step)

__all__ += [
    "OPERATION_STEPS",
    "Incident", "incident_step", "list_incidents", "get_incident", "set_incident_delivery",
    "RUNBOOKS", "runbook_step", "runbook_catalogue", "set_runbook_mode", "list_actions", "approve_action",
    "reject_action", "run_runbook",
    "MaintenanceScheduler", "maintenance_step", "register_maintenance_beat", "approve_task", "move_task",
    "run_task_now", "maintenance_calendar",
    "component_predictions", "capacity_plan",
]
