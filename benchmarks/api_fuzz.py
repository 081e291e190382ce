"""The large schemathesis run: >= 1000 generated cases per operation against the app's own
OpenAPI schema (positive and negative data), with the same checks as tests/test_api_fuzz.py.

    .venv/bin/python benchmarks/api_fuzz.py [--cases 1000]

Prints, per operation, the cases run and the failures; exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
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
    print(f"\n{total_cases} cases, {total_failures} failures")
    sys.exit(1 if total_failures else 0)


if __name__ == "__main__":
    main()
