"""The application factory: settings in, a FastAPI app out; routers and handlers wired here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from pydantic.json_schema import models_json_schema

import advisor
from advisor import load_knowledge_base
from advisor.core.diagnosis import DiagnoseRequest
from advisor.jobs.runner import JobRunner
from advisor.jobs.store import JobStore

from . import errors
from .cache import ResponseCache
from .limits import BodySizeLimit, JsonBodiesOnly, RequestTimeout
from .observability import Metrics, Observability, configure_json_logging
from .routers import diagnose, health, jobs, recommend, rules
from .security import require_key
from .settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    if settings.log_json:
        configure_json_logging()
    # Loaded before the app exists: a broken KB or job store stops the server from starting.
    kb = load_knowledge_base(settings.rules_dir)
    store = JobStore(settings.job_db)
    runner = JobRunner(
        store,
        settings.probe_targets,
        slots=settings.job_slots,
        timeout_s=settings.job_timeout_s,
        memory_mb=settings.job_memory_mb,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner.start()  # fails jobs a dead server left running, then starts queued ones
        try:
            yield
        finally:
            runner.stop()

    app = FastAPI(
        title="hparam-advisor",
        version=advisor.__version__,
        description="Rule-based hyperparameter advice: a starting config and a search space, "
        "every value explained by the rules that produced it; training-run diagnosis; probe jobs.",
        lifespan=lifespan,
    )
    app.state.knowledge_base = kb
    app.state.settings = settings
    app.state.job_store = store
    app.state.job_runner = runner
    app.state.metrics = metrics = Metrics()
    app.state.response_cache = ResponseCache(settings.response_cache_size)
    errors.install(app)
    keyed = [Depends(require_key)] if settings.api_keys else []
    reads = keyed if settings.protect_reads else []
    for router in (recommend.router, diagnose.router, rules.router):
        app.include_router(router, dependencies=reads)
    app.include_router(jobs.router, dependencies=keyed)
    app.include_router(health.router)
    app.include_router(health.metrics_router, dependencies=reads)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    # Innermost first: CORS, JSON-only bodies, body size, timeout, then ids/logs/metrics outermost.
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["*"],
        )
    app.add_middleware(JsonBodiesOnly)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        per_path={"/v1/diagnose": settings.max_history_bytes},
    )
    app.add_middleware(RequestTimeout, seconds=settings.request_timeout_s)
    app.add_middleware(Observability, metrics=metrics)
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema plus the request models of the routes that take a raw JSON body."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    from .routers.recommend import RecommendRequest

    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    _, defs = models_json_schema(
        [(advisor.Profile, "validation"), (RecommendRequest, "validation"), (DiagnoseRequest, "validation")],
        ref_template="#/components/schemas/{model}",
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in defs.get("$defs", {}).items():
        components.setdefault(name, definition)
    components["Problem"] = errors.PROBLEM_SCHEMA
    keyed = bool(app.state.settings.api_keys)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            codes = _ERROR_CODES.get(method, ("500", "503"))
            if keyed and (path.startswith("/v1/probe-") or app.state.settings.protect_reads):
                codes = (*codes, "401")
            for code in codes:
                operation["responses"][code] = {
                    "description": errors.TITLES.get(int(code), "Error"),
                    "content": {errors.PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                }
    app.openapi_schema = schema
    return schema


# Every error is problem+json (api/advisor_api/errors.py); these are the ones each method can return.
_ERROR_CODES = {
    "get": ("404", "500", "503"),
    "post": ("400", "404", "413", "415", "422", "500", "503"),
    "delete": ("404", "409", "500", "503"),
}
