"""Every component id used across files, defined once (kebab-case ``<page>-<element>``).

An element inside another derives its id from its parent's: :func:`child_id` for a fixed child
(``overview-today`` → ``overview-today-revenue``), :func:`pattern_id` for one of many, keyed by data
(a pattern-matching id that Dash callbacks can address with ``MATCH`` or ``ALL``).
"""
from __future__ import annotations

from dataclasses import dataclass


def child_id(parent: str, name: str) -> str:
    """The id of ``parent``'s child ``name``: ``child_id("overview-range", "start")`` is ``"overview-range-start"``."""
    return f"{parent}-{name}"


def pattern_id(kind: str, **keys) -> dict:
    """A pattern-matching id: ``{"type": kind, **keys}`` (``kind`` names the family, ``keys`` pick one member)."""
    return {"type": kind, **keys}


@dataclass(frozen=True)
class JobIds:
    """Every id of one page's job panel (components/jobs.py), derived from the page's prefix."""

    run: str  # the button that starts a fresh computation (Retrain, Refit models, Recompute KPIs)
    cancel: str
    request: str  # dcc.Store: {"version", "params", "token", "at"} of the computation asked for
    ready: str  # dcc.Store: {"version", "params", "token", "at"} of the result on screen
    done: str  # dcc.Store: what the background job finished (relayed to ``ready``; see pages/_jobs.py)
    progress: str  # the bar
    progress_text: str  # its label, beside the bar so it is readable at any fill
    status: str
    error: str  # shown when a job ends without a result


def job_ids(prefix: str, run: str) -> JobIds:
    """The job panel's ids for a page prefix; ``run`` is the page's own run-button id."""
    names = {"cancel": "cancel", "request": "job-request", "ready": "ready", "done": "job-done",
             "progress": "progress", "progress_text": "progress-text", "status": "job-status", "error": "job-error"}
    return JobIds(run=run, **{field: child_id(prefix, name) for field, name in names.items()})


# App shell
URL = "app-url"
VIEW_MODE = "app-view-mode"  # dcc.Store, local storage: "2d" | "3d"
VIEW_TOGGLE = "app-view-toggle"
VIEW_SWITCH = "app-view-switch"  # the switch and its label, hidden on pages without a 3D view
FRESHNESS = "app-freshness"
DATASET_VERSION = "app-dataset-version"  # dcc.Store: {"version", "changed_at": epoch ms, "first"}, from the push channel
VERSION_POLL = "app-version-poll"  # dcc.Interval: slow fallback polling, enabled only while the push channel is blocked
VERSION_POLL_NOW = child_id(VERSION_POLL, "now")  # dcc.Store: assets/push.js asks for one poll right away
HEADER_USER = "app-user"  # the header's account area: name, role and the Logout form
NAV = "app-nav"
URL_STATE = "app-url-state"  # dcc.Store: the query string the current page last pushed
URL_POPSTATE = "app-url-popstate"  # dcc.Store: {"path", "search", "at"} set by assets/url-state.js on Back/Forward
FLAT_PAGES = "app-flat-pages"  # dcc.Store: the paths of pages without a 3D view


def chart_csv(graph_id: str) -> dict:
    """Pattern-matching id of the CSV button under the chart ``graph_id`` (components.charts.chart)."""
    return pattern_id("chart-csv", graph=graph_id)


def chart_csv_download(graph_id: str) -> dict:
    """Pattern-matching id of the dcc.Download that receives the chart's CSV."""
    return pattern_id("chart-csv-download", graph=graph_id)


# Overview
OVERVIEW_WINDOW = "overview-window"
OVERVIEW_FILTERS = "overview-filters"  # dcc.Store: {"region": ..., "category": ..., "channel": ...}
OVERVIEW_FILTER_BAR = "overview-filter-bar"
OVERVIEW_KPIS = "overview-kpis"
OVERVIEW_KPI_PREFIX = "overview-kpi"  # cards are overview-kpi-<kpi>, e.g. overview-kpi-churn-rate
OVERVIEW_TREND = "overview-trend"
OVERVIEW_BREAKDOWN_2D = "overview-breakdown-2d"
OVERVIEW_BREAKDOWN_3D = "overview-breakdown-3d"
OVERVIEW_MATRIX_3D = "overview-matrix-3d"
OVERVIEW_RECOMPUTE = "overview-recompute"
OVERVIEW_JOB = job_ids("overview", OVERVIEW_RECOMPUTE)
OVERVIEW_PROGRESS = OVERVIEW_JOB.progress
OVERVIEW_JOB_STATUS = OVERVIEW_JOB.status
OVERVIEW_READY = OVERVIEW_JOB.ready  # {"version", "params": {"through"}, ...} of the KPI model on screen
OVERVIEW_TREND_META = "overview-trend-meta"  # dcc.Store: last date and length of the drawn trend
OVERVIEW_LIVE_NOTE = "overview-live-note"
OVERVIEW_MESSAGE = "overview-message"
OVERVIEW_RANGE = "overview-range"  # dcc.DatePickerRange: a custom period instead of the 7/30/90-day presets
OVERVIEW_PERIOD = "overview-period"  # dcc.Store: {"window": 30} or {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}
OVERVIEW_TODAY = "overview-today"  # the partial day's figures ("today so far"), apart from the KPI windows
OVERVIEW_COMPLETE_NOTE = "overview-complete-note"  # which day the KPIs run through, and why


def overview_breakdown(dimension: str) -> str:
    """Id of the breakdown chart for one dimension (region, category, channel)."""
    return child_id("overview-breakdown", dimension)


def overview_drill(dimension: str) -> str:
    """Id of the keyboard-reachable drill-down dropdown for one dimension."""
    return child_id("overview-drill", dimension)


def overview_filter_chip(dimension: str) -> dict:
    """Pattern-matching id of the removable chip for one active filter."""
    return pattern_id("overview-filter-chip", dimension=dimension)


# Forecast
FORECAST_METRIC = "forecast-metric"  # radio: "revenue" | "units"
FORECAST_HORIZON = "forecast-horizon"  # dropdown: days ahead
FORECAST_LEVELS = "forecast-levels"  # checklist: interval levels shown, e.g. [80, 95]
FORECAST_NODE = "forecast-node"  # dcc.Store: the selected hierarchy node id ("total", "EMEA", "EMEA/Home")
FORECAST_BREADCRUMB = "forecast-breadcrumb"
FORECAST_MAIN = "forecast-main"  # the history + forecast chart (2D)
FORECAST_MAIN_2D = "forecast-main-2d"  # wrapper shown in 2D mode
FORECAST_MAIN_3D = "forecast-main-3d"  # wrapper shown in 3D mode
FORECAST_RIBBONS = "forecast-ribbons"  # the 3D sibling ribbons
FORECAST_CHILDREN = "forecast-children"  # bar chart of the node's children; a click drills down
FORECAST_SUMMARY = "forecast-summary"
FORECAST_BACKTEST = "forecast-backtest"  # dash-ag-grid of per-model backtest scores and weights
FORECAST_EFFECTS = "forecast-effects"
FORECAST_RETRAIN = "forecast-retrain"
FORECAST_JOB = job_ids("forecast", FORECAST_RETRAIN)
FORECAST_READY = FORECAST_JOB.ready  # {"version", "params": {"metric", "h", "through"}, ...} on screen
FORECAST_PROGRESS = FORECAST_JOB.progress
FORECAST_JOB_STATUS = FORECAST_JOB.status
FORECAST_DOWNLOAD_BTN = "forecast-download-btn"
FORECAST_DOWNLOAD = "forecast-download"
FORECAST_MESSAGE = "forecast-message"
FORECAST_BACKTEST_PANEL = "forecast-backtest-panel"  # container the page fills with backtest_table(...)
FORECAST_DRILL = "forecast-drill"  # keyboard-reachable buttons for the node's children, next to the bars
FORECAST_UNCERTAINTY = "forecast-uncertainty"  # the node's uncertainty in a sentence, under the chart
FORECAST_DRIVERS = "forecast-drivers"  # the drivers panel: why the forecast is what it is
FORECAST_IMPORTANCE = child_id(FORECAST_DRIVERS, "importance")  # bar chart: each driver's mean effect
FORECAST_DAY = child_id(FORECAST_DRIVERS, "day")  # dropdown: the forecast day explained (ISO date)
FORECAST_DAY_DRIVERS = child_id(FORECAST_DRIVERS, "day-chart")  # bar chart: the day's drivers as shares
FORECAST_DAY_TEXT = child_id(FORECAST_DRIVERS, "day-text")  # the day's drivers in a sentence
FORECAST_EXPLAIN = child_id(FORECAST_DRIVERS, "explain")  # the explanation job's run button
FORECAST_EXPLAIN_JOB = job_ids(FORECAST_DRIVERS, FORECAST_EXPLAIN)
FORECAST_DRIVERS_BODY = child_id(FORECAST_DRIVERS, "body")  # the Explain button, then the drivers (drivers_body)
FORECAST_DRIVERS_SHOWN = child_id(FORECAST_DRIVERS, "shown")  # dcc.Store: whether the drivers are drawn
FORECAST_EXPLAIN_SHOW = child_id(FORECAST_DRIVERS, "show")  # "Explain this forecast": draws the drivers, starts the job
FORECAST_MEMBER = child_id(FORECAST_DRIVERS, "member")  # dropdown: the statistical member taken apart
FORECAST_COMPONENTS = child_id(FORECAST_DRIVERS, "components")  # its level, trend, seasons and calendar ahead
FORECAST_TAB = "forecast-tab"  # dbc.Tabs: "demand" (the hierarchy's forecast) | "customers" (customer-driven)
FORECAST_DEMAND_BODY = "forecast-demand-body"  # everything of the demand tab (hidden on the customers tab)
FORECAST_CUSTOMERS_BODY = "forecast-customers-body"  # the customers tab, drawn when it is first opened
FORECAST_CUSTOMERS = "forecast-customers"  # the customer-driven forecast's card
FORECAST_CUSTOMERS_REFIT = child_id(FORECAST_CUSTOMERS, "refit")  # its job's run button
FORECAST_CUSTOMERS_JOB = job_ids(FORECAST_CUSTOMERS, FORECAST_CUSTOMERS_REFIT)
FORECAST_CUSTOMERS_SUMMARY = child_id(FORECAST_CUSTOMERS, "summary")  # tiles: demand, customers, combined totals
FORECAST_CUSTOMERS_CHART = child_id(FORECAST_CUSTOMERS, "chart")  # both forecasts, both intervals, the combined
FORECAST_CUSTOMERS_GAP = child_id(FORECAST_CUSTOMERS, "gap")  # the gap explained by existing vs new customers
FORECAST_CUSTOMERS_BACKTEST = child_id(FORECAST_CUSTOMERS, "backtest")  # grid: demand, customers, combined
FORECAST_CUSTOMERS_BACKTEST_PANEL = child_id(FORECAST_CUSTOMERS, "backtest-panel")
FORECAST_WHATIF = "forecast-whatif"  # the what-if card
FORECAST_WHATIF_GROUP = child_id(FORECAST_WHATIF, "group")  # dropdown: whose churn changes ("all", "region=APAC")
FORECAST_WHATIF_CHURN = child_id(FORECAST_WHATIF, "churn")  # slider: churn multiplier in percent (100 = as is)
FORECAST_WHATIF_NEW = child_id(FORECAST_WHATIF, "new")  # slider: new-customer volume in percent
FORECAST_WHATIF_AOV = child_id(FORECAST_WHATIF, "aov")  # slider: average order value in percent
FORECAST_WHATIF_RESET = child_id(FORECAST_WHATIF, "reset")
FORECAST_WHATIF_RESULT = child_id(FORECAST_WHATIF, "result")  # tiles and the sentence of the change
FORECAST_WHATIF_CHART = child_id(FORECAST_WHATIF, "chart")  # cumulative revenue, as forecast and in the scenario


def forecast_drill(node: str) -> dict:
    """Pattern-matching id of the drill-down button into ``node`` (same effect as clicking its bar)."""
    return pattern_id(FORECAST_DRILL, node=node)


def forecast_crumb(node: str) -> dict:
    """Pattern-matching id of the breadcrumb button that returns to ``node``."""
    return pattern_id("forecast-crumb", node=node)


# Data
DATA_ENTITY = "data-entity"
DATA_UPLOAD = "data-upload"
DATA_UPLOAD_TOKEN = "data-upload-token"  # dcc.Store: {"token": ..., "filename": ...}
DATA_UPLOAD_STATUS = "data-upload-status"
DATA_PREVIEW = "data-preview"
DATA_MAPPING = "data-mapping"
DATA_MAPPING_COLUMNS = "data-mapping-columns"  # dcc.Store: canonical columns of the mapping inputs, in order
DATA_DECIMAL = "data-decimal"
DATA_INGEST = "data-ingest"
DATA_INGEST_SUMMARY = "data-ingest-summary"
DATA_REFRESH = "data-refresh"  # dcc.Store bumped after an ingest or a re-submit
DATA_SOURCES = "data-sources"
DATA_SOURCES_GRID = "data-sources-grid"
DATA_DETAIL = "data-detail"
DATA_SOURCE = "data-source"  # dcc.Store: {"source", "entity"} of the source drilled into (also in the URL)
DATA_CHECKS_CHART = "data-checks-chart"
DATA_QUARANTINE = "data-quarantine"
DATA_CONFLICTS = "data-conflicts"
DATA_QUARANTINE_DOWNLOAD = "data-quarantine-download"
DATA_QUARANTINE_DOWNLOAD_BTN = "data-quarantine-download-btn"
DATA_RESUBMIT = "data-resubmit"
DATA_RESUBMIT_SUMMARY = "data-resubmit-summary"


def data_mapping_source(column: str) -> dict:
    """Pattern-matching id of the dropdown choosing the source column for ``column``."""
    return pattern_id(child_id(DATA_MAPPING, "source"), column=column)


def data_mapping_format(column: str) -> dict:
    """Pattern-matching id of the date-format input for ``column``."""
    return pattern_id(child_id(DATA_MAPPING, "format"), column=column)


# Retention
RETENTION_MESSAGE = "retention-message"
RETENTION_REFIT = "retention-refit"
RETENTION_JOB = job_ids("retention", RETENTION_REFIT)
RETENTION_PROGRESS = RETENTION_JOB.progress
RETENTION_JOB_STATUS = RETENTION_JOB.status
RETENTION_READY = RETENTION_JOB.ready  # {"version", "params", ...} of the fitted models on screen
RETENTION_CUSTOMER = "retention-customer"  # dcc.Store: the selected customer id
RETENTION_COHORT_METRIC = "retention-cohort-metric"  # radio: "customers" | "revenue"
RETENTION_COHORT_2D = "retention-cohort-2d"  # wrapper shown in 2D mode
RETENTION_COHORT_HEATMAP = "retention-cohort-heatmap"
RETENTION_COHORT_3D = "retention-cohort-3d"  # wrapper shown in 3D mode
RETENTION_COHORT_SURFACE = "retention-cohort-surface"
RETENTION_KM_BY = "retention-km-by"  # dropdown: grouping of the Kaplan–Meier curves
RETENTION_KM = "retention-km"
RETENTION_FOREST = "retention-forest"  # Cox hazard ratios
RETENTION_PH_NOTE = "retention-ph-note"  # what the proportional-hazards check says, under the forest plot
RETENTION_MODEL_CARD = "retention-model-card"
RETENTION_ROC = "retention-roc"
RETENTION_CALIBRATION = "retention-calibration"
RETENTION_IMPORTANCE = "retention-importance"
RETENTION_SEGMENTS = "retention-segments"  # 3D RFM scatter; customdata is the customer id
RETENTION_SEGMENTS_2D = "retention-segments-2d"  # wrapper shown in 2D mode
RETENTION_SEGMENTS_FLAT = "retention-segments-flat"  # 2D RFM scatter; customdata is the customer id
RETENTION_SEGMENTS_3D = "retention-segments-3d"  # wrapper shown in 3D mode
RETENTION_SEGMENT_CARDS = "retention-segment-cards"
RETENTION_AT_RISK_PANEL = "retention-at-risk-panel"  # container the page fills with at_risk_table(...)
RETENTION_AT_RISK = "retention-at-risk"  # dash-ag-grid of the customers most likely to churn
RETENTION_EXPORT_BTN = "retention-export-btn"  # exports the rows RETENTION_AT_RISK shows (raw numbers)
RETENTION_AT_RISK_DOWNLOAD = "retention-at-risk-download"  # dcc.Download of the at-risk CSV
RETENTION_CUSTOMER_PANEL = "retention-customer-panel"
RETENTION_CUSTOMER_HISTORY = "retention-customer-history"  # the selected customer's orders over time

# Admin page (pages/admin.py): one id per section; components/admin.py derives each element's id with child_id
ADMIN = "admin"
ADMIN_USERS = "admin-users"
ADMIN_TOKENS = "admin-tokens"
ADMIN_EMBEDS = "admin-embeds"
ADMIN_AUDIT = "admin-audit"
ADMIN_REFRESH = "admin-refresh"  # dcc.Store bumped after every change, so the lists read the store again

# Chat panel, docked on every page (components/chat.py, pages/_chat.py, assets/chat.js)
CHAT = "chat"  # the panel (an aside), hidden for embed links and users without the chat permission
CHAT_LAUNCHER = child_id(CHAT, "launcher")  # the header's button that opens the panel
CHAT_CLOSE = child_id(CHAT, "close")
CHAT_CLEAR = child_id(CHAT, "clear")
CHAT_MODEL = child_id(CHAT, "model")  # the header chip: is the language model running
CHAT_MESSAGES = child_id(CHAT, "messages")  # the rendered conversation (role=log)
CHAT_PENDING = child_id(CHAT, "pending")  # assets/chat.js: the question in flight and its streamed tokens
CHAT_STATUS = child_id(CHAT, "status")  # assets/chat.js: errors and the microphone's state
CHAT_SUGGESTIONS = child_id(CHAT, "suggestions")  # questions that fit the page on screen
CHAT_FORM = child_id(CHAT, "form")
CHAT_INPUT = child_id(CHAT, "input")
CHAT_MIC = child_id(CHAT, "mic")
CHAT_SEND = child_id(CHAT, "send")
CHAT_HISTORY = child_id(CHAT, "history")  # dcc.Store, session storage: {"conversation": id, "turns": [answers]}
CHAT_ANSWER = child_id(CHAT, "answer")  # dcc.Store: {"answer": API answer JSON, "at": ms}, set by assets/chat.js
CHAT_OPEN = child_id(CHAT, "open")  # dcc.Store, session storage: whether the panel is open
CHAT_LOCATION = child_id(CHAT, "location")  # dcc.Location: an answer that navigates moves the page with it

# Insights page (pages/insights.py, components/insights.py): the feed and the alert rules
INSIGHTS_WINDOW = "insights-window"  # segmented: the 7/30/90-day presets
INSIGHTS_RANGE = "insights-range"  # dcc.DatePickerRange: a custom period instead of the presets
INSIGHTS_PERIOD = "insights-period"  # dcc.Store: {"window": 30} or {"start": ISO, "end": ISO}
INSIGHTS_REFRESH = "insights-refresh"
INSIGHTS_JOB = job_ids("insights", INSIGHTS_REFRESH)
INSIGHTS_READY = INSIGHTS_JOB.ready  # {"version", "params": {"period_days", "end", ...}, ...} of the feed on screen
INSIGHTS_TABS = "insights-tabs"  # dbc.Tabs: "findings" | "rules"
INSIGHTS_FEED = "insights-feed"  # the ranked cards
INSIGHTS_MESSAGE = "insights-message"
INSIGHTS_RULES = "insights-rules"  # the alert rules section
INSIGHTS_RULE_FORM = child_id(INSIGHTS_RULES, "form")  # the form (hidden for users without the alerts permission)
INSIGHTS_RULE_NOTICE = child_id(INSIGHTS_RULES, "notice")  # what a viewer sees instead of the form
INSIGHTS_RULE_CREATE = child_id(INSIGHTS_RULES, "create")  # the form's submit button
INSIGHTS_RULE_STATUS = child_id(INSIGHTS_RULES, "status")  # what happened to the last change (role=status)
INSIGHTS_RULE_SAVED = child_id(INSIGHTS_RULES, "saved")  # dcc.Store written only by the create callback
INSIGHTS_RULE_CHANGED = child_id(INSIGHTS_RULES, "changed")  # dcc.Store written only by enable/disable/delete
INSIGHTS_RULE_LIST = child_id(INSIGHTS_RULES, "list")
RULE_FIELDS = ("name", "kind", "metric", "scope_dimension", "scope_member", "operator", "threshold", "min_score",
               "window_days", "webhook_url", "emails")


def insights_rule_field(name: str) -> str:
    """Id of one input of the alert-rule form (``RULE_FIELDS``)."""
    return child_id(INSIGHTS_RULE_FORM, name.replace("_", "-"))


def insights_rule_error(name: str) -> str:
    """Id of the message under one input of the alert-rule form."""
    return child_id(insights_rule_field(name), "error")


def insights_rule_action(action: str, rule_id: int) -> dict:
    """Pattern-matching id of a rule's enable/disable/delete button (``action``: toggle, delete)."""
    return pattern_id(child_id(INSIGHTS_RULE_LIST, "action"), action=action, rule=rule_id)


# The alert centre in the header (components/alerts.py, pages/_alerts.py)
ALERTS = "app-alerts"
ALERTS_BELL = child_id(ALERTS, "bell")  # the button with the unread count; opens the panel
ALERTS_COUNT = child_id(ALERTS, "count")  # the badge on the bell
ALERTS_PANEL = child_id(ALERTS, "panel")  # the dropdown listing recent alerts
ALERTS_LIST = child_id(ALERTS, "list")
ALERTS_ACTED = child_id(ALERTS, "acted")  # dcc.Store written only by acknowledge/snooze: {"id", "state", "at"}
ALERTS_STATUS = child_id(ALERTS, "status")


def alerts_action(action: str, event_id: int) -> dict:
    """Pattern-matching id of an alert's button in the panel (``action``: ack, snooze-1h, snooze-1d)."""
    return pattern_id(child_id(ALERTS, "action"), action=action, alert=event_id)


# Health page (pages/health.py, pages/_health_*.py, components/health.py, assets/54-health.css)
HEALTH = "health"  # the page's root; assets/push.js writes HEALTH_LIVE only while it is on screen
HEALTH_LIVE = child_id(HEALTH, "live")  # dcc.Store: the latest snapshot (core/health/_push.py), from the channel
HEALTH_POLL = child_id(HEALTH, "poll")  # dcc.Interval: fallback polling, enabled only while the channel is blocked
HEALTH_MAP = child_id(HEALTH, "map")  # the service map (a network figure; a click drills into a component)
HEALTH_STATUSES = child_id(HEALTH, "statuses")  # the same statuses as text chips (readable without the figure)
HEALTH_AS_OF = child_id(HEALTH, "as-of")  # when the values on screen were measured
HEALTH_GAUGES = child_id(HEALTH, "gauges")
HEALTH_INCIDENTS = child_id(HEALTH, "incidents")  # the open incidents
HEALTH_TIMELINE = child_id(HEALTH, "timeline")  # the resolved ones, newest first
HEALTH_COMPONENT = child_id(HEALTH, "component")  # dropdown: the component drilled into (?component=store)
HEALTH_DETAIL = child_id(HEALTH, "detail")  # the drill-down: metrics with scores, predictions, maintenance
HEALTH_CAPACITY = child_id(HEALTH, "capacity")
HEALTH_CALENDAR = child_id(HEALTH, "calendar")  # the maintenance calendar, next 7 days
HEALTH_RUNBOOKS = child_id(HEALTH, "runbooks")  # the catalogue with each runbook's mode
HEALTH_ACTIONS = child_id(HEALTH, "actions")  # pending runbook actions with their dry-run plan, and recent ones
HEALTH_MESSAGE = child_id(HEALTH, "message")  # what the last admin change did, or why it was refused
HEALTH_REFRESH = child_id(HEALTH, "refresh")  # dcc.Store bumped after every change, so the lists read again
HEALTH_OPEN_COUNT = child_id(HEALTH, "open-count")  # dcc.Store: open incidents, set only when the count changes


def health_sparkline(gauge: str) -> str:
    """Id of one gauge's history sparkline (``gauge`` as ``component-metric``, e.g. ``host-cpu-percent``)."""
    return child_id(HEALTH_GAUGES, gauge.replace(".", "-").replace("_", "-"))


def health_gauge_value(gauge: str) -> str:
    """Id of one gauge's value (``gauge`` as ``component.metric``)."""
    return child_id(health_sparkline(gauge), "value")


def health_metric_chart(component: str, metric: str) -> str:
    """Id of one metric's chart in the drill-down."""
    return child_id(HEALTH_DETAIL, f"{component}-{metric}".replace("_", "-"))


def health_action_decision(decision: str, action_id: int) -> dict:
    """Pattern-matching id of a pending action's button (``decision``: approve, reject)."""
    return pattern_id(child_id(HEALTH_ACTIONS, "decide"), decision=decision, action=action_id)


def health_runbook_mode(runbook: str) -> dict:
    """Pattern-matching id of a runbook's mode switch (auto / approval)."""
    return pattern_id(child_id(HEALTH_RUNBOOKS, "mode"), runbook=runbook)


def health_task_action(action: str, task_id: int) -> dict:
    """Pattern-matching id of a maintenance task's button (``action``: approve, move, run)."""
    return pattern_id(child_id(HEALTH_CALENDAR, "act"), action=action, task=task_id)


def health_task_when(task_id: int) -> dict:
    """Pattern-matching id of a maintenance task's new-time input (read by its move button)."""
    return pattern_id(child_id(HEALTH_CALENDAR, "when"), task=task_id)
