"""Liveness, readiness and metrics."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from advisor.errors import JobStoreError

from ..dependencies import JobStoreDep, KnowledgeBaseDep, MetricsDep
from ..errors import READ_ERRORS, problem, problem_responses
from ..responses import JSONBody

router = APIRouter(tags=["health"])
metrics_router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    rules: int


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    checks: dict[str, bool]


@router.get("/healthz", response_model=Health, responses=problem_responses(READ_ERRORS))
async def healthz(kb: KnowledgeBaseDep) -> Health:
    """Liveness: the process answers (and how many rules it holds)."""
    return Health(rules=len(kb))


@router.get(
    "/readyz",
    response_model=Readiness,
    response_description="Ready.",
    responses=problem_responses(READ_ERRORS, {503: "Not ready (problem details)."}),
)
def readyz(kb: KnowledgeBaseDep, store: JobStoreDep) -> Readiness | JSONBody:
    """Readiness: the knowledge base is loaded and the job store is sound and takes writes (a disk
    check, so this one runs in the thread pool). 503 names the first problem, in one line."""
    checks = {"knowledge_base": len(kb) > 0, "job_store": True}
    detail = ""
    try:
        store.check_writable()
    except JobStoreError as exc:
        checks["job_store"] = False
        detail = str(exc).strip().split("\n", 1)[0]
    if not all(checks.values()):
        return problem(503, detail or "the knowledge base is not loaded")
    return Readiness(checks=checks)


@metrics_router.get(
    "/metrics",
    response_model=str,
    response_class=PlainTextResponse,
    response_description="Prometheus text format.",
    responses=problem_responses(READ_ERRORS),
)
def metrics(kb: KnowledgeBaseDep, store: JobStoreDep, metrics: MetricsDep) -> Response:
    """Prometheus metrics: requests and latency by route, probe jobs by status, rules loaded."""
    metrics.rules.set(len(kb))
    try:
        counts = store.counts()
    except JobStoreError:
        counts = {}
    for status in ("queued", "running", "succeeded", "failed", "cancelled"):
        metrics.queue.labels(status).set(counts.get(status, 0))
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
