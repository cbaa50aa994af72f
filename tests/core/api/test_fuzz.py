"""Schemathesis against the generated OpenAPI document (WSGI, authenticated with an analyst's token): no server
errors, and every answer matches the document (status code, content type, schema). Bounded to a few examples per
operation so it runs in well under a minute.

Operations are driven with Hypothesis directly: schemathesis' pytest plugin does not run on pytest 9 yet.
"""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from core.api import jobs

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 5


def _fuzz(operation, headers: dict) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate], database=None,
              derandomize=True, suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_every_operation_answers_as_documented(api):
    headers = api.headers("analyst")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api.app, headers=headers)
    failures, tried = [], 0
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            tried += 1
            try:
                _fuzz(operation, headers)
            except Exception as error:  # noqa: BLE001 — collect every operation's failure, then report them all
                failures.append(f"{operation.label}: {error}")
    finally:
        with api.app.app_context():  # stop what the fuzzing started (forecasts, retrains)
            for job in jobs.active():
                jobs.cancel(job["id"])
            for job in jobs.active():
                jobs.wait(job["id"], timeout=300)
    assert tried >= 18
    assert not failures, "\n\n".join(failures)
