"""The application factory: settings in, a FastAPI app out; routers and handlers wired here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

import advisor
from advisor import load_knowledge_base

from . import errors
from .limits import BodySizeLimit
from .routers import diagnose, health, recommend, rules
from .settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # Loaded before the app exists: a broken KB stops the server from starting at all.
    kb = load_knowledge_base(settings.rules_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.knowledge_base = kb
        yield

    app = FastAPI(
        title="hparam-advisor",
        version=advisor.__version__,
        description="Rule-based hyperparameter advice: a starting config and a search space, "
        "every value explained by the rules that produced it.",
        lifespan=lifespan,
    )
    app.state.knowledge_base = kb
    app.state.settings = settings
    errors.install(app)
    for router in (recommend.router, diagnose.router, rules.router, health.router):
        app.include_router(router)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "POST"], allow_headers=["*"])
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes,
                       per_path={"/v1/diagnose": settings.max_history_bytes})
    return app
