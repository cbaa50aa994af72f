"""Write endpoints: ingest a file, start a retrain, follow and cancel jobs. Every write is audited."""
from __future__ import annotations

from flask import current_app
from spectree import Response

from analytics.forecasting import METRICS, store_demand_forecast
from analytics.kpis import load_kpi_model
from analytics.retention import load_retention_analyzer
from core.api import jobs
from core.api import models as m
from core.api.access import Permission, audit, needs, principal_label, require
from core.api.base import API_PREFIX, ApiError, api, api_spec, settings
from core.api.reads import ERRORS
from core.api.store import check_capacity, current, engine
from core.auth import audit as actions
from core.auth.limits import retry_after, upload_refusal
from core.cache import compute_shared
from data.ingest import ENTITIES, ingest

WRITE = ("write",)
_JOB_ERRORS = {**ERRORS, "HTTP_404": m.Problem}


@api.post("/ingest/<entity>")
@needs(Permission.UPLOAD)
@api_spec.validate(form=m.IngestForm, resp=Response(HTTP_200=m.IngestSummary, HTTP_404=m.Problem, HTTP_413=m.Problem,
                                                    HTTP_422=m.Problem, **ERRORS), tags=WRITE,
                   path_parameter_descriptions={"entity": f"one of {', '.join(ENTITIES)}"})
def ingest_file(entity: str, form: m.IngestForm):
    """Validate and ingest one file as ``entity``, exactly as ``python -m data ingest ENTITY FILE --json`` does
    (same checks, limits, quarantine and conflict rules); the answer is that command's JSON summary.

    A file that cannot be used is 422 with the reason, and nothing is written; rows that fail validation are
    quarantined (``status`` partial).
    """
    if entity not in ENTITIES:
        raise ApiError(404, f"unknown entity {entity!r}; choose one of {list(ENTITIES)}", slug="unknown-entity")
    upload = form.file
    filename = (getattr(upload, "filename", None) or f"{entity}.csv")[:200]
    refused = upload_refusal()  # FORESIGHT_UPLOAD_RATE, per user, shared with the Data page
    if refused:
        raise ApiError(429, refused, slug="rate-limited", headers={"Retry-After": str(retry_after()[0])})
    config = settings()
    content = upload.read(config.ingest_limits.max_bytes + 1) if hasattr(upload, "read") else bytes(upload)
    result = ingest(engine(), entity, content, filename=filename, limits=config.ingest_limits,
                    source_priority=config.source_priority, rules=config.validation_rules)
    summary = {**result.summary(), "status": result.status, "run_id": result.run_id,
               "dataset_version": result.dataset_version, "entity": entity, "filename": filename}
    audit(actions.INGEST, target=f"{entity}:{filename}", outcome="failed" if result.rejected_reason else "ok",
          detail=summary)
    if result.rejected_reason is not None:
        raise ApiError(422, result.rejected_reason, slug="ingest-rejected", summary=summary)
    return summary


def _retrain_job(body: m.RetrainBody):
    """What a retrain recomputes: the loader and its cache parameters (the pages' keys)."""
    state = current()
    if body.target == "forecast":
        params = {"metric": body.metric, "h": body.h, "through": state.through,
                  "countries": settings().holiday_countries}
        return store_demand_forecast, params, f"{METRICS[body.metric]} forecast, {body.h} days ahead", state
    if body.target == "retention":
        return load_retention_analyzer, {}, "retention models", state
    return load_kpi_model, {"through": state.through}, "KPIs", state


@api.post("/retrain")
@needs(Permission.RETRAIN)
@api_spec.validate(json=m.RetrainBody, resp=Response(HTTP_202=m.Job, **ERRORS), tags=WRITE)
def retrain(json: m.RetrainBody):
    """Recompute the forecast, the retention models or the KPIs for the current dataset version in the background;
    the answer is the job (follow it at ``Location``)."""
    loader, params, what, state = _retrain_job(json)
    check_capacity("retrain", f"cannot start recomputing the {what}")
    store_engine = engine()

    def run(report) -> dict:
        _value, how = compute_shared(loader, state.version, store_engine, report=report, refresh=True, **params)
        return {"computed": what, "dataset_version": state.version, "how": how}

    job_id = jobs.start("retrain", run, params={"target": json.target, **params, "version": state.version},
                        actor=principal_label(), app=current_app._get_current_object())
    audit(actions.RETRAIN, target=what, detail={"job": job_id, "dataset_version": state.version})
    return jobs.status(job_id), 202, {"Location": f"{API_PREFIX}/jobs/{job_id}"}


def _job(job_id: str) -> dict:
    record = jobs.status(job_id)
    if record is None:
        raise ApiError(404, f"no job {job_id!r}: it never existed or finished more than a week ago; "
                            "GET /api/v1/jobs lists the running ones", slug="unknown-job")
    return record


@api.get("/jobs")
@api_spec.validate(resp=Response(HTTP_200=m.Jobs, **ERRORS), tags=("jobs",))
def list_jobs():
    """The queued and running jobs, newest first."""
    require(Permission.VIEW)
    return {"items": jobs.active()}


@api.get("/jobs/<job_id>")
@api_spec.validate(resp=Response(HTTP_200=m.Job, **_JOB_ERRORS), tags=("jobs",))
def job_status(job_id: str):
    """One job: its state (queued, running, done, failed, cancelled, lost), progress, result or error."""
    require(Permission.VIEW)
    return _job(job_id)


@api.post("/jobs/<job_id>/cancel")
@needs(Permission.RETRAIN)
@api_spec.validate(resp=Response(HTTP_200=m.Job, **_JOB_ERRORS), tags=("jobs",))
def cancel_job(job_id: str):
    """Stop a job at its next step (a finished job is left as it is); the answer is its record."""
    _job(job_id)
    record = jobs.cancel(job_id)
    audit(actions.JOB_CANCEL, target=job_id, detail={"state": record["state"]})
    return record

