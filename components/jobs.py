"""The panel every background job shows: run and cancel buttons, a progress bar with a readable label, the status.

Ids derive from the page's prefix (``components.ids.job_ids``: ``forecast`` → ``forecast-ready``, …), so the job
helper in ``pages/_jobs.py`` and the page agree without repeating strings.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.ids import JobIds

__all__ = ["job_panel", "job_status", "NO_RESULT_MESSAGE"]

NO_RESULT_MESSAGE = ("The background job ended without a result (the server may have restarted or run out of "
                     "memory). Press {run} to try again; the page keeps showing the last result it had.")


def job_panel(job: JobIds, run_label: str, *extra) -> html.Div:
    """Run and cancel buttons, the progress bar and its label, the status line and the job's stores."""
    return html.Div([
        dbc.Button(run_label, id=job.run, className="nf-btn nf-btn-magenta", n_clicks=0),
        dbc.Button("Cancel", id=job.cancel, className="nf-btn", n_clicks=0, disabled=True,
                   style={"display": "none"},  # shown while a job runs
                   title="Stop the computation; the page keeps the last result"),
        html.Div([
            dbc.Progress(id=job.progress, value=0, max=100, className="nf-progress", style={"width": "14rem"}),
            html.Span(id=job.progress_text, className="nf-progress-text", **{"aria-live": "polite"}),
        ], className="nf-progress-wrap"),
        html.Span(id=job.status, className="nf-kpi-sub nf-job-status", role="status"),
        html.Div(id=job.error, role="alert"),
        *extra,
        dcc.Store(id=job.request, data=None),
        dcc.Store(id=job.ready, data=None),
        dcc.Store(id=job.done, data=None),
    ], className="d-flex align-items-center gap-2 flex-wrap nf-job-panel")


def job_status(text: str, *, updating: bool = False) -> html.Span:
    """The status line's content; ``updating`` marks a stale result shown while a newer one is computed."""
    if not updating:
        return html.Span(text)
    return html.Span([html.Span("UPDATING", className="nf-updating-badge"), html.Span(text)])
