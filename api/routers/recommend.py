"""POST /v1/recommend: a profile (optionally with probe results) in, the output contract out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, ValidationError

from advisor import KnowledgeBase, ProbeResults, Profile, Recommendation, recommend

from ..dependencies import get_knowledge_base

router = APIRouter(prefix="/v1", tags=["recommend"])


class RecommendRequest(BaseModel):
    """A profile with probe results - e.g. `{"profile": ..., "probes": <a probe job's result.probes>}`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    profile: Profile
    probes: ProbeResults | None = None


_SCHEMA = {
    "anyOf": [{"$ref": "#/components/schemas/Profile"}, {"$ref": "#/components/schemas/RecommendRequest"}]
}


@router.post(
    "/recommend",
    response_model=None,
    responses={
        200: {"model": Recommendation, "description": "The recommendation."},
        422: {"description": "Invalid profile (problem details with field paths)."},
    },
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": _SCHEMA}}}},
)
def post_recommend(
    payload: Annotated[Any, Body()], kb: Annotated[KnowledgeBase, Depends(get_knowledge_base)]
) -> Response:
    """Recommend a starting config and a search space for a profile (and probe results)."""
    try:
        if isinstance(payload, dict) and "profile" in payload:
            request = RecommendRequest.model_validate(payload)
        else:
            request = RecommendRequest(profile=Profile.model_validate(payload))
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None
    return Response(
        recommend(request.profile, request.probes, kb=kb).to_json(), media_type="application/json"
    )
