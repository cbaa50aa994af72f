"""Layout of the Retention page: the page itself, segment cards and the churn model's card.

The at-risk grid and the customer panel are in :mod:`components.customers`; the figures in
:mod:`components.retention_figures` (cohorts, survival) and :mod:`components.churn_figures`.
"""
from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from components import ids
from components.charts import chart
from components.churn_figures import segment_colors
from components.format import MISSING, finite, format_value
from components.glossary import term
from components.ids import JobIds
from components.jobs import job_panel
from components.primitives import card, segmented, stat_tiles

__all__ = ["CUSTOMER_PROMPT", "segment_cards", "model_card", "ph_note", "retention_layout"]

CUSTOMER_PROMPT = ("Click a customer in the at-risk grid or the segments scatter to see their history, value and churn "
                   "reasons")


def _count_tile(label: str, count: int, what: str) -> tuple[str, str, str, str]:
    """A count short enough for the narrowest tile (384.2k from 100,000 on), exact on hover and, when shortened,
    also in the subtitle because touch screens have no hover."""
    exact = f"{count:,}"
    if count < 100_000:
        return label, exact, what, exact
    short = f"{count / 1e6:.2f}M" if count >= 999_950 else f"{count / 1e3:.1f}k"
    return label, short, f"{exact} {what}", exact


def _accent(color: str) -> dict:
    """Inline custom properties that give a KPI-style card the segment's colour (as in the scatter)."""
    return {"--nf-accent": color, "--nf-accent-rgb": ", ".join(str(int(color[i:i + 2], 16)) for i in (1, 3, 5))}


def segment_cards(profiles: pd.DataFrame) -> html.Div:
    """One card per segment: size and share, churn rate, value and what the segment is like."""
    if profiles.empty:
        return html.P("No segments yet: no customer has purchases to cluster.", className="nf-kpi-sub")
    colors = segment_colors(profiles["segment"])
    cards = []
    for row in profiles.itertuples(index=False):
        churn = finite(row.churn_rate)
        cards.append(html.Div([
            html.Span([html.Span(className="nf-segment-swatch", **{"aria-hidden": "true"}), str(row.segment)],
                      className="nf-kpi-label"),
            html.Div(f"{int(row.size):,} customers", className="nf-kpi-value"),
            html.Span(f"{format_value(finite(row.share), 'percent')} of customers · churn "
                      f"{format_value(churn, 'percent') if churn is not None else MISSING} · value "
                      f"{format_value(finite(row.value), 'currency')}", className="nf-kpi-sub d-block"),
            html.P(str(row.description), className="nf-segment-description"),
        ], className="nf-kpi-card nf-segment-card", style=_accent(colors[str(row.segment)])))
    return html.Div(cards, className="nf-kpi-grid nf-retention-segments")


def model_card(auc: float, brier: float, base_rate: float, n_train: int, n_test: int, horizon_days: int,
               cutoff_test: str, linear_weight: float | None = None) -> html.Div:
    """The churn model's out-of-time scores as stat tiles, with how they were measured and, given the
    model's ``linear_weight_``, what the score is made of."""
    auc, brier, base = finite(auc), finite(brier), finite(base_rate)
    baseline = f"always guessing the base rate scores {base * (1 - base):.3f}" if base is not None else "lower is better"
    tiles = [
        (term("ROC AUC", "auc"), MISSING if auc is None else f"{auc:.3f}",
         "ranking of churners above stayers; 0.5 is chance"),
        (term("Brier score", "brier"), MISSING if brier is None else f"{brier:.3f}", f"lower is better; {baseline}"),
        ("Base rate", format_value(base, "percent"), f"of test customers churned within {horizon_days} days"),
        _count_tile("Training rows", int(n_train), "customer × snapshot rows from earlier cutoffs"),
        _count_tile("Test customers", int(n_test), "customers active at the test cutoff"),
    ]
    note = (f"Out-of-time validation: the model learned from earlier snapshots and was scored on who churned in the "
            f"{horizon_days} days after {cutoff_test}, a period it never saw in training.")
    if linear_weight is not None:
        note += (f" The score blends gradient boosting ({1 - linear_weight:.0%}) with an additive spline logit "
                 f"({linear_weight:.0%}), the mix with the best out-of-fold AUC on the training rows.")
    charts = html.P(["Below: the ", term("ROC curve", "auc"), ", the ", term("calibration"), " of the probabilities and "
                     "the inputs that move the score most by mean |", term("SHAP", "shap"), "|."],
                    className="nf-kpi-sub mt-1 mb-0")
    return html.Div([stat_tiles(tiles, "nf-retention-model"), html.P(note, className="nf-kpi-sub mt-2 mb-0"), charts])


def ph_note(ph_test: pd.DataFrame, n_customers: int) -> str:
    """One sentence on the Cox model's proportional-hazards check (``CoxResult.ph_test``) for under the forest plot."""
    if ph_test.empty:
        return "The proportional-hazards check could not be run on this data."
    flagged = ph_test.loc[ph_test["violated"], "covariate"].astype(str).tolist()
    if not flagged:
        return (f"Proportional-hazards check (Schoenfeld residuals, 5% level): holds for all {len(ph_test)} "
                "covariates, so each ratio applies at every tenure.")
    return (f"Proportional-hazards check (Schoenfeld residuals, 5% level): the effect of {', '.join(flagged)} "
            f"({len(flagged)} of {len(ph_test)}) changes with tenure, so read those ratios as averages over tenure. "
            f"With {n_customers:,} customers the test notices even small drifts; hover a marker for its p-value.")


def _hint(text: str) -> html.P:
    return html.P(text, className="nf-kpi-sub mb-1")


def _actions(job: JobIds) -> html.Section:
    return html.Section(job_panel(job, "Refit models"), className="nf-card nf-retention-actions")


def _cohorts_card(metric: str = "customers") -> html.Section:
    metric = segmented(ids.RETENTION_COHORT_METRIC, [{"label": "Customers", "value": "customers"},
                                                     {"label": "Revenue", "value": "revenue"}], metric)
    label_id = ids.child_id(ids.RETENTION_COHORT_METRIC, "label")
    control = html.Div([html.Span("Retention of", id=label_id, className="nf-kpi-label me-2"),
                        html.Div(metric, role="group", **{"aria-labelledby": label_id})],
                       className="d-flex align-items-center flex-wrap mb-2")
    return card("Cohorts", control,
                html.Div(chart(ids.RETENTION_COHORT_HEATMAP, 480), id=ids.RETENTION_COHORT_2D),
                html.Div(chart(ids.RETENTION_COHORT_SURFACE, 520), id=ids.RETENTION_COHORT_3D,
                         style={"display": "none"}))


def _survival_card(km_groups: Sequence[tuple[str, str]], default_group: str) -> html.Section:
    by = dcc.Dropdown(id=ids.RETENTION_KM_BY, options=[{"label": label, "value": value} for value, label in km_groups],
                      value=default_group, clearable=False, searchable=False, style={"minWidth": "12rem"})
    control = html.Div([html.Label("Compare by", htmlFor=ids.RETENTION_KM_BY, className="nf-kpi-label me-2"), by,
                        html.Span([term("Kaplan–Meier", "kaplan_meier"), " curves with a ", term("log-rank", "log_rank"),
                                   " test; Cox ", term("hazard ratios", "hazard_ratio"), " of what drives churn."],
                                  className="nf-kpi-sub ms-md-3")],
                       className="d-flex align-items-center flex-wrap gap-2 mb-2")
    forest = [chart(ids.RETENTION_FOREST, 460), html.P(id=ids.RETENTION_PH_NOTE, className="nf-kpi-sub mb-0")]
    return card("Survival", control, dbc.Row([dbc.Col(chart(ids.RETENTION_KM, 460), lg=7), dbc.Col(forest, lg=5)],
                                             className="g-3"))


def retention_layout(km_groups: Sequence[tuple[str, str]], default_group: str,
                     job: JobIds = ids.RETENTION_JOB, *, cohort_metric: str = "customers",
                     customer_id: int | None = None) -> html.Div:
    """The Retention page: cohorts, survival, the churn model, segments, at-risk customers and one customer."""
    if default_group not in [value for value, _ in km_groups]:
        raise ValueError(f"default_group {default_group!r} is not one of the km_groups {[v for v, _ in km_groups]}")
    model = card("Churn model", html.Div(id=ids.RETENTION_MODEL_CARD), dbc.Row([
        dbc.Col(chart(ids.RETENTION_ROC, 340), lg=4), dbc.Col(chart(ids.RETENTION_CALIBRATION, 340), lg=4),
        dbc.Col(chart(ids.RETENTION_IMPORTANCE, 340), lg=4)], className="g-3 mt-1"))
    segments = card("Segments", _hint("RFM clusters: click a customer to open it (in 3D, drag to rotate)."),
                    html.Div(chart(ids.RETENTION_SEGMENTS_FLAT, 460), id=ids.RETENTION_SEGMENTS_2D),
                    html.Div(chart(ids.RETENTION_SEGMENTS, 560), id=ids.RETENTION_SEGMENTS_3D,
                             style={"display": "none"}),
                    html.Div(id=ids.RETENTION_SEGMENT_CARDS, className="mt-3"))
    customer = card("Customer", html.Div(html.P(CUSTOMER_PROMPT, className="nf-kpi-sub"),
                                         id=ids.RETENTION_CUSTOMER_PANEL), className="nf-retention-customer")
    return html.Div([
        html.H1("Retention", className="nf-page-title"),
        html.P("Who stays, who is about to leave and why, what each customer is worth, and which groups behave alike.",
               className="nf-page-subtitle"),
        _actions(job),
        dcc.Store(id=ids.RETENTION_CUSTOMER, data=customer_id),
        html.Div(id=ids.RETENTION_MESSAGE, role="alert"),
        _cohorts_card(cohort_metric),
        _survival_card(km_groups, default_group),
        model,
        segments,
        card("At-risk customers", html.Div(id=ids.RETENTION_AT_RISK_PANEL)),  # full width: every column fits
        customer,
    ], className="nf-page nf-fade-in nf-retention")
