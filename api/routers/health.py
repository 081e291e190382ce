"""GET /healthz: liveness, with the size of the loaded knowledge base."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from advisor import KnowledgeBase

from ..dependencies import get_knowledge_base

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(kb: Annotated[KnowledgeBase, Depends(get_knowledge_base)]) -> dict[str, Any]:
    return {"status": "ok", "rules": len(kb)}
