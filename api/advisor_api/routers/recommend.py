"""POST /v1/recommend: a profile (optionally with probe results) in, the output contract out."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from advisor.core.recommendation import Recommendation, recommend
from advisor.evidence.results import ProbeResults
from advisor.profile.model import Profile

from ..dependencies import KnowledgeBaseDep, ResponseCacheDep
from ..errors import WRITE_ERRORS, problem_responses
from ..responses import encode_json
from ..routing import JSONRoute, validated_body

router = APIRouter(prefix="/v1", tags=["recommend"], route_class=JSONRoute)


class RecommendRequest(BaseModel):
    """A profile with probe results - e.g. `{"profile": ..., "probes": <a probe job's result.probes>}`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    profile: Profile
    probes: ProbeResults | None = None


def _recommend_request(body: Any) -> RecommendRequest:
    """A body with a `profile` key is a RecommendRequest; anything else is the profile itself, so
    its errors are located in the profile (`data.num_classes`, not `profile.data.num_classes`)."""
    if isinstance(body, dict) and "profile" in body:
        return RecommendRequest.model_validate(body)
    return RecommendRequest(profile=Profile.model_validate(body))


# The body: either a bare Profile or a RecommendRequest (the schema says so: anyOf of the two).
_BODY_DOC = 'A profile, or {"profile": ..., "probes": ...} with the results of probe jobs.'
RecommendBody = Annotated[
    RecommendRequest, validated_body(Profile | RecommendRequest, _recommend_request, _BODY_DOC)
]


@router.post(
    "/recommend",
    response_model=Recommendation,
    response_description="The recommendation: config, search space, advice, every value explained.",
    responses=problem_responses(WRITE_ERRORS, {422: "Invalid profile (problem details with field paths)."}),
)
async def post_recommend(body: RecommendBody, kb: KnowledgeBaseDep, cache: ResponseCacheDep) -> Response:
    """Recommend a starting config and a search space for a profile (and probe results)."""
    # Async on purpose: under a millisecond of CPU, cheaper in the loop than a thread-pool hop.
    # The answer is a pure function of the validated request and the KB: equal requests (however
    # spelt or padded) reuse its bytes. The key is a digest of the canonical JSON, never the body.
    key = (id(kb), hashlib.blake2b(body.model_dump_json().encode(), digest_size=16).digest())
    encoded = cache.get(key)
    if encoded is None:
        encoded = encode_json(recommend(body.profile, body.probes, kb=kb).to_dict())
        cache.put(key, encoded)
    # The output contract's dict in the one format, encoded once; FastAPI's serializer is not run.
    return Response(encoded, media_type="application/json")
