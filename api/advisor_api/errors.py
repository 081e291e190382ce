"""Every error becomes one JSON shape (RFC 9457 problem details), mapped here and only here."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from advisor.errors import (
    AdvisorError,
    FieldProblem,
    HistoryError,
    InternalError,
    JobConflictError,
    JobNotFoundError,
    JobStoreError,
    MissingDependencyError,
    ProfileError,
    UnknownParameterError,
    UnknownRuleError,
    UserModelError,
)
from advisor.profile.model import problems_from_error_dicts

from .responses import PROBLEM_JSON, JSONBody

log = logging.getLogger("advisor_api")
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; `errors` lists field problems on 422.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "required": ["loc", "path", "msg"],
                                              "properties": {
            "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
            "path": {"type": "string"},
            "msg": {"type": "string"},
        }}},
    },
}
TITLES = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
           409: "Conflict", 424: "Failed Dependency", 503: "Service Unavailable",
           413: "Content Too Large", 415: "Unsupported Media Type",
           422: "Unprocessable Content", 429: "Too Many Requests", 500: "Internal Server Error"}
# A 422 lists at most this many problems (and says how many there were): an error body stays small
# however many fields a request gets wrong.
MAX_PROBLEMS = 20


class QueueFullError(AdvisorError):
    """Too many probe jobs queued (in all, or for this API key): 429, retry later."""


def problem(status: int, detail: str, errors: list[FieldProblem] | None = None,
            headers: dict[str, str] | None = None) -> JSONBody:
    body: dict[str, Any] = {"type": "about:blank", "title": TITLES.get(status, "Error"),
                            "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = [{"loc": list(p.location), "path": p.path, "msg": p.message}
                          for p in errors[:MAX_PROBLEMS]]
    return JSONBody(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def problem_responses(
    codes: Iterable[int], described: Mapping[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for error statuses: problem+json, titled from TITLES unless `described`
    says more. Routes declare them, so FastAPI generates the schema; nothing patches it."""
    described = described or {}
    return {
        code: {
            "description": described.get(code, TITLES.get(code, "Error")),
            "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
        }
        for code in codes
    }


# The errors each kind of route can answer (the middlewares' 413, 415 and 503 included). Routes
# with a path parameter add 422, which FastAPI would otherwise document as its own JSON shape.
READ_ERRORS = (404, 500, 503)
WRITE_ERRORS = (400, 404, 413, 415, 422, 500, 503)
JOB_WRITE_ERRORS = (*WRITE_ERRORS, 429)
DELETE_ERRORS = (404, 409, 500, 503)


def invalid_body(problem: ValidationError | str, *within: str | int) -> RequestValidationError:
    """A body error found after FastAPI's own validation (a part checked against the server's
    configuration), located under `body.<within>` as FastAPI locates its own. The one place where
    validation errors are rewrapped; `_validation` below renders them all as one 422."""
    found = (
        [{"type": "value_error", "loc": (), "msg": problem}]
        if isinstance(problem, str)
        else problem.errors(include_url=False)
    )
    exc = RequestValidationError([{**e, "loc": ("body", *within, *e["loc"])} for e in found[:MAX_PROBLEMS]])
    exc.total = len(found)  # type: ignore[attr-defined]
    return exc


def _count(total: int) -> str:
    listed = f"; the first {MAX_PROBLEMS} are listed" if total > MAX_PROBLEMS else ""
    return f"{total} invalid field(s){listed}"


async def _validation(request: Request, exc: RequestValidationError) -> JSONBody:
    found = exc.errors()
    errors = problems_from_error_dicts(found[:MAX_PROBLEMS], strip=("body",))
    return problem(422, _count(getattr(exc, "total", len(found))), errors)


# Status by error class, most specific first (the first class in the exception's MRO that is here
# decides): the one place where the library's errors become HTTP.
STATUS: dict[type[AdvisorError], int] = {
    ProfileError: 422,
    HistoryError: 422,
    UnknownRuleError: 404,
    UnknownParameterError: 404,
    JobNotFoundError: 404,
    JobConflictError: 409,
    UserModelError: 424,  # the request was valid; the user's model/target code raised
    JobStoreError: 503,
    QueueFullError: 429,
    MissingDependencyError: 503,  # the server lacks an optional package: not the client's fault
    InternalError: 500,
    AdvisorError: 400,
}


def status_of(exc: AdvisorError) -> int:
    return next(STATUS[c] for c in type(exc).__mro__ if c in STATUS)


async def _advisor(request: Request, exc: AdvisorError) -> JSONBody:
    status = status_of(exc)
    if isinstance(exc, ProfileError):
        return problem(status, _count(len(exc.problems)), list(exc.problems[:MAX_PROBLEMS]))
    if isinstance(exc, HistoryError):
        problems = [FieldProblem(("history", *p.location), p.message) for p in exc.problems[:MAX_PROBLEMS]]
        return problem(status, str(exc).split("\n", 1)[0], problems)
    if isinstance(exc, JobStoreError):
        log.error("job store unavailable: %s", exc)
        return problem(status, "the job store is unavailable; see /readyz")
    if isinstance(exc, QueueFullError):
        return problem(status, str(exc), headers={"Retry-After": "30"})
    if status >= 500:
        log.error("%s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc)
    return problem(status, str(exc))


async def _http(request: Request, exc: StarletteHTTPException) -> JSONBody:
    return problem(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> JSONBody:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(500, "internal error; the server log has the details")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(AdvisorError, _advisor)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
