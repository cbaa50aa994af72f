"""Retention: who is leaving, why, what each customer is worth, and which groups behave alike."""
from __future__ import annotations

import dash
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, no_update

from analytics.retention import KM_GROUPS, load_retention_analyzer, segment_points
from components import ids
from components.churn_figures import calibration_figure, importance_figure, roc_figure, segments_map, segments_scatter
from components.customers import AT_RISK_CSV, at_risk_export, at_risk_table, customer_panel
from components.layout import SHOW_FOR_VIEW_MODE
from components.messages import error_alert
from components.primitives import empty_figure
from components.retention import model_card, ph_note, retention_layout, segment_cards
from components.retention_figures import cohort_heatmap, cohort_surface, forest_plot, km_figure
from data.csv_safe import safe_csv
from pages._errors import failure
from core.auth import Permission, audit, audit_request, protect_callback
from pages._jobs import Job, hide_unless, no_data, ready_result, register_job
from pages._url_state import Param, choice, positive_int, read_query, register_url_state

dash.register_page(__name__, path="/retention", name="Retention", order=2, title="Retention · Neon Foresight")

DEFAULT_GROUP = "segment"
AT_RISK_ROWS = 200
SCATTER_POINTS = 3000

URL_PARAMS = (
    Param("by", ids.RETENTION_KM_BY, "value", DEFAULT_GROUP, choice(*KM_GROUPS)),
    Param("cohorts", ids.RETENTION_COHORT_METRIC, "value", "customers", choice("customers", "revenue")),
    Param("customer", ids.RETENTION_CUSTOMER, "data", None, positive_int),
)


def layout(**query):
    """The Retention layout, starting from the state in the URL (invalid values fall back to the defaults)."""
    state = read_query(URL_PARAMS, query)
    page = retention_layout(list(KM_GROUPS.items()), state["by"], RETENTION_JOB.ids, cohort_metric=state["cohorts"],
                            customer_id=state["customer"])
    return hide_unless(Permission.RETRAIN, [RETENTION_JOB.ids.run], page)


RETENTION_JOB = Job(ids=ids.RETENTION_JOB, compute=load_retention_analyzer, describe=lambda params: "Retention models",
                    no_data=no_data("customers or orders"), run_label="Refit models",
                    waiting="Fitting the retention models…")
register_job(RETENTION_JOB)
protect_callback([ids.RETENTION_AT_RISK_DOWNLOAD], Permission.EXPORT)
register_url_state("retention", "/retention", URL_PARAMS)


@callback(Output(ids.RETENTION_COHORT_HEATMAP, "figure"), Output(ids.RETENTION_COHORT_SURFACE, "figure"),
          Output(ids.RETENTION_MESSAGE, "children"),
          Input(ids.RETENTION_READY, "data"), Input(ids.RETENTION_COHORT_METRIC, "value"),
          Input(ids.VIEW_MODE, "data"))
def update_cohorts(ready, metric, view_mode):
    """The cohort heatmap (2D) or surface (3D) for customers or revenue."""
    try:
        cohorts = ready_result(RETENTION_JOB, ready).cohorts_
    except Exception as exc:  # noqa: BLE001 — no models yet says so; anything unexpected gets an error id
        failed = failure(exc, "drawing the cohorts")
        empty = empty_figure(failed.short)
        return empty, empty, failed.alert("No models") if ready else None
    metric = metric if metric in ("customers", "revenue") else "customers"
    table = cohorts.customers if metric == "customers" else cohorts.revenue
    # Short enough for a phone's width: the axes say the rest (signup cohort, months since signup).
    title = "Share of each cohort buying" if metric == "customers" else "Cohort revenue vs its first month"
    if view_mode == "3d":
        return no_update, cohort_surface(table, title, metric), None
    return cohort_heatmap(table, title, metric), no_update, None


@callback(Output(ids.RETENTION_KM, "figure"), Output(ids.RETENTION_FOREST, "figure"),
          Output(ids.RETENTION_PH_NOTE, "children"),
          Input(ids.RETENTION_READY, "data"), Input(ids.RETENTION_KM_BY, "value"))
def update_survival(ready, by):
    """Kaplan–Meier curves for the chosen grouping, and the Cox model's hazard ratios with its PH check."""
    try:
        analyzer = ready_result(RETENTION_JOB, ready)
        km = analyzer.kaplan_meier(by if by in KM_GROUPS else DEFAULT_GROUP)
    except Exception as exc:  # noqa: BLE001 — no models yet says so; anything unexpected gets an error id
        empty = empty_figure(failure(exc, "drawing the survival curves").short)
        return empty, empty, ""
    note = f"log-rank p = {km.logrank['p_value']:.3g}" if km.logrank is not None else ""
    label = KM_GROUPS.get(by, KM_GROUPS[DEFAULT_GROUP]).lower()
    return (km_figure(km.curves, f"Customers still active, by {label}", note),
            forest_plot(analyzer.cox_.hazard_ratios, "What drives churn: Cox hazard ratios (95% CI)",
                        analyzer.cox_.ph_test),
            ph_note(analyzer.cox_.ph_test, analyzer.cox_.n))


@callback(
    Output(ids.RETENTION_MODEL_CARD, "children"), Output(ids.RETENTION_ROC, "figure"),
    Output(ids.RETENTION_CALIBRATION, "figure"), Output(ids.RETENTION_IMPORTANCE, "figure"),
    Output(ids.RETENTION_SEGMENT_CARDS, "children"), Output(ids.RETENTION_AT_RISK_PANEL, "children"),
    Input(ids.RETENTION_READY, "data"),
)
def update_models(ready):
    """The churn model card, the segment cards, and the at-risk grid."""
    try:
        analyzer = ready_result(RETENTION_JOB, ready)
    except Exception as exc:  # noqa: BLE001 — while fitting, the charts say so; anything unexpected gets an error id
        empty = empty_figure(failure(exc, "drawing the churn model").short)
        return None, empty, empty, empty, None, None
    churn, segments = analyzer.churn_, analyzer.segments_
    return (
        model_card(churn.auc, churn.brier, churn.base_rate, churn.n_train, churn.n_test, churn.horizon_days,
                   f"{churn.cutoff_test:%Y-%m-%d}", churn.model.linear_weight_),
        roc_figure(churn.roc, churn.auc),
        calibration_figure(churn.calibration),
        importance_figure(churn.importance),
        segment_cards(segments.profiles),
        hide_unless(Permission.EXPORT, [ids.RETENTION_EXPORT_BTN],
                    at_risk_table(analyzer.top_at_risk(AT_RISK_ROWS), churn.base_rate, churn.horizon_days)),
    )


@callback(Output(ids.RETENTION_SEGMENTS_FLAT, "figure"), Output(ids.RETENTION_SEGMENTS, "figure"),
          Input(ids.RETENTION_READY, "data"), Input(ids.VIEW_MODE, "data"))
def update_segments(ready, view_mode):
    """The RFM segments as a 2D scatter, or in 3D mode a rotatable 3D scatter (only the one shown is drawn)."""
    try:
        analyzer = ready_result(RETENTION_JOB, ready)
    except Exception as exc:  # noqa: BLE001 — while fitting, the charts say so; anything unexpected gets an error id
        empty = empty_figure(failure(exc, "drawing the segments").short)
        return empty, empty
    segments = analyzer.segments_
    points = segment_points(analyzer.rfm_, segments, SCATTER_POINTS)
    title = f"RFM segments ({segments.k} clusters)"
    if view_mode == "3d":
        return no_update, segments_scatter(points, title)
    return segments_map(points, title), no_update


@callback(Output(ids.RETENTION_CUSTOMER, "data"), Input(ids.RETENTION_SEGMENTS, "clickData"),
          Input(ids.RETENTION_SEGMENTS_FLAT, "clickData"), Input(ids.RETENTION_AT_RISK, "selectedRows"),
          prevent_initial_call=True)
def select_customer(click, flat_click, selected):
    """A point in the 2D or 3D segments scatter or a row of the at-risk grid opens that customer."""
    if ctx.triggered_id in (ids.RETENTION_SEGMENTS, ids.RETENTION_SEGMENTS_FLAT):
        click = click if ctx.triggered_id == ids.RETENTION_SEGMENTS else flat_click
        points = (click or {}).get("points") or [{}]
        customer = points[0].get("customdata")
    else:
        customer = (selected or [{}])[0].get("customer_id")
    return no_update if customer is None else customer


@callback(Output(ids.RETENTION_CUSTOMER_PANEL, "children"), Input(ids.RETENTION_CUSTOMER, "data"),
          Input(ids.RETENTION_READY, "data"))
def show_customer(customer_id, ready):
    """The customer's purchase history, value, P(alive) and churn reasons (also for a customer in the URL)."""
    if customer_id is None or not ready:  # nobody picked yet, or the models are still being fitted
        return no_update
    try:
        number = int(customer_id)
    except (TypeError, ValueError):
        return error_alert("Cannot open this customer", f"{str(customer_id)[:40]!r} is not a customer id; pick a "
                                                        "customer in the segments chart or the at-risk list")
    try:
        profile = ready_result(RETENTION_JOB, ready).customer(number)
    except Exception as exc:  # noqa: BLE001 — an unknown customer says so; anything unexpected gets an error id
        return failure(exc, "opening this customer").alert("Cannot open this customer")
    return customer_panel(profile.info, profile.history, profile.reasons)


@callback(Output(ids.RETENTION_AT_RISK_DOWNLOAD, "data"), Input(ids.RETENTION_EXPORT_BTN, "n_clicks"),
          State(ids.RETENTION_AT_RISK, "virtualRowData"), prevent_initial_call=True)
def export_at_risk(n_clicks, rows):
    """The rows the at-risk grid shows (its filters and sort) as CSV with raw numbers."""
    if not n_clicks:
        return no_update
    audit_request(audit.EXPORT, target=AT_RISK_CSV)
    return dcc.send_string(safe_csv(at_risk_export(rows)), AT_RISK_CSV)  # formula-like text neutralised


clientside_callback(
    SHOW_FOR_VIEW_MODE,
    Output(ids.RETENTION_COHORT_2D, "style"),
    Output(ids.RETENTION_COHORT_3D, "style"),
    Input(ids.VIEW_MODE, "data"),
)
clientside_callback(
    SHOW_FOR_VIEW_MODE,
    Output(ids.RETENTION_SEGMENTS_2D, "style"),
    Output(ids.RETENTION_SEGMENTS_3D, "style"),
    Input(ids.VIEW_MODE, "data"),
)
