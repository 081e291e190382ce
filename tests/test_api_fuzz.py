"""Schemathesis against the app's own OpenAPI schema: every route, bounded for CI.

No 5xx, every status code documented, every response body valid against its schema (problem+json
included); and hostile bodies (huge integers, NaN/inf, lone surrogates, deep nesting, long
strings) on every POST route: no response >= 500. The larger run (>= 1000 cases per route) is
`benchmarks/api_fuzz.py`, whose hostile strategy this uses.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from advisor_api import create_app
from advisor_api.settings import Settings

from .conftest import ROOT

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


def _benchmark() -> object:
    spec = importlib.util.spec_from_file_location("api_fuzz", ROOT / "benchmarks" / "api_fuzz.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("api_fuzz", module)
    spec.loader.exec_module(module)
    return module


hostile = _benchmark()
hostile_client = TestClient(_app(), raise_server_exceptions=False)


@given(request=hostile.hostile_requests())  # type: ignore[attr-defined]
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_hostile_bodies_never_get_a_5xx(request: tuple[str, bytes]) -> None:
    hostile.check_hostile(hostile_client, *request)  # type: ignore[attr-defined]
