"""Liveness, readiness and metrics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from advisor import KnowledgeBase
from advisor.jobs.store import JobStoreError

from ..dependencies import get_knowledge_base
from ..errors import problem

router = APIRouter(tags=["health"])
metrics_router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(kb: Annotated[KnowledgeBase, Depends(get_knowledge_base)]) -> dict[str, Any]:
    """Liveness: the process answers (and how many rules it holds)."""
    return {"status": "ok", "rules": len(kb)}


@router.get(
    "/readyz",
    response_model=None,
    responses={200: {"description": "Ready."}, 503: {"description": "Not ready (problem details)."}},
)
def readyz(request: Request) -> JSONResponse:
    """Readiness: the knowledge base is loaded and the job store takes writes."""
    kb = getattr(request.app.state, "knowledge_base", None)
    checks = {"knowledge_base": kb is not None and len(kb) > 0, "job_store": True}
    detail = ""
    try:
        request.app.state.job_store.check_writable()
    except JobStoreError as exc:
        checks["job_store"] = False
        detail = str(exc)
    if not all(checks.values()):
        return problem(503, detail or "the knowledge base is not loaded")
    return JSONResponse({"status": "ready", "checks": checks})


@metrics_router.get(
    "/metrics", responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}}
)
def metrics(request: Request) -> Response:
    state = request.app.state
    state.metrics.rules.set(len(state.knowledge_base))
    try:
        counts = state.job_store.counts()
    except JobStoreError:
        counts = {}
    for status in ("queued", "running", "succeeded", "failed", "cancelled"):
        state.metrics.queue.labels(status).set(counts.get(status, 0))
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
