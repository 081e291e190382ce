"""Saved probe results (the JSON or YAML a probe printed) read back for `recommend` and `explain`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from advisor.errors import InputFileError
from advisor.evidence.registry import probe_kinds, probe_names
from advisor.evidence.results import MAX_RESULT_INT, ProbeResults
from advisor.yamlio import document_problems, load_document

# A saved result is a regular file of at most MAX_RESULT_BYTES (a probe prints a few kB of curves);
# no integer in it may exceed MAX_RESULT_INT (the largest count or byte size a probe measures), so
# nothing a rule computes from it can overflow a float.
MAX_RESULT_BYTES = 4 * 1024 * 1024
M = TypeVar("M", bound=BaseModel)


def load_probe_results(paths: Iterable[Path], measured: ProbeResults | None = None) -> ProbeResults:
    """One ProbeResults from saved files (a whole ProbeResults, or one probe's result each),
    on top of probes measured in this run; the same probe given twice is an error."""
    fields: dict[str, Any] = dict(measured) if measured is not None else {}
    origin = {name: "this run" for name, value in fields.items() if value is not None}
    for path in paths:
        for name, result in _read(Path(path)).items():
            if name in origin:
                raise InputFileError(f"{path}: a {name.replace('_', ' ')} result is already given "
                                     f"(by {origin[name]}); give each probe once")
            fields[name], origin[name] = result, str(path)
    return ProbeResults(**fields)


def read_result_document(path: Path) -> Any:
    """A saved result file decoded (JSON by its suffix, else YAML), within the bounds above, with
    only encodable text; every failure is an InputFileError naming the file and the field."""
    data = load_document(path, MAX_RESULT_BYTES, "saved probe result")
    problems = document_problems(data, max_int=MAX_RESULT_INT)
    if problems:
        loc, message = problems[0]
        where = ".".join(str(p) for p in loc) or "(top level)"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputFileError(f"{path}: not a valid saved probe result: {where}: {message}{more}")
    return data


def load_result(path: Path, model: type[M]) -> M:
    """One probe's saved result (e.g. `advisor probe sanity -f json`) as its result model."""
    data = read_result_document(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise InputFileError(
            f"{path}: not a {model.__name__} ({exc.error_count()} problem(s); first: {where}: {first['msg']})"
        ) from None


def _read(path: Path) -> dict[str, BaseModel]:
    data = read_result_document(path)
    if not isinstance(data, dict):
        raise InputFileError(f"{path}: expected a probe result (a mapping), got {type(data).__name__}")
    try:
        if data and data.keys() <= {k.slot for k in probe_kinds()}:  # a whole ProbeResults
            whole = ProbeResults.model_validate(data)
            return {k: v for k, v in whole if v is not None}
        # One probe's result, told apart by a field only that result has (kinds in their order).
        for kind in probe_kinds():
            if kind.marker in data:
                return {kind.slot: kind.result.model_validate(data)}
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InputFileError(f"{path}: not a valid saved probe result: {where}: {first['msg']}") from None
    raise InputFileError(f"{path}: not a saved probe result (expected the output of `advisor probe` "
                         f"{' | '.join(probe_names())}, in JSON or YAML)")
