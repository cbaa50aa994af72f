"""Writes: ingest a file like the CLI does, start a retrain, follow and cancel jobs; each is audited."""
from __future__ import annotations

import io
import json
import subprocess
import sys

from core.api import jobs
from core.auth.audit import query as audit_rows
from data.store import current_version

GOOD = (b"customer_id,name,email,signup_date,segment,region,channel,plan\n"
        b"900001,Ada Lovelace,ada@example.com,2026-01-05,SMB,EMEA,Web,Plus\n"
        b"900002,Alan Turing,alan@example.com,2026-02-07,Enterprise,APAC,Mobile,Premium\n")


def _ingest(api, user: str, content: bytes, name: str = "new-customers.csv", entity: str = "customers"):
    return api.client().post(f"/api/v1/ingest/{entity}", headers=api.headers(user),
                             data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def test_a_good_file_is_ingested_with_the_clis_summary_and_audited(fresh_api, tmp_path):
    before = current_version(fresh_api.engine).version
    response = _ingest(fresh_api, "analyst", GOOD)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["status"], body["accepted"], body["quarantined"]) == ("committed", 2, 0)
    assert body["dataset_version"] == current_version(fresh_api.engine).version == before + 1
    # The same counts as `python -m data ingest --json` on the same file against the same store state.
    source = tmp_path / "new-customers.csv"
    source.write_bytes(GOOD)
    cli = subprocess.run([sys.executable, "-m", "data", "ingest", "customers", str(source), "--json",
                          "--database-url", str(fresh_api.engine.url)], capture_output=True, text=True)
    summary = json.loads(cli.stdout)
    assert set(summary) <= set(body) and summary["duplicates"] == 2, "the same rows again are duplicates"
    row = audit_rows(fresh_api.engine, action="ingest")[0]
    assert (row["actor"], row["target"], row["outcome"]) == ("analyst", "customers:new-customers.csv", "ok")


def test_a_bad_file_is_a_422_with_the_reason_and_nothing_is_written(fresh_api):
    before = current_version(fresh_api.engine).version
    response = _ingest(fresh_api, "analyst", b"customer_id,name\n1,Ada\n", name="thin.csv")
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert "email" in body["detail"] and body["summary"]["accepted"] == 0
    assert current_version(fresh_api.engine).version == before
    assert audit_rows(fresh_api.engine, action="ingest")[0]["outcome"] == "failed"


def test_an_unknown_entity_or_a_missing_file_says_what_to_send(fresh_api):
    unknown = _ingest(fresh_api, "analyst", GOOD, entity="planets")
    assert unknown.status_code == 404 and "choose one of" in unknown.get_json(force=True)["detail"]
    missing = fresh_api.client().post("/api/v1/ingest/customers", headers=fresh_api.headers("analyst"),
                                      data={"other": "x"}, content_type="multipart/form-data")
    assert missing.status_code == 400 and "`file`" in missing.get_json(force=True)["detail"]


def test_retrain_runs_a_job_that_recomputes_into_the_shared_cache(fresh_api):
    response = fresh_api.client().post("/api/v1/retrain", headers=fresh_api.headers("admin"),
                                       json={"target": "kpis"})
    assert response.status_code == 202
    job = response.get_json()
    assert response.headers["Location"] == f"/api/v1/jobs/{job['id']}" and job["kind"] == "retrain"
    with fresh_api.app.app_context():
        done = jobs.wait(job["id"], timeout=120)
    assert done["state"] == "done" and done["result"]["how"] == "computed", done
    status = fresh_api.get(f"/api/v1/jobs/{job['id']}").get_json()
    assert status["state"] == "done" and status["actor"] == "admin"
    assert audit_rows(fresh_api.engine, action="retrain")[0]["actor"] == "admin"


def test_a_forecast_nobody_computed_is_202_with_a_job_that_can_be_cancelled(fresh_api):
    first = fresh_api.get("/api/v1/forecast?h=9")
    assert first.status_code == 202 and first.headers["Location"].startswith("/api/v1/jobs/")
    job_id = first.get_json()["job"]["id"]
    again = fresh_api.get("/api/v1/forecast?h=9")
    assert again.get_json()["job"]["id"] == job_id, "asking again follows the same job"
    assert fresh_api.client().post(f"/api/v1/jobs/{job_id}/cancel", headers=fresh_api.headers("viewer")
                                   ).status_code == 403
    cancelled = fresh_api.client().post(f"/api/v1/jobs/{job_id}/cancel", headers=fresh_api.headers("analyst"))
    assert cancelled.status_code == 200 and cancelled.get_json()["cancel_requested"] is True
    with fresh_api.app.app_context():
        assert jobs.wait(job_id, timeout=300)["state"] == "cancelled"
    assert audit_rows(fresh_api.engine, action="job_cancel")[0]["target"] == job_id
