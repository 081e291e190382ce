"""GET /v1/rules and GET /v1/rules/{rule_id}: the knowledge base, read-only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from ..dependencies import KnowledgeBaseDep
from ..errors import READ_ERRORS, problem_responses

router = APIRouter(prefix="/v1/rules", tags=["rules"])


class RuleView(BaseModel):
    """A rule as `Rule.describe()` gives it (further keys it may add pass through)."""

    model_config = ConfigDict(extra="allow")

    id: str
    source: list[str]
    when: str
    salience: int
    specificity: int
    then: dict[str, Any]
    because: str
    file: str
    line: int


class Citation(BaseModel):
    id: str
    documents: list[str]
    section: str
    text: str


class RuleDetail(RuleView):
    citations: list[Citation]


@router.get("", response_model=list[RuleView], responses=problem_responses(READ_ERRORS))
async def list_rules(kb: KnowledgeBaseDep) -> list[dict[str, Any]]:
    """Every rule, in knowledge-base order."""
    return [rule.describe() for rule in kb.rules]


@router.get(
    "/{rule_id}",
    response_model=RuleDetail,
    responses=problem_responses((*READ_ERRORS, 422), {404: "No such rule (with the closest ids)."}),
)
async def get_rule(rule_id: str, kb: KnowledgeBaseDep) -> dict[str, Any]:
    """One rule and the full citations of its sources."""
    rule = kb.rule(rule_id)
    citations = [
        {"id": sid, "documents": list(kb.sources[sid].documents),
         "section": kb.sources[sid].section, "text": kb.sources[sid].text}
        for sid in rule.source
    ]
    return {**rule.describe(), "citations": citations}
