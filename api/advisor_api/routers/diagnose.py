"""POST /v1/diagnose: a training history (and/or probe results) in, ranked verdicts out.

Its memory is bounded at the door: the body's bytes (ADVISOR_MAX_HISTORY_BYTES, limits.py), the
requests at once (ADVISOR_DIAGNOSE_CONCURRENCY, 503 + Retry-After beyond), and the history's rows
and columns, counted on the parsed JSON before the history is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import Response

from advisor.core.diagnosis import DiagnoseRequest, Diagnosis, diagnose_request, request_from_payload
from advisor.errors import FieldProblem, HistoryError

from ..dependencies import KnowledgeBaseDep, SettingsDep
from ..errors import WRITE_ERRORS, problem_responses
from ..responses import encode_json
from ..routing import JSONRoute, validated_body

router = APIRouter(prefix="/v1", tags=["diagnose"], route_class=JSONRoute)
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
    validated_body(DiagnoseRequest | list[dict[str, Any]] | dict[str, Any], _diagnose_request, _BODY_DOC),
]


def history_shape(history: Any) -> tuple[int, int]:
    """(rows, columns) of a history as JSON gives it - rows, a Keras dict of lists, or a
    trainer_state.json - counted without building anything."""
    if isinstance(history, Mapping):
        log = history.get("log_history")
        if isinstance(log, list):
            return history_shape(log)
        lengths = [len(v) for v in history.values() if isinstance(v, list)]
        return max(lengths, default=0), len(history)
    if isinstance(history, list):
        columns: set[Any] = set()
        for row in history:
            if isinstance(row, Mapping):
                columns.update(row)
        return len(history), len(columns)
    return 0, 0


def _check_size(history: Any, max_rows: int, max_columns: int) -> None:
    rows, columns = history_shape(history)
    problems = []
    if rows > max_rows:
        problems.append(f"{rows} rows is over the limit of {max_rows}; log per epoch or downsample the steps")
    if columns > max_columns:
        problems.append(f"{columns} columns is over the limit of {max_columns}; send only the metrics")
    if problems:
        raise HistoryError([FieldProblem((), p) for p in problems], "the request body")


@router.post(
    "/diagnose",
    response_model=Diagnosis,
    response_description="Verdicts, best first, with next steps.",
    responses=problem_responses(
        WRITE_ERRORS, {422: "Invalid history (problem details: row and column of each cell).",
                       503: "Busy (Retry-After), or slower than the request timeout."}
    ),
)
def post_diagnose(body: DiagnoseBody, kb: KnowledgeBaseDep, settings: SettingsDep) -> Response:
    """Diagnose a training run: diverged, LR too high/low, under/overfitting, plateau, ..."""
    # Sync on purpose: a long history takes a while to parse, so it runs in the thread pool.
    _check_size(body.history, settings.max_history_rows, settings.max_history_columns)
    return Response(encode_json(diagnose_request(body, kb).to_dict()), media_type="application/json")
