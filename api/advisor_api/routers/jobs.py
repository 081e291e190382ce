"""Probe jobs: queue a probe on an allow-listed target, poll it, cancel it.

Requests name a target from the operator's allow-list (settings), never code; the probe runs in
a separate worker process under a wall-clock timeout and a memory cap.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from advisor.jobs.probe_jobs import ProbeJobRequest
from advisor.jobs.store import Job, JobStore

router = APIRouter(prefix="/v1", tags=["probe jobs"])


def get_job_store(request: Request) -> JobStore:
    return request.app.state.job_store


Store = Annotated[JobStore, Depends(get_job_store)]
_JOB = {"model": Job, "description": "The job: status, progress, and the result when it succeeded."}


@router.get("/probe-targets", responses={200: {"description": "Names a job may use as `target`."}})
def list_targets(request: Request) -> dict[str, list[str]]:
    """The allow-listed target names (the import specs stay on the server)."""
    return {"targets": sorted(request.app.state.settings.probe_targets)}


@router.post(
    "/probe-jobs",
    status_code=202,
    response_model=None,
    responses={
        202: _JOB,
        401: {"description": "Missing or wrong X-API-Key."},
        422: {"description": "Unknown target, probe or option (problem details)."},
    },
)
def create_job(body: ProbeJobRequest, request: Request, store: Store) -> JSONResponse:
    """Queue a probe (lr, batch, sanity, data-scaling) on an allow-listed target."""
    targets = request.app.state.settings.probe_targets
    if body.target not in targets:
        allowed = ", ".join(sorted(targets)) or "(none configured)"
        raise RequestValidationError(
            [
                {
                    "loc": ("body", "target"),
                    "type": "value_error",
                    "msg": f"unknown target {body.target!r}; allowed: {allowed}",
                }
            ]
        )
    try:
        options = body.checked_options()
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", "options", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None
    job = store.create(body.target, body.probe, options)
    return JSONResponse(
        job.model_dump(mode="json"), status_code=202, headers={"Location": f"/v1/probe-jobs/{job.id}"}
    )


@router.get("/probe-jobs", responses={200: {"description": "The most recent jobs, newest first."}})
def list_jobs(store: Store) -> dict[str, Any]:
    return {"jobs": [j.model_dump(mode="json") for j in store.list(100)]}


@router.get(
    "/probe-jobs/{job_id}", response_model=None, responses={200: _JOB, 404: {"description": "No such job."}}
)
def get_job(job_id: str, store: Store) -> JSONResponse:
    return JSONResponse(store.get(job_id).model_dump(mode="json"))


@router.delete(
    "/probe-jobs/{job_id}",
    status_code=202,
    response_model=None,
    responses={
        202: _JOB,
        404: {"description": "No such job."},
        409: {"description": "The job already finished."},
    },
)
def cancel_job(job_id: str, store: Store) -> JSONResponse:
    """Cancel: a queued job at once, a running one as soon as the supervisor stops its worker."""
    return JSONResponse(store.request_cancel(job_id).model_dump(mode="json"), status_code=202)
