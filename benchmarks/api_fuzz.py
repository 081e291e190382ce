"""The large schemathesis run: >= 1000 generated cases per operation against the app's own
OpenAPI schema (positive and negative data), with the same checks as tests/test_api_fuzz.py; then
hostile bodies (`hostile_requests`) on each POST route: huge integers (past 2**63 and past Python's
4300-digit limit), NaN/Infinity/1e999, lone surrogates, deep nesting, long strings, arbitrary text -
as the whole body or in place of one value of a valid request. Check: no response >= 500, and
every response body is JSON.

    .venv/bin/python benchmarks/api_fuzz.py [--cases 1000] [--hostile 1000]

Prints, per operation, the cases run and the failures; exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import schemathesis
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
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


_ROOT = Path(__file__).resolve().parent.parent
_PROFILES = [yaml.safe_load(p.read_text()) for p in sorted((_ROOT / "examples").glob("*.yaml"))[:4]]
_ROWS = [{"epoch": i, "train_loss": 2 / (i + 1), "val_loss": 2.1 / (i + 1)} for i in range(6)]
# Valid requests per route, in which one value is swapped for a hostile one.
BASES: dict[str, list[Any]] = {
    "/v1/recommend": [*_PROFILES, {"profile": _PROFILES[0], "probes": None}],
    "/v1/diagnose": [_ROWS, {"loss": [1.0, 0.8, 0.7], "val_loss": [1.1, 0.9, 0.8]},
                     {"history": _ROWS, "profile": _PROFILES[0]}],
    "/v1/probe-jobs": [{"target": "digits-mlp", "probe": "lr", "options": {"steps": 50}}],
}
_MARK = "__hostile__"


def hostile_values() -> st.SearchStrategy[str]:
    """JSON text of one hostile value."""
    return st.one_of(
        st.integers(min_value=2**63, max_value=10**60).map(str),
        st.integers(min_value=-(10**60), max_value=-(2**63)).map(str),
        st.integers(min_value=4000, max_value=6000).map(lambda n: "9" * n),  # past the digit limit
        st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1e-999", "-0", "0.0"]),
        st.floats(allow_nan=True, allow_infinity=True).map(json.dumps),
        st.sampled_from(['"\\ud800"', '"x\\udfff"', '"\\ud83d"', '{"\\ud800": 1}', '["\\udc00"]']),
        st.integers(min_value=10, max_value=5000).map(lambda d: "[" * d + "]" * d),
        st.integers(min_value=10, max_value=5000).map(lambda d: '{"a":' * d + "1" + "}" * d),
        st.integers(min_value=1000, max_value=400_000).map(lambda n: json.dumps("x" * n)),
        st.text().map(lambda t: json.dumps(t, ensure_ascii=False)),
        st.sampled_from(["null", "true", "[]", "{}", '""', "[null]", '{"": null}']),
    )


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


@st.composite
def hostile_requests(draw: Any, path: str | None = None) -> tuple[str, bytes]:
    """(route, body): a hostile value as the whole body or in place of one value of a valid one."""
    path = path or draw(st.sampled_from(sorted(BASES)))
    value = draw(hostile_values())
    base = draw(st.sampled_from(BASES[path]))
    where = draw(st.sampled_from(list(_paths(base))))
    if not where:
        return path, value.encode("utf-8", "surrogatepass")
    doc = copy.deepcopy(base)
    node = doc
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = _MARK
    return path, json.dumps(doc).replace(json.dumps(_MARK), value).encode("utf-8", "surrogatepass")


def check_hostile(client: TestClient, path: str, body: bytes) -> None:
    """No response >= 500, and every body JSON."""
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code < 500, (path, response.status_code, response.text[:300])
    response.json()


def fuzz_hostile(client: TestClient, path: str, cases: int) -> tuple[int, int]:
    counts = {"cases": 0, "failures": 0}

    @given(request=hostile_requests(path))
    @settings(max_examples=cases, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    def run(request: tuple[str, bytes]) -> None:
        counts["cases"] += 1
        try:
            check_hostile(client, *request)
        except Exception as exc:  # count and keep going
            counts["failures"] += 1
            if counts["failures"] <= 3:
                print(f"FAIL hostile {path}: {str(exc)[:400]}", file=sys.stderr)

    run()
    return counts["cases"], counts["failures"]


def fuzz(operation: Any, mode: schemathesis.GenerationMode, cases: int) -> tuple[int, int]:
    """Run up to `cases` generated requests; return (cases run, failures)."""
    counts = {"cases": 0, "failures": 0}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=cases,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        counts["cases"] += 1
        try:
            case.call_and_validate(checks=CHECKS)
        except Exception as exc:  # count and keep going: the table reports every operation
            counts["failures"] += 1
            if counts["failures"] <= 3:
                print(f"FAIL {operation.label}: {str(exc)[:400]}", file=sys.stderr)

    run()
    return counts["cases"], counts["failures"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--hostile", type=int, default=1000, help="hostile bodies per POST route")
    args = parser.parse_args()
    db = Path(tempfile.mkdtemp(prefix="advisor-fuzz-")) / "jobs.sqlite"
    app = create_app(Settings(job_db=db, job_slots=0, log_json=False))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    total_cases = total_failures = 0
    print("| operation | data | cases | failures | seconds |")
    print("|---|---|---|---|---|")
    runs = [
        (r.ok(), mode)
        for r in schema.get_all_operations()
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
    ]
    for operation, mode in runs:
        start = time.perf_counter()
        try:
            cases, failures = fuzz(operation, mode, args.cases)
        except Unsatisfiable:  # no schema-violating input exists (a GET without parameters)
            continue
        total_cases += cases
        total_failures += failures
        seconds = time.perf_counter() - start
        print(f"| {operation.label} | {mode.value} | {cases} | {failures} | {seconds:.0f} |", flush=True)
    with TestClient(app, raise_server_exceptions=False) as client:
        for path in sorted(BASES):
            start = time.perf_counter()
            cases, failures = fuzz_hostile(client, path, args.hostile)
            total_cases += cases
            total_failures += failures
            seconds = time.perf_counter() - start
            print(f"| POST {path} | hostile | {cases} | {failures} | {seconds:.0f} |", flush=True)
    print(f"\n{total_cases} cases, {total_failures} failures")
    sys.exit(1 if total_failures else 0)


if __name__ == "__main__":
    main()
