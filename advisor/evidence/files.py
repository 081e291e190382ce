"""Saved probe results (the JSON or YAML a probe printed) read back for `recommend` and `explain`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from advisor.errors import InputFileError
from advisor.evidence.registry import probe_kinds, probe_names
from advisor.evidence.results import ProbeResults
from advisor.yamlio import load_yaml


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


def _read(path: Path) -> dict[str, BaseModel]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read saved probe results ({exc.strerror})") from None
    data = load_yaml(text, str(path))
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
