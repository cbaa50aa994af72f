"""Insights: the ranked findings of a period (what changed, why, how sure), and the alert rules."""
from __future__ import annotations

import datetime as dt

import dash
from dash import Input, Output, callback, ctx, html

from components import ids
from components.insights import PRESET_WINDOWS, feed, insights_layout
from components.messages import error_alert
from core.auth import Permission, audit
from core.insight_feed import DEFAULT_PERIOD_DAYS, load_insight_feed
from core.runtime import complete_through, dataset_version, holiday_countries
from pages import _alert_rules
from pages._errors import failure
from pages._jobs import Job, hide_unless, no_data, ready_params, ready_result, register_job
from pages._url_state import Param, choice, int_choice, read_query, register_url_state

dash.register_page(__name__, path="/insights", name="Insights", order=3, title="Insights · Neon Foresight",
                   view_3d=False)

_NO_DATA = no_data()
MAX_DAYS = 366  # the longest period the feed compares with the one before it
TABS = ("findings", "rules")
WITH_MODELS = True  # the feed reads the cached forecast and retention models (tests of the page set it False)


def _iso_date(raw: str) -> str:
    """A query value that must be a calendar date (YYYY-MM-DD)."""
    return dt.date.fromisoformat(raw).isoformat()


URL_PARAMS = (
    Param("window", ids.INSIGHTS_WINDOW, "value", default=DEFAULT_PERIOD_DAYS, parse=int_choice(*PRESET_WINDOWS)),
    Param("start", ids.INSIGHTS_RANGE, "start_date", default=None, parse=_iso_date),
    Param("end", ids.INSIGHTS_RANGE, "end_date", default=None, parse=_iso_date),
    Param("tab", ids.INSIGHTS_TABS, "active_tab", default="findings", parse=choice(*TABS)),
)
register_url_state("insights", "/insights", URL_PARAMS)


def layout(**query):
    """The Insights page in the state its URL describes (period, tab); bad values fall back to the defaults."""
    state = read_query(URL_PARAMS, query)
    page = insights_layout(INSIGHTS_JOB.ids, window=state["window"], start=state["start"], end=state["end"],
                           tab=state["tab"], rules_form=_alert_rules.form(),
                           rules_notice=_alert_rules.notice())
    return hide_unless(Permission.RETRAIN, [INSIGHTS_JOB.ids.run],
                       hide_unless(Permission.ALERTS, [ids.INSIGHTS_RULE_FORM], page))


def _range(start: str, end: str, through: dt.date) -> tuple[int, str]:
    """``(period_days, end)`` of a custom range, or ValueError saying how to fix it."""
    try:
        first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    except (TypeError, ValueError):
        raise ValueError(f"the dates {start!r} and {end!r} are not calendar dates; pick them in the calendar "
                         "(YYYY-MM-DD)") from None
    if first > last:
        raise ValueError(f"the range starts on {first} after it ends on {last}; swap the dates")
    if last > through:
        raise ValueError(f"the range ends on {last}, after the last complete day ({through}); end it on "
                         f"{through} or earlier")
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise ValueError(f"the range is {days} days long; pick at most {MAX_DAYS} days")
    return days, last.isoformat()


def _feed_params(period: dict | None) -> dict:
    """The loader's parameters for the period (the same as ``core.warm`` uses for the default 30 days)."""
    mark = complete_through()
    if mark.through is None:
        raise ValueError(_NO_DATA)
    period = period or {}
    if period.get("start") and period.get("end"):
        days, end = _range(period["start"], period["end"], mark.through)
    else:
        days, end = period.get("window") or DEFAULT_PERIOD_DAYS, mark.iso
        if days not in PRESET_WINDOWS:
            raise ValueError(f"window must be one of {list(PRESET_WINDOWS)} days, got {days!r}")
    return {"period_days": days, "end": end, "models": WITH_MODELS, "countries": holiday_countries()}


def period_label(params: dict) -> str:
    """"the 30 days to 2026-10-31" (a preset) or "2026-10-01 – 2026-10-31" (any period)."""
    end = dt.date.fromisoformat(params["end"])
    start = end - dt.timedelta(days=params["period_days"] - 1)
    return f"the {params['period_days']} days {start} – {end}"


INSIGHTS_JOB = Job(ids=ids.INSIGHTS_JOB, compute=load_insight_feed,
                   describe=lambda params: f"Findings for {period_label(params)}",
                   inputs=(Input(ids.INSIGHTS_PERIOD, "data"),), to_params=_feed_params, no_data=_NO_DATA,
                   run_label="Recompute", waiting="Reading the numbers for findings…", audit_action=audit.RECOMPUTE)
register_job(INSIGHTS_JOB)


@callback(Output(ids.INSIGHTS_WINDOW, "value"), Output(ids.INSIGHTS_RANGE, "start_date"),
          Output(ids.INSIGHTS_RANGE, "end_date"), Output(ids.INSIGHTS_PERIOD, "data"),
          Input(ids.INSIGHTS_WINDOW, "value"), Input(ids.INSIGHTS_RANGE, "start_date"),
          Input(ids.INSIGHTS_RANGE, "end_date"), prevent_initial_call=True)
def choose_period(window, start, end):
    """A preset clears the custom range; a custom range (both dates) clears the preset; clearing it restores 30."""
    triggered = {item["prop_id"].split(".")[0] for item in ctx.triggered}
    if ids.INSIGHTS_RANGE in triggered and (start or end):
        return None, start, end, {"start": start, "end": end}
    window = window or DEFAULT_PERIOD_DAYS
    return window, None, None, {"window": window}


@callback(Output(ids.INSIGHTS_FEED, "children"), Output(ids.INSIGHTS_MESSAGE, "children"),
          Input(ids.INSIGHTS_READY, "data"))
def show_feed(ready):
    """The ranked cards of the feed on screen; while it is computed the feed says so, and a failure says why."""
    try:
        findings = ready_result(INSIGHTS_JOB, ready)
        _version, params = ready_params(ready)
    except Exception as exc:  # noqa: BLE001 — waiting says so; a known failure its message; others an error id
        if dataset_version() is None:
            return None, error_alert("No data", _NO_DATA)
        failed = failure(exc, "writing the findings")
        waiting = failed.error_id is None and isinstance(exc, LookupError) and not (ready or {}).get("failed") \
            and str(exc) == INSIGHTS_JOB.waiting
        if waiting:
            return _waiting(), None
        return None, failed.alert("No findings")
    return feed(findings, period_label(params)), None


def _waiting() -> html.P:
    return html.P(INSIGHTS_JOB.waiting, className="nf-kpi-sub", role="status")
