"""The application factory: settings in, a FastAPI app out; routers and handlers wired here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from advisor.core.knowledge import load_knowledge_base
from advisor.jobs.runner import JobRunner
from advisor.jobs.store import JobStore
from advisor.version import __version__

from . import docs, errors
from .cache import ResponseCache
from .limits import RequestLimits
from .observability import Metrics, Observability, configure_json_logging
from .quota import JobQuota
from .responses import JSONBody
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

    jobs_on = settings.jobs_enabled

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if jobs_on:
            runner.start()  # fails jobs a dead server left running, then starts queued ones
        try:
            yield
        finally:
            if jobs_on:
                runner.stop()

    app = FastAPI(
        title="hparam-advisor",
        version=__version__,
        description="Rule-based hyperparameter advice: a starting config and a search space, "
        "every value explained by the rules that produced it; training-run diagnosis; probe jobs.",
        lifespan=lifespan,
        default_response_class=JSONBody,  # the one JSON format (responses.py)
        docs_url=None,  # docs.install serves /docs from local files
        redoc_url=None,  # off: no installed package ships ReDoc's script (docs.py)
    )
    # Read only through the dependencies in dependencies.py.
    app.state.knowledge_base = kb
    app.state.settings = settings
    app.state.job_store = store
    app.state.job_runner = runner
    app.state.metrics = metrics = Metrics()
    app.state.response_cache = ResponseCache(settings.response_cache_size, settings.response_cache_bytes)
    app.state.job_quota = JobQuota(settings.max_queued_jobs, settings.max_queued_jobs_per_key)
    errors.install(app)
    docs.install(app)  # public, as /openapi.json is
    # With API keys: job routes need one, and every other route but /healthz and /readyz when
    # protect_reads is on. The schema lists 401 exactly on those routes.
    keyed: dict[str, Any] = {}
    if settings.api_keys:
        keyed = {"dependencies": [Depends(require_key)], "responses": errors.problem_responses([401])}
    reads = keyed if settings.protect_reads else {}
    for router in (recommend.router, diagnose.router, rules.router):
        app.include_router(router, **reads)
    if jobs_on:  # job_routes: "off", or "keyed" without keys, leaves them out (404, not in the schema)
        app.include_router(jobs.router, **keyed)
    app.include_router(health.router)
    app.include_router(health.metrics_router, **reads)
    # Pure ASGI, outermost last: CORS (when configured), then the limits (415, 413, timeout), then
    # request ids, the access log and metrics around everything.
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["*"],
        )
    app.add_middleware(
        RequestLimits,
        max_bytes=settings.max_body_bytes,
        per_path={"/v1/diagnose": settings.max_history_bytes},
        concurrency={"/v1/diagnose": settings.diagnose_concurrency},
        timeout_s=settings.request_timeout_s,
    )
    app.add_middleware(Observability, metrics=metrics)
    return app
