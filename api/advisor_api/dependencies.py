"""What the app loaded at startup, as dependencies: declared once here, used through the aliases.

Each is an `async def` that only reads `app.state` (no blocking work), so FastAPI calls it in the
event loop instead of sending it to the thread pool. Tests override them by function, e.g.
`app.dependency_overrides[get_knowledge_base] = lambda: smaller_kb`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from advisor.core.knowledge import KnowledgeBase
from advisor.jobs import JobStore

from .cache import ResponseCache
from .observability import Metrics
from .quota import JobQuota
from .settings import Settings


async def get_app_settings(request: Request) -> Settings:
    """The settings this app was built with (not the environment's: tests build many apps)."""
    return request.app.state.settings


async def get_knowledge_base(request: Request) -> KnowledgeBase:
    """The knowledge base loaded once at startup."""
    return request.app.state.knowledge_base


async def get_job_store(request: Request) -> JobStore:
    return request.app.state.job_store


async def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


async def get_response_cache(request: Request) -> ResponseCache:
    return request.app.state.response_cache


async def get_job_quota(request: Request) -> JobQuota:
    return request.app.state.job_quota


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
KnowledgeBaseDep = Annotated[KnowledgeBase, Depends(get_knowledge_base)]
JobStoreDep = Annotated[JobStore, Depends(get_job_store)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
ResponseCacheDep = Annotated[ResponseCache, Depends(get_response_cache)]
JobQuotaDep = Annotated[JobQuota, Depends(get_job_quota)]
