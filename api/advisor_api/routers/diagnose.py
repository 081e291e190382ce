"""POST /v1/diagnose: a training history (and/or probe results) in, ranked verdicts out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import Response
from pydantic import PlainValidator

from advisor.core.diagnosis import DiagnoseRequest, Diagnosis, diagnose_request, request_from_payload

from ..dependencies import KnowledgeBaseDep
from ..errors import WRITE_ERRORS, problem_responses
from ..responses import encode_json

router = APIRouter(prefix="/v1", tags=["diagnose"])
_BODY_DOC = (
    'Either {"history": ..., "profile": ..., "sanity": ..., "scaling": ...} or a bare '
    "history: a list of row objects, a Keras History dict, or a trainer_state.json."
)


def _diagnose_request(body: Any) -> DiagnoseRequest:
    """A wrapped request, or a bare history (rows, a Keras History dict, a trainer_state.json).
    Anything else is passed on as the history, for the history parser to refuse with its message."""
    if isinstance(body, dict | list):
        return request_from_payload(body)
    return DiagnoseRequest(history=body)


DiagnoseBody = Annotated[
    DiagnoseRequest,
    PlainValidator(
        _diagnose_request, json_schema_input_type=DiagnoseRequest | list[dict[str, Any]] | dict[str, Any]
    ),
    Body(description=_BODY_DOC),
]


@router.post(
    "/diagnose",
    response_model=Diagnosis,
    response_description="Verdicts, best first, with next steps.",
    responses=problem_responses(
        WRITE_ERRORS, {422: "Invalid history (problem details: row and column of each cell)."}
    ),
)
def post_diagnose(body: DiagnoseBody, kb: KnowledgeBaseDep) -> Response:
    """Diagnose a training run: diverged, LR too high/low, under/overfitting, plateau, ..."""
    # Sync on purpose: a long history takes a while to parse, so it runs in the thread pool.
    return Response(encode_json(diagnose_request(body, kb).to_dict()), media_type="application/json")
