"""Fuzzing the API from its own OpenAPI schema (schemathesis): whatever the request, the answer
is never a 5xx and never slow. The limits are shrunk so that every accepted request is small."""

from __future__ import annotations

import time

import schemathesis
from hypothesis import HealthCheck, settings

from logitlab.web.app import create_app
from logitlab.web.limits import Limits

LIMITS = Limits(max_n=500, max_epochs=2000, max_work=10**6, max_run_work=2 * 10**6,
                max_landscape_work=10**6, max_grid=21, max_frames=100,
                max_upload_bytes=10_000, max_body_bytes=100_000, max_runs=2)  # fmt: skip
#: No answer may take longer (the slowest accepted request here takes ~0.1 s).
SECONDS = 5.0

app = create_app(LIMITS)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_5xx_or_waits(case):
    began = time.monotonic()
    response = case.call()
    took = time.monotonic() - began
    assert response.status_code < 500, (case.path, case.body, response.text)
    assert took < SECONDS, (case.path, case.body, took)
    if response.status_code >= 400:
        body = response.json()
        assert list(body) == ["error"] and "\n" not in body["error"], body
