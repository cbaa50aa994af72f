"""The Health page's operating sections: a component's drill-down, capacity planning, the maintenance calendar and
the runbooks with their actions. Pure builders of plain data (mappings with the store tables' columns); the
buttons are drawn only for ``admin`` (the callbacks check the permission again on the server)."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.charts import GRAPH_CONFIG
from components.health import format_when
from components.primitives import segmented, stat_tiles

__all__ = ["TASK_LABELS", "prediction_list", "component_detail", "capacity_section", "task_row", "calendar",
           "runbook_catalogue", "action_row", "actions_list", "plan_text", "when_value", "done", "refused"]

TASK_LABELS = {"vacuum": "Vacuum and analyse the store", "cache_prune": "Prune the cache",
               "downsample": "Downsample metrics", "retrain": "Retrain the models", "backup": "Back up the store"}
# A prediction's status (analytics.health) as the colour of a component status.
_PREDICTION_STATUS = {"no_crossing": "ok", "no_leak": "ok", "stable": "ok", "planned": "ok", "crosses": "degraded",
                      "degraded": "degraded", "already_over": "down", "leaking": "down",
                      "not_enough_history": "not_configured", "not_enough_data": "not_configured"}


def _chip(status: str, colours: Mapping[str, str] | None = None) -> html.Span:
    """A state in words, coloured as ``colours`` maps it (a prediction's status) or by itself (a task's state)."""
    css = (colours or {}).get(status, status)
    return html.Span(status.replace("_", " "), className=f"nf-health-state is-{css}")


def prediction_list(predictions: Sequence[Mapping]) -> html.Ul | html.P:
    """Predictions (time to a limit with its interval, a leak, a degradation): ``{name, status, sentence}``."""
    if not predictions:
        return html.P("No predictions for this component: it has no limit, leak or latency series to forecast.",
                      className="nf-kpi-sub")
    return html.Ul([html.Li([html.Strong(item.get("what") or item.get("name", "")), " ",
                             _chip(item.get("status", "ok"), _PREDICTION_STATUS),
                             html.Div(item.get("sentence", ""), className="nf-health-sentence")])
                    for item in predictions], className="nf-health-predictions")


def _history_row(task: Mapping) -> html.Li:
    return html.Li([html.Code(task.get("task", "?")), " · ", _chip(task.get("state", "?")),
                    f" · {format_when(task.get('finished_at') or task.get('due_at'))}"])


def component_detail(component: str, charts: Sequence[tuple[str, dict]], predictions: Sequence[Mapping],
                     maintenance: Sequence[Mapping]) -> html.Div:
    """A component's metrics (``(metric, figure)`` with the anomaly scores overlaid), predictions and
    maintenance history."""
    graphs = [dcc.Graph(id=ids.health_metric_chart(component, metric), figure=figure, config=GRAPH_CONFIG,
                        className="nf-health-metric") for metric, figure in charts]
    history = (html.Ul([_history_row(task) for task in maintenance], className="nf-health-history")
               if maintenance else html.P("No maintenance recorded for this component.", className="nf-kpi-sub"))
    return html.Div([
        html.H3(f"{component}: metrics and anomaly scores (last 6 hours)", className="nf-health-h3"),
        html.Div(graphs or [html.P("No metrics recorded for this component yet.", className="nf-kpi-sub")],
                 className="nf-health-metrics"),
        html.Div([html.Div([html.H3("Predictions", className="nf-health-h3"), prediction_list(predictions)]),
                  html.Div([html.H3("Maintenance history", className="nf-health-h3"), history])],
                 className="nf-health-detail-foot"),
    ], **{"data-component": component})


def capacity_section(tiles: Sequence[tuple], figures: Sequence[tuple[str, dict]], note: str) -> html.Div:
    """Recommended workers and when the current setting runs out (``tiles`` as ``stat_tiles`` takes them), the
    30/90-day load forecasts (``(id suffix, figure)``) and a sentence on how it was worked out."""
    return html.Div([
        stat_tiles(tiles, className="nf-health-capacity-tiles"),
        html.Div([dcc.Graph(id=ids.child_id(ids.HEALTH_CAPACITY, suffix), figure=figure, config=GRAPH_CONFIG)
                  for suffix, figure in figures], className="nf-health-capacity-charts"),
        html.P(note, className="nf-kpi-sub"),
    ])


def when_value(moment) -> str | None:
    """A time as a ``datetime-local`` input's value (``2026-12-08T03:00``)."""
    text = format_when(moment)
    return None if text == "—" else text.removesuffix(" UTC").replace(" ", "T")


def task_row(task: Mapping, admin: bool) -> html.Li:
    """A maintenance task: what, when (and why then), its state; for an admin, approve / move / run now."""
    task_id, state = task["id"], task.get("state", "planned")
    facts = [html.Strong(TASK_LABELS.get(task.get("task"), task.get("task", "?"))), " ", _chip(state),
             html.Div(f"{format_when(task.get('due_at'))} — {task.get('reason', '')}", className="nf-kpi-sub")]
    if task.get("catch_up"):
        facts.append(html.Div("a missed run, caught up once", className="nf-kpi-sub"))
    if task.get("approved_by"):
        facts.append(html.Div(f"approved by {task['approved_by']}", className="nf-kpi-sub"))
    children = [html.Div(facts, className="nf-health-row-facts")]
    if admin and state in ("planned", "approved"):
        when_id = ids.health_task_when(task_id)
        label = f"New time for task {task_id} (UTC)"
        children.append(html.Div([
            dbc.Button("Approve", id=ids.health_task_action("approve", task_id), n_clicks=0,
                       className="nf-btn btn-sm", disabled=state == "approved"),
            html.Label([html.Span(label, className="visually-hidden"),
                        dbc.Input(id=when_id, type="datetime-local", value=when_value(task.get("due_at")),
                                  className="nf-health-when", size="sm")], className="mb-0"),
            html.Span("UTC", className="nf-kpi-sub"),
            dbc.Button("Move", id=ids.health_task_action("move", task_id), n_clicks=0, className="nf-btn btn-sm"),
            dbc.Button("Run now", id=ids.health_task_action("run", task_id), n_clicks=0, className="nf-btn btn-sm"),
        ], className="nf-health-row-buttons"))
    return html.Li(children, className="nf-health-row", **{"data-task": str(task_id)})


def _day(moment) -> str:
    """The UTC day of a time, as ``Tue 08 Dec``."""
    text = when_value(moment)
    return "—" if text is None else f"{dt.date.fromisoformat(text[:10]):%a %d %b}"


def calendar(tasks: Sequence[Mapping], admin: bool, open_days: int = 2) -> html.Div | html.P:
    """The maintenance calendar: one fold per day (the first ``open_days`` open), tasks in time order."""
    if not tasks:
        return html.P("Nothing scheduled in the next 7 days.", className="nf-kpi-sub")
    days: dict[str, list] = {}
    for task in tasks:
        days.setdefault(_day(task.get("due_at")), []).append(task)
    folds = []
    for i, (day, due) in enumerate(days.items()):
        waiting = sum(task.get("state") == "planned" for task in due)
        label = f"{day} · {len(due)} task{'s' if len(due) > 1 else ''}" + (f" · {waiting} to approve" if waiting
                                                                              else "")
        folds.append(html.Details([html.Summary(label), html.Ol([task_row(task, admin) for task in due],
                                                                className="nf-health-rows")],
                                  open=i < open_days, className="nf-health-details nf-health-day"))
    return html.Div(folds)


def runbook_catalogue(runbooks: Sequence[Mapping], admin: bool) -> html.Ul:
    """Each runbook: what it does, its trigger and limit, and its mode (an admin can switch auto / approval)."""
    rows = []
    for book in runbooks:
        name, mode = book["name"], book.get("mode", "approval")
        control = (segmented(ids.health_runbook_mode(name), [{"label": "Auto", "value": "auto"},
                                                            {"label": "Approval", "value": "approval"}], mode)
                   if admin else html.Span(f"mode: {mode}", className="nf-health-state is-ok"))
        facts = [html.Strong(book.get("title") or name), " ", html.Code(name),
                 html.Div(book.get("description", ""), className="nf-health-sentence")]
        detail = " · ".join(part for part in (
            f"trigger: {book['trigger']}" if isinstance(book.get("trigger"), str) else "",
            f"at most {book['max_per_hour']} per hour" if book.get("max_per_hour") is not None else "",
            f"{book['runs_last_hour']} run(s) in the last hour" if book.get("runs_last_hour") else "",
            "" if book.get("enabled", True) else "disabled") if part)
        if detail:
            facts.append(html.Div(detail, className="nf-kpi-sub"))
        rows.append(html.Li([html.Div(facts, className="nf-health-row-facts"), control], className="nf-health-row",
                            **{"data-runbook": name}))
    return html.Ul(rows, className="nf-health-rows")


def plan_text(plan) -> str:
    """A dry-run plan (a list of steps, a mapping or text) as readable lines."""
    if isinstance(plan, str):
        try:
            plan = json.loads(plan)
        except ValueError:
            return plan
    if isinstance(plan, Mapping):
        steps = plan.get("steps")
        if isinstance(steps, list):
            return "\n".join(str(step) for step in steps)
        return "\n".join(f"{key}: {value}" for key, value in plan.items())
    if isinstance(plan, list):
        return "\n".join(str(step) for step in plan)
    return "" if plan is None else str(plan)


def action_row(action: Mapping, admin: bool) -> html.Li:
    """A runbook action: runbook, target, why, state; pending ones show their dry-run plan and, for an admin,
    Approve and Reject."""
    action_id, state = action["id"], action.get("state", "pending")
    facts = [html.Code(action.get("runbook", "?")), f" on {action.get('target', '?')} ",
             html.Span(state, className=f"nf-health-state is-{state}", **{"data-state": state}),
             html.Div(action.get("reason", ""), className="nf-health-sentence"),
             html.Div(f"requested {format_when(action.get('requested_at'))}"
                      + (f" · decided by {action['decided_by']}" if action.get("decided_by") else ""),
                      className="nf-kpi-sub")]
    if state == "pending":
        facts.append(html.Details([html.Summary("Dry run: what it will do"),
                                   html.Pre(plan_text(action.get("plan")), className="nf-health-plan")],
                                  open=True, className="nf-health-details"))
    children = [html.Div(facts, className="nf-health-row-facts")]
    if admin and state == "pending":
        children.append(html.Div([
            dbc.Button("Approve", id=ids.health_action_decision("approve", action_id), n_clicks=0, className="nf-btn"),
            dbc.Button("Reject", id=ids.health_action_decision("reject", action_id), n_clicks=0,
                       className="nf-btn nf-btn-danger"),
        ], className="nf-health-row-buttons"))
    return html.Li(children, className="nf-health-row", **{"data-action": str(action_id)})


def actions_list(actions: Sequence[Mapping], admin: bool) -> html.Ol | html.P:
    """Pending actions first, then the most recent others."""
    if not actions:
        return html.P("No runbook actions yet.", className="nf-kpi-sub")
    ordered = sorted(actions, key=lambda a: a.get("state") != "pending")
    return html.Ol([action_row(action, admin) for action in ordered], className="nf-health-rows")


def done(text: str) -> dbc.Alert:
    """What a change did."""
    return dbc.Alert(text, color="success", className="nf-alert", dismissable=True)


def refused(text: str) -> dbc.Alert:
    """Why a change was refused and what to do."""
    return dbc.Alert([html.Strong("Not done: "), text], color="warning", className="nf-alert", dismissable=True)
