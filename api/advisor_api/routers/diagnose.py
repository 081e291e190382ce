"""POST /v1/diagnose: a training history (and/or probe results) in, ranked verdicts out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError

from advisor import KnowledgeBase
from advisor.core.diagnosis import Diagnosis, diagnose_request, request_from_payload

from ..dependencies import get_knowledge_base

router = APIRouter(prefix="/v1", tags=["diagnose"])

_BODY_DOC = (
    'Either {"history": ..., "profile": ..., "sanity": ..., "scaling": ...} or a bare '
    "history: a list of row objects, a Keras History dict, or a trainer_state.json."
)


@router.post(
    "/diagnose",
    response_model=None,
    responses={
        200: {"model": Diagnosis, "description": "Verdicts, best first, with next steps."},
        422: {"description": "Invalid history (problem details: row and column of each cell)."},
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "anyOf": [
                            {"$ref": "#/components/schemas/DiagnoseRequest"},
                            {"type": "array", "items": {"type": "object"}},
                            {"type": "object"},
                        ]
                    }
                }
            },
            "description": _BODY_DOC,
            "required": True,
        }
    },
)
def post_diagnose(
    payload: Annotated[Any, Body(description=_BODY_DOC)],
    kb: Annotated[KnowledgeBase, Depends(get_knowledge_base)],
) -> Response:
    """Diagnose a training run: diverged, LR too high/low, under/overfitting, plateau, ..."""
    try:
        request = request_from_payload(payload)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None
    return Response(diagnose_request(request, kb).to_json(), media_type="application/json")
