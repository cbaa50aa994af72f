"""The Health page's admin buttons: approve or reject a runbook action, switch a runbook's mode, approve, move or run
a maintenance task. Each callback asks for its permission on the server (the buttons are drawn only for admins)
and answers in the page's message area; a change bumps ``HEALTH_REFRESH`` so the lists read the store again.

The module name starts with an underscore so Dash's page scanner skips it; pages/health.py imports it.
"""
from __future__ import annotations

import datetime as dt

from dash import ALL, Input, Output, State, callback, ctx, no_update

from components import ids
from components.health import format_when
from components.health_ops import done, refused
from core.auth import Permission
from core.health import (approve_action, approve_task, move_task, reject_action, run_task_now, runbook_catalogue,
                         set_runbook_mode)
from core.runtime import current_settings, store_engine
from pages._jobs import acting_user, refusal

MOVE_HORIZON = dt.timedelta(days=30)  # a task moves to a time within the next 30 days
_DECIDE = ids.health_action_decision(ALL, ALL)
_MODE = ids.health_runbook_mode(ALL)
_TASK = ids.health_task_action(ALL, ALL)
_WHEN = ids.health_task_when(ALL)


def _clicked() -> bool:
    """Whether a button was really pressed (a list drawn again fires its new buttons with no clicks)."""
    return bool(ctx.triggered_id) and bool(ctx.triggered and ctx.triggered[0].get("value"))


@callback(Output(ids.HEALTH_MESSAGE, "children", allow_duplicate=True),
          Output(ids.HEALTH_REFRESH, "data", allow_duplicate=True), Input(_DECIDE, "n_clicks"),
          State(ids.HEALTH_REFRESH, "data"), prevent_initial_call=True)
def decide_action(_clicks, refresh):
    """Approve (the action runs now) or reject a pending runbook action."""
    if not _clicked():
        return no_update, no_update
    if reason := refusal(Permission.REMEDIATE, "approve or reject runbook actions"):
        return refused(reason), no_update
    action_id, decision = int(ctx.triggered_id["action"]), ctx.triggered_id["decision"]
    engine = store_engine()
    try:
        if decision == "approve":
            action = approve_action(engine, action_id, acting_user(), current_settings())
        else:
            action = reject_action(engine, action_id, acting_user())
    except (LookupError, ValueError) as error:
        return refused(str(error)), (refresh or 0) + 1
    state = getattr(action, "state", None) or (action or {}).get("state", "")
    verb = "approved" if decision == "approve" else "rejected"
    return done(f"Action {action_id} {verb}; it is now {state}."), (refresh or 0) + 1


@callback(Output(ids.HEALTH_MESSAGE, "children", allow_duplicate=True),
          Output(ids.HEALTH_REFRESH, "data", allow_duplicate=True), Input(_MODE, "value"),
          State(ids.HEALTH_REFRESH, "data"), prevent_initial_call=True)
def switch_runbook_mode(_modes, refresh):
    """Set a runbook to run automatically or to wait for an admin's approval."""
    if not ctx.triggered_id or not ctx.triggered:
        return no_update, no_update
    name, mode = ctx.triggered_id["runbook"], ctx.triggered[0].get("value")
    engine = store_engine()
    current = {getattr(book, "name", None) or book["name"]: getattr(book, "mode", None) or book.get("mode")
               for book in runbook_catalogue(engine)}
    if mode is None or current.get(name) == mode:  # drawn again with the stored mode: nothing changed
        return no_update, no_update
    if reason := refusal(Permission.MANAGE_SETTINGS, "change a runbook's mode"):
        return refused(reason), (refresh or 0) + 1  # drawn again: the switch goes back to the stored mode
    try:
        set_runbook_mode(engine, name, mode, acting_user())
    except (LookupError, ValueError) as error:
        return refused(str(error)), (refresh or 0) + 1
    what = "runs automatically when triggered" if mode == "auto" else "waits for an admin's approval"
    return done(f"Runbook {name} now {what}."), (refresh or 0) + 1


def parse_new_time(raw: str | None, task_id: int, now: dt.datetime) -> dt.datetime:
    """The time a task moves to, from its ``datetime-local`` input (UTC); ValueError saying how to fix it."""
    if not raw:
        raise ValueError(f"pick the new date and time for task {task_id} first (UTC)")
    try:
        moment = dt.datetime.fromisoformat(str(raw).strip())
    except ValueError:
        raise ValueError(f"{raw!r} is not a date and time; use the picker, or type it as YYYY-MM-DDTHH:MM (UTC)"
                         ) from None
    moment = moment.replace(tzinfo=dt.timezone.utc) if moment.tzinfo is None else moment.astimezone(dt.timezone.utc)
    if moment <= now:
        raise ValueError(f"{format_when(moment)} is in the past (it is {format_when(now)}); pick a later time, or "
                         "use Run now")
    if moment > now + MOVE_HORIZON:
        raise ValueError(f"{format_when(moment)} is more than {MOVE_HORIZON.days} days ahead; pick a time before "
                         f"{format_when(now + MOVE_HORIZON)}")
    return moment


def _new_times() -> dict[int, str | None]:
    """Each task's new-time input, by task id (the ``State`` of every input the calendar drew)."""
    states = ctx.states_list[0] if ctx.states_list else []
    return {item["id"]["task"]: item.get("value") for item in states if isinstance(item, dict)}


@callback(Output(ids.HEALTH_MESSAGE, "children", allow_duplicate=True),
          Output(ids.HEALTH_REFRESH, "data", allow_duplicate=True), Input(_TASK, "n_clicks"), State(_WHEN, "value"),
          State(ids.HEALTH_REFRESH, "data"), prevent_initial_call=True)
def change_task(_clicks, _whens, refresh):
    """Approve a maintenance task, move it to the time in its input, or run it now."""
    if not _clicked():
        return no_update, no_update
    if reason := refusal(Permission.MANAGE_SETTINGS, "approve, move or run maintenance"):
        return refused(reason), no_update
    task_id, action = int(ctx.triggered_id["task"]), ctx.triggered_id["action"]
    engine, now = store_engine(), dt.datetime.now(dt.timezone.utc)
    try:
        if action == "approve":
            approve_task(engine, task_id, acting_user())
            text = f"Task {task_id} is approved; it runs at its slot."
        elif action == "move":
            moment = parse_new_time(_new_times().get(task_id), task_id, now)
            move_task(engine, task_id, moment, acting_user())
            text = f"Task {task_id} moved to {format_when(moment)}."
        else:
            task = run_task_now(engine, current_settings(), task_id, acting_user())
            state = getattr(task, "state", None) or (task or {}).get("state", "started")
            text = f"Task {task_id} ran now; it is {state}."
    except (LookupError, ValueError) as error:
        return refused(str(error)), no_update
    return done(text), (refresh or 0) + 1
