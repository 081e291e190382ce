"""POST /v1/recommend: a profile in, the output contract out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from advisor import KnowledgeBase, Profile, Recommendation, recommend

from ..dependencies import get_knowledge_base

router = APIRouter(prefix="/v1", tags=["recommend"])


@router.post(
    "/recommend",
    response_model=None,
    responses={200: {"model": Recommendation, "description": "The recommendation."},
               422: {"description": "Invalid profile (problem details with field paths)."}},
)
def post_recommend(
    profile: Profile, kb: Annotated[KnowledgeBase, Depends(get_knowledge_base)]
) -> Response:
    """Recommend a starting config and a search space for a profile."""
    return Response(recommend(profile, kb=kb).to_json(), media_type="application/json")
