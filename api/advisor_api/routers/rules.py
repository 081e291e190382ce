"""GET /v1/rules and GET /v1/rules/{rule_id}: the knowledge base, read-only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from advisor import KnowledgeBase

from ..dependencies import get_knowledge_base

router = APIRouter(prefix="/v1/rules", tags=["rules"])
KB = Annotated[KnowledgeBase, Depends(get_knowledge_base)]


@router.get("")
def list_rules(kb: KB) -> list[dict[str, Any]]:
    """Every rule, in knowledge-base order."""
    return [rule.describe() for rule in kb.rules]


@router.get("/{rule_id}")
def get_rule(rule_id: str, kb: KB) -> dict[str, Any]:
    """One rule and the full citations of its sources."""
    rule = kb.rule(rule_id)
    citations = [
        {"id": sid, "documents": list(kb.sources[sid].documents),
         "section": kb.sources[sid].section, "text": kb.sources[sid].text}
        for sid in rule.source
    ]
    return {**rule.describe(), "citations": citations}
