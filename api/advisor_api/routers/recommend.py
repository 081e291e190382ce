"""POST /v1/recommend: a profile (optionally with probe results) in, the output contract out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
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
async def post_recommend(
    payload: Annotated[Any, Body()],
    request: Request,
    kb: Annotated[KnowledgeBase, Depends(get_knowledge_base)],
) -> Response:
    """Recommend a starting config and a search space for a profile (and probe results)."""
    # Async on purpose: about a millisecond of CPU, cheaper in the loop than a threadpool hop.
    cache = request.app.state.response_cache
    key = (id(kb), await request.body())
    cached = cache.get(key)
    if cached is not None:
        return Response(cached, media_type="application/json")
    try:
        if isinstance(payload, dict) and "profile" in payload:
            parsed = RecommendRequest.model_validate(payload)
        else:
            parsed = RecommendRequest(profile=Profile.model_validate(payload))
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None
    body = recommend(parsed.profile, parsed.probes, kb=kb).to_json(indent=None).encode()
    cache.put(key, body)
    return Response(body, media_type="application/json")
