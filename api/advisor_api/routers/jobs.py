"""Probe jobs: queue a probe on an allow-listed target, poll it, cancel it.

Requests name a target from the operator's allow-list (settings), never code; the probe runs in
a separate worker process under a wall-clock timeout and a memory cap. The routes that touch the
job database (SQLite, blocking) are sync and run in the thread pool.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ValidationError

from advisor.jobs import ProbeJobRequest
from advisor.jobs.store import Job

from ..dependencies import JobQuotaDep, JobStoreDep, SettingsDep
from ..errors import DELETE_ERRORS, JOB_WRITE_ERRORS, READ_ERRORS, invalid_body, problem_responses
from ..routing import JSONRoute, validated_body
from ..security import CallerKeyDep

router = APIRouter(prefix="/v1", tags=["probe jobs"], route_class=JSONRoute)
JobBody = Annotated[
    ProbeJobRequest,
    validated_body(ProbeJobRequest, ProbeJobRequest.model_validate),
]


class ProbeTargets(BaseModel):
    targets: list[str]


class JobList(BaseModel):
    jobs: list[Job]


_NO_SUCH_JOB = {404: "No such job."}


@router.get(
    "/probe-targets",
    response_model=ProbeTargets,
    response_description="Names a job may use as `target`.",
    responses=problem_responses(READ_ERRORS),
)
async def list_targets(settings: SettingsDep) -> ProbeTargets:
    """The allow-listed target names (the import specs stay on the server)."""
    return ProbeTargets(targets=sorted(settings.probe_targets))


def _checked_options(body: ProbeJobRequest, targets: dict[str, str]) -> dict[str, Any]:
    """The checks that need the server's configuration, located like FastAPI's own."""
    if body.target not in targets:
        allowed = ", ".join(sorted(targets)) or "(none configured)"
        raise invalid_body(f"unknown target {body.target!r}; allowed: {allowed}", "target")
    try:
        return body.checked_options()
    except ValidationError as exc:
        raise invalid_body(exc, "options") from None


@router.post(
    "/probe-jobs",
    status_code=202,
    response_model=Job,
    response_description="The job, queued; `Location` is where to poll it.",
    responses=problem_responses(
        JOB_WRITE_ERRORS, {422: "Unknown target, probe or option (problem details).",
                           429: "Too many jobs queued (in all, or for this key); Retry-After."}
    ),
)
def create_job(
    body: JobBody, settings: SettingsDep, store: JobStoreDep, quota: JobQuotaDep, key: CallerKeyDep,
    response: Response,
) -> Job:
    """Queue a probe (lr, batch, sanity, data-scaling) on an allow-listed target."""
    options = _checked_options(body, settings.probe_targets)
    job = quota.admit(store, key, lambda: store.create(body.target, body.probe, options))
    response.headers["Location"] = f"/v1/probe-jobs/{job.id}"
    return job


@router.get(
    "/probe-jobs",
    response_model=JobList,
    response_description="The most recent jobs, newest first.",
    responses=problem_responses(READ_ERRORS),
)
def list_jobs(store: JobStoreDep) -> JobList:
    return JobList(jobs=store.list(100))


@router.get(
    "/probe-jobs/{job_id}",
    response_model=Job,
    response_description="The job: status, progress, and the result when it succeeded.",
    responses=problem_responses((*READ_ERRORS, 422), _NO_SUCH_JOB),
)
def get_job(job_id: str, store: JobStoreDep) -> Job:
    return store.get(job_id)


@router.delete(
    "/probe-jobs/{job_id}",
    status_code=202,
    response_model=Job,
    response_description="The job, cancelled or being cancelled.",
    responses=problem_responses((*DELETE_ERRORS, 422), {**_NO_SUCH_JOB, 409: "The job already finished."}),
)
def cancel_job(job_id: str, store: JobStoreDep) -> Job:
    """Cancel: a queued job at once, a running one as soon as the supervisor stops its worker."""
    return store.request_cancel(job_id)
