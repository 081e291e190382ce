"""Schemathesis against the app's own OpenAPI schema: every route, bounded for CI.

No 5xx, every status code documented, every response body valid against its schema (problem+json
included). The larger run (>= 1000 cases per route) is `benchmarks/api_fuzz.py`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from advisor_api import create_app
from advisor_api.settings import Settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
KEY = "fuzz-key-0123456789"


def _app(**overrides):
    # job_slots=0: queued jobs stay queued, so fuzzing never starts real probe workers.
    db = Path(tempfile.mkdtemp(prefix="advisor-fuzz-")) / "jobs.sqlite"
    return create_app(Settings(job_db=db, job_slots=0, log_json=False, **overrides))


# Built at import (schemathesis parametrizes at collection time); each has its own job database.
open_schema = schemathesis.openapi.from_asgi("/openapi.json", _app())
keyed_schema = schemathesis.openapi.from_asgi("/openapi.json", _app(api_keys=(KEY,), protect_reads=True))


@open_schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_open_server(case) -> None:
    case.call_and_validate(checks=CHECKS)


@keyed_schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_keyed_server(case) -> None:
    case.call_and_validate(checks=CHECKS, headers={"X-API-Key": KEY})
