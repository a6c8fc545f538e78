"""Fuzzing the API from its own OpenAPI schema (schemathesis), and its uploads with CSV-like
bytes (hypothesis): whatever the request, the answer is never a 5xx and never slow, and a
refusal is one line. The limits are shrunk so that every accepted request is small."""

from __future__ import annotations

import time

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logitlab.web.app import create_app
from logitlab.web.limits import Limits

LIMITS = Limits(max_n=500, max_epochs=2000, max_work=10**6, max_run_work=2 * 10**6,
                max_landscape_work=10**6, max_grid=21, max_frames=100,
                max_upload_bytes=10_000, max_body_bytes=100_000, max_runs=2)  # fmt: skip
#: No answer may take longer (the slowest accepted request here takes ~0.1 s).
SECONDS = 5.0
#: The server's own address (schemathesis' default host, testserver, is refused).
LOCAL = "http://127.0.0.1"

app = create_app(LIMITS)
schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers={"host": "127.0.0.1"})


@schema.parametrize()
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_5xx_or_waits(case):
    began = time.monotonic()
    response = case.call(base_url=LOCAL)
    took = time.monotonic() - began
    assert response.status_code < 500, (case.path, case.body, response.text)
    assert took < SECONDS, (case.path, case.body, took)
    assert_one_line_refusal(response)


def assert_one_line_refusal(response) -> None:
    """A 4xx is {"error": one line}."""
    if response.status_code >= 400:
        body = response.json()
        assert list(body) == ["error"] and "\n" not in body["error"], body


#: Cells an upload's CSV is made of: names (one with a newline, one repeated), numbers of
#: every kind (beyond float32, inf, NaN, huge integers), text, quotes, empty cells.
CELLS = ["x", "y", "a", '"a\nb"', "label", "0", "1", "2", "-1.5", "1e39", "-1e39", "inf",
         "nan", "NA", "1" * 400, "yes", "no", '"', '""', "", " ", "\u00e9", "{x}",
         "I(x)"]  # fmt: skip
rows = st.lists(st.lists(st.sampled_from(CELLS), min_size=1, max_size=4), max_size=12)
csv_like = rows.map(lambda table: "\n".join(",".join(row) for row in table).encode())
uploads = st.one_of(csv_like, st.binary(max_size=200), st.text(max_size=200).map(str.encode))
client = TestClient(app, base_url=LOCAL)


@given(content=uploads)
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_upload_gets_a_5xx_or_a_multiline_error(content):
    response = client.post("/api/upload", files={"file": ("data.csv", content, "text/csv")})
    assert response.status_code < 500, (content, response.text)
    assert response.status_code in (200, 400, 413), (content, response.text)
    assert_one_line_refusal(response)
    if response.status_code == 200:
        body = response.json()
        assert len(body["x"]) == len(body["y"]) == body["n"] >= 2
        assert None not in body["x"]  # every x a number within float32's range
        assert set(body["y"]) <= {0, 1}
